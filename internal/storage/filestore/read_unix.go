//go:build unix

package filestore

import (
	"io/fs"
	"syscall"
)

// readNoFollow reads a whole file without following a final symlink. It
// uses the system calls directly: os.Open would also register the file
// with the runtime poller (fcntl, epoll_ctl), which costs more than the
// read itself for a small document, and a query reads thousands.
func readNoFollow(path string) ([]byte, error) {
	var fd int
	var err error
	for {
		// O_NONBLOCK: a fifo planted at a document path does not hang us.
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, errNotRegular
	}
	if st.Size > maxRead {
		return nil, errTooLarge
	}
	// Sized to the file (one byte more, to see the end in the same
	// read): the slice is kept as the document's source, and a fixed
	// 2 KiB held 200 MB for 100,000 small documents.
	buf := make([]byte, 0, st.Size+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}
