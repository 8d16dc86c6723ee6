package merge

import (
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

// choices are the values a structured document picks from, per key ("" is absent).
var choices = map[string][]string{
	"title":       {"Beta", "Beta two", "'Gamma: x'", `"Delta # not a comment"`},
	"status":      {"", "planned", "active", "blocked", "completed", "cancelled"},
	"priority":    {"", "low", "high", "critical"},
	"owner":       {"", "ana@example.com", "bo@example.com"},
	"due":         {"", "2026-12-15", "2027-01-10"},
	"labels":      {"", "[a]", "[a, b]", "[b, c]", "\n  - a\n  - c", "[]"},
	"depends_on":  {"", "[x]", "[x, y]", "[z]"},
	"progress":    {"", "0", "50", "100"},
	"description": {"", "|\n  one\n  two\n  three\n  four", "|\n  ONE\n  two\n  three\n  four", "|\n  one\n  two\n  three\n  FOUR", "|-\n  one\n  two", "one line"},
	"created_at":  {"", "2026-01-01T00:00:00Z", "2025-06-01T12:00:00+02:00"},
	"updated_at":  {"", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00-05:00"},
	"closed_at":   {"", "2026-02-10T00:00:00Z", "2026-02-20T00:00:00Z"},
	"x-a":         {"", "1", "{k: v}", "[1, 2]"},
	"x-b":         {"", "text", "null"},
}

var choiceKeys = []string{"title", "status", "priority", "owner", "due", "labels", "depends_on", "progress",
	"description", "created_at", "updated_at", "closed_at", "x-a", "x-b"}

// build makes a document from the bytes: per key a choice, plus comments
// and a rotation of the key order.
func build(data []byte) (string, []byte) {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	var lines []string
	for _, k := range choiceKeys {
		c := choices[k]
		v := c[next()%len(c)]
		if k == "title" && v == "" {
			v = "Beta"
		}
		if v == "" {
			continue
		}
		sep := " "
		if strings.HasPrefix(v, "\n") {
			sep = ""
		}
		line := k + ":" + sep + v
		if next()%5 == 0 {
			line = "# about " + k + "\n" + line
		}
		lines = append(lines, line)
	}
	if r := next() % len(lines); r > 0 {
		lines = append(lines[r:], lines[:r]...)
	}
	return strings.Join(lines, "\n") + "\n", data
}

func FuzzMergeFields(f *testing.F) {
	f.Add([]byte{}, []byte{1, 2, 3}, []byte{3, 2, 1})
	f.Add([]byte{0, 0, 1}, []byte{0, 0, 2, 0, 3}, []byte{0, 0, 1, 0, 0, 0, 4})
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []byte{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, []byte{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3})
	f.Fuzz(func(t *testing.T, bb, ob, tb []byte) {
		base, _ := build(bb)
		ours, _ := build(ob)
		theirs, _ := build(tb)
		mb, errB := format.Decode("", []byte(base))
		mo, errO := format.Decode("", []byte(ours))
		mt, errT := format.Decode("", []byte(theirs))
		if errB != nil || errO != nil || errT != nil {
			t.Fatalf("generated documents do not decode: %v %v %v", errB, errO, errT)
		}
		r := Merge([]byte(base), []byte(ours), []byte(theirs), path)
		if r.LineMerged {
			t.Fatalf("line merged: %v", r.Notes)
		}
		if !r.Clean() {
			for _, side := range []bool{true, false} {
				if _, err := format.Decode("", resolve(r.Content, side)); err != nil {
					t.Fatalf("conflict side ours=%v does not decode: %v\n%s", side, err, r.Content)
				}
			}
			return
		}
		m, err := format.Decode("", r.Content)
		if err != nil {
			t.Fatalf("clean merge does not decode: %v\nbase:\n%s\nours:\n%s\ntheirs:\n%s\nresult:\n%s", err, base, ours, theirs, r.Content)
		}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		check := func(key string) {
			b, o, th, got := get(&mb, key), get(&mo, key), get(&mt, key), get(&m, key)
			switch {
			case same(o, th):
				if !same(got, o) {
					t.Errorf("%s: both sides %s, merged %s", key, show(o), show(got))
				}
			case same(b, o):
				if !same(got, th) {
					t.Errorf("%s: only theirs changed it to %s, merged %s", key, show(th), show(got))
				}
			case same(b, th):
				if !same(got, o) {
					t.Errorf("%s: only ours changed it to %s, merged %s", key, show(o), show(got))
				}
			}
		}
		for _, k := range []string{"title", "status", "priority", "owner", "due", "progress", "x-a", "x-b", "description"} {
			check(k)
		}
		// Sets: additions kept, removals honoured.
		for _, k := range []string{milestone.KeyLabels, milestone.KeyDependsOn} {
			bl, _ := get(&mb, k).v.([]string)
			ol, _ := get(&mo, k).v.([]string)
			tl, _ := get(&mt, k).v.([]string)
			gl, _ := get(&m, k).v.([]string)
			has := func(l []string, s string) bool {
				return strings.Contains("\x00"+strings.Join(l, "\x00")+"\x00", "\x00"+s+"\x00")
			}
			for _, s := range append(append([]string{}, ol...), tl...) {
				added := !has(bl, s)
				removed := has(bl, s) && (!has(ol, s) || !has(tl, s))
				if added && !has(gl, s) {
					t.Errorf("%s: added %q lost: %v", k, s, gl)
				}
				if removed && has(gl, s) {
					t.Errorf("%s: removed %q came back: %v", k, s, gl)
				}
			}
		}
		// created_at oldest, updated_at latest.
		for _, tc := range []struct {
			key    string
			latest bool
		}{{milestone.KeyCreatedAt, false}, {milestone.KeyUpdatedAt, true}} {
			o, th, got := get(&mo, tc.key), get(&mt, tc.key), get(&m, tc.key)
			if o.ok && th.ok && !same(o, th) {
				want := pickTime(o, th, tc.latest)
				if !same(got, want) {
					t.Errorf("%s: ours %s theirs %s, merged %s", tc.key, show(o), show(th), show(got))
				}
			}
		}
		// closed_at follows status: from the side whose status was taken.
		if m.Status != mb.Status && mo.Status != mt.Status {
			from := mo
			if mt.Status == m.Status {
				from = mt
			}
			if m.ClosedAt != from.ClosedAt {
				t.Errorf("closed_at %q does not follow status %s (side has %q)", m.ClosedAt, m.Status, from.ClosedAt)
			}
		}
	})
}
