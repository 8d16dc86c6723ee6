package filestore

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"
)

// Where the listing gives no type (DT_UNKNOWN, as some file systems do),
// the entry is stat'ed without following a link; one gone meanwhile is
// skipped. Given types map as os.ReadDir maps them.
func TestDirentType(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reg.yaml"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("reg.yaml", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dir.yaml"), 0o777); err != nil {
		t.Fatal(err)
	}
	fd, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	for _, tc := range []struct {
		dtype byte
		name  string
		want  fs.FileMode
		ok    bool
	}{
		{syscall.DT_UNKNOWN, "reg.yaml", 0, true},
		{syscall.DT_UNKNOWN, "link.yaml", fs.ModeSymlink, true},
		{syscall.DT_UNKNOWN, "dir.yaml", fs.ModeDir, true},
		{syscall.DT_UNKNOWN, "gone.yaml", 0, false},
		{syscall.DT_REG, "x", 0, true},
		{syscall.DT_LNK, "x", fs.ModeSymlink, true},
		{syscall.DT_FIFO, "x", fs.ModeNamedPipe, true},
		{syscall.DT_SOCK, "x", fs.ModeSocket, true},
		{syscall.DT_CHR, "x", fs.ModeDevice | fs.ModeCharDevice, true},
		{syscall.DT_BLK, "x", fs.ModeDevice, true},
	} {
		got, ok, err := direntType(fd, tc.dtype, []byte(tc.name))
		if err != nil || got != tc.want || ok != tc.ok {
			t.Errorf("%d %s: %v %v %v, want %v %v", tc.dtype, tc.name, got, ok, err, tc.want, tc.ok)
		}
	}
	if _, err := readDocNames(filepath.Join(dir, "missing"), "x"); !os.IsNotExist(err) {
		t.Errorf("missing folder: %v", err)
	}
}

// The cache's buffer has the size asked for, no spare capacity, and a
// large one starts on a huge page's boundary.
func TestCacheBuffer(t *testing.T) {
	for _, size := range []int{0, 100, 4<<20 - 1, 4 << 20, 6<<20 - 20000, 6<<20 + 1, 7 << 20} {
		b := cacheBuffer(size)
		if len(b) != size || cap(b) != size {
			t.Fatalf("size %d: len %d cap %d", size, len(b), cap(b))
		}
		if size >= 4<<20 && uintptr(unsafe.Pointer(&b[0]))%(2<<20) != 0 {
			t.Fatalf("size %d: starts at %p", size, &b[0])
		}
		for i := range b { // all of it is writable
			b[i] = 1
		}
	}
}
