package index

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// storedSum reads the stored statSum and the sum of the stat table as it
// is, entry by entry (racy paths sorted).
func storedSum(t *testing.T, ix *Index) (stored, recount statSum) {
	t.Helper()
	var raw []byte
	var n int
	var list string
	err := ix.db.QueryRowContext(ctx, `SELECT (SELECT value FROM meta WHERE key = 'statsum'), (SELECT value FROM meta WHERE key = 'racy'),
	    (SELECT value FROM meta WHERE key = 'racylist')`).Scan(&raw, &n, &list)
	if err != nil {
		t.Fatal(err)
	}
	if stored.hash, err = decodeSum(raw); err != nil {
		t.Fatal(err)
	}
	if list != "" {
		stored.racy = strings.Split(list, "\n")
	}
	if n != len(stored.racy) {
		t.Fatalf("racy count %d, list %q", n, list)
	}
	snap, err := ix.readSnapshot(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := map[int]map[string]entry{}
	for _, e := range snap.files {
		if all[bucketOf(e.path)] == nil {
			all[bucketOf(e.path)] = map[string]entry{}
		}
		all[bucketOf(e.path)][e.path] = e
	}
	recount = sumBuckets(all)
	sort.Strings(recount.racy)
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
			quick := 0
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
				if stored.hash != recount.hash || strings.Join(stored.racy, ",") != strings.Join(recount.racy, ",") {
					t.Fatalf("step %d: stored sum %+v, stat table sums to %+v", step, stored, recount)
				}
				fresh, racy, _, err := ix.quickFresh(ctx, fs)
				if err != nil {
					t.Fatal(err)
				}
				st, err := ix.Status(ctx, fs)
				if err != nil {
					t.Fatal(err)
				}
				if fresh && (len(st.Added)+len(st.Changed)+len(st.Removed) > 0 || st.Touched > len(racy) || st.Racy != len(racy)) {
					t.Fatalf("step %d: quick check says fresh with %d racy, full check says %+v", step, len(racy), st)
				}
				if fresh {
					quick++
				}
			}
			if quick == 0 {
				t.Fatal("the quick check never passed")
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
		fresh, racy, _, err := ix.quickFresh(ctx, fs)
		if err != nil {
			t.Fatal(err)
		}
		if len(racy) > 0 {
			t.Fatalf("%s: racy %q with a clock 10 s ahead", what, racy)
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
	check("refreshed with a link among the documents", false) // the full check reports it each time
	os.Remove(filepath.Join(dir, filestore.Dir, "active", "evil.yaml"))
	refresh(t, ix, fs)
	check("link removed", true)

	// The same id in both folders: the full check reports it.
	twin := filepath.Join(dir, filestore.Dir, "completed", "q000.yaml")
	data, _ = os.ReadFile(filepath.Join(dir, filepath.FromSlash(rels[0])))
	os.WriteFile(twin, data, 0o666)
	check("twin", false)
	if rep := refresh(t, ix, fs); rep.Problems != 1 {
		t.Fatalf("the twin is not a problem: %+v", rep)
	}
	check("refreshed with a twin", false)
}

// TestQuickFreshRacy: with the real clock, a document just written is racy:
// the quick check passes on the stat data and leaves its content to be
// compared, which sees an edit made within the same timestamp tick.
func TestQuickFreshRacy(t *testing.T) {
	dir, fs := newRepo(t)
	ix, _ := openIndex(t, dir)
	for i := 0; i < 50; i++ {
		put(t, dir, milestone.Milestone{ID: fmt.Sprintf("r%02d", i), Title: "Old", Status: milestone.Active, Priority: milestone.Low})
	}
	refresh(t, ix, fs)
	ix.tuning.now = nil
	rel := put(t, dir, milestone.Milestone{ID: "r07", Title: "Mid", Status: milestone.Active, Priority: milestone.Low})
	p := filepath.Join(dir, filepath.FromSlash(rel))
	ahead := time.Now().Add(time.Second) // racy for a second, whatever the machine's speed
	os.Chtimes(p, ahead, ahead)
	if _, err := ix.RefreshPaths(ctx, fs, []string{rel}); err != nil {
		t.Fatal(err)
	}
	fresh, racy, _, err := ix.quickFresh(ctx, fs)
	if err != nil || !fresh || strings.Join(racy, ",") != rel {
		t.Fatalf("quick check: fresh %v racy %q err %v", fresh, racy, err)
	}
	// Same size, same times: only the content tells.
	st1, _ := os.Stat(p)
	data, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(data), "title: Mid", "title: New", 1)), 0o666)
	os.Chtimes(p, ahead, ahead)
	if st2, _ := os.Stat(p); st2.Size() != st1.Size() {
		t.Fatal("size changed")
	}
	refresh(t, ix, fs)
	rec, err := ix.Get(ctx, "r07")
	if err != nil || rec.Milestone.Title != "New" {
		t.Fatalf("the edit made within the tick is not seen: %+v %v", rec.Milestone, err)
	}
}
