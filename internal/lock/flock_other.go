//go:build !unix

package lock

import (
	"errors"
	"os"
)

var errUnsupported = errors.New("file locks are not supported on this platform")

func tryLock(f *os.File) (bool, error) { return false, errUnsupported }

func waitLock(f *os.File) error { return errUnsupported }
