//go:build unix

package gitrepo

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps the file at path read-only and returns its bytes and the
// function that unmaps them (an empty file gives no bytes). Reading a big
// index this way costs no heap: os.ReadFile's copy of a 2-3 MB index was a
// tenth of a commit's CPU, most of it page faults and the garbage
// collection it triggered. The bytes must only be read inside
// readMapped, which turns a fault (the file truncated under us by a
// writer that ignores index.lock) into an error.
func mapFile(path string) ([]byte, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := fi.Size()
	if size == 0 {
		return nil, func() {}, nil
	}
	if size != int64(int(size)) {
		return nil, nil, fmt.Errorf("%s: file too large", path)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		// A file system that cannot map files: read it.
		data, err := os.ReadFile(path)
		return data, func() {}, err
	}
	return data, func() { syscall.Munmap(data) }, nil
}
