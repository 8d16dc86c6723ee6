package migrate

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/cache"
)

// LockFile is held for the whole of a migration, relative to the work
// tree. Every tool mutation takes it too, so none can land between the
// read of the source and the switch.
const LockFile = ".milestones/locks/migration.lock"

// journalFile records a migration in progress (Journal), in the git
// directory: local state of this clone, never committed, not under
// .milestones/.
const journalFile = "milestone-migration.json"

// JournalPath is where the journal of a migration in repo is kept.
func JournalPath(repo *gitrepo.Repo) string { return filepath.Join(repo.GitDir, journalFile) }

// Hooks are how a migration reaches the person running it: the command
// line draws what they report. Each may be nil.
type Hooks struct {
	// Say reports a step done or a choice made, in one line. An
	// automatic switch says nothing through it.
	Say func(msg string)
	// Warn reports a problem that does not stop the migration.
	Warn func(msg string)
	// Progress starts a progress display of total items: set moves it,
	// finish ends it. Not called for the automatic switch.
	Progress func(what string, total int) (set func(done int), finish func())
	// Event records one event of the migration (eventlog names).
	Event func(name string, details map[string]any)
	// SourceRemoved is called once this project's rows were removed from
	// the PostgreSQL database the milestones left: its events go to the
	// file log only from then on.
	SourceRemoved func()
	// Prepare is called once, right before the migration changes
	// anything (the command line sets up a clone's missing merge
	// drivers there, as before every mutation).
	Prepare func()
	// Step, when set (by tests only), is called after each step
	// (StepRead...StepSwitch), so a test can kill the process there.
	Step func(step int)
}

func (h Hooks) warn(msg string) {
	if h.Warn != nil {
		h.Warn(msg)
	}
}

func (h Hooks) event(name string, details map[string]any) {
	if h.Event != nil {
		h.Event(name, details)
	}
}

// Options describe one migration of the milestones of a repository.
type Options struct {
	Repo   *gitrepo.Repo
	Config config.Config
	// From is the kind of the live backend; Source is that backend, open
	// (the caller closes it).
	From   string
	Source storage.Backend
	// To is the kind to move to; ToType the database type asked for (""
	// means DATABASE_TYPE, then the config's).
	To     string
	ToType string
	// Backup writes a backup of every document first
	// (migration.backup_before_migration, unless --no-backup).
	Backup bool
	// SkipInvalid leaves documents that cannot be read behind instead of
	// refusing the migration.
	SkipInvalid bool
	// KeepSource keeps this project's rows in the PostgreSQL database the
	// milestones leave.
	KeepSource bool
	// Rollback undoes a failed copy, and a failed switch
	// (migration.rollback_on_failure).
	Rollback bool
	// Auto marks the automatic file <-> hybrid switch: it says nothing but
	// its one line, logs no start event and does not pin the backend.
	Auto bool
	// Getenv reads the environment (commit identity, database settings);
	// nil means the process environment is not consulted.
	Getenv func(string) string
	// Now is the clock of the journal and the events' times.
	Now func() time.Time
	// CacheDir is the read cache a switch invalidates ("" for none).
	CacheDir string
	Hooks    Hooks
}

// Migration moves every milestone of one repository's live backend to
// another: New, then Lock, ReadSource, and Plan (a dry run) or Run.
type Migration struct {
	o      Options
	toType string // the resolved database type of the target ("" unless To is database)

	undo      []storage.Change // what reverts the switch commit, when a check after it fails
	backupDir string
	count     int // the milestones Run migrates
}

// New prepares a migration; it changes nothing.
func New(o Options) *Migration {
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Migration{o: o}
	m.toType = m.targetType()
	return m
}

func (m *Migration) targetType() string {
	if m.o.To != config.Database {
		return ""
	}
	if m.o.ToType != "" {
		return m.o.ToType
	}
	if t := m.o.Getenv("DATABASE_TYPE"); t != "" {
		return t
	}
	return m.o.Config.Storage.Database.Type
}

// FromType is the database type of the source ("" in the file modes).
func (m *Migration) FromType() string {
	if db, ok := m.o.Source.(storage.Database); ok {
		return db.Type()
	}
	return ""
}

// ToType is the database type of the target ("" unless it is the database).
func (m *Migration) ToType() string { return m.toType }

// Source names the source: "file", "database (postgresql)".
func (m *Migration) Source() string { return Describe(m.o.From, m.FromType()) }

// Target names the target as Source does.
func (m *Migration) Target() string { return Describe(m.o.To, m.toType) }

// AlreadyThere reports whether the live backend is the target already.
func (m *Migration) AlreadyThere() bool { return m.o.From == m.o.To && m.FromType() == m.toType }

// LeavesGit reports whether the move takes the milestones out of the
// repository: from the YAML files into a database. It is confirmed first.
func (m *Migration) LeavesGit() bool { return LeavesGit(m.o.From, m.o.To) }

// LeavesGit reports whether a move from one kind to another takes the
// milestones out of the repository.
func LeavesGit(from, to string) bool {
	return to == config.Database && from != config.Database
}

// Pins reports whether this migration pins the backend: an explicit one
// while the config says auto (or another backend).
func (m *Migration) Pins() bool {
	return !m.o.Auto && m.o.Config.Storage.Backend != m.o.To
}

func (m *Migration) say(format string, args ...any) {
	if m.o.Auto || m.o.Hooks.Say == nil {
		return // an automatic switch says one line, written by its caller
	}
	m.o.Hooks.Say(fmt.Sprintf(format, args...))
}

func (m *Migration) tree() safefs.Tree { return safefs.WorkTree(m.o.Repo.WorkTree) }

func (m *Migration) openerOptions() opener.Options {
	return opener.Options{Getenv: m.o.Getenv, Warn: m.o.Hooks.Warn}
}

// progress returns the callbacks of a progress display of total items.
func (m *Migration) progress(what string, total int) (func(done int), func()) {
	if m.o.Hooks.Progress == nil || total == 0 || m.o.Auto {
		return func(int) {}, func() {}
	}
	return m.o.Hooks.Progress(what, total)
}

// Lock takes the migration lock (without waiting) and returns its release.
// The git transaction is only taken for the switch commit itself:
// .git/index.lock is held for milliseconds, and a migration killed before
// the switch leaves nothing behind. Until the release the process runs
// under a soft memory limit (limitMemory).
func (m *Migration) Lock(ctx context.Context) (func(), error) {
	release, err := acquireLock(ctx, m.o.Repo, m.o.Hooks.Warn)
	if err != nil {
		return nil, err
	}
	unlimit := limitMemory()
	return func() { unlimit(); release() }, nil
}

// acquireLock takes the migration lock of repo without waiting. Only a
// lock held by a live process is "another migration": a lock file that
// cannot be created or opened is named as it is.
func acquireLock(ctx context.Context, repo *gitrepo.Repo, warn func(string)) (func(), error) {
	release, err := lock.Acquire(ctx, safefs.WorkTree(repo.WorkTree), LockFile, 0, warn)
	if errors.Is(err, lock.ErrLocked) {
		return nil, fmt.Errorf("another migration is running: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("take the migration lock: %w", err)
	}
	return release, nil
}

// InvalidError refuses a migration of documents that cannot be read
// (without SkipInvalid): each problem names its document.
type InvalidError struct{ Problems []storage.Problem }

func (e *InvalidError) Error() string {
	return fmt.Sprintf("migrate: %d document(s) cannot be read (named above): fix them, or pass --skip-invalid to leave them behind", len(e.Problems))
}

// ReadSource reads every milestone of the live backend (under the lock).
// Documents that cannot be read refuse the migration (*InvalidError)
// unless SkipInvalid leaves them behind; then they are returned too.
func (m *Migration) ReadSource(ctx context.Context) ([]storage.Record, []storage.Problem, error) {
	recs, problems, err := m.o.Source.List(ctx, storage.Query{All: true})
	if err != nil {
		return nil, nil, fmt.Errorf("read the %s backend: %w", m.o.From, err)
	}
	if len(problems) > 0 && !m.o.SkipInvalid {
		return nil, nil, &InvalidError{Problems: problems}
	}
	for _, p := range problems {
		m.say("left behind (--skip-invalid): %v", p.Err)
	}
	return recs, problems, nil
}

// Plan is what a migration would do (--dry-run).
type Plan struct {
	From, To   string // as Source and Target name them
	Milestones int
	Invalid    int      // documents left behind
	Steps      []string // in order
	// Pins: the switch commit also sets storage.backend to the target.
	Pins bool
	// LeavesGit: the milestones leave the repository (LeavingGitNotice).
	LeavesGit bool
}

// Plan returns the steps a migration of n milestones (and invalid
// documents left behind) would take.
func (m *Migration) Plan(n, invalid int) Plan {
	steps := []string{"back up every document to .milestones/backups/<time>-" + m.o.From + "/"}
	if !m.o.Backup {
		steps = steps[:0]
	}
	return Plan{From: m.Source(), To: m.Target(), Milestones: n, Invalid: invalid,
		Steps: append(steps, m.planSteps()...), Pins: m.Pins(), LeavesGit: m.LeavesGit()}
}

func (m *Migration) planSteps() []string {
	switch {
	case m.o.To == config.Database:
		return []string{"copy every milestone into the " + m.Target() + " database (clearing what an interrupted attempt left there)",
			"verify ids and content hashes", "switch: one commit that sets the backend and removes the YAML files (the database is then the store)"}
	case m.o.From == config.Database:
		return []string{"verify every document parses to the same milestone", "switch: one commit that writes the YAML files and sets the backend",
			"verify the files against the database"}
	case m.o.To == config.Hybrid:
		return []string{"build the index .milestones/index.db", "verify ids and content hashes", "switch: one commit that sets the backend"}
	}
	return []string{"switch: one commit that sets the backend", "remove the index .milestones/index.db"}
}

// LeavingGitNotice says what changes when the milestones leave git, and
// what every clone then needs.
func (m *Migration) LeavingGitNotice() string {
	var where, clones, extra string
	if m.toType == opener.SQLite {
		where = "the SQLite file " + opener.EnterpriseDB
		clones = "a copy of " + opener.EnterpriseDB + " (it is ignored by git: it is not pushed, and a fresh clone has none)"
		extra = "  - for more than one person, a shared PostgreSQL server fits better (--database-type postgresql);\n"
	} else {
		where = "the PostgreSQL database"
		if dc, err := opener.ResolveDatabase(m.o.Repo, m.o.Config, m.toType, opener.Options{Getenv: m.o.Getenv}); err == nil {
			where += " at " + opener.RedactURL(dc.URL)
		}
		clones = "DATABASE_URL or `git config milestone.databaseUrl` set to this server"
	}
	return fmt.Sprintf(`milestones will no longer be in the repository: they move into %s,
and one commit removes their YAML files from .milestones/.
  - git history, diffs, pull-request review and the merge driver no longer see milestone changes;
  - clones need %s to see them (the committed config says where they live);
%s  - `+"`git milestone migrate --to file`"+` brings them back into git.
`, where, clones, extra)
}

// Outcome is a migration that landed.
type Outcome struct {
	Result     storage.Result // the switch commit
	Milestones int
	BackupDir  string // "" without a backup
}

// Run migrates recs (read by ReadSource, under the lock; problems are the
// documents left behind, backed up byte for byte): journal, backup, copy,
// verify, switch and the steps after it (see the package's Run). Its
// events go to Hooks.Event. A failure before the switch leaves the source
// live (the copy undone with Rollback); a failure after it reverts the
// switch where the direction can (Rollback).
func (m *Migration) Run(ctx context.Context, recs []storage.Record, problems []storage.Problem) (Outcome, error) {
	src, dst := m.Source(), m.Target()
	started := time.Now()
	// The count is kept in m: a local copy of len(recs) read after the
	// pipeline would keep the records alive through it (the compiler
	// reads it from recs), and the pipeline releases them once copied.
	m.count = len(recs)
	if !m.o.Auto {
		m.o.Hooks.event(eventlog.MigrationStarted, map[string]any{"from": src, "to": dst, "milestones": m.count})
	}
	if m.o.Hooks.Prepare != nil {
		m.o.Hooks.Prepare()
	}
	mover, closeMover, err := m.mover(ctx)
	if err != nil {
		return Outcome{}, m.fail(src, dst, err)
	}
	defer closeMover()
	// Run writes a journal first: it lets the next migrate (or
	// fsck --repair) finish or undo this one if it is killed.
	res, err := Run(ctx, Pipeline{
		Mover: mover, Records: recs, Backup: m.backupStep(problems), Rollback: m.o.Rollback, Step: m.o.Hooks.Step,
		Journal: Journal{From: m.o.From, FromType: m.FromType(), To: m.o.To, ToType: m.toType, KeepSource: m.o.KeepSource,
			Rollback: m.o.Rollback, Started: m.o.Now().UTC().Format(time.RFC3339)},
		JournalPath: JournalPath(m.o.Repo),
	})
	var switched *SwitchedError
	if errors.As(err, &switched) {
		// The switch landed; a step after it failed.
		m.o.Hooks.event(eventlog.MigrationFailed, map[string]any{"from": src, "to": dst, "error": err.Error(), "switched": true})
		if switched.Reverted {
			m.o.Hooks.event(eventlog.MigrationRolledBack, map[string]any{"from": src, "to": dst, "after_switch": true})
			return Outcome{}, fmt.Errorf("migration from %s to %s failed after the switch and was rolled back by a second commit (%s is still the backend): %w", src, dst, src, err)
		}
		return Outcome{}, fmt.Errorf("migration from %s to %s switched, then: %w", src, dst, err)
	}
	if err != nil {
		return Outcome{}, m.fail(src, dst, err)
	}
	if m.o.CacheDir != "" {
		if err := cache.Invalidate(m.tree(), m.o.CacheDir); err != nil {
			m.o.Hooks.warn(err.Error())
		}
	}
	m.o.Hooks.event(eventlog.MigrationCompleted, map[string]any{"from": src, "to": dst, "milestones": m.count, "automatic": m.o.Auto,
		"backup": m.backupDir, "duration_ms": time.Since(started).Milliseconds()})
	return Outcome{Result: res, Milestones: m.count, BackupDir: m.backupDir}, nil
}

// fail records a failure before the switch: the copy was rolled back where
// it was made, and the old backend is still the live one.
func (m *Migration) fail(src, dst string, cause error) error {
	m.o.Hooks.event(eventlog.MigrationFailed, map[string]any{"from": src, "to": dst, "error": cause.Error()})
	if !m.o.Rollback {
		return fmt.Errorf("migration from %s to %s failed (%s is still the backend; what was copied is left in place: migration.rollback_on_failure is false): %w", src, dst, src, cause)
	}
	m.o.Hooks.event(eventlog.MigrationRolledBack, map[string]any{"from": src, "to": dst})
	return fmt.Errorf("migration from %s to %s failed, nothing changed (%s is still the backend): %w", src, dst, src, cause)
}

// backupStep is the pipeline's backup of the records (and, byte for byte,
// the documents that could not be read); nil without a backup.
func (m *Migration) backupStep(problems []storage.Problem) func([]storage.Record) error {
	if !m.o.Backup {
		return nil
	}
	t := m.tree()
	return func(recs []storage.Record) error {
		dir := newBackupDir(t, ".milestones/backups", time.Now().UTC().Format("20060102T150405Z")+"-"+m.o.From)
		if _, err := Backup(t, dir, recs); err != nil {
			return err
		}
		if err := backupInvalid(t, dir, problems); err != nil {
			return err
		}
		m.say("backed up %d milestone(s) to %s", len(recs), dir)
		m.backupDir = dir
		return nil
	}
}
