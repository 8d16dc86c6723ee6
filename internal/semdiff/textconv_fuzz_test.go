package semdiff

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzTextconv: on arbitrary bytes textconv never panics and is stable
// (the same input always gives the same output); an invalid document is
// shown after a line that says why.
func FuzzTextconv(f *testing.F) {
	f.Add([]byte("title: T\nstatus: active\n"))
	f.Add([]byte("\x00\x01\x02"))
	f.Add([]byte("\xef\xbb\xbftitle: BOM\n"))
	f.Add([]byte("title: [unclosed\n"))
	f.Add([]byte("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\ntitle: *c\n"))
	f.Add([]byte(strings.Repeat("{", 5000)))
	f.Fuzz(func(t *testing.T, src []byte) {
		a := Textconv("", src)
		b := Textconv("", src)
		if !bytes.Equal(a, b) {
			t.Fatalf("unstable textconv")
		}
		if bytes.HasPrefix(a, []byte("# git-milestone: not a valid milestone document")) && !bytes.HasSuffix(a, src) {
			t.Fatalf("an invalid document is not shown as is")
		}
	})
}
