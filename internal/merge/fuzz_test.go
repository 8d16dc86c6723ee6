package merge

import (
	"bytes"
	"testing"

	"github.com/git-milestone/git-milestone/internal/format"
)

// FuzzMerge: for any three valid documents the merge never panics, a clean
// result decodes and validates, and each side of a conflict does too.
func FuzzMerge(f *testing.F) {
	seeds := [][3]string{
		{doc(), doc("priority: high"), doc("status: active")},
		{doc(), doc("title: One"), doc("title: Two")},
		{doc(), doc("labels: [a]", "owner:-"), doc("labels: [release, web, b]", "owner: x")},
		{doc(), doc("status: completed", "closed_at: 2026-02-01T00:00:00Z"), doc("description: |\n  changed")},
		{"", doc("title: A"), doc("title: B")},
		{"", doc(), "# c\n" + doc()},
		{"title: T\nlabels:\n  - a\n  - b\n", "title: T\nlabels:\n  - a\n  - b\n  - c\n", "title: T # t\nlabels:\n  - b\n"},
		{"title: T\nx: {a: 1}\n", "title: T\nx: {a: 2}\n", "title: T\nx: [1]\ny: &a 1\nz: *a\n"},
		{"title: T\ndescription: |-\n  a\n  b", "title: T\ndescription: |-\n  A\n  b", "title: T\ndescription: |-\n  a\n  B"},
		{"{title: T, status: active}", "{title: T, status: blocked}", "{title: U, status: active}"},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]), []byte(s[2]))
	}
	f.Fuzz(func(t *testing.T, base, ours, theirs []byte) {
		for i, src := range [][]byte{base, ours, theirs} {
			if i == 0 && len(bytes.TrimSpace(src)) == 0 {
				continue
			}
			m, err := format.Decode("", src)
			if err != nil || m.Validate() != nil {
				return
			}
		}
		r := Merge(base, ours, theirs, path)
		if r.LineMerged {
			t.Fatalf("valid documents were line merged: %v", r.Notes)
		}
		if r.Clean() {
			m, err := format.Decode("", r.Content)
			if err != nil {
				t.Fatalf("clean merge does not decode: %v\n%s", err, r.Content)
			}
			if err := m.Validate(); err != nil {
				t.Fatalf("clean merge does not validate: %v\n%s", err, r.Content)
			}
			if bytes.Equal(ours, theirs) && !bytes.Equal(r.Content, ours) {
				t.Fatalf("same sides, different result")
			}
			return
		}
		for _, side := range []bool{true, false} {
			if _, err := format.Decode("", resolve(r.Content, side)); err != nil {
				t.Fatalf("side ours=%v of the conflict does not decode: %v\n%s", side, err, r.Content)
			}
		}
	})
}
