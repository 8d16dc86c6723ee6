package gitrepo_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestCRLFOnCheckoutMatchesGit asks what git's own checkout writes for a
// text file under each combination of settings and attributes, and checks
// CRLFOnCheckout says the same.
func TestCRLFOnCheckoutMatchesGit(t *testing.T) {
	for _, tc := range []struct{ attrs, autocrlf, eol string }{
		{"", "", ""}, {"", "true", ""}, {"", "input", ""}, {"", "false", "crlf"},
		{"* text", "", "crlf"}, {"* text", "input", "crlf"}, {"* text", "true", ""},
		{"* text=auto", "", "crlf"}, {"* text=auto", "", ""}, {"* text=auto", "true", ""},
		{"* -text", "true", ""}, {"* eol=crlf", "", ""}, {"* eol=lf", "true", ""},
		{"* text=auto eol=crlf", "", ""}, {"* crlf", "", "crlf"}, {"* -crlf", "true", ""},
		{"* binary", "true", ""}, {"*.txt text eol=crlf\n*.yaml -text", "true", ""},
	} {
		name := strings.NewReplacer("\n", ";", "*", "all").Replace(tc.attrs) + "/autocrlf=" + tc.autocrlf + "/eol=" + tc.eol
		t.Run(name, func(t *testing.T) {
			dir := gittest.Init(t)
			if tc.attrs != "" {
				gittest.WriteFile(t, dir, "sub/.gitattributes", tc.attrs+"\n")
			}
			gittest.Commit(t, dir, "one", map[string]string{"sub/f.yaml": "a: 1\nb: 2\n"})
			if tc.autocrlf != "" {
				git(t, dir, "config", "core.autocrlf", tc.autocrlf)
			}
			if tc.eol != "" {
				git(t, dir, "config", "core.eol", tc.eol)
			}
			os.Remove(filepath.Join(dir, "sub", "f.yaml"))
			git(t, dir, "checkout", "--", "sub/f.yaml")
			b, err := os.ReadFile(filepath.Join(dir, "sub", "f.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			gitCRLF := strings.Contains(string(b), "\r\n")
			r, err := gitrepo.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.CRLFOnCheckout([]string{"sub/f.yaml"})
			if err != nil {
				t.Fatal(err)
			}
			if got["sub/f.yaml"] != gitCRLF {
				t.Errorf("CRLFOnCheckout = %v, git's checkout wrote CRLF = %v", got["sub/f.yaml"], gitCRLF)
			}
		})
	}
}
