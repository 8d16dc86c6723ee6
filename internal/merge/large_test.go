package merge

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// bigDescription is a document whose description has n random lines.
func bigDescription(r *rand.Rand, n int) string {
	var b strings.Builder
	b.WriteString("title: Big\ndescription: |\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  line %d %x\n", r.IntN(1<<30), r.Uint64())
	}
	return b.String()
}

// TestMergeLargeDissimilar: large descriptions that share no line (and
// ones that share a few scattered lines) merge without a quadratic diff;
// the result is a conflict naming the description. (How long it takes is
// a benchmark's business, not a test's: the test proves it finishes.)
func TestMergeLargeDissimilar(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	r := rand.New(rand.NewPCG(1, 2))
	n := 60000 // about 2.5 MB per side
	base, ours, theirs := bigDescription(r, n), bigDescription(r, n), bigDescription(r, n)
	res := Merge([]byte(base), []byte(ours), []byte(theirs), path)
	if res.Clean() {
		t.Fatal("dissimilar descriptions merged cleanly")
	}
	// Scattered common lines: every 50th line shared by all three.
	lines := func(s string) []string { return strings.SplitAfter(s, "\n") }
	bl, ol, tl := lines(base), lines(ours), lines(theirs)
	for i := 3; i < len(bl) && i < len(ol) && i < len(tl); i += 50 {
		ol[i], tl[i] = bl[i], bl[i]
	}
	res = Merge([]byte(base), []byte(strings.Join(ol, "")), []byte(strings.Join(tl, "")), path)
	if res.Clean() {
		t.Fatal("mostly dissimilar descriptions merged cleanly")
	}
}

func BenchmarkMergeDissimilar(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	base, ours, theirs := bigDescription(r, 25000), bigDescription(r, 25000), bigDescription(r, 25000)
	b.SetBytes(int64(len(ours)))
	for b.Loop() {
		Merge([]byte(base), []byte(ours), []byte(theirs), path)
	}
}
