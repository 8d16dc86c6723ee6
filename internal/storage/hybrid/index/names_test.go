package index

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// RefreshNames reconciles the set of files (new ones indexed, gone ones
// dropped, a symbolic link refused) without re-reading the files it knows;
// the next Refresh still sees a file changed in place.
func TestRefreshNamesReconcilesNamesOnly(t *testing.T) {
	ctx := context.Background()
	dir, fs := newRepo(t)
	ix, _ := openIndex(t, dir)
	a := put(t, dir, milestone.Milestone{ID: "a", Title: "first", Status: milestone.Planned, Priority: milestone.Low})
	put(t, dir, milestone.Milestone{ID: "b", Title: "second", Status: milestone.Planned, Priority: milestone.Low})
	refresh(t, ix, fs)

	// In place: same name, new content (no folder change needed for the test:
	// a new file below changes the folder).
	writeFile(t, dir, a, strings.Replace(readFile(t, dir, a), "title: first", "title: edited in place", 1))
	put(t, dir, milestone.Milestone{ID: "c", Title: "third", Status: milestone.Active, Priority: milestone.Low})
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(put(t, dir, milestone.Milestone{ID: "b", Title: "second", Status: milestone.Planned, Priority: milestone.Low})))); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, ".milestones", "active", "d.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := ix.RefreshNames(ctx, fs); err != nil {
		t.Fatal(err)
	}
	got, err := ix.IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,c" {
		t.Fatalf("ids after RefreshNames = %v, want [a c]", got)
	}
	rec, err := ix.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Milestone.Title != "first" {
		t.Fatalf("RefreshNames re-read a known file: title %q", rec.Milestone.Title)
	}
	ps, err := ix.Problems(ctx)
	if err != nil || len(ps) != 1 || !strings.Contains(ps[0].Err.Error(), "symbolic link") {
		t.Fatalf("problems = %v, %v; want the symbolic link refused", ps, err)
	}
	rep := refresh(t, ix, fs)
	if strings.Join(rep.Updated, ",") != a {
		t.Fatalf("Refresh after RefreshNames: updated %v, want [%s]", rep.Updated, a)
	}
	if rec, err = ix.Get(ctx, "a"); err != nil || rec.Milestone.Title != "edited in place" {
		t.Fatalf("after Refresh: %q, %v", rec.Milestone.Title, err)
	}
}

func readFile(t testing.TB, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
