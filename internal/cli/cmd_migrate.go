package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/migrate"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/cache"
	"github.com/git-milestone/git-milestone/internal/storage/dbstore"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
	"github.com/git-milestone/git-milestone/internal/storage/hybrid"
	"github.com/git-milestone/git-milestone/internal/txn"
)

// MigrationLock is held for the whole of a migration, relative to the work tree.
const MigrationLock = ".milestones/locks/migration.lock"

// crashEnv makes a migration kill itself (SIGKILL) right after the step it
// names, so tests can prove that every step can be interrupted safely.
const crashEnv = "GIT_MILESTONE_MIGRATE_CRASH_AFTER"

// Migration steps, in order (the values crashEnv accepts).
const (
	stepRead   = 1 // the source was read
	stepBackup = 2 // the backup was written
	stepCopy   = 3 // the target holds the copy
	stepVerify = 4 // the copy was verified
	stepSwitch = 5 // the switch was committed
)

func newMigrateCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "move the milestones to another backend: backup, copy, verify, switch; rolled back on failure",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "to", Usage: "file, hybrid or database", Required: true},
			&cli.StringFlag{Name: "database-type", Usage: "sqlite or postgresql (default: the config's)"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the plan and the counts; change nothing"},
			&cli.BoolFlag{Name: "no-backup", Usage: "skip the backup (only where migration.backup_before_migration is false)"},
			&cli.BoolFlag{Name: "skip-invalid", Usage: "leave documents that do not parse behind (listed) instead of refusing"},
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "--to file|hybrid|database [--dry-run]"); err != nil {
				return err
			}
			to := c.String("to")
			switch to {
			case config.File, config.Hybrid, config.Database:
			default:
				return refused("--to %q is not one of file, hybrid, database", to)
			}
			dbType := c.String("database-type")
			if dbType != "" && dbType != dbstore.TypeSQLite && dbType != dbstore.TypePostgreSQL {
				return refused("--database-type %q is not one of sqlite, postgresql", dbType)
			}
			s, err := open(c.Context, env)
			if err != nil {
				return err
			}
			defer s.close()
			if s.snapshot != nil {
				return errSparse
			}
			if c.Bool("no-backup") && s.cfg.Storage.Migration.BackupBeforeMigration {
				return refused("--no-backup: the config asks for a backup before every migration (migration.backup_before_migration)")
			}
			m := &migration{s: s, to: to, toType: dbType, dryRun: c.Bool("dry-run"),
				backup: !c.Bool("no-backup"), skipInvalid: c.Bool("skip-invalid")}
			return m.run(c.Context)
		},
	}
}

// migration moves every milestone of one session's backend to another.
type migration struct {
	s           *session
	to, toType  string
	dryRun      bool
	backup      bool
	skipInvalid bool
	auto        bool // started by the automatic file <-> hybrid switch
	ctx         context.Context
}

func (m *migration) fromType() string {
	if db, ok := m.s.backend.(*dbstore.Store); ok {
		return db.Type()
	}
	return ""
}

func (m *migration) targetType() string {
	if m.to != config.Database {
		return ""
	}
	if m.toType != "" {
		return m.toType
	}
	if t := m.s.env.Getenv("DATABASE_TYPE"); t != "" {
		return t
	}
	return m.s.cfg.Storage.Database.Type
}

func describe(kind, dbType string) string {
	if kind == config.Database && dbType != "" {
		return kind + " (" + dbType + ")"
	}
	return kind
}

func (m *migration) crashPoint(step int) {
	if v := m.s.env.Getenv(crashEnv); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n == step {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Second)
		}
	}
}

func (m *migration) say(format string, args ...any) {
	fmt.Fprintf(m.s.env.Stderr, format+"\n", args...)
}

func (m *migration) run(ctx context.Context) (err error) {
	s := m.s
	m.ctx = ctx
	from, fromType, toType := s.kind, m.fromType(), m.targetType()
	if from == m.to && fromType == toType {
		m.say("already on the %s backend: nothing to do", describe(from, fromType))
		return nil
	}
	release, err := lock.Acquire(ctx, filepath.Join(s.repo.WorkTree, MigrationLock), 0, s.warn)
	if err != nil {
		return fmt.Errorf("another migration is running: %w", err)
	}
	defer release()
	// Every tool mutation holds the migration lock too (session.update), so
	// none can land between the read of the source and the switch. The git
	// transaction is only taken for the switch commit itself: .git/index.lock
	// is held for milliseconds, and a migration killed before the switch
	// leaves nothing behind.
	recs, problems, err := s.backend.List(ctx, storage.Query{All: true})
	if err != nil {
		return fmt.Errorf("read the %s backend: %w", from, err)
	}
	if len(problems) > 0 && !m.skipInvalid {
		for _, p := range problems {
			fmt.Fprintf(s.env.Stderr, "%v\n", p.Err)
		}
		return refused("migrate: %d document(s) cannot be read (named above): fix them, or pass --skip-invalid to leave them behind", len(problems))
	}
	for _, p := range problems {
		m.say("left behind (--skip-invalid): %v", p.Err)
	}
	src := describe(from, fromType)
	dst := describe(m.to, toType)
	if m.dryRun {
		fmt.Fprintf(s.env.Stdout, "plan: migrate %d milestone(s) from %s to %s\n", len(recs), src, dst)
		steps := []string{"back up every document to .milestones/backups/<time>-" + from + "/"}
		if !m.backup {
			steps = steps[:0]
		}
		steps = append(steps, m.planSteps(from)...)
		for i, st := range steps {
			fmt.Fprintf(s.env.Stdout, "  %d. %s\n", i+1, st)
		}
		if len(problems) > 0 {
			fmt.Fprintf(s.env.Stdout, "  %d invalid document(s) would be left behind\n", len(problems))
		}
		return nil
	}
	started := time.Now()
	s.logEvent(eventlog.MigrationStarted, map[string]any{"from": src, "to": dst, "milestones": len(recs)})
	m.crashPoint(stepRead)

	var backupDir string
	if m.backup {
		backupDir = newBackupDir(filepath.Join(s.repo.WorkTree, ".milestones", "backups"), time.Now().UTC().Format("20060102T150405Z")+"-"+from)
		if _, err := migrate.Backup(backupDir, recs); err != nil {
			return m.fail(src, dst, err)
		}
		if err := backupInvalid(s.repo.WorkTree, backupDir, problems); err != nil {
			return m.fail(src, dst, err)
		}
		m.say("backed up %d milestone(s) to %s", len(recs), relPath(s.repo.WorkTree, backupDir))
	}
	m.crashPoint(stepBackup)

	var res txn.Result
	switch {
	case m.to == config.Database:
		res, err = m.toDatabase(ctx, recs, from, toType)
	case from == config.Database:
		res, err = m.fromDatabase(ctx, recs)
	default:
		res, err = m.betweenFileModes(ctx, recs)
	}
	if err != nil && res.Commit != "" {
		// The switch landed; a check after it failed.
		s.logEvent(eventlog.MigrationFailed, map[string]any{"from": src, "to": dst, "error": err.Error(), "switched": true})
		return fmt.Errorf("migration from %s to %s switched, then: %w", src, dst, err)
	}
	if err != nil {
		return m.fail(src, dst, err)
	}
	if err := cache.Invalidate(s.cacheDir()); err != nil {
		s.warn(err.Error())
	}
	s.logEvent(eventlog.MigrationCompleted, map[string]any{"from": src, "to": dst, "milestones": len(recs),
		"backup": relPath(s.repo.WorkTree, backupDir), "duration_ms": time.Since(started).Milliseconds()})
	s.reportCommit(fmt.Sprintf("Migrated %d milestone(s) from %s to %s", len(recs), src, dst), storageResult(res))
	return nil
}

// newBackupDir returns base/name, or base/name-N when a backup of the same
// second (a re-run) already took that name.
func newBackupDir(base, name string) string {
	dir := filepath.Join(base, name)
	for n := 2; ; n++ {
		if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
			return dir
		}
		dir = filepath.Join(base, fmt.Sprintf("%s-%d", name, n))
	}
}

// backupInvalid copies the documents that could not be read, byte for
// byte, into <dir>/invalid/<their path>.
func backupInvalid(root, dir string, problems []storage.Problem) error {
	for _, p := range problems {
		rel := filepath.FromSlash(p.Path)
		if p.Path == "" || filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
			continue
		}
		path := filepath.Join(root, rel)
		if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
			continue // a symlink (never followed) or a vanished file
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("backup %s: %w", p.Path, err)
		}
		dst := filepath.Join(dir, "invalid", rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("backup %s: %w", p.Path, err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return fmt.Errorf("backup %s: %w", p.Path, err)
		}
	}
	return nil
}

func relPath(root, p string) string {
	if p == "" {
		return ""
	}
	if r, err := filepath.Rel(root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

func (m *migration) planSteps(from string) []string {
	switch {
	case m.to == config.Database:
		return []string{"copy every milestone into the " + describe(m.to, m.targetType()) + " database (clearing what an interrupted attempt left there)",
			"verify ids and content hashes", "switch: one commit that sets the backend and removes the YAML files (the database is then the store)"}
	case from == config.Database:
		return []string{"verify every document parses to the same milestone", "switch: one commit that writes the YAML files and sets the backend",
			"verify the files against the database"}
	case m.to == config.Hybrid:
		return []string{"build the index .milestones/index.db", "verify ids and content hashes", "switch: one commit that sets the backend"}
	}
	return []string{"switch: one commit that sets the backend", "remove the index .milestones/index.db"}
}

// fail records a failure before the switch: the copy was rolled back where
// it was made, and the old backend is still the live one.
func (m *migration) fail(src, dst string, cause error) error {
	m.s.logEvent(eventlog.MigrationFailed, map[string]any{"from": src, "to": dst, "error": cause.Error()})
	m.s.logEvent(eventlog.MigrationRolledBack, map[string]any{"from": src, "to": dst})
	return fmt.Errorf("migration from %s to %s failed, nothing changed (%s is still the backend): %w", src, dst, src, cause)
}

// progress returns a progress callback drawing a bar on a terminal.
func (m *migration) progress(what string, total int) (func(done int), func()) {
	if !m.s.env.StderrTTY || total == 0 {
		return func(int) {}, func() {}
	}
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(m.s.env.Stderr),
		progressbar.OptionSetDescription(what), progressbar.OptionClearOnFinish())
	return func(done int) { bar.Set(done) }, func() { bar.Finish() }
}

// switchCommit commits storage-backend.txt (and more changes): one commit
// that makes the new backend the live one.
func (m *migration) switchCommit(kind string, extra []txn.Change, what string) (txn.Result, error) {
	res, err := m.commit(kind, extra, what)
	if err == nil {
		m.crashPoint(stepSwitch)
	}
	return res, err
}

func (m *migration) commit(kind string, extra []txn.Change, what string) (txn.Result, error) {
	tx, err := txn.Begin(m.ctx, m.s.repo, txn.Options{Getenv: m.s.env.Getenv, Warn: m.s.warn})
	if err != nil {
		return txn.Result{}, err
	}
	defer tx.Close()
	changes := append([]txn.Change{{Path: config.BackendPath, Content: []byte(kind + "\n")}}, extra...)
	return tx.Commit(fmt.Sprintf("milestone: migrate to the %s backend\n\n%s\n", kind, what), changes)
}

// betweenFileModes moves file <-> hybrid: the files stay the store.
func (m *migration) betweenFileModes(ctx context.Context, recs []storage.Record) (txn.Result, error) {
	s := m.s
	if m.to == config.Hybrid {
		h, ix, err := openIndex(ctx, s.repo, s.env, s.warn, nil) // building it is the point: no "missing" warning
		if err != nil {
			return txn.Result{}, err
		}
		defer h.Close()
		bar, done := m.progress("indexing", len(recs))
		if err := ix.Rebuild(ctx, h.Files(), func(d, _ int) { bar(d) }); err != nil {
			return txn.Result{}, err
		}
		done()
		m.crashPoint(stepCopy)
		got, _, err := ix.List(ctx, storage.Query{All: true})
		if err != nil {
			return txn.Result{}, err
		}
		if err := migrate.Verify(recs, got); err != nil {
			return txn.Result{}, err
		}
		m.crashPoint(stepVerify)
		return m.switchCommit(config.Hybrid, nil, fmt.Sprintf("%d milestone(s) indexed in .milestones/index.db and verified.", len(recs)))
	}
	res, err := m.switchCommit(config.File, nil, "The YAML files are the store; the index is no longer used.")
	if err != nil {
		return res, err
	}
	s.removeIndex()
	return res, nil
}

// removeIndex deletes the hybrid index (and its WAL files) once the
// backend no longer uses it.
func (s *session) removeIndex() {
	p := filepath.Join(s.repo.WorkTree, filepath.FromSlash(hybrid.IndexFile))
	for _, f := range []string{p, p + "-wal", p + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.warn(fmt.Sprintf("remove %s: %v", relPath(s.repo.WorkTree, f), err))
		}
	}
}

var dbTypeLine = regexp.MustCompile(`(?m)^(\s+type:\s*)"?(sqlite|postgresql)"?`)

// configWithType returns the config file changed to name dbType, or nil
// when it already does.
func (m *migration) configWithType(dbType string) ([]txn.Change, error) {
	if m.s.cfg.Storage.Database.Type == dbType {
		return nil, nil
	}
	path := filepath.Join(m.s.repo.WorkTree, filepath.FromSlash(config.ConfigPath))
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		data = []byte(config.DefaultYAML)
	} else if err != nil {
		return nil, err
	}
	if !dbTypeLine.Match(data) {
		return nil, fmt.Errorf("%s: cannot find storage.database.type to set it to %s", config.ConfigPath, dbType)
	}
	out := dbTypeLine.ReplaceAll(data, []byte("${1}"+dbType))
	if _, err := config.Parse(config.ConfigPath, out); err != nil {
		return nil, err
	}
	return []txn.Change{{Path: config.ConfigPath, Content: out}}, nil
}

// toDatabase copies into a database and switches to it.
func (m *migration) toDatabase(ctx context.Context, recs []storage.Record, from, dbType string) (txn.Result, error) {
	s := m.s
	target, err := openDatabase(ctx, s.env, s.repo, s.cfg, dbType, s.warn)
	if err != nil {
		return txn.Result{}, fmt.Errorf("open the target database: %w", err)
	}
	defer target.Close()
	rollback := func() error { _, err := target.DeleteAll(ctx); return err }
	// The source is live: whatever the target holds for this project is
	// left from an interrupted attempt (or an older life) and is replaced.
	if n, err := target.DeleteAll(ctx); err != nil {
		return txn.Result{}, err
	} else if n > 0 {
		m.say("cleared %d stale row(s) of this project from the target database", n)
	}
	bar, done := m.progress("copying", len(recs))
	if err := target.Import(ctx, recs, bar); err != nil {
		rollback()
		return txn.Result{}, err
	}
	done()
	m.crashPoint(stepCopy)
	got, _, err := target.List(ctx, storage.Query{All: true})
	if err == nil {
		err = migrate.Verify(recs, got)
	}
	if err != nil {
		rollback()
		return txn.Result{}, err
	}
	m.crashPoint(stepVerify)
	extra, err := m.configWithType(dbType)
	if err != nil {
		rollback()
		return txn.Result{}, err
	}
	// The files of the milestones now in the database go; a document left
	// behind by --skip-invalid stays where it is.
	for _, r := range recs {
		if r.Path != "" {
			extra = append(extra, txn.Change{Path: r.Path, Delete: true})
		}
	}
	res, err := m.switchCommit(config.Database, extra,
		fmt.Sprintf("%d milestone(s) copied into the %s database and verified; it is now the store.", len(recs), dbType))
	if err != nil {
		rollback() // the target is never the live store here: run() returned early for a no-op
		return res, err
	}
	if from == config.Hybrid {
		s.removeIndex()
	}
	return res, nil
}

// fromDatabase writes the database's documents back as YAML files.
func (m *migration) fromDatabase(ctx context.Context, recs []storage.Record) (txn.Result, error) {
	s := m.s
	changes := make([]txn.Change, 0, len(recs))
	written := make([]storage.Record, 0, len(recs))
	for _, r := range recs {
		path := filestore.PathFor(r.Milestone.ID, r.Milestone.Status)
		dm, err := format.Decode(path, r.Source)
		if err != nil {
			return txn.Result{}, fmt.Errorf("milestone %s: its stored document does not parse: %w", r.Milestone.ID, err)
		}
		written = append(written, storage.Record{Milestone: dm, Source: r.Source, Path: path})
		changes = append(changes, txn.Change{Path: path, Content: r.Source})
	}
	if err := migrate.Verify(recs, written); err != nil {
		return txn.Result{}, err
	}
	m.crashPoint(stepCopy)
	m.crashPoint(stepVerify)
	res, err := m.switchCommit(m.to, changes,
		fmt.Sprintf("%d milestone(s) written back from the database as YAML files; the files are the store again.", len(recs)))
	if err != nil {
		return res, err
	}
	fs := filestore.Open(s.repo, fsOptions(s.env, s.warn))
	back, _, err := fs.LoadAll(ctx)
	if err != nil {
		return res, err
	}
	if err := migrate.Verify(recs, back); err != nil {
		return res, fmt.Errorf("the files written differ from the database (the database is unchanged; `git milestone fsck`): %w", err)
	}
	if m.to == config.Hybrid {
		if err := buildIndex(ctx, s.env, s.repo); err != nil {
			s.warn(fmt.Sprintf("index: %v (it will be rebuilt by the next command)", err))
		}
	}
	m.say("the database still holds these milestones; it is no longer the store")
	return res, nil
}

// logEvent appends one event (and, in database mode, to the events table).
func (s *session) logEvent(name string, details map[string]any) {
	s.appendEvents("", eventlog.Event{Timestamp: s.env.Now(), Event: name, Backend: s.kind, Details: details})
}
