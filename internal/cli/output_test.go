package cli

import "testing"

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain ünï 🚀":       "plain ünï 🚀",
		"tab\tand\nnewline": "tab\tand\nnewline",
		"esc\x1b]0;pwned\a": `esc\x1b]0;pwned\x07`,
		"c1\u009bcsi":       `c1\x9bcsi`,
		"del\x7f":           `del\x7f`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
	if got := tsvField("a\tb\x1b"); got != `a b\x1b` {
		t.Errorf("tsvField = %q", got)
	}
}
