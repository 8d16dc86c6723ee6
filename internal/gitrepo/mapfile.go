package gitrepo

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// errFault: a mapped file changed size under us (see readMapped).
var errFault = errors.New("the file changed while it was read")

// readMapped maps the file at path (see mapFile) and calls fn with its
// bytes, which are only valid during the call. A memory fault while fn
// reads them (the file was truncated by a writer that does not take its
// lock) is returned as an error instead of crashing the process.
func readMapped(path string, fn func(data []byte) error) (err error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return err
	}
	defer unmap()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			err = fmt.Errorf("read %s: %w", path, errFault)
		}
	}()
	return fn(data)
}
