//go:build unix

package lock

import (
	"errors"
	"os"
	"syscall"
)

// TryFlock takes a shared or exclusive flock on f without waiting; ok is
// false if another open file description holds a conflicting one. This is
// the one flock primitive of the program: Acquire and Probe use it, and so
// does the hybrid index for its shared and exclusive repair lock.
func TryFlock(f *os.File, exclusive bool) (ok bool, err error) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		}
		return false, err
	}
}

// WaitFlock blocks until it holds an exclusive flock on f.
func WaitFlock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// Unflock releases f's flock (closing f releases it too).
func Unflock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
