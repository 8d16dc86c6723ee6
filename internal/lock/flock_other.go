//go:build !unix

package lock

import "os"

// TryFlock fails with ErrUnsupported where flock is not available.
func TryFlock(f *os.File, exclusive bool) (bool, error) { return false, ErrUnsupported }

// WaitFlock fails with ErrUnsupported where flock is not available.
func WaitFlock(f *os.File) error { return ErrUnsupported }

// Unflock fails with ErrUnsupported where flock is not available.
func Unflock(f *os.File) error { return ErrUnsupported }
