//go:build linux

package filestore

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sysStatKey takes the stat data the document cache compares.
func sysStatKey(fi fs.FileInfo) (statKey, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return statKey{}, false
	}
	return statKey{
		size:  st.Size,
		mtime: st.Mtim.Nano(),
		ctime: st.Ctim.Nano(),
		ino:   uint64(st.Ino),
		dev:   uint64(st.Dev),
	}, true
}

// folderStat stats the documents of one folder relative to an open
// descriptor of it: the kernel then looks up one name per file instead of
// walking the whole path (a third of the cost of 1,000 lstat calls).
type folderStat struct {
	dir string
	f   *os.File // nil: the folder could not be opened (fall back to paths)
}

func openFolderStat(dir string) folderStat {
	f, err := os.Open(dir)
	if err != nil {
		return folderStat{dir: dir}
	}
	return folderStat{dir: dir, f: f}
}

// statKey returns name's stat data in the folder, false when it is not a
// regular file or cannot be stat'ed (the caller then reads it).
func (d folderStat) statKey(name string) (statKey, bool) {
	if d.f == nil {
		fi, err := os.Lstat(filepath.Join(d.dir, name))
		if err != nil {
			return statKey{}, false
		}
		return statKeyOf(fi)
	}
	var st unix.Stat_t
	for {
		err := unix.Fstatat(int(d.f.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			return statKey{}, false
		}
		break
	}
	return statKey{size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(), ino: st.Ino, dev: st.Dev}, true
}

func (d folderStat) close() {
	if d.f != nil {
		d.f.Close()
	}
}

// hugePages asks for transparent huge pages (2 MiB) for the part of buf
// they can cover: a few faults instead of one per 4 KiB page. buf is a
// fresh heap buffer not yet written, the whole of a large allocation; the
// advice changes no content. Its failure is ignored.
func hugePages(buf []byte) {
	const huge = 2 << 20
	if len(buf) < 2*huge {
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	from := (start + huge - 1) &^ (huge - 1)
	to := (start + uintptr(len(buf))) &^ (huge - 1)
	if to > from {
		_ = unix.Madvise(buf[from-start:to-start], unix.MADV_HUGEPAGE)
	}
}
