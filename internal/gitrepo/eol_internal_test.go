package gitrepo

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCRLFOnCheckoutRules follows git's convert.c decision table (the
// checkout side of a text blob without CR).
func TestCRLFOnCheckoutRules(t *testing.T) {
	u := "unspecified"
	for _, tc := range []struct {
		text, eol, crlf  string
		autocrlf, coreEO string
		want             bool
	}{
		{u, u, u, "false", "", false},
		{u, u, u, "true", "", true},
		{u, u, u, "input", "", false},
		{u, u, u, "false", "crlf", false}, // core.eol only applies to text files
		{"set", u, u, "false", "crlf", true},
		{"set", u, u, "false", "lf", false},
		{"set", u, u, "input", "crlf", false},
		{"set", u, u, "true", "", true},
		{"auto", u, u, "false", "crlf", true},
		{"auto", u, u, "false", "", false},
		{"auto", u, u, "true", "", true},
		{"unset", u, u, "true", "crlf", false},
		{"unset", "crlf", u, "false", "", false},
		{u, "crlf", u, "false", "", true},
		{u, "lf", u, "true", "", false},
		{"auto", "crlf", u, "false", "", true},
		{u, u, "set", "false", "crlf", true}, // legacy crlf attribute = text
		{u, u, "unset", "true", "", false},
		{u, u, "input", "true", "", false},
	} {
		a := map[string]string{"text": tc.text, "eol": tc.eol, "crlf": tc.crlf}
		if got := crlfOnCheckout(a, tc.autocrlf, tc.coreEO); got != tc.want {
			t.Errorf("text=%s eol=%s crlf=%s autocrlf=%s core.eol=%s: CRLF = %v, want %v",
				tc.text, tc.eol, tc.crlf, tc.autocrlf, tc.coreEO, got, tc.want)
		}
	}
}

// TestEOLAttributesNeverOpensASpecialFile: a .gitattributes under
// .milestones/ that is a fifo (repository content is untrusted) is not
// opened (the read would block): it counts as "may have attributes" and
// git decides.
func TestEOLAttributesNeverOpensASpecialFile(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".milestones", "active"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, ".milestones", ".gitattributes"), 0o644); err != nil {
		t.Skip(err)
	}
	home := t.TempDir()
	r, err := OpenEnv(dir, func(k string) string {
		switch k {
		case "HOME":
			return home
		case "GIT_ATTR_NOSYSTEM", "GIT_CONFIG_NOSYSTEM":
			return "1"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if !r.mayHaveEOLAttributes([]string{".milestones/active/a.yaml"}) {
		t.Error("a fifo .gitattributes was taken for no attributes")
	}
}
