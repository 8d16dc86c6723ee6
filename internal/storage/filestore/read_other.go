//go:build !unix

package filestore

import (
	"io"
	"os"
	"syscall"
)

// readNoFollow reads a whole file without following a final symlink.
func readNoFollow(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, errNotRegular
	} else if fi.Size() > maxRead {
		return nil, errTooLarge
	}
	return io.ReadAll(f)
}
