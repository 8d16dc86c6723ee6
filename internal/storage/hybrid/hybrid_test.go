package hybrid

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
	"github.com/git-milestone/git-milestone/internal/txn"
)

var ctx = context.Background()

var identity = map[string]string{
	"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
	"GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
	"GIT_CONFIG_NOSYSTEM": "1",
}

func getenv(k string) string {
	if v, ok := identity[k]; ok {
		return v
	}
	return os.Getenv(k)
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range identity {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

type warnings struct {
	mu    sync.Mutex
	lines []string
}

func (w *warnings) warn(s string) { w.mu.Lock(); w.lines = append(w.lines, s); w.mu.Unlock() }
func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.lines
	w.lines = nil
	return l
}

// setup makes a repository with a first commit and opens its hybrid store.
func setup(t *testing.T, opts filestore.Options) (string, *Store, *warnings) {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	os.MkdirAll(filepath.Join(dir, ".milestones"), 0o777)
	os.WriteFile(filepath.Join(dir, ".milestones/.gitignore"), []byte("/index.db*\n/locks/\n"), 0o666)
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("hello\n"), 0o666)
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "init")
	s, w := open(t, dir, opts)
	return dir, s, w
}

func open(t *testing.T, dir string, opts filestore.Options) (*Store, *warnings) {
	t.Helper()
	repo, err := gitrepo.OpenEnv(dir, getenv)
	if err != nil {
		t.Fatal(err)
	}
	opts.Getenv = getenv
	w := &warnings{}
	s, err := Open(ctx, repo, opts, w.warn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, w
}

func ms(id, title string, st milestone.Status) milestone.Milestone {
	return milestone.Milestone{ID: id, Title: title, Status: st, Priority: milestone.Medium,
		Labels: []string{"web"}, Owner: "ana@example.com", Due: "2026-03-01", Description: "About " + title + ".\n",
		CreatedAt: "2026-01-01T00:00:00Z", UpdatedAt: "2026-01-01T00:00:00Z"}
}

func create(t *testing.T, s *Store, m ...milestone.Milestone) {
	t.Helper()
	var lock []string
	for _, x := range m {
		lock = append(lock, x.ID)
	}
	_, err := s.Update(ctx, storage.UpdateOptions{Lock: lock, Message: "create"}, func(tx storage.Tx) error {
		for _, x := range m {
			if err := tx.Create(x, format.Encode(x)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// same checks that the hybrid store answers exactly as the file store.
func same(t *testing.T, step string, s *Store) {
	t.Helper()
	queries := []storage.Query{{}, {All: true}, {Statuses: []milestone.Status{milestone.Blocked}},
		{Labels: []string{"web"}, Sort: "title"}, {Text: "about", All: true, Sort: "id"}, {All: true, Sort: "due", Limit: 2}}
	for _, q := range queries {
		got, gp, err := s.List(ctx, q)
		if err != nil {
			t.Fatalf("%s: list: %v", step, err)
		}
		want, wp, err := s.Files().List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := fmt.Sprint(ids(got), problems(gp)), fmt.Sprint(ids(want), problems(wp)); g != w {
			t.Fatalf("%s: %+v:\n got %s\nwant %s", step, q, g, w)
		}
		for i := range got {
			gj, _ := got[i].Milestone.JSON()
			wj, _ := want[i].Milestone.JSON()
			if !bytes.Equal(gj, wj) || !bytes.Equal(got[i].Source, want[i].Source) || got[i].Path != want[i].Path {
				t.Fatalf("%s: %s differs:\n got %s\nwant %s", step, want[i].Milestone.ID, gj, wj)
			}
		}
	}
	gotIDs, err := s.IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs, _ := s.Files().IDs(ctx)
	if !reflect.DeepEqual(gotIDs, wantIDs) {
		t.Fatalf("%s: ids %q, want %q", step, gotIDs, wantIDs)
	}
	for _, id := range wantIDs {
		got, gerr := s.Get(ctx, id)
		want, werr := s.Files().Get(ctx, id)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || !bytes.Equal(got.Source, want.Source) || got.Path != want.Path {
			t.Fatalf("%s: get %s: %q %v, want %q %v", step, id, got.Path, gerr, want.Path, werr)
		}
	}
	all, _, _ := s.Files().List(ctx, storage.Query{All: true})
	st, _, err := s.Stats(ctx, "2026-06-01")
	if err != nil || !reflect.DeepEqual(st, storage.Summarize(all, "2026-06-01")) {
		t.Fatalf("%s: stats %+v %v", step, st, err)
	}
}

func ids(recs []storage.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Milestone.ID
	}
	return out
}

func problems(ps []storage.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Err.Error())
	}
	sort.Strings(out)
	return out
}

// indexRows reads the seed's table directly, as a script would.
func indexRows(t *testing.T, dir string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, IndexFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id, title, status, file_path FROM milestones ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, title, status, path string
		rows.Scan(&id, &title, &status, &path)
		out = append(out, strings.Join([]string{id, title, status, path}, "|"))
	}
	return strings.Join(out, "\n")
}

func TestUpdateRefreshesIndexAndChainsAfterCommit(t *testing.T) {
	var seen []string
	var dir string
	var rowsInHook string
	dir, s, w := setup(t, filestore.Options{AfterCommit: func(ch []txn.Change) {
		for _, c := range ch {
			seen = append(seen, c.Path)
		}
		rowsInHook = indexRows(t, dir)
	}})
	create(t, s, ms("alpha", "Alpha", milestone.Active), ms("beta", "Beta", milestone.Blocked))
	want := "alpha|Alpha|active|.milestones/active/alpha.yaml\nbeta|Beta|blocked|.milestones/active/beta.yaml"
	// The index holds the commit before any query, and the caller's hook
	// runs after it was refreshed.
	if got := indexRows(t, dir); got != want {
		t.Fatalf("index after commit:\n%s\nwant\n%s", got, want)
	}
	if rowsInHook != want || !reflect.DeepEqual(seen, []string{".milestones/active/alpha.yaml", ".milestones/active/beta.yaml"}) {
		t.Fatalf("caller's AfterCommit: saw %q, index %q", seen, rowsInHook)
	}
	// A close moves the file; the index follows.
	_, err := s.Update(ctx, storage.UpdateOptions{Lock: []string{"alpha"}, Message: "close"}, func(tx storage.Tx) error {
		r, err := tx.Get("alpha")
		if err != nil {
			return err
		}
		m := r.Milestone
		m.Status, m.ClosedAt = milestone.Completed, "2026-02-01T00:00:00Z"
		src, err := format.Rewrite(r.Path, r.Source, m)
		if err != nil {
			return err
		}
		return tx.Put(m, src)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := indexRows(t, dir); !strings.Contains(got, "alpha|Alpha|completed|.milestones/completed/alpha.yaml") {
		t.Fatalf("index after close:\n%s", got)
	}
	same(t, "after updates", s)
	if git(t, dir, "status", "--porcelain") != "" {
		t.Fatalf("git status not clean: the index must be ignored")
	}
	if l := w.take(); len(l) != 1 || !strings.Contains(l[0], "missing") {
		t.Fatalf("warnings %q", l)
	}
}

func TestWorkTreeChangesSeenWithoutHooks(t *testing.T) {
	dir, s, w := setup(t, filestore.Options{})
	create(t, s, ms("alpha", "Alpha", milestone.Active), ms("beta", "Beta", milestone.Active), ms("gamma", "Gamma", milestone.Planned))
	same(t, "created", s)

	// A hand edit with sed -i: the very next query sees it.
	sed := exec.Command("sed", "-i", "s/^status: active/status: blocked/", ".milestones/active/beta.yaml")
	sed.Dir = dir
	if out, err := sed.CombinedOutput(); err != nil {
		t.Fatalf("sed: %v %s", err, out)
	}
	got, _, err := s.List(ctx, storage.Query{Statuses: []milestone.Status{milestone.Blocked}})
	if err != nil || strings.Join(ids(got), ",") != "beta" {
		t.Fatalf("after sed: %v %v", ids(got), err)
	}
	same(t, "sed", s)

	// Another branch with other milestones.
	git(t, dir, "commit", "-q", "-am", "beta blocked")
	git(t, dir, "checkout", "-q", "-b", "other")
	create(t, s, ms("delta", "Delta", milestone.Active))
	os.WriteFile(filepath.Join(dir, ".milestones/active/alpha.yaml"), []byte("title: Alpha on other\nstatus: active\n"), 0o666)
	git(t, dir, "commit", "-q", "-am", "edit alpha")
	same(t, "on other", s)
	git(t, dir, "checkout", "-q", "main")
	same(t, "back on main", s)
	if _, err := s.Get(ctx, "delta"); err == nil {
		t.Fatal("delta still found on main")
	}
	git(t, dir, "merge", "-q", "other")
	same(t, "merged", s)
	if r, err := s.Get(ctx, "alpha"); err != nil || r.Milestone.Title != "Alpha on other" {
		t.Fatalf("after merge: %q %v", r.Milestone.Title, err)
	}

	// Stash a hand edit and pop it.
	os.WriteFile(filepath.Join(dir, ".milestones/active/gamma.yaml"), []byte("title: Gamma stashed\n"), 0o666)
	same(t, "edited", s)
	git(t, dir, "stash", "-q")
	same(t, "stashed", s)
	if r, _ := s.Get(ctx, "gamma"); r.Milestone.Title != "Gamma" {
		t.Fatalf("after stash: %q", r.Milestone.Title)
	}
	git(t, dir, "stash", "pop", "-q")
	same(t, "popped", s)

	// A document that stops parsing is named; the others are still served.
	os.WriteFile(filepath.Join(dir, ".milestones/active/gamma.yaml"), []byte("title: Gamma\nstatus: nonsense\n"), 0o666)
	got, ps, err := s.List(ctx, storage.Query{})
	if err != nil || len(got) != 3 || len(ps) != 1 || !strings.Contains(ps[0].Err.Error(), ".milestones/active/gamma.yaml:2:9") {
		t.Fatalf("broken document: %v %q %v", ids(got), problems(ps), err)
	}
	same(t, "broken", s)
	if _, err := s.Get(ctx, "gamma"); !errors.As(err, new(*format.Error)) {
		t.Fatalf("get broken document: %T %v, want a *format.Error", err, err)
	}
	if l := w.take(); len(l) != 1 {
		t.Fatalf("warnings %q", l)
	}
}

func TestDamagedIndexFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(path string)
	}{
		{"deleted", func(p string) { os.Remove(p) }},
		{"zero bytes", func(p string) { os.Truncate(p, 0) }},
		{"truncated", func(p string) { os.Truncate(p, 5000) }},
		{"garbage", func(p string) { os.WriteFile(p, bytes.Repeat([]byte("garbage "), 3000), 0o666) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, s, w := setup(t, filestore.Options{})
			var all []milestone.Milestone
			for i := 0; i < 20; i++ {
				all = append(all, ms(fmt.Sprintf("m%02d", i), fmt.Sprintf("Milestone %d", i), milestone.Statuses[i%5]))
			}
			create(t, s, all...)
			same(t, "created", s)
			s.Close()
			path := filepath.Join(dir, IndexFile)
			// Checkpoint so the damage hits the data, then drop the WAL.
			db, _ := sql.Open("sqlite", path)
			db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
			db.Close()
			os.Remove(path + "-wal")
			os.Remove(path + "-shm")
			tc.damage(path)
			w.take()
			s, w = open(t, dir, filestore.Options{})
			same(t, "after damage", s)
			if l := w.take(); len(l) != 1 {
				t.Fatalf("warnings %q, want one line", l)
			}
		})
	}
}

func TestFallsBackToFiles(t *testing.T) {
	_, s, w := setup(t, filestore.Options{})
	create(t, s, ms("alpha", "Alpha", milestone.Active))
	w.take()
	s.ix.Close() // the index fails from now on
	got, _, err := s.List(ctx, storage.Query{})
	if err != nil || strings.Join(ids(got), ",") != "alpha" {
		t.Fatalf("list: %v %v", ids(got), err)
	}
	if r, err := s.Get(ctx, "alpha"); err != nil || r.Milestone.Title != "Alpha" {
		t.Fatalf("get: %v", err)
	}
	// Get reads the file itself: only the list needed (and warned about) the index.
	if l := w.take(); len(l) != 1 || !strings.Contains(l[0], "reading the milestone files instead") {
		t.Fatalf("warnings %q", l)
	}
	if _, err := s.Get(ctx, "nope"); err == nil {
		t.Fatal("get missing: no error")
	}
}

// TestProcessesCommitAndQuery runs real processes (this test binary) that
// commit through the hybrid store while others query it: no query fails,
// and each writer sees its own commits at once.
func TestProcessesCommitAndQuery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir, s, _ := setup(t, filestore.Options{})
	create(t, s, ms("seed", "Seed", milestone.Active))
	s.Close()
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, 4)
	errs := make([]error, 4)
	for k := range outs {
		role := "reader"
		if k < 2 {
			role = "writer"
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHybridHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), "HYBRID_HELPER="+role, "HYBRID_DIR="+dir, fmt.Sprintf("HYBRID_K=%d", k))
		cmd.Stdout, cmd.Stderr = &outs[k], &outs[k]
		wg.Add(1)
		go func(k int) { defer wg.Done(); errs[k] = cmd.Run() }(k)
	}
	wg.Wait()
	for k := range outs {
		if errs[k] != nil || strings.Contains(outs[k].String(), "locked") || !strings.Contains(outs[k].String(), "DONE") {
			t.Errorf("process %d: %v\n%s", k, errs[k], outs[k].String())
		}
	}
	s, _ = open(t, dir, filestore.Options{})
	same(t, "after the processes", s)
	if n, _ := s.IDs(ctx); len(n) < 5 {
		t.Fatalf("only %d milestones", len(n))
	}
}

// TestHybridHelper is one process of TestProcessesCommitAndQuery.
func TestHybridHelper(t *testing.T) {
	role := os.Getenv("HYBRID_HELPER")
	if role == "" {
		t.Skip("helper process")
	}
	dir := os.Getenv("HYBRID_DIR")
	k := os.Getenv("HYBRID_K")
	fail := func(format string, args ...any) {
		fmt.Printf("process %s: "+format+"\n", append([]any{k}, args...)...)
		os.Exit(1)
	}
	deadline := time.Now().Add(2 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		s, w := open(t, dir, filestore.Options{})
		switch role {
		case "writer":
			id := fmt.Sprintf("w%s-%d", k, i)
			m := ms(id, "Written "+id, milestone.Active)
			_, err := s.Update(ctx, storage.UpdateOptions{Lock: []string{id}, Message: "create " + id}, func(tx storage.Tx) error {
				return tx.Create(m, format.Encode(m))
			})
			if err != nil {
				fail("create: %v", err)
			}
			got, err := s.Get(ctx, id)
			if err != nil || got.Milestone.Title != m.Title {
				fail("get own commit %s: %v", id, err)
			}
			recs, _, err := s.List(ctx, storage.Query{Text: "written " + id, Sort: "id"})
			if err != nil || len(recs) != 1 {
				fail("search own commit %s: %v %v", id, ids(recs), err)
			}
		default:
			if _, _, err := s.List(ctx, storage.Query{All: true}); err != nil {
				fail("list: %v", err)
			}
			if _, err := s.IDs(ctx); err != nil {
				fail("ids: %v", err)
			}
			if _, _, err := s.Stats(ctx, "2026-06-01"); err != nil {
				fail("stats: %v", err)
			}
		}
		for _, l := range w.take() {
			if !strings.Contains(l, "missing") {
				fail("warning: %s", l)
			}
		}
		s.Close()
	}
	fmt.Println("DONE")
}

// OpenCount counts the files of the open folder, as file mode does, and
// leaves the index as it is (no freshness pass over every document).
func TestOpenCountFromFiles(t *testing.T) {
	dir, s, _ := setup(t, filestore.Options{})
	create(t, s, ms("alpha", "Alpha", milestone.Active), ms("beta", "Beta", milestone.Planned), ms("gamma", "Gamma", milestone.Completed))
	same(t, "created", s)
	ix, err := s.Index()
	if err != nil {
		t.Fatal(err)
	}
	gen := func() (g int64) {
		t.Helper()
		db, err := sql.Open("sqlite", filepath.Join(dir, IndexFile))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRow(`SELECT value FROM meta WHERE key = 'gen'`).Scan(&g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	before := gen()
	// Added by hand: counted at once from the folder; the index learns of
	// it at the next query, not from the count.
	os.WriteFile(filepath.Join(dir, ".milestones/active/delta.yaml"), []byte("title: Delta\nstatus: blocked\n"), 0o666)
	n, err := s.OpenCount(ctx)
	if err != nil || n != 3 {
		t.Fatalf("OpenCount = %d, %v; want 3 (alpha, beta, delta)", n, err)
	}
	if g := gen(); g != before {
		t.Fatalf("OpenCount wrote the index (generation %d -> %d)", before, g)
	}
	if st, _ := ix.Status(ctx, s.Files()); st.Fresh {
		t.Fatalf("the index calls itself fresh before any query: %+v", st)
	}
	same(t, "after the count", s)
	var c storage.OpenCounter = s // the automatic backend check finds it
	_ = c
}
