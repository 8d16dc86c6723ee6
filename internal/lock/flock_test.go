//go:build unix

package lock

import (
	"os"
	"path/filepath"
	"testing"
)

// TryFlock's shared and exclusive kinds conflict as flock(2)'s do, between
// two open file descriptions of one file, and Unflock releases.
func TestTryFlockKinds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	a, b := open(), open()
	try := func(f *os.File, exclusive, want bool) {
		t.Helper()
		ok, err := TryFlock(f, exclusive)
		if err != nil || ok != want {
			t.Fatalf("TryFlock(exclusive=%v) = %v, %v; want %v", exclusive, ok, err, want)
		}
	}
	try(a, false, true) // shared
	try(b, false, true) // shared beside shared
	try(b, true, false) // exclusive beside another's shared
	if err := Unflock(a); err != nil {
		t.Fatal(err)
	}
	try(b, true, true) // b's shared lock becomes exclusive once a's is gone
	try(a, false, false)
	try(a, true, false)
	if err := Unflock(b); err != nil {
		t.Fatal(err)
	}
	try(a, true, true)
}
