package opener

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
	"github.com/git-milestone/git-milestone/internal/storage"
)

var ctx = context.Background()

// getenv is a clean environment: the test identity, and no DATABASE_*
// from the machine running the tests.
func getenv(k string) string {
	switch k {
	case "GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME":
		return "Tester"
	case "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL":
		return "tester@example.com"
	case "GIT_CONFIG_NOSYSTEM":
		return "1"
	}
	if strings.HasPrefix(k, "DATABASE_") {
		return ""
	}
	return os.Getenv(k)
}

func newRepo(t *testing.T) *gitrepo.Repo {
	t.Helper()
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "root", map[string]string{"README": "x\n"})
	for _, d := range []string{"active", "completed"} { // as init leaves them
		if err := os.MkdirAll(dir+"/.milestones/"+d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := gitrepo.OpenEnv(dir, getenv)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// TestOpenOffersTheOptionalInterfaces: each backend the opener returns
// offers exactly the optional interfaces of its kind, so the command line
// finds its features by asserting them.
func TestOpenOffersTheOptionalInterfaces(t *testing.T) {
	for _, tc := range []struct {
		kind                           string
		files, indexed, database, bulk bool
	}{
		{kind: config.File, files: true},
		{kind: config.Hybrid, files: true, indexed: true},
		{kind: config.Database, database: true, bulk: true},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			repo := newRepo(t)
			opts := Options{Getenv: getenv}
			cfg := config.Default()
			cfg.Storage.Database.Type = SQLite
			if tc.kind == config.Database {
				db, err := OpenDatabase(ctx, repo, cfg, "", opts) // creates the SQLite file
				if err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
			b, err := Open(ctx, repo, tc.kind, cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if b.Name() != tc.kind {
				t.Errorf("Name() = %q, want %q", b.Name(), tc.kind)
			}
			_, files := b.(storage.Files)
			_, indexed := b.(storage.Indexed)
			_, database := b.(storage.Database)
			_, events := b.(storage.EventStore)
			_, projects := b.(storage.ProjectCatalog)
			_, bulk := b.(storage.BulkImporter)
			got := []bool{files, indexed, database, events, projects, bulk}
			want := []bool{tc.files, tc.indexed, tc.database, tc.database, tc.database, tc.bulk}
			for i, name := range []string{"Files", "Indexed", "Database", "EventStore", "ProjectCatalog", "BulkImporter"} {
				if got[i] != want[i] {
					t.Errorf("%s backend: storage.%s asserted %v, want %v", tc.kind, name, got[i], want[i])
				}
			}
		})
	}
}

func TestOpenUnknownKind(t *testing.T) {
	if _, err := Open(ctx, newRepo(t), "tape", config.Default(), Options{Getenv: getenv}); err == nil || !strings.Contains(err.Error(), "tape") {
		t.Fatalf("Open(tape) = %v, want an error naming the backend", err)
	}
}

// TestHybridIndexThroughInterfaces builds, reads and checks the hybrid
// index only through storage.Indexed.
func TestHybridIndexThroughInterfaces(t *testing.T) {
	repo := newRepo(t)
	h, err := Hybrid(ctx, repo, Options{Getenv: getenv}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.IndexFile() != ".milestones/index.db" {
		t.Errorf("IndexFile() = %q", h.IndexFile())
	}
	if err := h.RebuildIndex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	st, err := h.IndexStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Fresh || st.Path == "" {
		t.Errorf("after a rebuild: status %+v, want fresh with a path", st)
	}
	gittest.WriteFile(t, repo.WorkTree, ".milestones/active/new-one.yaml", "title: New one\nstatus: planned\n")
	if st, err = h.IndexStatus(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Fresh || len(st.Added) != 1 {
		t.Errorf("after a new file: status %+v, want stale with one added", st)
	}
	rep, err := h.RefreshIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Added) != 1 || rep.Added[0] != ".milestones/active/new-one.yaml" {
		t.Errorf("refresh added %v, want the new file", rep.Added)
	}
	files, _, err := h.Scan()
	if err != nil || len(files) != 1 || files[0].ID != "new-one" {
		t.Errorf("Scan() = %v, %v; want the one document", files, err)
	}
}

// TestDatabaseEventsAndProject: the project's first row and the event log
// of the database backend, through storage's interfaces.
func TestDatabaseEventsAndProject(t *testing.T) {
	repo := newRepo(t)
	cfg := config.Default()
	db, err := OpenDatabase(ctx, repo, cfg, SQLite, Options{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Type() != SQLite || db.ProjectKey() == "" {
		t.Errorf("Type() = %q, ProjectKey() = %q", db.Type(), db.ProjectKey())
	}
	if ok, err := db.HasProject(ctx); err != nil || ok {
		t.Fatalf("a new database: HasProject = %v, %v; want false", ok, err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := RegisterProject(ctx, db, at, "test"); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.HasProject(ctx); err != nil || !ok {
		t.Fatalf("after RegisterProject: HasProject = %v, %v; want true", ok, err)
	}
	evs, err := db.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Event != eventlog.StorageInitialized || !evs[0].Timestamp.Equal(at) || evs[0].Details["by"] != "test" {
		t.Errorf("events = %+v, want one storage_initialized by test at %v", evs, at)
	}
	if err := RegisterProject(ctx, db, at, "again"); err != nil {
		t.Fatal(err)
	}
	if evs, _ := db.Events(ctx, 0); len(evs) != 1 {
		t.Errorf("a second RegisterProject wrote again: %d events", len(evs))
	}
}

func TestPostgreSQLWithoutURLIsRefused(t *testing.T) {
	_, err := ResolveDatabase(newRepo(t), config.Default(), PostgreSQL, Options{Getenv: getenv})
	if !errors.Is(err, ErrNoURL) {
		t.Fatalf("ResolveDatabase(postgresql, no URL) = %v, want ErrNoURL", err)
	}
}

func TestLiveSQLiteMissingIsAnError(t *testing.T) {
	cfg := config.Default()
	cfg.Storage.Database.Type = SQLite
	_, err := OpenLiveDatabase(ctx, newRepo(t), cfg, Options{Getenv: getenv})
	if err == nil || !strings.Contains(err.Error(), EnterpriseDB+" is missing") {
		t.Fatalf("OpenLiveDatabase without the file = %v, want it named missing", err)
	}
}

// TestCommit: a tool commit through storage.Committer lands in HEAD.
func TestCommit(t *testing.T) {
	repo := newRepo(t)
	res, err := Commit(ctx, repo, CommitOptions{Getenv: getenv}, "milestone: test\n",
		[]storage.Change{{Path: ".milestones/storage-backend.txt", Content: []byte("file\n")}, {Path: "README", Delete: true}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Commit == "" || res.Branch != "main" {
		t.Errorf("result %+v, want a commit on main", res)
	}
	if got := gittest.Git(t, repo.WorkTree, "log", "-1", "--format=%s"); strings.TrimSpace(got) != "milestone: test" {
		t.Errorf("HEAD subject %q", got)
	}
	if got := gittest.Git(t, repo.WorkTree, "ls-tree", "-r", "--name-only", "HEAD"); strings.TrimSpace(got) != ".milestones/storage-backend.txt" {
		t.Errorf("HEAD tree %q, want only the backend file", got)
	}
}

// TestOpenWorkTree opens the stores in the work tree without touching
// anything, and nothing for the database: a git hook never connects.
func TestOpenWorkTree(t *testing.T) {
	repo := newRepo(t)
	for _, tc := range []struct {
		kind            string
		inTree, indexed bool
	}{{config.File, true, false}, {config.Hybrid, true, true}, {config.Database, false, false}} {
		if InWorkTree(tc.kind) != tc.inTree {
			t.Errorf("InWorkTree(%s) = %v", tc.kind, !tc.inTree)
		}
		b, ok, err := OpenWorkTree(ctx, repo, tc.kind, Options{Getenv: getenv})
		if err != nil || ok != tc.inTree || (b != nil) != tc.inTree {
			t.Fatalf("OpenWorkTree(%s) = %v, %v, %v", tc.kind, b, ok, err)
		}
		if b == nil {
			continue
		}
		if _, indexed := b.(storage.Indexed); indexed != tc.indexed {
			t.Errorf("%s: storage.Indexed asserted %v", tc.kind, indexed)
		}
		b.Close()
	}
	if _, err := os.Lstat(repo.WorkTree + "/" + IndexFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("opening the hybrid store created its index: %v", err)
	}
	if _, err := os.Lstat(repo.WorkTree + "/" + EnterpriseDB); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a database was created: %v", err)
	}
}

// TestCreate sets up each store as init does: the index built, the
// database registered.
func TestCreate(t *testing.T) {
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	cfg := config.Default()
	cfg.Storage.Database.Type = SQLite
	for _, kind := range []string{config.File, config.Hybrid, config.Database} {
		repo := newRepo(t)
		gittest.WriteFile(t, repo.WorkTree, ".milestones/active/one.yaml", "title: One\nstatus: planned\n")
		b, err := Create(ctx, repo, kind, cfg, "", at, "init", Options{Getenv: getenv})
		if err != nil {
			t.Fatalf("Create(%s): %v", kind, err)
		}
		switch kind {
		case config.Hybrid:
			ix, ok := b.(storage.Indexed)
			if !ok {
				t.Fatalf("hybrid: %T is not storage.Indexed", b)
			}
			if st, err := ix.IndexStatus(ctx); err != nil || !st.Fresh || st.Milestones != 1 {
				t.Errorf("hybrid: index status %+v, %v; want it built", st, err)
			}
		case config.Database:
			db, ok := b.(storage.Database)
			if !ok {
				t.Fatalf("database: %T is not storage.Database", b)
			}
			if has, err := db.HasProject(ctx); err != nil || !has {
				t.Errorf("database: project registered %v, %v", has, err)
			}
		}
		b.Close()
	}
}
