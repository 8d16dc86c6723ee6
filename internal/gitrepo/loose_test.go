package gitrepo_test

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestReadLooseObjects: loose objects of every size around the reader's
// first read (64 bytes) and a big one read back as git stores them, one
// reader after another (the readers are reused); corrupt ones (a size
// the content does not have, trailing data, a size no file could
// inflate to, a broken stream) are errors.
func TestReadLooseObjects(t *testing.T) {
	dir := gittest.Init(t)
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var contents []string
	for _, n := range []int{0, 1, 50, 53, 54, 55, 56, 63, 64, 65, 100, 300 << 10} {
		contents = append(contents, strings.Repeat("x", n))
	}
	for _, c := range contents {
		id, err := gittest.RunInput(dir, nil, c, "hash-object", "-w", "--stdin")
		if err != nil {
			t.Fatal(err)
		}
		o, err := repo.ReadObject(strings.TrimSpace(id))
		if err != nil || o.Type != "blob" || string(o.Data) != c {
			t.Errorf("%d bytes: %s %d bytes, %v", len(c), o.Type, len(o.Data), err)
		}
	}
	write := func(id string, raw []byte, compress bool) {
		t.Helper()
		p := filepath.Join(dir, ".git", "objects", id[:2], id[2:])
		os.MkdirAll(filepath.Dir(p), 0o777)
		data := raw
		if compress {
			var b bytes.Buffer
			zw := zlib.NewWriter(&b)
			zw.Write(raw)
			zw.Close()
			data = b.Bytes()
		}
		if err := os.WriteFile(p, data, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	long := strings.Repeat("y", 200)
	for i, bad := range []struct {
		raw      string
		compress bool
	}{
		{"blob 5\x00abc", true},               // shorter than its size
		{"blob 2\x00abc", true},               // longer
		{"blob 100\x00" + long, true},         // longer, past the first read
		{"blob 300\x00" + long, true},         // shorter, past the first read
		{"blob 99999999999\x00" + long, true}, // a size no file inflates to
		{"blob 3 abc", true},                  // no header end
		{"blob x\x00abc", true},               // no size
		{"not zlib at all", false},            // not a zlib stream
	} {
		id := fmt.Sprintf("%040x", i+1)
		write(id, []byte(bad.raw), bad.compress)
		if o, err := repo.ReadObject(id); err == nil {
			t.Errorf("%q: read %q", bad.raw, o.Data)
		}
	}
	// A stream cut short.
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Write([]byte("blob 200\x00" + long))
	zw.Close()
	id := fmt.Sprintf("%040x", 99)
	write(id, b.Bytes()[:b.Len()-6], false)
	if _, err := repo.ReadObject(id); err == nil {
		t.Error("a cut stream was read")
	}
	// And good objects still read after the errors.
	for _, c := range contents[:3] {
		id, _ := gittest.RunInput(dir, nil, c, "hash-object", "-w", "--stdin")
		if o, err := repo.ReadObject(strings.TrimSpace(id)); err != nil || string(o.Data) != c {
			t.Errorf("after errors, %d bytes: %v", len(c), err)
		}
	}
}
