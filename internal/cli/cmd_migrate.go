package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/migrate"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/cache"
)

// MigrationLock is held for the whole of a migration, relative to the work tree.
const MigrationLock = ".milestones/locks/migration.lock"

func newMigrateCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "move the milestones to another backend: backup, copy, verify, switch; rolled back on failure",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "to", Usage: "file, hybrid or database", Required: true},
			&cli.StringFlag{Name: "database-type", Usage: "sqlite or postgresql (default: the config's)"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the plan and the counts; change nothing"},
			&cli.BoolFlag{Name: "json", Usage: `with --dry-run, print the plan as JSON: {"from","to","milestones","steps":[...],"invalid"}`},
			&cli.BoolFlag{Name: "no-backup", Usage: "skip the backup (refused while migration.backup_before_migration is true; false skips it anyway)"},
			&cli.BoolFlag{Name: "skip-invalid", Usage: "leave documents that do not parse behind (listed) instead of refusing"},
			&cli.BoolFlag{Name: "keep-source", Usage: "leaving PostgreSQL: keep this project's rows on the server (by default they are removed once the copy is verified)"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "confirm a move out of git (into a database) without asking; required when not on a terminal"},
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
			if dbType != "" && dbType != opener.SQLite && dbType != opener.PostgreSQL {
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
			if c.Bool("json") && !c.Bool("dry-run") {
				return refused("migrate: --json goes with --dry-run")
			}
			mc := s.cfg.Storage.Migration
			m := &migration{s: s, to: to, toType: dbType, dryRun: c.Bool("dry-run"), json: c.Bool("json"),
				backup: mc.BackupBeforeMigration && !c.Bool("no-backup"), rollback: mc.RollbackOnFailure,
				skipInvalid: c.Bool("skip-invalid"), yes: c.Bool("yes"), keepSource: c.Bool("keep-source")}
			return m.run(c.Context)
		},
	}
}

// migration moves every milestone of one session's backend to another.
type migration struct {
	s           *session
	to, toType  string
	dryRun      bool
	json        bool // the --dry-run plan as JSON
	backup      bool
	skipInvalid bool
	yes         bool // --yes: leaving git is confirmed
	keepSource  bool // --keep-source: leave the project's rows in the PostgreSQL database left
	rollback    bool // migration.rollback_on_failure: undo a failed copy (and a failed switch)
	auto        bool // started by the automatic file <-> hybrid switch: quiet, and it does not pin the backend
	ctx         context.Context

	undo      []storage.Change // what reverts the switch commit, when a check after it fails
	result    storage.Result   // the switch commit
	backupDir string
}

func (m *migration) fromType() string {
	if db, ok := m.s.backend.(storage.Database); ok {
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

func describe(kind, dbType string) string { return migrate.Describe(kind, dbType) }

func (m *migration) crashPoint(step int) {
	if m.s.env.MigrationStep != nil {
		m.s.env.MigrationStep(step)
	}
}

func (m *migration) say(format string, args ...any) {
	if m.auto {
		return // an automatic switch says one line, written by autoSwitch
	}
	fmt.Fprintf(m.s.env.Stderr, format+"\n", args...)
}

func (m *migration) run(ctx context.Context) (err error) {
	s := m.s
	m.ctx = ctx
	from, fromType, toType := s.kind, m.fromType(), m.targetType()
	if !m.dryRun && !m.auto {
		if err := m.finishInterrupted(ctx); err != nil {
			return err
		}
	}
	if from == m.to && fromType == toType {
		m.say("already on the %s backend: nothing to do", describe(from, fromType))
		return nil
	}
	if !m.dryRun {
		if err := m.confirmLeavingGit(from, toType); err != nil {
			return err
		}
	}
	release, err := lock.Acquire(ctx, s.tree(), MigrationLock, 0, s.warn)
	if err != nil {
		return fmt.Errorf("another migration is running: %w", err)
	}
	defer release()
	// Every tool mutation holds the migration lock too (session.update), so
	// none can land between the read of the source and the switch. The git
	// transaction is only taken for the switch commit itself: .git/index.lock
	// is held for milliseconds, and a migration killed before the switch
	// leaves nothing behind.
	recs, problems, err := m.readSource(ctx, from)
	if err != nil {
		return err
	}
	src := describe(from, fromType)
	dst := describe(m.to, toType)
	if m.dryRun {
		return m.printPlan(from, src, dst, toType, len(recs), len(problems))
	}
	started := time.Now()
	// migrate.Run writes a journal first: it lets the next migrate (or
	// fsck --repair) finish or undo this one if it is killed.
	if !m.auto {
		s.logEvent(eventlog.MigrationStarted, map[string]any{"from": src, "to": dst, "milestones": len(recs)})
	}
	s.ensureDrivers()
	pinned := m.pins()
	mover, closeMover, err := m.mover(ctx, from, toType)
	if err != nil {
		return m.fail(src, dst, err)
	}
	defer closeMover()
	res, err := migrate.Run(ctx, migrate.Pipeline{
		Mover: mover, Records: recs, Backup: m.backupStep(from, recs, problems), Rollback: m.rollback, Step: m.crashPoint,
		Journal: migrate.Journal{From: from, FromType: fromType, To: m.to, ToType: toType, KeepSource: m.keepSource,
			Rollback: m.rollback, Started: s.env.Now().UTC().Format(time.RFC3339)},
		JournalPath: journalPath(s.repo),
	})
	var switched *migrate.SwitchedError
	if errors.As(err, &switched) {
		// The switch landed; a step after it failed.
		s.logEvent(eventlog.MigrationFailed, map[string]any{"from": src, "to": dst, "error": err.Error(), "switched": true})
		if switched.Reverted {
			s.logEvent(eventlog.MigrationRolledBack, map[string]any{"from": src, "to": dst, "after_switch": true})
			return fmt.Errorf("migration from %s to %s failed after the switch and was rolled back by a second commit (%s is still the backend): %w", src, dst, src, err)
		}
		return fmt.Errorf("migration from %s to %s switched, then: %w", src, dst, err)
	}
	if err != nil {
		return m.fail(src, dst, err)
	}
	if err := cache.Invalidate(s.tree(), s.cacheDir()); err != nil {
		s.warn(err.Error())
	}
	s.logEvent(eventlog.MigrationCompleted, map[string]any{"from": src, "to": dst, "milestones": len(recs), "automatic": m.auto,
		"backup": m.backupDir, "duration_ms": time.Since(started).Milliseconds()})
	m.result = res
	if m.auto {
		return nil
	}
	s.reportCommit(fmt.Sprintf("Migrated %d milestone(s) from %s to %s", len(recs), src, dst), res)
	if pinned {
		m.say("storage.backend is now %s: the automatic switch stays off until `git milestone backend auto`", m.to)
	}
	return nil
}

// readSource reads every milestone of the live backend under the
// migration lock; documents that cannot be read refuse the migration
// unless --skip-invalid leaves them behind.
func (m *migration) readSource(ctx context.Context, from string) ([]storage.Record, []storage.Problem, error) {
	recs, problems, err := m.s.backend.List(ctx, storage.Query{All: true})
	if err != nil {
		return nil, nil, fmt.Errorf("read the %s backend: %w", from, err)
	}
	if len(problems) > 0 && !m.skipInvalid {
		for _, p := range problems {
			fmt.Fprintf(m.s.env.Stderr, "%v\n", p.Err)
		}
		return nil, nil, refused("migrate: %d document(s) cannot be read (named above): fix them, or pass --skip-invalid to leave them behind", len(problems))
	}
	for _, p := range problems {
		m.say("left behind (--skip-invalid): %v", p.Err)
	}
	return recs, problems, nil
}

// printPlan is --dry-run: the steps a migration of n milestones (and
// invalid documents left behind) would take, as text or JSON.
func (m *migration) printPlan(from, src, dst, toType string, n, invalid int) error {
	out := m.s.env.Stdout
	steps := []string{"back up every document to .milestones/backups/<time>-" + from + "/"}
	if !m.backup {
		steps = steps[:0]
	}
	steps = append(steps, m.planSteps(from)...)
	if m.json {
		return writeJSON(out, map[string]any{"from": src, "to": dst, "milestones": n, "steps": steps, "invalid": invalid})
	}
	fmt.Fprintf(out, "plan: migrate %d milestone(s) from %s to %s\n", n, src, dst)
	for i, st := range steps {
		fmt.Fprintf(out, "  %d. %s\n", i+1, st)
	}
	if m.pins() {
		fmt.Fprintf(out, "  the switch commit also sets storage.backend: %s (the automatic switch stays off until `git milestone backend auto`)\n", m.to)
	}
	if leavesGit(from, m.to) {
		fmt.Fprint(out, m.leavingGitNotice(toType))
	}
	if invalid > 0 {
		fmt.Fprintf(out, "  %d invalid document(s) would be left behind\n", invalid)
	}
	return nil
}

// backupStep is the pipeline's backup of recs (and, byte for byte, the
// documents that could not be read); nil without
// migration.backup_before_migration.
func (m *migration) backupStep(from string, recs []storage.Record, problems []storage.Problem) func() error {
	if !m.backup {
		return nil
	}
	t := m.s.tree()
	return func() error {
		dir := newBackupDir(t, ".milestones/backups", time.Now().UTC().Format("20060102T150405Z")+"-"+from)
		if _, err := migrate.Backup(t, dir, recs); err != nil {
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

// pins reports whether this migration pins the backend: an explicit one
// while the config says auto (or another backend).
func (m *migration) pins() bool {
	return !m.auto && m.s.cfg.Storage.Backend != m.to
}

// newBackupDir returns base/name, or base/name-N when a backup of the same
// second (a re-run) already took that name (paths in t, slash-separated).
func newBackupDir(t safefs.Tree, base, name string) string {
	dir := base + "/" + name
	for n := 2; ; n++ {
		if _, err := t.Lstat(dir); err != nil {
			return dir // absent (or refused: Backup says why)
		}
		dir = fmt.Sprintf("%s/%s-%d", base, name, n)
	}
}

// backupInvalid copies the documents that could not be read, byte for
// byte, into <dir>/invalid/<their path>. Links and special files are
// skipped (never followed).
func backupInvalid(t safefs.Tree, dir string, problems []storage.Problem) error {
	for _, p := range problems {
		rel := filepath.FromSlash(p.Path)
		if p.Path == "" || filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
			continue
		}
		data, err := t.ReadFile(p.Path)
		if errors.Is(err, safefs.ErrRefused) || errors.Is(err, fs.ErrNotExist) {
			continue // a link (never followed) or a vanished file
		}
		if err != nil {
			return fmt.Errorf("backup %s: %w", p.Path, err)
		}
		if err := t.WriteFile(dir+"/invalid/"+p.Path, data, 0o644); err != nil {
			return fmt.Errorf("backup %s: %w", p.Path, err)
		}
	}
	return nil
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
	if !m.rollback {
		return fmt.Errorf("migration from %s to %s failed (%s is still the backend; what was copied is left in place: migration.rollback_on_failure is false): %w", src, dst, src, cause)
	}
	m.s.logEvent(eventlog.MigrationRolledBack, map[string]any{"from": src, "to": dst})
	return fmt.Errorf("migration from %s to %s failed, nothing changed (%s is still the backend): %w", src, dst, src, cause)
}

// progress returns a progress callback drawing a bar on a terminal.
func (m *migration) progress(what string, total int) (func(done int), func()) {
	if !m.s.env.StderrTTY || total == 0 || m.auto {
		return func(int) {}, func() {}
	}
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(m.s.env.Stderr),
		progressbar.OptionSetDescription(what), progressbar.OptionClearOnFinish())
	return func(done int) { bar.Set(done) }, func() { bar.Finish() }
}

// switchCommit commits storage-backend.txt (and more changes): one commit
// that makes the new backend the live one.
func (m *migration) switchCommit(kind string, extra []storage.Change, what string) (storage.Result, error) {
	cfgChange, undoCfg, err := m.configChanges()
	if err != nil {
		return storage.Result{}, err
	}
	extra = append(cfgChange, extra...)
	if m.undo != nil {
		m.undo = append(m.undo, undoCfg...)
	}
	return m.commit(kind, extra, what)
}

func (m *migration) commit(kind string, extra []storage.Change, what string) (storage.Result, error) {
	changes := append([]storage.Change{{Path: config.BackendPath, Content: []byte(kind + "\n")}}, extra...)
	return opener.Commit(m.ctx, m.s.repo, opener.CommitOptions{Getenv: m.s.env.Getenv, Warn: m.s.warn},
		fmt.Sprintf("milestone: migrate to the %s backend\n\n%s\n", kind, what), changes)
}

// removeIndex deletes the hybrid index (and its WAL files) once the
// backend no longer uses it.
func (s *session) removeIndex() {
	for _, f := range []string{opener.IndexFile, opener.IndexFile + "-wal", opener.IndexFile + "-shm"} {
		if err := s.tree().Remove(f); err != nil {
			s.warn(fmt.Sprintf("remove %s: %v", f, err))
		}
	}
}

// configChanges returns the change to storage-config.yaml the switch
// commit carries, and the change that undoes it: an explicit migration
// pins storage.backend to its target (the automatic switch leaves it at
// auto), and a move into a database names its type.
func (m *migration) configChanges() (change, undo []storage.Change, err error) {
	cfg := m.s.cfg.Storage
	wantBackend, wantType := cfg.Backend, cfg.Database.Type
	if !m.auto {
		wantBackend = m.to
	}
	if t := m.targetType(); t != "" {
		wantType = t
	}
	if wantBackend == cfg.Backend && wantType == cfg.Database.Type {
		return nil, nil, nil
	}
	data, err := m.s.tree().ReadFile(config.ConfigPath)
	undo = []storage.Change{{Path: config.ConfigPath, Content: data}}
	if errors.Is(err, os.ErrNotExist) {
		data = []byte(config.DefaultYAML)
		undo = []storage.Change{{Path: config.ConfigPath, Delete: true}}
	} else if err != nil {
		return nil, nil, err
	}
	out, err := config.SetValues(data, wantBackend, wantType)
	if err != nil {
		return nil, nil, err
	}
	return []storage.Change{{Path: config.ConfigPath, Content: out}}, undo, nil
}

// logEvent appends one event (and, in database mode, to the events table).
func (s *session) logEvent(name string, details map[string]any) {
	s.appendEvents("", eventlog.Event{Timestamp: s.env.Now(), Event: name, Backend: s.kind, Details: details})
}

// leavesGit reports whether a move takes the milestones out of the
// repository: from the YAML files into a database.
func leavesGit(from, to string) bool {
	return to == config.Database && from != config.Database
}

// leavingGitNotice says what changes when the milestones leave git, and
// what every clone then needs.
func (m *migration) leavingGitNotice(dbType string) string {
	var where, clones, extra string
	if dbType == opener.SQLite {
		where = "the SQLite file " + EnterpriseDB
		clones = "a copy of " + EnterpriseDB + " (it is ignored by git: it is not pushed, and a fresh clone has none)"
		extra = "  - for more than one person, a shared PostgreSQL server fits better (--database-type postgresql);\n"
	} else {
		where = "the PostgreSQL database"
		if dc, err := databaseConfig(m.s.env, m.s.repo, m.s.cfg, dbType, nil); err == nil {
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

// confirmLeavingGit asks before the milestones leave git: on a terminal it
// asks; otherwise --yes is required (refused, exit 2, without it).
func (m *migration) confirmLeavingGit(from, dbType string) error {
	if !leavesGit(from, m.to) || m.yes {
		return nil
	}
	env := m.s.env
	fmt.Fprint(env.Stderr, m.leavingGitNotice(dbType))
	if !env.StdinTTY || !env.StderrTTY {
		return refused("migrate --to database takes the milestones out of git: pass --yes to confirm")
	}
	fmt.Fprint(env.Stderr, "move the milestones out of git? [y/N] ")
	line, _ := bufio.NewReader(env.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return refused("migration not confirmed: nothing changed")
}

// removeSource removes this project's rows from the PostgreSQL database
// the milestones just left (the files, verified against it, are the store
// now; the switch commit and the backup hold them). Only this project's
// key is touched: other projects on the server are not. --keep-source
// keeps them. A SQLite enterprise.db is a local file and is left as is.
func (m *migration) removeSource(ctx context.Context) {
	db, ok := m.s.backend.(storage.Database)
	if !ok {
		return
	}
	if db.Type() != opener.PostgreSQL {
		m.say("%s still holds these milestones; it is no longer the store", EnterpriseDB)
		return
	}
	if m.keepSource {
		m.say("the PostgreSQL database still holds this project's milestones (--keep-source); it is no longer the store")
		return
	}
	n, err := db.DeleteProject(ctx)
	if err != nil {
		m.s.warn(fmt.Sprintf("remove this project's rows from the PostgreSQL database: %v (they are not used; the next migrate into it replaces them)", err))
		return
	}
	m.s.noDBEvents = true // the project's rows are gone: its events go to the file log only
	m.say("removed this project's %d milestone(s) and its events from the PostgreSQL database (project key %s; other projects untouched)", n, db.ProjectKey())
}

// finishInterrupted completes or undoes a migration a killed process left
// (its journal is in the git directory), under the migration lock, before
// this one looks at what it has to do.
func (m *migration) finishInterrupted(ctx context.Context) error {
	if j, err := readJournal(m.s.repo); err != nil || j == nil {
		return err
	}
	msg, err := m.s.finishInterruptedLocked(ctx)
	if err != nil {
		return err
	}
	if msg != "" {
		fmt.Fprintln(m.s.env.Stderr, msg)
	}
	return nil
}
