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

// FuzzMergeBytes: on arbitrary bytes (binary, NUL, broken YAML, conflict
// markers) the merge never panics; when ours or theirs does not decode the
// result is never clean; a clean result always decodes.
func FuzzMergeBytes(f *testing.F) {
	f.Add([]byte(doc()), []byte(doc("priority: high")), []byte(doc("owner: bo")))
	f.Add([]byte(doc()), []byte("\x00\x01binary\n"), []byte(doc("owner: bo")))
	f.Add([]byte("\xff\xfe"), []byte(doc()), []byte(doc("title: X")))
	f.Add([]byte(doc()), []byte("title: [unclosed\n"), []byte(doc()))
	f.Add([]byte(doc()), []byte("<<<<<<< a\ntitle: A\n=======\ntitle: B\n>>>>>>> b\n"), []byte(doc("owner: x")))
	f.Add([]byte("\xef\xbb\xbftitle: T\n"), []byte("\xef\xbb\xbftitle: T\npriority: high\n"), []byte("title: T\nowner: o\n"))
	f.Add([]byte(""), []byte("a: &a [x, x]\nb: &b [*a, *a]\ntitle: T\n"), []byte("title: T\n"))
	f.Fuzz(func(t *testing.T, base, ours, theirs []byte) {
		r := Merge(base, ours, theirs, path)
		if !r.Clean() {
			return
		}
		if bytes.Equal(ours, theirs) || bytes.Equal(base, theirs) || bytes.Equal(base, ours) {
			return // one side unchanged: the other is taken as it is
		}
		for _, side := range [][]byte{ours, theirs} {
			if _, err := format.Decode("", side); err != nil {
				t.Fatalf("clean merge although a side does not decode: %v", err)
			}
		}
		if _, err := format.Decode("", r.Content); err != nil {
			t.Fatalf("clean merge does not decode: %v\n%q", err, r.Content)
		}
	})
}
