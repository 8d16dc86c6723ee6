package format

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// checkFast asserts that where fastDecode accepts src, the yaml.v3 path
// accepts it too and decodes the same milestone, with the same Go types in
// Extra. It reports whether the fast path was taken.
func checkFast(t *testing.T, src []byte) bool {
	t.Helper()
	fm, ok := fastDecode(src)
	if !ok {
		return false
	}
	p, err := parse("", src)
	if err != nil {
		t.Fatalf("fast path accepts a document yaml.v3 refuses (%v):\n%q", err, src)
	}
	if same, field := equalMilestones(&fm, &p.m); !same {
		t.Fatalf("fast path differs in %s:\nfast %#v\nyaml %#v\nsource:\n%q", field, fm, p.m, src)
	}
	if a, b := fmt.Sprintf("%#v", fm.Extra), fmt.Sprintf("%#v", p.m.Extra); a != b {
		t.Fatalf("fast path differs in Extra:\nfast %s\nyaml %s\nsource:\n%q", a, b, src)
	}
	return true
}

func TestFastDecodeMatches(t *testing.T) {
	// Canonical documents take the fast path.
	m, err := Decode(betaPath, []byte(specDoc))
	if err != nil {
		t.Fatal(err)
	}
	if !checkFast(t, Encode(m)) {
		t.Error("the canonical form of the SPEC example does not take the fast path")
	}
	// Nested unknown keys do not, but they decode the same.
	checkFast(t, []byte(techNotesDoc))
	if !checkFast(t, []byte(specDoc)) {
		t.Error("the SPEC example does not take the fast path")
	}
	fast := 0
	for _, s := range hostile {
		m := milestone.Milestone{Title: "t", Description: s, Extra: []milestone.Field{{Key: "x-a", Value: s}, {Key: "x-b", Value: []any{s}}}}
		if milestone.ValidateLabel("owner", s) == nil {
			m.Owner = s
			m.Labels = []string{s}
		}
		if checkFast(t, Encode(m)) {
			fast++
		}
	}
	if fast < len(hostile)/2 {
		t.Errorf("only %d of %d encoded hostile documents take the fast path", fast, len(hostile))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		checkFast(t, []byte(randomDoc(r)))
	}
	// Canonical documents of hostile text with comments and blank lines
	// put in between and after the keys.
	fast = 0
	simple := []string{"Beta", "ana@example.com", "web", "it works", "a:b", "x-y", "'q'", "\"dq\"", "🎉", "one\ntwo"}
	pick := func() string {
		if r.IntN(4) == 0 {
			return hostile[r.IntN(len(hostile)-1)]
		}
		return simple[r.IntN(len(simple))]
	}
	for i := 0; i < fastN; i++ {
		m := fuzzMilestone(pick(), pick(), pick()+"\n"+pick(), pick(), "dep", pick(), pick(), r.Int(), uint8(r.Uint32()))
		var b strings.Builder
		for _, l := range strings.SplitAfter(string(Encode(m)), "\n") {
			if l != "" && l[0] != ' ' && l[0] != '\n' {
				switch r.IntN(6) {
				case 0:
					b.WriteString("\n")
				case 1:
					b.WriteString("# note\n")
				case 2:
					l = strings.TrimSuffix(l, "\n") + "   # trailing\n"
				}
			}
			b.WriteString(l)
		}
		if checkFast(t, []byte(b.String())) {
			fast++
		}
	}
	if fast < 300 {
		t.Errorf("only %d of %d generated documents take the fast path", fast, fastN)
	}
	for _, s := range []string{
		"title: x\nx: 2026-01-02\ny: 2026-01-02T10:00:00+02:00\nz: [1, 1.5, true, ~, 0x1f, .inf, a b]\n",
		"title: x\ndescription: |+\n\n  a\n\n\n# c\n\nx: 1\n", "title: x\ndescription: |-\n  a\n   b\n\n", "title: x\nowner:\n\n  y\n",
		"title: 'it''s'\nlabels: ['a, b', \"c\"]\n", "title: x\nprogress: 0o17\n", "title: x\nprogress: '5'\n", "title: x #c\nx: #c\n",
		"title: x\nx: a:b\ny: a :b\n", "title: x\nx: 'a'b\n", "title: x\nx: \"a\" b\n", "title: x\nx: [a]b\n", "title: x\nx: [a, [b]]\n",
		"title: x\ndescription: |\n  a\n \n", "title: x\ndescription: |\n  a\n  \tb\n", "title: x\ndescription: |\n\t a\n",
		"title: x\nx: ...\ny: ---\n", "title: x\nnull: 1\n", "title: x\nx.y-z_: 1\n", "title: x\nTitle: y\n",
	} {
		checkFast(t, []byte(s))
	}
}

// FuzzFastDecode checks the fast path against yaml.v3 on any input.
func FuzzFastDecode(f *testing.F) {
	f.Add([]byte(specDoc))
	f.Add([]byte(techNotesDoc))
	f.Add([]byte("title: x\ndescription: |+\n\n  a\n\n\n# c\nlabels: [a, 'b c', \"d\"]\nx: 1.5\n"))
	// Hostile bytes: a byte-order mark, NUL, invalid UTF-8, alias bombs.
	f.Add([]byte("\xef\xbb\xbftitle: BOM\nstatus: active\n"))
	f.Add([]byte("title: a\x00b\n"))
	f.Add([]byte("title: \xff\xfe\n"))
	f.Add([]byte("title: T\n" + laughs()))
	f.Add([]byte("x: &x [a, a]\ntitle: *x\n"))
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 40; i++ {
		f.Add([]byte(randomDoc(r)))
	}
	for _, s := range hostile[:40] {
		f.Add(Encode(milestone.Milestone{Title: "t", Owner: s, Description: s + "\n" + s, Labels: []string{s, s},
			Extra: []milestone.Field{{Key: "x-a", Value: s}, {Key: "x-b", Value: []any{s, 1}}}}))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkFast(t, src)
	})
}

var fastN = 3000
