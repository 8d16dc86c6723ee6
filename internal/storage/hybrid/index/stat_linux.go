package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
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
	fd  int // -1 if the folder could not be opened
	dir string
}

func openDirStatter(dir string) *dirStatter {
	fd, err := openDir(dir)
	if err != nil {
		return &dirStatter{fd: -1, dir: dir}
	}
	return &dirStatter{fd: fd, dir: dir}
}

// openDir opens a folder for reading its entries, never through a
// symbolic link.
func openDir(dir string) (int, error) {
	for {
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: dir, Err: err}
		}
		return fd, nil
	}
}

func (d *dirStatter) stat(name string) (fileStat, error) {
	if d.fd < 0 {
		return lstat(d.dir + string(os.PathSeparator) + name)
	}
	return statAt(d.fd, name)
}

func (d *dirStatter) close() {
	if d.fd >= 0 {
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
	fd, err := openDir(dir)
	if err != nil {
		return nil, nil, false, err
	}
	d = &dirStatter{fd: fd, dir: dir}
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			d.close()
			return nil, nil, false, &fs.PathError{Op: "readdir", Path: dir, Err: err}
		}
		if n <= 0 {
			return d, names, odd, nil
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				d.close()
				return nil, nil, false, fmt.Errorf("readdir %s: malformed directory entry", dir)
			}
			typ, name := b[18], b[19:reclen]
			b = b[reclen:]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if !filestore.IsDocName(string(name)) {
				continue
			}
			switch typ {
			case unix.DT_REG:
				names = append(names, string(name))
			case unix.DT_DIR: // skipped by Scan too
			case unix.DT_UNKNOWN:
				d.close()
				return nil, nil, false, errNoQuickCheck
			default:
				odd = true
			}
		}
	}
}
