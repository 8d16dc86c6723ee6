//go:build unix

package gitrepo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReadMappedTruncated: a file truncated under us while it is mapped
// (a writer that ignores index.lock) gives an error, not a crash, and the
// process goes on.
func TestReadMappedTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index")
	if err := os.WriteFile(path, make([]byte, 1<<20), 0o666); err != nil {
		t.Fatal(err)
	}
	err := readMapped(path, func(data []byte) error {
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
		sum := 0
		for i := 0; i < len(data); i += 4096 {
			sum += int(data[i]) // faults past the new end of the file
		}
		t.Logf("read past the end without a fault (sum %d)", sum)
		return nil
	})
	if !errors.Is(err, errFault) {
		t.Fatalf("readMapped = %v, want errFault", err)
	}
	// Mapping the (now empty) file again works.
	if err := readMapped(path, func(data []byte) error {
		if len(data) != 0 {
			t.Errorf("%d bytes of an empty file", len(data))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
