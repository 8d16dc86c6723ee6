//go:build unix

package txn

import (
	"errors"
	"syscall"
)

// syscallNoFollow makes opening index.lock refuse a symbolic link.
const syscallNoFollow = syscall.O_NOFOLLOW

// processExists reports whether a process with this pid exists (possibly
// owned by another user).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
