package migrate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/pgtest"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// The tests below run migrations without the command line: a real git
// repository, the real backends (SQLite; PostgreSQL when
// MILESTONE_TEST_DATABASE_URL is set), and Hooks that record what a
// migration reports.

func TestMain(m *testing.M) {
	cleanup := gittest.Isolate()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// docs are the milestones of a test repository, by path.
var docs = map[string]string{
	".milestones/active/alpha.yaml":          "title: Alpha\nstatus: planned\npriority: high\n# a comment the copy keeps\n",
	".milestones/active/beta.yaml":           "title: Beta\nstatus: active\ndue_date: 2026-12-15\nowner: ana\n",
	".milestones/completed/gamma.yaml":       "title: Gamma\nstatus: completed\nclosed_at: 2026-01-02T03:04:05Z\nx-unknown: kept\n",
	".milestones/active/delta.yaml":          "title: Delta\nstatus: planned\nlabels: [one, two]\n",
	".milestones/active/epsilon.yaml":        "title: Epsilon\nstatus: blocked\ndepends_on: [alpha]\n",
	".milestones/completed/.keep":            "",
	".milestones/active/.keep":               "",
	".milestones/.gitignore":                 "/index.db*\n/enterprise.db*\n/locks/\n/logs/\n/backups/\n/cache/\n",
	".milestones/config/storage-backend.txt": "file\n",
}

// repoEnv is the environment the migrations of a test read: the test
// identity, and DATABASE_* only as the test sets them.
type repoEnv map[string]string

func (e repoEnv) getenv(k string) string {
	switch k {
	case "GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME":
		return "Tester"
	case "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL":
		return "tester@example.com"
	}
	if v, ok := e[k]; ok {
		return v
	}
	if strings.HasPrefix(k, "DATABASE_") {
		return ""
	}
	return os.Getenv(k)
}

// fixture is a repository set up as `init` leaves it, with docs committed,
// on the file backend.
type fixture struct {
	t    *testing.T
	dir  string
	repo *gitrepo.Repo
	env  repoEnv
	said []string // what the migrations said
	warn []string
	evs  []string // the events they recorded, by name
}

func newFixture(t *testing.T, configYAML string) *fixture {
	t.Helper()
	dir := gittest.Init(t)
	files := map[string]string{config.ConfigPath: configYAML}
	for p, c := range docs {
		files[p] = c
	}
	gittest.Commit(t, dir, "set up", files)
	f := &fixture{t: t, dir: dir, env: repoEnv{}}
	repo, err := gitrepo.OpenEnv(dir, f.env.getenv)
	if err != nil {
		t.Fatal(err)
	}
	f.repo = repo
	return f
}

// open opens the live backend, as the work tree names it.
func (f *fixture) open() (string, config.Config, storage.Backend) {
	f.t.Helper()
	kind, err := config.ReadBackend(f.dir)
	if err != nil {
		f.t.Fatal(err)
	}
	cfg, err := config.Load(f.dir)
	if err != nil {
		f.t.Fatal(err)
	}
	b, err := opener.Open(context.Background(), f.repo, kind, cfg, opener.Options{Getenv: f.env.getenv})
	if err != nil {
		f.t.Fatalf("open the %s backend: %v", kind, err)
	}
	f.t.Cleanup(func() { b.Close() })
	return kind, cfg, b
}

// options are the Options of a migration from the live backend to kind.
func (f *fixture) options(to, toType string) Options {
	kind, cfg, b := f.open()
	mc := cfg.Storage.Migration
	return Options{Repo: f.repo, Config: cfg, From: kind, Source: b, To: to, ToType: toType,
		Backup: mc.BackupBeforeMigration, Rollback: mc.RollbackOnFailure, Getenv: f.env.getenv,
		Now: func() time.Time { return time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC) },
		Hooks: Hooks{
			Say:   func(msg string) { f.said = append(f.said, msg) },
			Warn:  func(msg string) { f.warn = append(f.warn, msg) },
			Event: func(name string, _ map[string]any) { f.evs = append(f.evs, name) },
		}}
}

// migrate runs a whole migration to kind and returns its outcome.
func (f *fixture) migrate(o Options) (Outcome, error) {
	f.t.Helper()
	m := New(o)
	release, err := m.Lock(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	defer release()
	recs, problems, err := m.ReadSource(context.Background())
	if err != nil {
		return Outcome{}, err
	}
	return m.Run(context.Background(), recs, problems)
}

func (f *fixture) git(args ...string) string { return gittest.Git(f.t, f.dir, args...) }

// documents returns the milestone documents HEAD tracks.
func (f *fixture) documents() []string {
	var out []string
	for _, p := range strings.Fields(f.git("ls-files", ".milestones/active", ".milestones/completed")) {
		if strings.HasSuffix(p, ".yaml") {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (f *fixture) exists(rel string) bool {
	_, err := os.Lstat(filepath.Join(f.dir, filepath.FromSlash(rel)))
	return err == nil
}

func wantDocuments() []string {
	var out []string
	for p := range docs {
		if strings.HasSuffix(p, ".yaml") {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// checkBytes fails unless every document in the work tree is byte for byte
// what was committed first.
func (f *fixture) checkBytes() {
	f.t.Helper()
	for _, p := range wantDocuments() {
		got, err := os.ReadFile(filepath.Join(f.dir, p))
		if err != nil || string(got) != docs[p] {
			f.t.Errorf("%s: %q, %v; want the original %q", p, got, err, docs[p])
		}
	}
}

func TestMoversFileToHybridAndBack(t *testing.T) {
	f := newFixture(t, config.DefaultYAML)
	out, err := f.migrate(f.options(config.Hybrid, ""))
	if err != nil {
		t.Fatal(err)
	}
	if out.Milestones != 5 || out.Result.Commit == "" || out.Result.Branch != "main" {
		t.Errorf("outcome %+v", out)
	}
	if head := f.git("rev-parse", "HEAD"); head != out.Result.Commit {
		t.Errorf("HEAD is %s, the switch commit %s", head, out.Result.Commit)
	}
	if msg := f.git("log", "-1", "--format=%s"); msg != "milestone: migrate to the hybrid backend" {
		t.Errorf("switch commit subject %q", msg)
	}
	if got := f.git("show", "HEAD:"+config.BackendPath); got != "hybrid" {
		t.Errorf("HEAD's backend file says %q", got)
	}
	// An explicit migration pins the backend; the documents stay.
	if cfg := f.git("show", "HEAD:"+config.ConfigPath); !strings.Contains(cfg, "backend: hybrid") {
		t.Errorf("the switch commit does not pin the backend:\n%s", cfg)
	}
	if got := f.documents(); strings.Join(got, " ") != strings.Join(wantDocuments(), " ") {
		t.Errorf("documents tracked after the move to hybrid: %v", got)
	}
	if changed := f.git("diff", "--name-only", "HEAD~1", "HEAD"); changed != config.BackendPath+"\n"+config.ConfigPath {
		t.Errorf("the switch commit changed:\n%s", changed)
	}
	if !f.exists(opener.IndexFile) {
		t.Error("no index after the move to hybrid")
	}
	if !f.exists(out.BackupDir+"/"+BackupFile) || !strings.HasPrefix(out.BackupDir, ".milestones/backups/") {
		t.Errorf("backup %q missing", out.BackupDir)
	}
	if strings.Join(f.evs, " ") != eventlog.MigrationStarted+" "+eventlog.MigrationCompleted {
		t.Errorf("events %v", f.evs)
	}
	if len(f.said) != 1 || !strings.HasPrefix(f.said[0], "backed up 5 milestone(s) to .milestones/backups/") {
		t.Errorf("said %q", f.said)
	}
	if _, err := os.Lstat(JournalPath(f.repo)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the journal is left: %v", err)
	}

	// The index answers what the files hold.
	_, _, b := f.open()
	ix, ok := b.(storage.Indexed)
	if !ok {
		t.Fatalf("the live backend after the move keeps no index: %T", b)
	}
	st, err := ix.IndexStatus(context.Background())
	if err != nil || !st.Fresh || st.Milestones != 5 {
		t.Errorf("index status %+v, %v", st, err)
	}

	f.evs, f.said = nil, nil
	out, err = f.migrate(f.options(config.File, ""))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.git("show", "HEAD:"+config.BackendPath); got != "file" {
		t.Errorf("HEAD's backend file says %q after the move back", got)
	}
	if got := f.git("rev-list", "--count", "HEAD"); got != "3" {
		t.Errorf("%s commits: want set up plus one switch each way", got)
	}
	if f.exists(opener.IndexFile) {
		t.Error("the index is left after the move back to file")
	}
	if got := f.documents(); strings.Join(got, " ") != strings.Join(wantDocuments(), " ") {
		t.Errorf("documents tracked after the round trip: %v", got)
	}
	f.checkBytes()
	if out.Milestones != 5 {
		t.Errorf("moved back %d milestones", out.Milestones)
	}
	if status := f.git("status", "--porcelain"); status != "" {
		t.Errorf("the work tree is not clean after the round trip:\n%s", status)
	}
}

func TestMoversIntoSQLiteAndOutToHybrid(t *testing.T) {
	f := newFixture(t, config.DefaultYAML)
	out, err := f.migrate(f.options(config.Database, opener.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.documents(); len(got) != 0 {
		t.Errorf("the switch into the database left documents tracked: %v", got)
	}
	if cfg := f.git("show", "HEAD:"+config.ConfigPath); !strings.Contains(cfg, "backend: database") || !strings.Contains(cfg, "type: sqlite") {
		t.Errorf("the switch commit's config:\n%s", cfg)
	}
	if !f.exists(opener.EnterpriseDB) {
		t.Fatal("no enterprise.db")
	}
	kind, _, b := f.open()
	if kind != config.Database {
		t.Fatalf("live backend %s", kind)
	}
	recs, problems, err := b.List(context.Background(), storage.Query{All: true})
	if err != nil || len(problems) != 0 || len(recs) != 5 {
		t.Fatalf("the database holds %d milestones, %v, %v", len(recs), problems, err)
	}
	for _, r := range recs {
		if want := docs[opener.PathFor(r.Milestone.ID, r.Milestone.Status)]; string(r.Source) != want {
			t.Errorf("%s in the database: %q, want %q", r.Milestone.ID, r.Source, want)
		}
	}
	if out.Milestones != 5 {
		t.Errorf("outcome %+v", out)
	}

	// Out of the database into hybrid: the files come back, and the index
	// is built after the switch.
	f.said = nil
	if _, err := f.migrate(f.options(config.Hybrid, "")); err != nil {
		t.Fatal(err)
	}
	if got := f.documents(); strings.Join(got, " ") != strings.Join(wantDocuments(), " ") {
		t.Errorf("documents tracked after the way back: %v", got)
	}
	f.checkBytes()
	if got := f.git("show", "HEAD:"+config.BackendPath); got != "hybrid" || !f.exists(opener.IndexFile) {
		t.Errorf("backend %q, index built %v", got, f.exists(opener.IndexFile))
	}
	// A SQLite file is local: it is left as it is.
	if !f.exists(opener.EnterpriseDB) || !strings.Contains(strings.Join(f.said, "\n"), "enterprise.db still holds these milestones") {
		t.Errorf("leaving SQLite said %q", f.said)
	}
}

// TestMoversOutOfDatabaseCheckAfterTheSwitch: the files read back after
// the switch are checked against the database's documents (the verifier
// of the read-back, again): one changed file is named, the others pass,
// and the switch is reverted.
func TestMoversOutOfDatabaseCheckAfterTheSwitch(t *testing.T) {
	f := newFixture(t, config.DefaultYAML)
	if _, err := f.migrate(f.options(config.Database, opener.SQLite)); err != nil {
		t.Fatal(err)
	}
	o := f.options(config.File, "")
	o.Hooks.Step = func(step int) {
		if step == StepSwitch {
			if err := os.WriteFile(filepath.Join(f.dir, ".milestones/active/alpha.yaml"), []byte("title: Changed\nstatus: planned\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err := f.migrate(o)
	if err == nil || !strings.Contains(err.Error(), "the files written differ from the database") ||
		!strings.Contains(err.Error(), "1 milestone(s) differ; alpha: document content differs") {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "rolled back by a second commit") {
		t.Errorf("not reverted: %v", err)
	}
	if got := f.git("show", "HEAD:"+config.BackendPath); got != config.Database {
		t.Errorf("backend after the revert %q", got)
	}
}

func TestMoversPostgreSQLAndBack(t *testing.T) {
	url := pgtest.NewDatabase(t, "migrate_movers")
	for _, keep := range []bool{false, true} {
		f := newFixture(t, config.DefaultYAML)
		f.env["DATABASE_URL"] = url
		if _, err := f.migrate(f.options(config.Database, opener.PostgreSQL)); err != nil {
			t.Fatal(err)
		}
		if got := f.documents(); len(got) != 0 {
			t.Errorf("documents tracked while PostgreSQL is the store: %v", got)
		}
		removed := false
		o := f.options(config.File, "")
		o.KeepSource = keep
		o.Hooks.SourceRemoved = func() { removed = true }
		db := o.Source.(storage.Database)
		if ok, err := db.HasProject(context.Background()); err != nil || !ok {
			t.Fatalf("the project is not in PostgreSQL: %v, %v", ok, err)
		}
		if _, err := f.migrate(o); err != nil {
			t.Fatal(err)
		}
		f.checkBytes()
		ok, err := db.HasProject(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if keep && (!ok || removed) {
			t.Errorf("--keep-source: project kept %v, removed %v", ok, removed)
		}
		if !keep && (ok || !removed) {
			t.Errorf("leaving PostgreSQL: project kept %v, removed %v", ok, removed)
		}
	}
}

func TestMoversRefuseInvalidDocuments(t *testing.T) {
	f := newFixture(t, config.DefaultYAML)
	bad := "title: [unclosed\n"
	gittest.Commit(t, f.dir, "a broken document", map[string]string{".milestones/active/broken.yaml": bad})
	m := New(f.options(config.Hybrid, ""))
	_, _, err := m.ReadSource(context.Background())
	var inv *InvalidError
	if !errors.As(err, &inv) || len(inv.Problems) != 1 || !strings.Contains(inv.Problems[0].Err.Error(), "broken.yaml") {
		t.Fatalf("ReadSource with a broken document: %v", err)
	}

	o := f.options(config.Hybrid, "")
	o.SkipInvalid = true
	out, err := f.migrate(o)
	if err != nil {
		t.Fatal(err)
	}
	if out.Milestones != 5 {
		t.Errorf("migrated %d milestones", out.Milestones)
	}
	// The document left behind is backed up byte for byte.
	got, err := os.ReadFile(filepath.Join(f.dir, out.BackupDir, "invalid/.milestones/active/broken.yaml"))
	if err != nil || string(got) != bad {
		t.Errorf("backup of the broken document: %q, %v", got, err)
	}
	if !strings.Contains(strings.Join(f.said, "\n"), "left behind (--skip-invalid)") {
		t.Errorf("said %q", f.said)
	}
}

func TestMoversFailBeforeTheSwitch(t *testing.T) {
	f := newFixture(t, config.DefaultYAML)
	// The SQLite file cannot be a folder: opening the target fails.
	if err := os.MkdirAll(filepath.Join(f.dir, opener.EnterpriseDB), 0o755); err != nil {
		t.Fatal(err)
	}
	head := f.git("rev-parse", "HEAD")
	_, err := f.migrate(f.options(config.Database, opener.SQLite))
	if err == nil || !strings.Contains(err.Error(), "migration from file to database (sqlite) failed, nothing changed (file is still the backend)") {
		t.Fatalf("got %v", err)
	}
	if f.git("rev-parse", "HEAD") != head {
		t.Error("a failed migration committed")
	}
	if strings.Join(f.evs, " ") != "migration_started migration_failed migration_rolled_back" {
		t.Errorf("events %v", f.evs)
	}
}

// TestLockSaysWhatStopsIt: a lock held by a live migration is "another
// migration is running"; a lock file that cannot be made is named as
// such, not blamed on another migration.
func TestLockSaysWhatStopsIt(t *testing.T) {
	f := newFixture(t, config.DefaultYAML)
	ctx := context.Background()
	release, err := New(f.options(config.Hybrid, "")).Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(f.options(config.Hybrid, "")).Lock(ctx); err == nil || !strings.Contains(err.Error(), "another migration is running") {
		t.Errorf("a held lock: %v", err)
	}
	if _, err := FinishInterrupted(ctx, f.options(config.Hybrid, "")); err == nil || !strings.Contains(err.Error(), "another migration is running") {
		t.Errorf("a held lock, finishing: %v", err)
	}
	release()
	// The locks folder is a file: the lock cannot be created.
	locks := filepath.Join(f.dir, ".milestones", "locks")
	if err := os.RemoveAll(locks); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(locks, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = New(f.options(config.Hybrid, "")).Lock(ctx)
	if err == nil || strings.Contains(err.Error(), "another migration") || !strings.Contains(err.Error(), "take the migration lock") {
		t.Errorf("an unusable lock file: %v", err)
	}
	if _, err := FinishInterrupted(ctx, f.options(config.Hybrid, "")); err == nil || strings.Contains(err.Error(), "another migration") {
		t.Errorf("an unusable lock file, finishing: %v", err)
	}
}

func TestPlan(t *testing.T) {
	f := newFixture(t, config.DefaultYAML)
	for _, c := range []struct {
		to, toType string
		steps      int
		leaves     bool
	}{
		{config.Hybrid, "", 4, false},
		{config.Database, opener.SQLite, 4, true},
		{config.File, "", 0, false}, // already there
	} {
		m := New(f.options(c.to, c.toType))
		if m.AlreadyThere() != (c.to == config.File) {
			t.Errorf("%s: AlreadyThere %v", c.to, m.AlreadyThere())
		}
		if c.to == config.File {
			continue
		}
		p := m.Plan(5, 1)
		if len(p.Steps) != c.steps || p.LeavesGit != c.leaves || !p.Pins || p.From != "file" || p.Milestones != 5 || p.Invalid != 1 {
			t.Errorf("plan to %s: %+v", c.to, p)
		}
		if !strings.HasPrefix(p.Steps[0], "back up every document") {
			t.Errorf("plan to %s starts with %q", c.to, p.Steps[0])
		}
	}
	m := New(f.options(config.Database, opener.SQLite))
	if n := m.LeavingGitNotice(); !strings.Contains(n, "the SQLite file .milestones/enterprise.db") {
		t.Errorf("notice:\n%s", n)
	}
}

func TestFinishInterruptedUndoesAPartialIndex(t *testing.T) {
	f := newFixture(t, config.DefaultYAML)
	// A move to hybrid killed after it built the index, before its switch.
	if err := opener.BuildIndex(context.Background(), f.repo, opener.Options{Getenv: f.env.getenv}); err != nil {
		t.Fatal(err)
	}
	j := Journal{From: config.File, To: config.Hybrid, Rollback: true, Started: "2026-12-01T08:00:00Z"}
	if err := j.Write(JournalPath(f.repo)); err != nil {
		t.Fatal(err)
	}
	if got, err := Interrupted(f.repo); err != nil || got == nil {
		t.Fatalf("Interrupted = %v, %v", got, err)
	}
	msg, err := FinishInterrupted(context.Background(), f.options("", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := "undid the interrupted migration from file to hybrid started 2026-12-01T08:00:00Z (its switch had not landed; file is still the backend): removed the partial index"; msg != want {
		t.Errorf("got  %q\nwant %q", msg, want)
	}
	if f.exists(opener.IndexFile) {
		t.Error("the partial index is left")
	}
	if got, err := Interrupted(f.repo); err != nil || got != nil {
		t.Errorf("after finishing: Interrupted = %v, %v", got, err)
	}
}

func TestFinishInterruptedClearsACopy(t *testing.T) {
	f := newFixture(t, config.DefaultYAML)
	// A move into SQLite killed after its copy.
	_, cfg, b := f.open()
	recs, _, err := b.List(context.Background(), storage.Query{All: true})
	if err != nil {
		t.Fatal(err)
	}
	db, err := opener.OpenDatabase(context.Background(), f.repo, cfg, opener.SQLite, opener.Options{Getenv: f.env.getenv})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Import(context.Background(), recs, nil); err != nil {
		t.Fatal(err)
	}
	j := Journal{From: config.File, To: config.Database, ToType: opener.SQLite, Rollback: true, Started: "2026-12-01T08:00:00Z"}
	if err := j.Write(JournalPath(f.repo)); err != nil {
		t.Fatal(err)
	}
	msg, err := FinishInterrupted(context.Background(), f.options("", ""))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(msg, "removed 5 copied milestone(s) from the target database") {
		t.Errorf("got %q", msg)
	}
	if ids, err := db.IDs(context.Background()); err != nil || len(ids) != 0 {
		t.Errorf("the target still holds %v, %v", ids, err)
	}
}

// autoConfig switches to hybrid at 3 open milestones (and back below 80%
// of it).
var autoConfig = strings.Replace(config.DefaultYAML, "file_to_hybrid: 25", "file_to_hybrid: 3", 1)

func TestAutoSwitchesUpAndNotBackInTheBand(t *testing.T) {
	f := newFixture(t, autoConfig)
	line, err := Auto(context.Background(), f.options("", ""))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "4 open milestones (threshold 3): switched to the hybrid backend automatically (commit ") ||
		!strings.Contains(line, " on main; backup .milestones/backups/") {
		t.Errorf("line %q", line)
	}
	if got := f.git("show", "HEAD:"+config.BackendPath); got != "hybrid" {
		t.Errorf("backend %q after the automatic switch", got)
	}
	// The automatic switch does not pin the backend, and says nothing more.
	if cfg := f.git("show", "HEAD:"+config.ConfigPath); !strings.Contains(cfg, "backend: auto") {
		t.Errorf("the automatic switch pinned the backend:\n%s", cfg)
	}
	if len(f.said) != 0 || strings.Join(f.evs, " ") != eventlog.MigrationCompleted {
		t.Errorf("said %q, events %v", f.said, f.evs)
	}
	// 4 open, threshold 3: not below 80%, hybrid stays.
	head := f.git("rev-parse", "HEAD")
	if line, err := Auto(context.Background(), f.options("", "")); err != nil || line != "" {
		t.Errorf("second run: %q, %v", line, err)
	}
	if f.git("rev-parse", "HEAD") != head {
		t.Error("the second run committed")
	}
}

func TestAutoLeavesAPinnedBackend(t *testing.T) {
	f := newFixture(t, strings.Replace(autoConfig, "backend: auto ", "backend: file ", 1))
	if line, err := Auto(context.Background(), f.options("", "")); err != nil || line != "" {
		t.Errorf("pinned: %q, %v", line, err)
	}
	res, err := Unpin(context.Background(), f.repo, f.env.getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Commit != f.git("rev-parse", "HEAD") || f.git("log", "-1", "--format=%s") != "milestone: backend auto" {
		t.Errorf("unpin commit %+v", res)
	}
	if line, err := Auto(context.Background(), f.options("", "")); err != nil || !strings.Contains(line, "switched to the hybrid backend automatically") {
		t.Errorf("after unpinning: %q, %v", line, err)
	}
}

func TestRecommend(t *testing.T) {
	th := config.Default().Storage.Thresholds
	for _, c := range []struct {
		open, users  int
		kind, dbType string
	}{
		{0, 1, config.File, ""},
		{25, 1, config.Hybrid, ""},
		{3, 5, config.Hybrid, ""},
		{100, 1, config.Database, opener.SQLite},
		{100, 2, config.Database, opener.PostgreSQL},
		{3, 20, config.Database, opener.PostgreSQL},
	} {
		r := Recommend(th, c.open, c.users)
		if r.Kind != c.kind || r.DatabaseType != c.dbType || len(r.Reasons) == 0 {
			t.Errorf("%d open, %d users: %+v, want %s %s", c.open, c.users, r, c.kind, c.dbType)
		}
	}
}

// TestOpenCount: OpenCount counts the open milestones on each backend of
// the work tree and in a database: in the file modes the document files of
// the open folder (one listing: the automatic switch asks after every
// change), a document that does not parse included; in a database what a
// listing of the open milestones returns.
func TestOpenCount(t *testing.T) {
	f := newFixture(t, config.DefaultYAML)
	gittest.WriteFile(t, f.dir, ".milestones/completed/eta.yaml", "title: Eta\nstatus: cancelled\n")
	gittest.WriteFile(t, f.dir, ".milestones/active/broken.yaml", "title: [\n")
	ctx := context.Background()
	check := func(want string) {
		t.Helper()
		kind, _, b := f.open()
		if kind != want {
			t.Fatalf("backend %s, want %s", kind, want)
		}
		recs, _, err := b.List(ctx, storage.Query{})
		if err != nil {
			t.Fatal(err)
		}
		wantN := len(recs) + 1 // and broken.yaml
		if kind == config.Database {
			wantN = len(recs) // broken.yaml was skipped on the way in
		}
		if n, err := OpenCount(ctx, b); err != nil || n != wantN || len(recs) != 4 {
			t.Errorf("%s: open %d, %v; a listing returns %d (want 4), want %d", kind, n, err, len(recs), wantN)
		}
	}
	check(config.File)
	o := f.options(config.Hybrid, "")
	o.SkipInvalid = true
	if _, err := f.migrate(o); err != nil {
		t.Fatal(err)
	}
	check(config.Hybrid)
	o = f.options(config.Database, opener.SQLite)
	o.SkipInvalid = true
	if _, err := f.migrate(o); err != nil {
		t.Fatal(err)
	}
	check(config.Database)
}

func TestUsersCountsCommitAuthors(t *testing.T) {
	f := newFixture(t, config.DefaultYAML)
	gittest.WriteFile(t, f.dir, ".milestones/active/zeta.yaml", "title: Zeta\nstatus: planned\n")
	gittest.Git(t, f.dir, "add", ".")
	gittest.Git(t, f.dir, "-c", "user.email=BOB@example.com", "-c", "user.name=Bob", "commit", "-q", "-m", "zeta")
	gittest.WriteFile(t, f.dir, ".milestones/active/eta.yaml", "title: Eta\nstatus: planned\n")
	gittest.Git(t, f.dir, "add", ".")
	gittest.Git(t, f.dir, "-c", "user.email=bob@example.com", "-c", "user.name=Bob", "commit", "-q", "-m", "eta")
	_, _, b := f.open()
	n, err := RecentUsers(context.Background(), f.repo, b, time.Now())
	if err != nil || n != 2 {
		t.Errorf("users %d, %v; want tester and bob (case folded)", n, err)
	}
	if n, err := OpenCount(context.Background(), b); err != nil || n != 6 {
		t.Errorf("open %d, %v", n, err)
	}
}
