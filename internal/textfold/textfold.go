// Package textfold defines the one folding that search applies, on every
// backend, to both the query and the text it is matched against, so that
// matching is case-insensitive and accent-insensitive both ways.
package textfold

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Fold returns s folded for search:
//
//  1. Unicode compatibility decomposition (NFKD): "é" becomes "e" plus a
//     combining acute accent, "ﬁ" becomes "fi", "①" becomes "1";
//  2. every nonspacing mark (category Mn) removed: accents, diaeresis,
//     cedilla, ...;
//  3. full Unicode case folding: "É" becomes "e", "ß" and "ẞ" become "ss",
//     "Σ" and "ς" become "σ";
//  4. NUL, which no database text column holds, becomes a space (so it
//     separates terms as white space does); bytes that are not UTF-8
//     become U+FFFD.
//
// Cherokee folds to its upper case, as Unicode's CaseFolding.txt says
// (golang.org/x/text swaps the two cases instead, which would make Fold
// change its own output).
//
// Steps 1 and 2 run again after 3 in the rare case where folding produced
// something they change, so that Fold(Fold(s)) == Fold(s). Letters without
// a decomposition stay as they are ("ø", "ł", "đ").
//
// A query term matches a text when Fold(term) is a substring of Fold(text);
// there are no stop words and no stemming.
func Fold(s string) string {
	if isASCII(s) {
		return foldASCII(s)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	out := fixCherokee(cases.Fold().String(stripMarks(norm.NFKD.String(s))))
	if !norm.NFKD.IsNormalString(out) || hasMark(out) {
		out = stripMarks(norm.NFKD.String(out))
	}
	return strings.ReplaceAll(out, "\x00", " ")
}

// Terms splits a search query into its folded terms: the runs of
// non-white-space characters of Fold(query).
func Terms(query string) []string { return strings.Fields(Fold(query)) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldASCII is Fold for ASCII text: lower case, NUL as a space.
func foldASCII(s string) string {
	clean := true
	for i := 0; i < len(s) && clean; i++ {
		c := s[i]
		clean = c != 0 && (c < 'A' || c > 'Z')
	}
	if clean {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c == 0:
			b[i] = ' '
		}
	}
	return string(b)
}

func hasMark(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			return true
		}
	}
	return false
}

// stripMarks removes the nonspacing marks of s.
func stripMarks(s string) string {
	if !hasMark(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fixCherokee maps Cherokee letters to their upper case, the case Unicode
// folds them to.
func fixCherokee(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0x13A0 && r <= 0x13FD || r >= 0xAB70 && r <= 0xABBF {
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}
