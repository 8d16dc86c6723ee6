//go:build !linux

package txn

import "errors"

// haveSyncFS says whether syncFS is available: not here, so every file is
// fsynced on its own.
const haveSyncFS = false

func syncFS(string) error { return errors.New("syncfs is not available on this platform") }
