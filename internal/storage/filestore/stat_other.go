//go:build !linux

package filestore

import (
	"io/fs"
	"os"
	"path/filepath"
)

// sysStatKey: without inode numbers and ctime the stat data cannot vouch
// for a document, so nothing is cached.
func sysStatKey(fs.FileInfo) (statKey, bool) { return statKey{}, false }

// folderStat stats the documents of one folder (here by path).
type folderStat struct{ dir string }

func openFolderStat(dir string) folderStat { return folderStat{dir: dir} }

func (d folderStat) statKey(name string) (statKey, bool) {
	fi, err := os.Lstat(filepath.Join(d.dir, name))
	if err != nil {
		return statKey{}, false
	}
	return statKeyOf(fi)
}

func (folderStat) close() {}

// cacheBuffer returns a buffer of size bytes to read the document cache
// into (see stat_linux.go).
func cacheBuffer(size int) []byte { return make([]byte, size) }
