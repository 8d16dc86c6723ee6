package index

import (
	"errors"
	"io/fs"
	"syscall"
)

// lstat returns the stat data of path without following a symbolic link;
// a missing file is typeNone with a nil error.
func lstat(path string) (fileStat, error) {
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR) {
			return fileStat{}, nil
		}
		return fileStat{}, &fs.PathError{Op: "lstat", Path: path, Err: err}
	}
	s := fileStat{
		Size:  st.Size,
		Mtime: st.Mtim.Nano(),
		Ctime: st.Ctim.Nano(),
		Ino:   st.Ino,
		Dev:   st.Dev,
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		s.Type = typeRegular
	case syscall.S_IFDIR:
		s.Type = typeDir
	case syscall.S_IFLNK:
		s.Type = typeSymlink
	default:
		s.Type = typeOther
	}
	return s, nil
}
