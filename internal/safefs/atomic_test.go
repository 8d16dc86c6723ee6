//go:build unix

package safefs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// leftovers lists the files in dir other than the wanted ones.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, w := range want {
		keep[w] = true
	}
	var out []string
	for _, e := range ents {
		if !keep[e.Name()] {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteFileReplacesAndSetsMode(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	tests := []struct {
		name string
		opts FileOptions
		mode os.FileMode
	}{
		{"default perm under umask", FileOptions{}, 0o644},
		{"perm under umask", FileOptions{Perm: 0o640}, 0o640},
		{"exact mode", FileOptions{Perm: 0o777, Chmod: true}, 0o777},
		{"cache without sync", FileOptions{NoSync: true}, 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.json")
			if err := os.WriteFile(path, []byte("old content, longer than the new\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := WriteFile(path, []byte("new\n"), tt.opts); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil || string(b) != "new\n" {
				t.Fatalf("content %q, %v", b, err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tt.mode {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), tt.mode)
			}
			if l := leftovers(t, dir, "out.json"); len(l) != 0 {
				t.Errorf("left behind: %v", l)
			}
		})
	}
}

// A link at the path is replaced by the file, never written through.
func TestWriteFileReplacesLink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "journal")
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("data\n"), FileOptions{}); err != nil {
		t.Fatal(err)
	}
	assertVictim(t, victim)
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("path is %v (%v), want a regular file", fi.Mode(), err)
	}
}

// A failed write names the path and leaves neither the target changed nor
// a temporary file behind.
func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "taken")
	if err := os.Mkdir(path, 0o755); err != nil { // rename over a directory fails
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "inside"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, []byte("x"), FileOptions{})
	if err == nil {
		t.Fatal("writing over a non-empty directory succeeded")
	}
	if want := "write " + path + ": "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error %q does not start with %q", err, want)
	}
	if l := leftovers(t, dir, "taken"); len(l) != 0 {
		t.Errorf("left behind: %v", l)
	}
	if fi, err := os.Lstat(path); err != nil || !fi.IsDir() {
		t.Errorf("target changed: %v %v", fi, err)
	}
}

// Tree.WriteFile goes through the same writer: a failure leaves no
// temporary file in the tree either.
func TestTreeWriteFileFailureLeavesNothing(t *testing.T) {
	tr, victim := setup(t)
	if err := os.MkdirAll(tr.Path("taken/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteFile("taken", []byte("x"), 0o644); err == nil {
		t.Fatal("writing over a directory succeeded")
	}
	if l := leftovers(t, tr.Dir, "locks", "taken"); len(l) != 0 {
		t.Errorf("left behind: %v", l)
	}
	if err := tr.WriteFile("a.yaml", []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if l := leftovers(t, tr.Dir, "locks", "taken", "a.yaml"); len(l) != 0 {
		t.Errorf("left behind: %v", l)
	}
	assertVictim(t, victim)
}
