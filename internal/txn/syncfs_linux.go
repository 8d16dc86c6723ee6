package txn

import (
	"os"

	"golang.org/x/sys/unix"
)

// haveSyncFS says whether syncFS is available.
const haveSyncFS = true

// syncFS flushes the whole file system holding dir with one syncfs(2):
// files written without fsync become durable at once.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		err := unix.Syncfs(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}
