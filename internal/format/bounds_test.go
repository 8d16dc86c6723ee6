package format

import (
	"errors"
	"strings"
	"testing"
)

func laughs() string {
	doc := "x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		doc += "x-" + n + ": &" + n + " [" + strings.Repeat("*"+prev+", ", 8) + "*" + prev + "]\n"
		prev = n
	}
	return doc
}

// TestDecodeBounded: a "billion laughs" document, an alias as a known
// value, an oversized document and deep nesting are refused with a
// position, never expanded.
func TestDecodeBounded(t *testing.T) {
	cases := map[string]string{
		"billion laughs": "title: T\n" + laughs(),
		"alias as title": "x-t: &t [a]\ntitle: *t\n",
		"oversized":      "title: T\ndescription: " + strings.Repeat("x", MaxDocumentSize) + "\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(".milestones/active/x.yaml", []byte(src))
			var fe *Error
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), ".milestones/active/x.yaml") {
				t.Fatalf("got %v, want a *format.Error naming the file", err)
			}
		})
	}
}

// TestDecodeDeepNestingNoPanic: deep nesting is decoded or refused, never
// a crash.
func TestDecodeDeepNestingNoPanic(t *testing.T) {
	for _, src := range []string{
		"title: T\nx-deep: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n",
		"title: T\nx-deep: " + strings.Repeat("{a: ", 20000) + "1" + strings.Repeat("}", 20000) + "\n",
	} {
		Decode(".milestones/active/x.yaml", []byte(src))
	}
}
