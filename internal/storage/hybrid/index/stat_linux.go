package index

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// lstat returns the stat data of path without following a symbolic link;
// a missing file is typeNone with a nil error.
func lstat(path string) (fileStat, error) {
	return statAt(unix.AT_FDCWD, path)
}

func statAt(dirfd int, name string) (fileStat, error) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		switch {
		case err == nil:
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR):
			return fileStat{}, nil
		default:
			return fileStat{}, &fs.PathError{Op: "lstat", Path: name, Err: err}
		}
		break
	}
	s := fileStat{
		Size:  st.Size,
		Mtime: st.Mtim.Nano(),
		Ctime: st.Ctim.Nano(),
		Ino:   st.Ino,
		Dev:   st.Dev,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		s.Type = typeRegular
	case unix.S_IFDIR:
		s.Type = typeDir
	case unix.S_IFLNK:
		s.Type = typeSymlink
	default:
		s.Type = typeOther
	}
	return s, nil
}

// dirStatter stats the entries of one folder relative to an open file
// descriptor of it, which spares the kernel a walk of the whole path per
// file (a third of the cost of a freshness check at 10,000 files).
type dirStatter struct {
	fd       int // -1 if the folder could not be opened
	dir      string
	borrowed bool // fd is another statter's: close leaves it open
}

func openDirStatter(dir string) *dirStatter {
	fd, err := filestore.OpenDir(dir)
	if err != nil {
		return &dirStatter{fd: -1, dir: dir}
	}
	return &dirStatter{fd: fd, dir: dir}
}

func (d *dirStatter) stat(name string) (fileStat, error) {
	if d.fd < 0 {
		return lstat(d.dir + string(os.PathSeparator) + name)
	}
	return statAt(d.fd, name)
}

// dup returns a statter of the same folder through a descriptor of its
// own: a descriptor that two threads use at once is a reference count the
// kernel changes from both CPUs on every call (10% of a 100,000-file
// freshness pass). It opens "." of the folder it has open, so it is that
// folder whatever its path names now; d's own descriptor if that fails.
func (d *dirStatter) dup() *dirStatter {
	if d.fd < 0 {
		return &dirStatter{fd: -1, dir: d.dir}
	}
	for {
		fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &dirStatter{fd: d.fd, dir: d.dir, borrowed: true}
		}
		return &dirStatter{fd: fd, dir: d.dir}
	}
}

func (d *dirStatter) close() {
	if d.fd >= 0 && !d.borrowed {
		unix.Close(d.fd)
		d.fd = -1
	}
}

// listDocs opens dir and lists the names Scan takes as documents there:
// "*.yaml", not hidden, regular files by their directory entry; odd says
// it also holds a "*.yaml" that Scan reports (neither a regular file nor a
// folder). It returns errNoQuickCheck where the file system does not give
// entry types.
func listDocs(dir string) (d *dirStatter, names []string, odd bool, err error) {
	fd, err := filestore.OpenDir(dir)
	if err != nil {
		return nil, nil, false, err
	}
	d = &dirStatter{fd: fd, dir: dir}
	err = filestore.ReadDirents(fd, dir, func(name []byte, typ byte) error {
		if !filestore.IsDocName(string(name)) {
			return nil
		}
		switch typ {
		case unix.DT_REG:
			names = append(names, string(name))
		case unix.DT_DIR: // skipped by Scan too
		case unix.DT_UNKNOWN:
			return errNoQuickCheck
		default:
			odd = true
		}
		return nil
	})
	if err != nil {
		d.close()
		return nil, nil, false, err
	}
	return d, names, odd, nil
}
