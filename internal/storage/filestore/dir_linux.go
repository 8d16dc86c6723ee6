//go:build linux

package filestore

import (
	"bytes"
	"encoding/binary"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// readDocNames lists the documents of dir (IsDocName) sorted by name,
// with the type the listing gives (an lstat only where the file system
// gives none); rel is dir relative to the work tree, for their paths.
//
// It reads the kernel's listing itself: os.ReadDir allocates an entry,
// an interface and a name per file, and Scan then a path; here the paths
// of one folder are one allocation.
func readDocNames(dir, rel string) ([]dirName, error) {
	fd, err := OpenDir(dir)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	// Collected in blocks, then copied once into a slice of the right
	// size: appended one by one, a slice grows by a quarter at a time,
	// and its old arrays were four times its size of garbage.
	var blocks [][]dirName
	var arena []byte // paths are appended here, in blocks never moved
	n := 0
	err = ReadDirents(fd, dir, func(name []byte, dtype byte) error {
		if !IsDocName(bytesString(name)) { // not kept: the listing buffer is read into again
			return nil
		}
		typ, ok, err := direntType(fd, dtype, name)
		if err != nil {
			return &fs.PathError{Op: "lstat", Path: dir + "/" + string(name), Err: err}
		}
		if !ok {
			return nil // gone since it was listed
		}
		size := len(rel) + 1 + len(name)
		if cap(arena)-len(arena) < size {
			arena = make([]byte, 0, max(64<<10, size))
		}
		start := len(arena)
		arena = append(append(append(arena, rel...), '/'), name...)
		if len(blocks) == 0 || len(blocks[len(blocks)-1]) == cap(blocks[len(blocks)-1]) {
			blocks = append(blocks, make([]dirName, 0, 1024))
		}
		last := &blocks[len(blocks)-1]
		// An arena block is never written again where a path is.
		*last = append(*last, dirName{path: bytesString(arena[start:]), typ: typ})
		n++
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]dirName, 0, n)
	for _, b := range blocks {
		out = append(out, b...)
	}
	sortDirNames(out)
	return out, nil
}

// OpenDir opens a folder for reading its entries (ReadDirents), never
// through a symbolic link.
func OpenDir(dir string) (int, error) {
	for {
		fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: dir, Err: err}
		}
		return fd, nil
	}
}

// ReadDirents calls fn with the name and the listing's type (a DT_*
// value, DT_UNKNOWN where the file system gives none) of every entry of
// the folder open as fd (OpenDir; dir names it in errors), reading the
// kernel's listing itself: no allocation per entry. name is only valid
// during the call; an error from fn stops the listing and is returned.
func ReadDirents(fd int, dir string, fn func(name []byte, dtype byte) error) error {
	buf := make([]byte, 32<<10)
	for {
		m, err := syscall.ReadDirent(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if m <= 0 {
			return nil
		}
		for b := buf[:m]; len(b) >= 19; {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				return &fs.PathError{Op: "readdirent", Path: dir, Err: syscall.EIO}
			}
			dtype, name := b[18], b[19:reclen]
			b = b[reclen:]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if err := fn(name, dtype); err != nil {
				return err
			}
		}
	}
}

// direntType is the type bits of a listed entry; ok is false when an entry
// whose type the listing does not give is gone when stat'ed.
func direntType(dirfd int, dtype byte, name []byte) (fs.FileMode, bool, error) {
	mode := uint32(dtype) << 12 // DT_* are the S_IF* bits, shifted
	for dtype == syscall.DT_UNKNOWN {
		var st unix.Stat_t
		err := unix.Fstatat(dirfd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err == unix.ENOENT {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		mode = st.Mode
		break
	}
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return 0, true, nil
	case unix.S_IFDIR:
		return fs.ModeDir, true, nil
	case unix.S_IFLNK:
		return fs.ModeSymlink, true, nil
	case unix.S_IFIFO:
		return fs.ModeNamedPipe, true, nil
	case unix.S_IFSOCK:
		return fs.ModeSocket, true, nil
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice, true, nil
	case unix.S_IFBLK:
		return fs.ModeDevice, true, nil
	}
	return fs.ModeIrregular, true, nil
}
