package txn

import (
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
)

func TestWithSignoff(t *testing.T) {
	who := gitrepo.Signature{Name: "Ana Tester", Email: "ana@example.com"}
	sob := "Signed-off-by: Ana Tester <ana@example.com>"
	for _, tc := range []struct{ in, want string }{
		{"subject\n", "subject\n\n" + sob + "\n"},
		{"subject", "subject\n\n" + sob + "\n"},
		{"subject\n\nbody text\n", "subject\n\nbody text\n\n" + sob + "\n"},
		{"milestone(a): create\n\nMilestone-Id: a\n", "milestone(a): create\n\nMilestone-Id: a\n" + sob + "\n"},
		{"s\n\nMilestone-Id: a\n" + sob + "\n", "s\n\nMilestone-Id: a\n" + sob + "\n"},
		{"s\n\nSigned-off-by: Bob <b@x>\n", "s\n\nSigned-off-by: Bob <b@x>\n" + sob + "\n"},
		{"Key: looks like a trailer but is the subject\n", "Key: looks like a trailer but is the subject\n\n" + sob + "\n"},
	} {
		if got := withSignoff(tc.in, who); got != tc.want {
			t.Errorf("withSignoff(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCanonicalEOL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\r\nb\r\n", "a\nb\n"},
		{"a\nb\n", "a\nb\n"},
		{"a\rb\n", "a\rb\n"},                 // a lone CR is content
		{"a\r\n\x00b\r\n", "a\r\n\x00b\r\n"}, // binary: untouched
	} {
		if got := string(canonicalEOL([]byte(tc.in))); got != tc.want {
			t.Errorf("canonicalEOL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
