//go:build !linux

package index

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// lstat returns the stat data of path without following a symbolic link;
// a missing file is typeNone with a nil error. Outside Linux only size and
// mtime are compared (ctime and inode are left 0).
func lstat(path string) (fileStat, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fileStat{}, nil
		}
		return fileStat{}, err
	}
	s := fileStat{Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}
	switch m := fi.Mode(); {
	case m.IsRegular():
		s.Type = typeRegular
	case m.IsDir():
		s.Type = typeDir
	case m&fs.ModeSymlink != 0:
		s.Type = typeSymlink
	default:
		s.Type = typeOther
	}
	return s, nil
}

// dirStatter stats the entries of one folder.
type dirStatter struct{ dir string }

func openDirStatter(dir string) *dirStatter { return &dirStatter{dir: dir} }

func (d *dirStatter) stat(name string) (fileStat, error) { return lstat(filepath.Join(d.dir, name)) }

func (d *dirStatter) dup() *dirStatter { return d }

func (d *dirStatter) close() {}

// listDocs is not available here: the quick freshness check is skipped.
func listDocs(string) (*dirStatter, []string, bool, error) { return nil, nil, false, errNoQuickCheck }
