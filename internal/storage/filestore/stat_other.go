//go:build !linux

package filestore

import "io/fs"

// sysStatKey: without inode numbers and ctime the stat data cannot vouch
// for a document, so nothing is cached.
func sysStatKey(fs.FileInfo) (statKey, bool) { return statKey{}, false }
