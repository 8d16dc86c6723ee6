package format

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// layouts are ways people write each key; "" leaves the key out.
var layouts = map[string][]string{
	"title": {"title: Beta", `title: "Beta"`, "title: 'Beta'", "title:   Beta   # c", `"title": Beta`, "title: &a Beta",
		"title: !!str Beta", "title: >-\n  Beta", "title:\n  Beta", "title: \"Be\n  ta\"", "title: Be\n  ta # c"},
	"status": {"", "status: active", `status: "active"   # s`, "status:", "status: !!str blocked"},
	"owner":  {"", "owner: ana", "owner: ~", "owner: 'ana' #x", "owner: *a"},
	"labels": {"", "labels: [a, b]", `labels: [ a , "b" ]  # c`, "labels:\n  - a\n  - b", "labels:\n- a\n- 'b'  # c", "labels: []",
		"labels:\n  # comment\n  - a\n\n  - b", "labels: [a,\n  b]", "labels: # c\n  - a"},
	"description": {"", "description: text", "description: |\n  one\n  two", "description: |-\n    one\n\n    two",
		"description: >\n  folded\n  text", `description: "quoted\nline"`, "description: |+\n  keep\n", "description: plain\n  continued",
		"description: |\n  # not a comment\n  text", "description: |\n  trailing  \n  \ttab\n   \n  end",
		"description: >-\n  folded\n\n  para"},
	"progress": {"", "progress: 10", "progress: 0x0a # hex"},
	"due":      {"", "due: 2026-01-02", "due: '2026-01-02' # quoted"},
	"x-a":      {"", "x-a: 1", "x-a: {k: v}", "x-a:\n  k: v\n  l: [1]", `x-a: "s"`, "x-a:", "x-a: [1,\n  2] # c"},
	"x-b":      {"", "x-b: -not a list", "x-b:\n  - 1\n  - two", "x-b: {a: 1,\n  b: [2, 3]}  # flow map"},
	"x-ü":      {"", "x-ünï: ✓ välue # cömment", "'x-ü' : \"ü\"\t# tab before comment", "x-ü: 🎉"},
	"start":    {"", "start : 2026-01-01", "start: 2026-01-01\t# tab"},
}

var layoutKeys = []string{"title", "status", "owner", "labels", "description", "progress", "due", "x-a", "x-b", "x-ü", "start"}

// randomDoc writes a document from random layouts, in random key order, with
// random blank and comment lines, indentation and line breaks.
func randomDoc(r *rand.Rand) string {
	keys := append([]string(nil), layoutKeys...)
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	// The anchor must come before the alias.
	ti, oi := indexOf(keys, "title"), indexOf(keys, "owner")
	if oi < ti {
		keys[ti], keys[oi] = keys[oi], keys[ti]
	}
	var parts []string
	for _, k := range keys {
		l := layouts[k][r.IntN(len(layouts[k]))]
		if l == "" {
			continue
		}
		switch r.IntN(5) {
		case 0:
			parts = append(parts, "")
		case 1:
			parts = append(parts, "# about "+k)
		}
		parts = append(parts, l)
	}
	doc := strings.Join(parts, "\n")
	if !strings.Contains(doc, "&a") {
		doc = strings.ReplaceAll(doc, "owner: *a", "owner: ana")
	}
	if r.IntN(3) == 0 {
		doc = indentLines(doc, "  ")
	}
	if r.IntN(4) == 0 {
		doc = "---\n" + doc
	}
	if r.IntN(5) > 0 {
		doc += "\n"
	}
	if r.IntN(4) == 0 {
		doc = strings.ReplaceAll(doc, "\n", "\r\n")
	}
	return doc
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func indentLines(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

var newTexts = []string{"Gamma", "123", "yes", "a: b", "it's", `'); DROP TABLE x; --`, "🎉 launch", "  padded  ", "tab\there", "x #y"}
var newDescriptions = []string{"", "short", "one\ntwo\n", "one\ntwo", " lead\n", "trailing \n\n", "nul\x00\n", "# hash\n---\n"}

// randomChange changes m at random.
func randomChange(r *rand.Rand, m *milestone.Milestone) {
	for n := 1 + r.IntN(3); n > 0; n-- {
		switch r.IntN(9) {
		case 0:
			m.Title = newTexts[r.IntN(len(newTexts))]
		case 1:
			m.Status = milestone.Statuses[r.IntN(len(milestone.Statuses))]
		case 2:
			m.Owner = newTexts[r.IntN(len(newTexts))]
			if r.IntN(3) == 0 {
				m.Owner = ""
			}
		case 3:
			m.Labels = append(m.Labels, newTexts[r.IntN(len(newTexts))])
		case 4:
			if len(m.Labels) > 0 {
				i := r.IntN(len(m.Labels))
				m.Labels = append(m.Labels[:i:i], m.Labels[i+1:]...)
			}
		case 5:
			m.Description = newDescriptions[r.IntN(len(newDescriptions))]
		case 6:
			if m.Progress == nil {
				m.Progress = intp(r.IntN(101))
			} else {
				m.Progress = nil
			}
		case 7:
			m.Due = []string{"", "2027-02-03"}[r.IntN(2)]
			m.Start = []string{"", "2027-01-01"}[r.IntN(2)]
		case 8:
			vals := []any{nil, 2, "text", []any{"a", 1}, map[string]any{"k": "v"}, "multi\nline\n"}
			if len(m.Extra) > 0 && r.IntN(2) == 0 {
				i := r.IntN(len(m.Extra))
				if r.IntN(3) == 0 {
					m.Extra = append(m.Extra[:i:i], m.Extra[i+1:]...)
				} else {
					m.Extra[i].Value = vals[r.IntN(len(vals))]
				}
			} else if indexOfField(m.Extra, "x-new") < 0 {
				m.Extra = append(m.Extra, milestone.Field{Key: "x-new", Value: vals[r.IntN(len(vals))]})
			}
		}
	}
}

func indexOfField(fs []milestone.Field, key string) int {
	for i, f := range fs {
		if f.Key == key {
			return i
		}
	}
	return -1
}

// TestRewriteLayouts rewrites thousands of generated hand-written layouts and
// checks that every rewrite is a verified text splice that decodes to the
// milestone and leaves the lines of unchanged keys alone.
func TestRewriteLayouts(t *testing.T) {
	r := rand.New(rand.NewPCG(layoutSeed, 2))
	n := layoutN
	if testing.Short() {
		n = 300
	}
	for i := uint64(0); i < n; i++ {
		src := randomDoc(r)
		m, err := Decode(betaPath, []byte(src))
		if err != nil {
			t.Fatalf("generated document does not decode: %v\n%s", err, src)
		}
		want := m.Clone()
		randomChange(r, &want)
		out, how, err := rewrite(betaPath, []byte(src), want)
		if err != nil {
			t.Fatalf("rewrite: %v\nsource:\n%s", err, src)
		}
		if how != howSplice && how != howUnchanged {
			t.Fatalf("rewritten by %s\nsource:\n%s\nresult:\n%s", how, src, out)
		}
		checkTouched(t, src, string(out), want)
		// Comment lines the generator wrote survive.
		for _, l := range strings.Split(src, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "# about") && !strings.Contains(string(out), l) {
				t.Fatalf("comment %q lost\nsource:\n%s\nresult:\n%s", l, src, out)
			}
		}
	}
}

var layoutSeed, layoutN uint64 = 1, 3000

// checkTouched asserts that the only source lines a rewrite removed are lines
// of entries that had to change, blank lines, and the last entry when the
// file does not end with a line break.
func checkTouched(t *testing.T, src, out string, want milestone.Milestone) {
	t.Helper()
	p, err := parse(betaPath, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	w := normalized(want)
	w.ID = p.m.ID
	rewritten := toRewrite(p, &w)
	d := &doc{src: []byte(src), lines: splitLines([]byte(src))}
	allowed := map[int]bool{}
	for i := range p.entries {
		sp, err := d.entrySpan(p, i)
		if err != nil {
			t.Fatal(err)
		}
		if rewritten[i] || i == len(p.entries)-1 && !strings.HasSuffix(src, "\n") {
			for l := sp.keyLine; l <= sp.endLine; l++ {
				allowed[l] = true
			}
		}
	}
	x, y := strings.SplitAfter(src, "\n"), strings.SplitAfter(out, "\n")
	for _, i := range removedLines(x, y) {
		if !allowed[i] && strings.TrimSpace(x[i]) != "" {
			t.Fatalf("line %d %q changed although its key did not\nsource:\n%s\nresult:\n%s", i+1, x[i], src, out)
		}
	}
}

// removedLines returns the indexes of the lines of x not in a longest common
// subsequence with y.
func removedLines(x, y []string) []int {
	lcs := make([][]int32, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var rm []int
	for i, j := 0, 0; i < len(x); {
		switch {
		case j < len(y) && x[i] == y[j]:
			i, j = i+1, j+1
		case j < len(y) && lcs[i][j+1] >= lcs[i+1][j]:
			j++
		default:
			rm = append(rm, i)
			i++
		}
	}
	return rm
}
