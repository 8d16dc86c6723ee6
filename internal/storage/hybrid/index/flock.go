package index

import (
	"errors"
	"os"

	"github.com/git-milestone/git-milestone/internal/lock"
)

// tryFlock tries to take a shared or exclusive flock on f without waiting
// (lock.TryFlock). Where flock is not available it is a no-op: resets of a
// broken index are then not protected against concurrent users.
func tryFlock(f *os.File, exclusive bool) (bool, error) {
	ok, err := lock.TryFlock(f, exclusive)
	if errors.Is(err, lock.ErrUnsupported) {
		return true, nil
	}
	return ok, err
}

// unflock releases f's flock.
func unflock(f *os.File) error {
	if err := lock.Unflock(f); !errors.Is(err, lock.ErrUnsupported) {
		return err
	}
	return nil
}
