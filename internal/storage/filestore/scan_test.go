package filestore

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/git-milestone/git-milestone/internal/storage/storagetest"
)

// Scan lists what os.ReadDir shows of the folders, in path order, over
// more entries than one read of the listing, one block of names or one
// block of paths holds; it refuses links, fifos and duplicate ids (found
// by name in the earlier folder, whose name order is not id order), and
// skips directories, hidden files and other names.
func TestScanListsTheFolders(t *testing.T) {
	repo := storagetest.NewRepo(t)
	root := filepath.Join(repo.WorkTree, Dir)
	write := func(rel string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("title: x\nstatus: planned\npriority: low\n"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2500; i++ {
		write(fmt.Sprintf("active/m-%05d-a-rather-long-name-to-fill-the-listing.yaml", 2500-i))
		if i%3 == 0 {
			write(fmt.Sprintf("completed/c-%05d.yaml", i))
		}
	}
	for _, rel := range []string{"active/a.yaml", "active/a-b.yaml", "completed/a-b.yaml", "completed/a.yaml", "completed/zz.yaml",
		"active/.hidden.yaml", "active/notes.txt", "active/dir.yaml/inner.yaml"} {
		write(rel)
	}
	if err := os.Symlink("a.yaml", filepath.Join(root, "active", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "completed", "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := Open(repo, Options{Getenv: storagetest.Getenv})
	files, problems, err := s.Scan()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, folder := range Folders {
		entries, err := os.ReadDir(filepath.Join(root, folder))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			n := e.Name()
			if IsDocName(n) && e.Type().IsRegular() && !(folder == "completed" && (n == "a.yaml" || n == "a-b.yaml")) {
				want = append(want, Dir+"/"+folder+"/"+n)
			}
		}
	}
	if !sort.StringsAreSorted(want) || len(want) != 2500+834+3 {
		t.Fatalf("reference: %d paths, sorted %v", len(want), sort.StringsAreSorted(want))
	}
	if len(files) != len(want) {
		t.Fatalf("%d files, want %d", len(files), len(want))
	}
	for i, f := range files {
		if f.Path != want[i] || f.ID != strings.TrimSuffix(filepath.Base(want[i]), ".yaml") {
			t.Fatalf("file %d: %+v, want %s", i, f, want[i])
		}
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.Path+": "+p.Err.Error())
	}
	joined := strings.Join(got, "\n")
	for _, w := range []string{
		".milestones/active/link.yaml: ", "symbolic link",
		".milestones/completed/a-b.yaml: .milestones/completed/a-b.yaml: milestone \"a-b\" also exists as .milestones/active/a-b.yaml",
		".milestones/completed/a.yaml: .milestones/completed/a.yaml: milestone \"a\" also exists as .milestones/active/a.yaml",
		".milestones/completed/fifo.yaml: ",
	} {
		if !strings.Contains(joined, w) {
			t.Errorf("problems lack %q:\n%s", w, joined)
		}
	}
	if len(problems) != 4 {
		t.Errorf("%d problems:\n%s", len(problems), joined)
	}
}
