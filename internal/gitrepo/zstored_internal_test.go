package gitrepo

import (
	"bytes"
	"compress/zlib"
	"io"
	"math/rand/v2"
	"testing"
)

// TestWriteStored: the stream is valid zlib and gives back the parts,
// at every size around the block limit, however the bytes are split.
func TestWriteStored(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 65534, 65535, 65536, 65535*2 + 7, 400_000} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.IntN(256))
		}
		for _, cut := range []int{0, size / 3, size} {
			var buf bytes.Buffer
			if err := writeStored(&buf, []byte("blob 12\x00"), data[:cut], nil, data[cut:]); err != nil {
				t.Fatal(err)
			}
			zr, err := zlib.NewReader(&buf)
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("size %d cut %d: %v", size, cut, err)
			}
			if want := append([]byte("blob 12\x00"), data...); !bytes.Equal(got, want) {
				t.Fatalf("size %d cut %d: content differs", size, cut)
			}
		}
	}
}
