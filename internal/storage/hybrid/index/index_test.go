package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

var ctx = context.Background()

func TestListMatchesFilestore(t *testing.T) {
	dir, fs := newRepo(t)
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 300; i++ {
		put(t, dir, randomMilestone(r, fmt.Sprintf("m-%03d", i)))
	}
	put(t, dir, milestone.Milestone{ID: "quote", Title: `He said "hi" * a-b (x)`, Status: milestone.Active, Priority: milestone.Low,
		Description: "Straße ÉTÉ café naïve\n", Labels: []string{"Q1"}})
	writeFile(t, dir, ".milestones/active/broken.yaml", "title: [unclosed\n")
	ix, w := openIndex(t, dir)
	if rep := refresh(t, ix, fs); len(rep.Added) != 302 || rep.Problems != 1 {
		t.Fatalf("first refresh: %d added, %d problems", len(rep.Added), rep.Problems)
	}
	all, fsProblems, err := fs.LoadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	queries := []storage.Query{
		{},
		{All: true},
		{Statuses: []milestone.Status{milestone.Blocked}},
		{Statuses: []milestone.Status{milestone.Completed, milestone.Cancelled}},
		{Priorities: []milestone.Priority{milestone.High, milestone.Critical}, All: true},
		{Labels: []string{"release"}},
		{Labels: []string{"release", "web"}, All: true},
		{Labels: []string{"x y"}},
		{Labels: []string{"nope"}},
		{Owner: "ana@example.com"},
		{Owner: "carol", All: true, Sort: "due"},
		{DueBefore: "2026-06-01"},
		{Overdue: true, Today: "2026-07-01"},
		{Overdue: true, Today: "2026-07-01", All: true, Sort: "priority", Limit: 9},
		{Text: "ui"},               // short words: matched by a scan of the vocabulary
		{Text: "ab UX", All: true}, // idem
		{Text: "  ", All: true},    // no words: nothing
		{Text: "Q1 ui", Sort: "title"},
		{Text: "alpha", All: true, Sort: "id"},
		{Text: "ALPHA beta", Sort: "updated"},
		{Text: "lph", All: true, Sort: "created"},
		{Text: "ünï", All: true, Sort: "title"},
		{Text: "été straße", All: true, Sort: "id"},
		{Text: "STRASSE", All: true, Sort: "id"},
		{Text: "ana@", All: true, Sort: "id"},
		{Text: "example.com", Sort: "status", All: true},
		{Text: `"hi"`, All: true, Sort: "id"},
		{Text: `a-b (x) *`, All: true, Sort: "id"},
		{Text: "nonexistentword", All: true, Sort: "id"},
		{Text: "release", Statuses: []milestone.Status{milestone.Active, milestone.Planned}, Sort: "due", Limit: 5},
		{Text: "alpha"},
		{Text: "security billing", All: true},
		{Text: "café", All: true},
		{Text: "CAFE NAIVE", All: true}, // accents both ways
		{Text: "ete", All: true},
		{Text: "é", All: true, Limit: 4},
		{Text: "quote", All: true}, // the id
		{Text: "%", All: true},
		{Text: "_", All: true},
	}
	for _, s := range storage.SortKeys {
		queries = append(queries, storage.Query{All: true, Sort: s}, storage.Query{Sort: s, Limit: 7})
	}
	// Fragments found in too many words are checked by a scan.
	const scanned = "scanned"
	queries = append(queries, storage.Query{Text: "a", All: true, Owner: scanned}, storage.Query{Text: "e A", Owner: scanned, Limit: 5},
		storage.Query{Text: "É alpha", Owner: scanned, All: true})
	for _, q := range queries {
		ix.tuning.maxExpansion = 0
		if q.Owner == scanned {
			q.Owner = ""
			ix.tuning.maxExpansion = 3
		}
		what := fmt.Sprintf("%+v", q)
		want := filestore.Filter(all, q)
		got, problems, err := ix.List(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if g, w := problemPaths(problems), problemPaths(fsProblems); !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: problems\n got %q\nwant %q", what, g, w)
		}
		sameRecords(t, what, got, want)
		if q.Text == "alpha" && q.Sort == "" && len(got) < 10 {
			t.Fatalf("corpus too small for %s: %d", what, len(got))
		}
	}
	if l := w.take(); len(l) != 1 || !strings.Contains(l[0], "missing") {
		t.Fatalf("warnings: %q", l)
	}
}

func TestSearchByIDAndExact(t *testing.T) {
	dir, fs := newRepo(t)
	put(t, dir, milestone.Milestone{ID: "a", Title: "Other", Status: milestone.Active, Priority: milestone.Low, Description: "mentions zanzibar once\n"})
	put(t, dir, milestone.Milestone{ID: "b", Title: "Zanzibar launch", Status: milestone.Active, Priority: milestone.Low})
	put(t, dir, milestone.Milestone{ID: "c", Title: "Nothing", Status: milestone.Active, Priority: milestone.Low})
	ix, _ := openIndex(t, dir)
	refresh(t, ix, fs)
	got, _, err := ix.List(ctx, storage.Query{Text: "zanzibar"})
	if err != nil {
		t.Fatal(err)
	}
	if g := strings.Join(ids(got), ","); g != "a,b" {
		t.Fatalf("found %s, want a,b (by id, whatever field matched)", g)
	}
	// A candidate whose text lacks the word (what a word key collision
	// would give) is dropped.
	if _, err := ix.db.Exec(`UPDATE search SET text = CAST('other' AS BLOB) WHERE rid = (SELECT rid FROM milestones WHERE id = 'a')`); err != nil {
		t.Fatal(err)
	}
	got, _, err = ix.List(ctx, storage.Query{Text: "zanzibar"})
	if g := strings.Join(ids(got), ","); err != nil || g != "b" {
		t.Fatalf("after the text changed: %s %v, want b", g, err)
	}
	// LIMIT counts only confirmed matches.
	got, _, err = ix.List(ctx, storage.Query{Text: "zanzibar", Limit: 1})
	if g := strings.Join(ids(got), ","); err != nil || g != "b" {
		t.Fatalf("limit 1 after the text changed: %s %v, want b", g, err)
	}
}

func TestRefreshLifecycle(t *testing.T) {
	dir, fs := newRepo(t)
	for _, id := range []string{"one", "two", "three"} {
		put(t, dir, milestone.Milestone{ID: id, Title: "Title " + id, Status: milestone.Active, Priority: milestone.Medium})
	}
	ix, _ := openIndex(t, dir)
	check := func(step string) {
		t.Helper()
		want, wantProblems, err := fs.List(ctx, storage.Query{All: true})
		if err != nil {
			t.Fatal(err)
		}
		got, problems, err := ix.List(ctx, storage.Query{All: true})
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		sameRecords(t, step, got, want)
		if g, w := problemPaths(problems), problemPaths(wantProblems); !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: problems\n got %q\nwant %q", step, g, w)
		}
		gotIDs, err := ix.IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantIDs, _ := fs.IDs(ctx)
		if !reflect.DeepEqual(gotIDs, wantIDs) {
			t.Fatalf("%s: ids %q, want %q", step, gotIDs, wantIDs)
		}
	}
	expect := func(step string, rep Report, added, updated, removed []string, touched int, rescanned bool) {
		t.Helper()
		if !reflect.DeepEqual(rep.Added, added) || !reflect.DeepEqual(rep.Updated, updated) || !reflect.DeepEqual(rep.Removed, removed) ||
			rep.Touched != touched || rep.Rescanned != rescanned {
			t.Fatalf("%s: report %+v; want added %q updated %q removed %q touched %d rescanned %v",
				step, rep, added, updated, removed, touched, rescanned)
		}
		check(step)
	}
	a := func(id string) string { return ".milestones/active/" + id + ".yaml" }
	c := func(id string) string { return ".milestones/completed/" + id + ".yaml" }

	expect("first", refresh(t, ix, fs), []string{a("one"), a("three"), a("two")}, nil, nil, 0, true)
	expect("again", refresh(t, ix, fs), nil, nil, nil, 0, false)

	// In place, same size: only the file's own stat data can tell.
	p := filepath.Join(dir, filepath.FromSlash(a("two")))
	src, _ := os.ReadFile(p)
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte(strings.Replace(string(src), "Title two", "Title 2wo", 1)), 0)
	f.Close()
	expect("in-place edit", refresh(t, ix, fs), nil, []string{a("two")}, nil, 0, false)

	put(t, dir, milestone.Milestone{ID: "four", Title: "Four", Status: milestone.Planned, Priority: milestone.High})
	expect("add", refresh(t, ix, fs), []string{a("four")}, nil, nil, 0, true)

	os.Remove(filepath.Join(dir, filepath.FromSlash(a("three"))))
	expect("delete", refresh(t, ix, fs), nil, nil, []string{a("three")}, 0, true)

	os.Remove(filepath.Join(dir, filepath.FromSlash(a("one"))))
	put(t, dir, milestone.Milestone{ID: "one", Title: "Title one", Status: milestone.Completed, Priority: milestone.Medium, ClosedAt: "2026-01-02T00:00:00Z"})
	expect("close (move)", refresh(t, ix, fs), []string{c("one")}, nil, []string{a("one")}, 0, true)
	if r, err := ix.Get(ctx, "one"); err != nil || r.Path != c("one") || r.Milestone.Status != milestone.Completed {
		t.Fatalf("get moved: %+v %v", r, err)
	}

	writeFile(t, dir, a("four"), "title: Four\nstatus: nonsense\n")
	expect("breaks", refresh(t, ix, fs), nil, []string{a("four")}, nil, 0, false)
	_, problems, _ := ix.List(ctx, storage.Query{})
	if len(problems) != 1 || problems[0].Path != a("four") || !strings.Contains(problems[0].Err.Error(), a("four")+":2:9:") {
		t.Fatalf("problem: %q", problemPaths(problems))
	}
	if _, err := ix.Get(ctx, "four"); err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Fatalf("get broken: %v", err)
	}
	writeFile(t, dir, a("four"), "title: Four\nstatus: blocked\n")
	expect("fixed", refresh(t, ix, fs), nil, []string{a("four")}, nil, 0, false)

	// Same content, new stat data: recorded, not re-indexed.
	now := time.Now()
	os.Chtimes(filepath.Join(dir, filepath.FromSlash(a("two"))), now, now.Add(-time.Hour))
	expect("touch", refresh(t, ix, fs), nil, nil, nil, 1, false)

	// Refused directory entries are problems, as in file mode.
	if err := os.Symlink("../active/two.yaml", filepath.Join(dir, filepath.FromSlash(c("link")))); err != nil {
		t.Fatal(err)
	}
	put(t, dir, milestone.Milestone{ID: "two", Title: "Twin", Status: milestone.Completed, Priority: milestone.Low})
	expect("symlink and twin", refresh(t, ix, fs), nil, nil, nil, 0, true)
	if _, err := ix.Get(ctx, "two"); err == nil || !strings.Contains(err.Error(), "exists twice") {
		t.Fatalf("get twin: %v", err)
	}
	if _, err := fs.Get(ctx, "two"); err == nil || !strings.Contains(err.Error(), "exists twice") {
		t.Fatalf("filestore get twin: %v", err)
	}
	os.Remove(filepath.Join(dir, filepath.FromSlash(c("link"))))
	os.Remove(filepath.Join(dir, filepath.FromSlash(c("two"))))
	expect("cleaned", refresh(t, ix, fs), nil, nil, nil, 0, true)
	if _, err := ix.Get(ctx, "nope"); !errors.As(err, new(*milestone.NotFoundError)) {
		t.Fatalf("get missing: %v", err)
	}
}

func TestRacyRule(t *testing.T) {
	dir, fs := newRepo(t)
	rel := put(t, dir, milestone.Milestone{ID: "x", Title: "X", Status: milestone.Active, Priority: milestone.Low})
	st, err := lstat(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	newest := max(st.Mtime, st.Ctime)
	// An entry whose stat data matches the file but whose content does
	// not: what a write in the same timestamp tick as the check leaves.
	stale := func(checked int64) *snapshot {
		e := entry{path: rel, kind: kindDoc, st: st, checked: checked}
		e.hash[0] = 1
		return &snapshot{dirs: map[string]entry{}, files: []entry{e}}
	}
	for _, tc := range []struct {
		name    string
		checked int64
		want    int // actions
	}{
		{"checked in the same tick: re-read", newest, 1},
		{"checked within the margin: re-read", newest + filestore.FineRacyMargin - 1, 1},
		{"checked well after: stat data trusted", newest + filestore.FineRacyMargin + 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := diff(ctx, fs, stale(tc.checked), diffOptions{paths: []string{rel}})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.actions) != tc.want {
				t.Fatalf("%d actions, want %d", len(p.actions), tc.want)
			}
			if tc.want == 1 {
				p.actions[0].prepare(fs)
			}
			if tc.want == 1 && (p.actions[0].op != opUpdate || p.actions[0].row == nil || p.racy != 1) {
				t.Fatalf("action %+v racy %d", p.actions[0], p.racy)
			}
		})
	}

	// End to end with the real clock: a file written "now" is racy (its
	// time is set ahead, so that a slow machine cannot age it past the
	// margin before the check), re-read at the next refresh (same content:
	// nothing to write while still racy).
	ahead := time.Now().Add(time.Second)
	if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(rel)), ahead, ahead); err != nil {
		t.Fatal(err)
	}
	ix, _ := openIndex(t, dir)
	ix.tuning.now = nil
	refresh(t, ix, fs)
	s, err := ix.Status(ctx, fs)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Fresh || s.Racy != 1 {
		t.Fatalf("status %+v", s)
	}
}

func TestRefreshPaths(t *testing.T) {
	dir, fs, ix, title := threeActive(t)
	put(t, dir, milestone.Milestone{ID: "a", Title: "A changed", Status: milestone.Active, Priority: milestone.Low})
	put(t, dir, milestone.Milestone{ID: "b", Title: "B changed", Status: milestone.Active, Priority: milestone.Low})
	rep, err := ix.RefreshPaths(ctx, fs, []string{".milestones/active/a.yaml", "README.md", ".milestones/config/storage-config.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Updated, []string{".milestones/active/a.yaml"}) || rep.Rescanned {
		t.Fatalf("report %+v", rep)
	}
	if title("a") != "A changed" || title("b") != "T b" {
		t.Fatalf("titles %q %q: only a must be refreshed", title("a"), title("b"))
	}
	// A close moves the file: both paths, or either one, are enough.
	os.Remove(filepath.Join(dir, ".milestones/active/c.yaml"))
	put(t, dir, milestone.Milestone{ID: "c", Title: "T c", Status: milestone.Completed, Priority: milestone.Low})
	rep, err = ix.RefreshPaths(ctx, fs, []string{".milestones/completed/c.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Added, []string{".milestones/completed/c.yaml"}) || !reflect.DeepEqual(rep.Removed, []string{".milestones/active/c.yaml"}) {
		t.Fatalf("report %+v", rep)
	}
	// A twin in the other folder needs a full scan.
	put(t, dir, milestone.Milestone{ID: "a", Title: "Twin", Status: milestone.Completed, Priority: milestone.Low})
	rep, err = ix.RefreshPaths(ctx, fs, []string{".milestones/completed/a.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Rescanned || title("b") != "B changed" {
		t.Fatalf("twin: report %+v, b %q", rep, title("b"))
	}
	if _, problems, _ := ix.List(ctx, storage.Query{}); len(problems) != 1 || !strings.Contains(problems[0].Err.Error(), "also exists") {
		t.Fatalf("problems %q", problemPaths(problems))
	}
	if rep, err := ix.RefreshPaths(ctx, fs, []string{"src/main.go"}); err != nil || rep.Changed() {
		t.Fatalf("unrelated path: %+v %v", rep, err)
	}
}

func TestStatusAndStats(t *testing.T) {
	dir, fs := newRepo(t)
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 40; i++ {
		put(t, dir, randomMilestone(r, fmt.Sprintf("s-%02d", i)))
	}
	ix, _ := openIndex(t, dir)
	s, err := ix.Status(ctx, fs)
	if err != nil {
		t.Fatal(err)
	}
	if s.Fresh || len(s.Added) != 40 || s.Milestones != 0 || !s.Rescan {
		t.Fatalf("empty index status: %+v", s)
	}
	refresh(t, ix, fs)
	if s, _ = ix.Status(ctx, fs); !s.Fresh || s.Milestones != 40 || s.Files != 40 || s.Generation != 1 {
		t.Fatalf("fresh status: %+v", s)
	}
	all, _, _ := fs.LoadAll(ctx)
	for _, today := range []string{"2026-01-01", "2026-07-01", ""} {
		want := storage.Summarize(all, today)
		got, err := ix.Stats(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("stats %s:\n got %+v %+v %+v\nwant %+v %+v %+v", today, got, got.Oldest, got.Newest, want, want.Oldest, want.Newest)
		}
	}
	os.Remove(filepath.Join(dir, filestore.PathFor(all[0].Milestone.ID, all[0].Milestone.Status)))
	m := all[1].Milestone
	m.Title = "Changed"
	put(t, dir, m)
	writeFile(t, dir, ".milestones/active/new.yaml", "title: New\n")
	s, err = ix.Status(ctx, fs)
	if err != nil {
		t.Fatal(err)
	}
	if s.Fresh || len(s.Added) != 1 || len(s.Changed) != 1 || len(s.Removed) != 1 || s.Generation != 1 {
		t.Fatalf("stale status: %+v", s)
	}
}

func TestOpenRepairs(t *testing.T) {
	// A valid index to damage.
	good := func(t *testing.T, dir string, fs *filestore.Store) []byte {
		ix, _ := openIndex(t, dir)
		refresh(t, ix, fs)
		ix.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		ix.Close()
		b, err := os.ReadFile(indexPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sqliteFile := func(t *testing.T, path, stmts string) {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(stmts); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string, good []byte)
		want   string // in the warning
	}{
		{"missing", func(t *testing.T, path string, good []byte) { os.Remove(path) }, "missing"},
		{"zero bytes", func(t *testing.T, path string, good []byte) { os.WriteFile(path, nil, 0o666) }, "empty"},
		{"garbage", func(t *testing.T, path string, good []byte) { os.WriteFile(path, []byte("garbage\n"), 0o666) }, "not a SQLite database"},
		{"truncated", func(t *testing.T, path string, good []byte) { os.WriteFile(path, good[:len(good)/3], 0o666) }, ""},
		{"truncated to the header", func(t *testing.T, path string, good []byte) { os.WriteFile(path, good[:100], 0o666) }, ""},
		{"pages overwritten", func(t *testing.T, path string, good []byte) {
			b := append([]byte(nil), good...)
			for i := 4096; i < len(b); i++ {
				b[i] = byte(i * 7)
			}
			os.WriteFile(path, b, 0o666)
		}, ""},
		{"future version", func(t *testing.T, path string, good []byte) {
			sqliteFile(t, path, `PRAGMA user_version = 99`)
		}, "newer"},
		{"another application's database", func(t *testing.T, path string, good []byte) {
			os.Remove(path)
			sqliteFile(t, path, `CREATE TABLE milestones(id TEXT PRIMARY KEY, title TEXT)`)
		}, "not a git-milestone index"},
		{"seed schema without our tables", func(t *testing.T, path string, good []byte) {
			sqliteFile(t, path, `DROP TABLE meta`)
		}, "incomplete"},
		{"a directory", func(t *testing.T, path string, good []byte) { os.Remove(path); os.Mkdir(path, 0o777) }, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, fs := newRepo(t)
			r := rand.New(rand.NewSource(1))
			for i := 0; i < 60; i++ {
				put(t, dir, randomMilestone(r, fmt.Sprintf("r-%02d", i)))
			}
			b := good(t, dir, fs)
			os.Remove(indexPath(dir) + "-wal")
			os.Remove(indexPath(dir) + "-shm")
			tc.damage(t, indexPath(dir), b)
			w := &warnings{}
			ix, err := Open(ctx, indexPath(dir), w.warn)
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if _, err := ix.Refresh(ctx, fs); err != nil {
				t.Fatal(err)
			}
			got, _, err := ix.List(ctx, storage.Query{All: true})
			if err != nil {
				t.Fatal(err)
			}
			want, _, _ := fs.List(ctx, storage.Query{All: true})
			sameRecords(t, tc.name, got, want)
			lines := w.take()
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("warnings %q, want one line with %q", lines, tc.want)
			}
			t.Log(lines[0])
		})
	}
}

func TestCorruptionFoundByQuery(t *testing.T) {
	dir, fs := newRepo(t)
	put(t, dir, milestone.Milestone{ID: "a", Title: "A", Status: milestone.Active, Priority: milestone.Low})
	ix, w := openIndex(t, dir)
	refresh(t, ix, fs)
	// A query error marked as corruption: Reset, Refresh, and it answers.
	if _, err := ix.db.Exec(`DROP TABLE vocab_fts`); err != nil {
		t.Fatal(err)
	}
	_, _, err := ix.List(ctx, storage.Query{Text: "title"})
	if err == nil {
		t.Fatal("query on a damaged index succeeded")
	}
	if err := ix.Reset(ctx, err); err != nil {
		t.Fatal(err)
	}
	refresh(t, ix, fs)
	got, _, err := ix.List(ctx, storage.Query{})
	if err != nil || len(got) != 1 {
		t.Fatalf("after reset: %v %v", ids(got), err)
	}
	if l := w.take(); len(l) != 2 || !strings.Contains(l[1], "index.db.broken") {
		t.Fatalf("warnings %q", l)
	}
}

func TestRebuild(t *testing.T) {
	dir, fs := newRepo(t)
	r := rand.New(rand.NewSource(5))
	for i := 0; i < 150; i++ {
		put(t, dir, randomMilestone(r, fmt.Sprintf("b-%03d", i)))
	}
	ix, _ := openIndex(t, dir)
	refresh(t, ix, fs)
	// Damage the content without touching the stat data: only a rebuild
	// (or a reset) repairs that.
	ix.db.Exec(`UPDATE milestones SET title = 'wrong'`)
	var calls, last, total int
	if err := ix.Rebuild(ctx, fs, func(d, t int) { calls++; last, total = d, t }); err != nil {
		t.Fatal(err)
	}
	if calls != 151 || last != 150 || total != 150 {
		t.Fatalf("progress: %d calls, last %d/%d", calls, last, total)
	}
	got, _, _ := ix.List(ctx, storage.Query{All: true})
	want, _, _ := fs.List(ctx, storage.Query{All: true})
	sameRecords(t, "rebuilt", got, want)
	if rep := refresh(t, ix, fs); rep.Changed() || rep.Rescanned {
		t.Fatalf("refresh after rebuild: %+v", rep)
	}
}

func TestWaitsForAnotherWriter(t *testing.T) {
	dir, fs := newRepo(t)
	put(t, dir, milestone.Milestone{ID: "a", Title: "A", Status: milestone.Active, Priority: milestone.Low})
	ix, _ := openIndex(t, dir)
	refresh(t, ix, fs)
	// Another process (a script, say) holds the write lock for a while.
	hold := func(d time.Duration) chan struct{} {
		other, err := sql.Open("sqlite", "file:"+indexPath(dir)+"?_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		tx, err := other.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`UPDATE meta SET value = value WHERE key = 'created'`); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			time.Sleep(d)
			tx.Commit()
			other.Close()
			close(done)
		}()
		return done
	}
	done := hold(time.Second)
	put(t, dir, milestone.Milestone{ID: "a", Title: "A2", Status: milestone.Active, Priority: milestone.Low})
	start := time.Now()
	rep := refresh(t, ix, fs) // waits, then succeeds
	if !rep.Changed() || time.Since(start) < 500*time.Millisecond {
		t.Fatalf("refresh did not wait for the writer: %+v after %v", rep, time.Since(start))
	}
	<-done
	// Readers never wait: the read finishes while the writer still holds
	// its transaction (an order of events, not a duration).
	done = hold(time.Second)
	if got, _, err := ix.List(ctx, storage.Query{}); err != nil || len(got) != 1 {
		t.Fatalf("read while another process writes: %v %v", ids(got), err)
	}
	select {
	case <-done:
		t.Fatal("the read finished only after the writer let go")
	default:
	}
	<-done
	// Past the busy timeout: an *Error (not corruption) the caller can
	// answer around.
	short, err := OpenOptions(ctx, indexPath(dir), nil, Options{BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	done = hold(time.Second)
	put(t, dir, milestone.Milestone{ID: "a", Title: "A3", Status: milestone.Active, Priority: milestone.Low})
	_, err = short.Refresh(ctx, fs)
	var ie *Error
	if !errors.As(err, &ie) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("refresh past the busy timeout: %v", err)
	}
	<-done
	if _, err := short.Refresh(ctx, fs); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownKeysRoundTrip(t *testing.T) {
	dir, fs := newRepo(t)
	writeFile(t, dir, ".milestones/active/ex.yaml", "title: Extras\nx-map: {a: 1, b: [x, 2.5]}\nid: not-the-id\nx-null: null\nx-when: 2026-01-02\nx-str: \"<b>&\"\n")
	writeFile(t, dir, ".milestones/active/inf.yaml", "title: Infinite\nx-inf: .inf\n")
	ix, _ := openIndex(t, dir)
	refresh(t, ix, fs)
	for _, id := range []string{"ex", "inf"} {
		got, err := ix.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := fs.Get(ctx, id)
		if id == "inf" {
			if !reflect.DeepEqual(got.Milestone, want.Milestone) {
				t.Fatalf("%s:\n got %+v\nwant %+v", id, got.Milestone, want.Milestone)
			}
			continue
		}
		sameRecords(t, id, []storage.Record{got}, []storage.Record{want})
		if len(got.Milestone.Extra) != 5 || got.Milestone.Extra[1].Key != "id" || got.Milestone.ID != "ex" {
			t.Fatalf("extra %+v", got.Milestone.Extra)
		}
	}
}
