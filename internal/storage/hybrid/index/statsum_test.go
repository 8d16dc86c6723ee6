package index

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// storedSum reads the stored statSum and the sum of the stat table as it
// is, entry by entry.
func storedSum(t *testing.T, ix *Index) (stored, recount statSum) {
	t.Helper()
	var raw []byte
	err := ix.db.QueryRowContext(ctx, `SELECT (SELECT value FROM meta WHERE key = 'statsum'), (SELECT value FROM meta WHERE key = 'racy')`).Scan(&raw, &stored.racy)
	if err != nil {
		t.Fatal(err)
	}
	if stored.hash, err = decodeSum(raw); err != nil {
		t.Fatal(err)
	}
	snap, err := ix.readSnapshot(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range snap.files {
		recount.add(&snap.files[i], 1)
	}
	return stored, recount
}

// TestStatSumTracksStatTable changes a work tree at random and refreshes
// it every way there is: the stored sum always equals the stat table's,
// and whenever the quick check calls the index fresh, the full comparison
// agrees.
func TestStatSumTracksStatTable(t *testing.T) {
	for _, realClock := range []bool{false, true} {
		t.Run(fmt.Sprintf("real clock %v", realClock), func(t *testing.T) {
			dir, fs := newRepo(t)
			ix, _ := openIndex(t, dir)
			if realClock {
				ix.tuning.now = nil // files just written are racy
			}
			r := rand.New(rand.NewSource(7))
			live := map[string]milestone.Milestone{}
			for step := 0; step < 120; step++ {
				id := fmt.Sprintf("m%02d", r.Intn(30))
				m, exists := live[id]
				switch op := r.Intn(6); {
				case !exists || op == 0:
					m = randomMilestone(r, id)
					put(t, dir, m)
					live[id] = m
				case op == 1: // removed
					os.Remove(filepath.Join(dir, filepath.FromSlash(filestore.PathFor(id, m.Status))))
					delete(live, id)
				case op == 2: // closed or reopened: the file moves
					os.Remove(filepath.Join(dir, filepath.FromSlash(filestore.PathFor(id, m.Status))))
					if m.Status.Closed() {
						m.Status, m.ClosedAt = milestone.Active, ""
					} else {
						m.Status, m.ClosedAt = milestone.Completed, "2026-12-01T00:00:00Z"
					}
					put(t, dir, m)
					live[id] = m
				case op == 3: // touched: new stat data, same content
					p := filepath.Join(dir, filepath.FromSlash(filestore.PathFor(id, m.Status)))
					when := time.Now().Add(time.Duration(r.Intn(1000)) * time.Millisecond)
					os.Chtimes(p, when, when)
				default: // edited in place
					m.Title = fmt.Sprintf("edited %d", step)
					put(t, dir, m)
					live[id] = m
				}
				var err error
				switch r.Intn(4) {
				case 0:
					_, err = ix.RefreshPaths(ctx, fs, []string{filestore.PathFor(id, milestone.Active)})
				case 1:
					err = ix.RefreshNames(ctx, fs)
				case 2:
					if step%20 == 0 {
						err = ix.Rebuild(ctx, fs, nil)
						break
					}
					fallthrough
				default:
					_, err = ix.Refresh(ctx, fs)
				}
				if err != nil {
					t.Fatal(err)
				}
				stored, recount := storedSum(t, ix)
				if stored != recount {
					t.Fatalf("step %d: stored sum %+v, stat table sums to %+v", step, stored, recount)
				}
				fresh, _, err := ix.quickFresh(ctx, fs)
				if err != nil {
					t.Fatal(err)
				}
				st, err := ix.Status(ctx, fs)
				if err != nil {
					t.Fatal(err)
				}
				if fresh && (!st.Fresh || st.Rescan || st.Racy > 0 || st.Touched > 0) {
					t.Fatalf("step %d: quick check says fresh, full check says %+v", step, st)
				}
			}
		})
	}
}

// TestQuickFresh: the quick check proves an unchanged work tree fresh, and
// any change made to a document file (in place, same size; its times;
// a new or removed file; a symbolic link) sends the refresh to the full
// check, which sees it.
func TestQuickFresh(t *testing.T) {
	dir, fs := newRepo(t)
	ix, _ := openIndex(t, dir)
	var rels []string
	for i := 0; i < 200; i++ {
		rels = append(rels, put(t, dir, milestone.Milestone{ID: fmt.Sprintf("q%03d", i), Title: "Title A", Status: milestone.Statuses[i%5], Priority: milestone.Low}))
	}
	check := func(what string, want bool) {
		t.Helper()
		fresh, _, err := ix.quickFresh(ctx, fs)
		if err != nil {
			t.Fatal(err)
		}
		if fresh != want {
			t.Fatalf("%s: quick check says fresh=%v, want %v", what, fresh, want)
		}
	}
	check("never refreshed", false)
	refresh(t, ix, fs)
	check("refreshed", true)
	if rep := refresh(t, ix, fs); rep.Changed() || rep.Rescanned {
		t.Fatalf("refresh of a fresh index: %+v", rep)
	}

	// In place, same size: only the stat data tells.
	p := filepath.Join(dir, filepath.FromSlash(rels[7]))
	data, _ := os.ReadFile(p)
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("title: Title B\n"), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if d2, _ := os.ReadFile(p); len(d2) != len(data) {
		t.Fatal("the edit changed the size")
	}
	check("edited in place", false)
	if rep := refresh(t, ix, fs); len(rep.Updated) != 1 {
		t.Fatalf("refresh after an edit in place: %+v", rep)
	}
	rec, err := ix.Get(ctx, "q007")
	if err != nil || rec.Milestone.Title != "Title B" {
		t.Fatalf("after the edit: %+v %v", rec.Milestone, err)
	}
	check("refreshed after the edit", true)

	later := time.Now().Add(-time.Hour) // in the past: not racy
	os.Chtimes(filepath.Join(dir, filepath.FromSlash(rels[8])), later, later)
	check("touched", false)
	refresh(t, ix, fs)
	check("refreshed after the touch", true)

	os.Remove(filepath.Join(dir, filepath.FromSlash(rels[9])))
	check("removed", false)
	refresh(t, ix, fs)
	check("refreshed after the removal", true)

	if err := os.Symlink("/etc/passwd", filepath.Join(dir, filestore.Dir, "active", "evil.yaml")); err != nil {
		t.Fatal(err)
	}
	check("symbolic link added", false)
	rep := refresh(t, ix, fs)
	if rep.Problems != 1 {
		t.Fatalf("the link is not a problem: %+v", rep)
	}
	check("refreshed with a link among the documents", true)
	if _, n, _ := ix.quickFresh(ctx, fs); n != 1 {
		t.Fatalf("quick check counts %d problems, want 1", n)
	}
}
