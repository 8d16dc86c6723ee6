//go:build !unix

package index

import "os"

// tryFlock is a no-op where flock is not available: resets of a broken
// index are then not protected against concurrent users.
func tryFlock(f *os.File, exclusive bool) (bool, error) { return true, nil }

func unflock(f *os.File) error { return nil }
