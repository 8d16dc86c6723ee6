package textfold

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain ascii", "plain ascii"},
		{"MiXeD Case", "mixed case"},
		{"café", "cafe"},
		{"CAFÉ", "cafe"},
		{"cafe\u0301", "cafe"}, // already decomposed
		{"Ångström", "angstrom"},
		{"naïve façade", "naive facade"},
		{"Straße", "strasse"},
		{"STRASSE", "strasse"},
		{"ẞ", "ss"},
		{"ΣΊΣΥΦΟΣ", "σισυφοσ"},
		{"σίσυφος", "σισυφοσ"},
		{"ﬁle", "file"}, // ligature (compatibility)
		{"①", "1"},      // compatibility
		{"İstanbul", "istanbul"},
		{"Łódź", "łodz"},   // ł has no decomposition
		{"ᏕᏫ ꮥꮻ", "ᏕᏫ ᏕᏫ"}, // Cherokee folds to upper case
		{"a\x00b", "a b"},  // NUL separates
		{"100% _x_ \\ 'q' \"d\"", "100% _x_ \\ 'q' \"d\""},
		{"日本語", "日本語"},
		{"🚀 Launch", "🚀 launch"},
	}
	for _, tc := range tests {
		if got := Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFoldIdempotent checks Fold(Fold(r)) == Fold(r) for every rune, so
// that folding a stored, already folded text again changes nothing.
func TestFoldIdempotent(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := "x" + string(r) + "Y"
		f := Fold(s)
		if g := Fold(f); g != f {
			t.Errorf("U+%04X: Fold = %q, Fold(Fold) = %q", r, f, g)
		}
		if !utf8.ValidString(f) {
			t.Errorf("U+%04X: Fold gives invalid UTF-8 %q", r, f)
		}
	}
}

// TestFoldSubstring: a term of a text stays a substring of the folded
// text once folded, for text made of whole words.
func TestFoldSubstring(t *testing.T) {
	text := "Le Café de la GARE, Straße Ærø, Ελληνικά ΣΟΦΊΑ"
	for _, w := range strings.Fields(text) {
		if !strings.Contains(Fold(text), Fold(w)) {
			t.Errorf("Fold(%q) not in Fold(text)", w)
		}
	}
}

func TestTerms(t *testing.T) {
	got := Terms("  Café\tCRÈME\n brûlée\u00a0x ")
	want := []string{"cafe", "creme", "brulee", "x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Terms = %q, want %q", got, want)
	}
	if got := Terms(" \u0301 "); len(got) != 0 {
		t.Fatalf("Terms of a lone combining mark = %q, want none", got)
	}
}
