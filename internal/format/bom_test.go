package format

import (
	"bytes"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// TestBOMStable: a document that starts with a byte-order mark keeps
// exactly one, on every rewrite path (text splice and tree re-encode); a
// document without one never gains one; repeated updates neither add
// blank lines nor change lines they did not mean to change.
func TestBOMStable(t *testing.T) {
	docs := map[string]string{
		"block":       "title: BOM doc\nstatus: active\n# a comment\nlabels:\n  - web\ndescription: |\n  one\n  two\n",
		"crlf":        "title: BOM doc\r\nstatus: active\r\n\r\nowner: ana\r\n",
		"flow (tree)": "{title: BOM doc, status: active}\n",
		"no newline":  "title: BOM doc\nstatus: active",
	}
	for name, body := range docs {
		for _, bom := range []bool{true, false} {
			src := []byte(body)
			if bom {
				src = append([]byte("\xEF\xBB\xBF"), src...)
			}
			t.Run(name, func(t *testing.T) {
				const file = ".milestones/active/bom.yaml"
				prios := []milestone.Priority{milestone.High, milestone.Low}
				var outs [][]byte
				cur := src
				for i := 0; i < 6; i++ {
					m, err := Decode(file, cur)
					if err != nil {
						t.Fatalf("decode step %d: %v\n%q", i, err, cur)
					}
					m.Priority = prios[i%2]
					out, err := Rewrite(file, cur, m)
					if err != nil {
						t.Fatalf("rewrite step %d: %v", i, err)
					}
					if got := bytes.Count(out, []byte("\xEF\xBB\xBF")); got != map[bool]int{true: 1, false: 0}[bom] || (bom && !bytes.HasPrefix(out, []byte("\xEF\xBB\xBF"))) {
						t.Fatalf("step %d: %d byte-order marks:\n%q", i, got, out)
					}
					if bytes.HasPrefix(bytes.TrimPrefix(out, []byte("\xEF\xBB\xBF")), []byte("\n")) || bytes.HasPrefix(bytes.TrimPrefix(out, []byte("\xEF\xBB\xBF")), []byte("\r\n")) {
						t.Fatalf("step %d: a blank line after the byte-order mark:\n%q", i, out)
					}
					outs = append(outs, out)
					cur = out
				}
				for i := 2; i < len(outs); i++ {
					if !bytes.Equal(outs[i], outs[i-2]) {
						t.Fatalf("not stable: step %d\n%q\nstep %d\n%q", i-2, outs[i-2], i, outs[i])
					}
				}
				// Between two updates only the priority line differs.
				a := strings.Split(string(outs[0]), "\n")
				b := strings.Split(string(outs[1]), "\n")
				if len(a) != len(b) {
					t.Fatalf("line count changed: %d -> %d", len(a), len(b))
				}
				changed := 0
				for i := range a {
					if a[i] != b[i] {
						changed++
						if !strings.Contains(a[i], "priority") {
							t.Errorf("line %d changed: %q -> %q", i+1, a[i], b[i])
						}
					}
				}
				if changed != 1 {
					t.Errorf("%d lines changed, want 1", changed)
				}
			})
		}
	}
}
