package cli

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidExtraKeyMatchesPattern checks the hand-written check of --set
// keys against its regular expression, over generated strings.
func TestValidExtraKeyMatchesPattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)
	alphabet := []rune("aZ09_.-/é ")
	keys := []string{""}
	for _, a := range alphabet {
		for _, b := range alphabet {
			keys = append(keys, string(a), string(a)+string(b), "x"+string(a)+string(b))
		}
	}
	for n := 60; n <= 66; n++ {
		keys = append(keys, strings.Repeat("k", n), "_"+strings.Repeat("9", n-1))
	}
	for _, k := range keys {
		if got, want := validExtraKey(k), pattern.MatchString(k); got != want {
			t.Errorf("validExtraKey(%q) = %v, the pattern says %v", k, got, want)
		}
	}
}
