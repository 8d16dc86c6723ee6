package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/migrate"
	"github.com/git-milestone/git-milestone/internal/opener"
)

// MigrationLock is held for the whole of a migration, relative to the work tree.
const MigrationLock = migrate.LockFile

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
			return runMigrate(c.Context, env, migrateOptions{To: c.String("to"), DatabaseType: c.String("database-type"),
				DryRun: c.Bool("dry-run"), JSON: c.Bool("json"), NoBackup: c.Bool("no-backup"),
				SkipInvalid: c.Bool("skip-invalid"), KeepSource: c.Bool("keep-source"), Yes: c.Bool("yes")})
		},
	}
}

// migrateOptions are migrate's flags.
type migrateOptions struct {
	To           string // file, hybrid or database
	DatabaseType string // sqlite, postgresql or "" (the config's)
	DryRun       bool   // print the plan; change nothing
	JSON         bool   // the --dry-run plan as JSON
	NoBackup     bool
	SkipInvalid  bool // leave documents that do not parse behind
	KeepSource   bool // leaving PostgreSQL: keep this project's rows there
	Yes          bool // leaving git is confirmed
}

// runMigrate moves every milestone to the backend opts.To names
// (migrate.Migration does the work; this draws it and asks before the
// milestones leave git).
func runMigrate(ctx context.Context, env *Env, opts migrateOptions) error {
	switch opts.To {
	case config.File, config.Hybrid, config.Database:
	default:
		return refused("--to %q is not one of file, hybrid, database", opts.To)
	}
	if opts.DatabaseType != "" && opts.DatabaseType != opener.SQLite && opts.DatabaseType != opener.PostgreSQL {
		return refused("--database-type %q is not one of sqlite, postgresql", opts.DatabaseType)
	}
	s, err := open(ctx, env)
	if err != nil {
		return err
	}
	defer s.close()
	if s.snapshot != nil {
		return errSparse
	}
	mc := s.cfg.Storage.Migration
	if opts.NoBackup && mc.BackupBeforeMigration {
		return refused("--no-backup: the config asks for a backup before every migration (migration.backup_before_migration)")
	}
	if opts.JSON && !opts.DryRun {
		return refused("migrate: --json goes with --dry-run")
	}
	mo := s.migrationOptions()
	mo.To, mo.ToType = opts.To, opts.DatabaseType
	mo.Backup, mo.Rollback = mc.BackupBeforeMigration && !opts.NoBackup, mc.RollbackOnFailure
	mo.SkipInvalid, mo.KeepSource = opts.SkipInvalid, opts.KeepSource
	if !opts.DryRun {
		if err := s.finishInterruptedMigration(ctx); err != nil {
			return err
		}
	}
	m := migrate.New(mo)
	if m.AlreadyThere() {
		fmt.Fprintf(env.Stderr, "already on the %s backend: nothing to do\n", m.Source())
		return nil
	}
	if !opts.DryRun && !opts.Yes && m.LeavesGit() {
		if err := confirmLeavingGit(env, m.LeavingGitNotice()); err != nil {
			return err
		}
	}
	release, err := m.Lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	recs, problems, err := m.ReadSource(ctx)
	if err != nil {
		return s.invalidRefused(err)
	}
	if opts.DryRun {
		return printPlan(env, opts.JSON, m, m.Plan(len(recs), len(problems)))
	}
	out, err := m.Run(ctx, recs, problems)
	if err != nil {
		return err
	}
	s.reportCommit(fmt.Sprintf("Migrated %d milestone(s) from %s to %s", out.Milestones, m.Source(), m.Target()), out.Result)
	if m.Pins() {
		fmt.Fprintf(env.Stderr, "storage.backend is now %s: the automatic switch stays off until `git milestone backend auto`\n", opts.To)
	}
	return nil
}

// migrationOptions are the migrate.Options of a migration from s's live
// backend: its events, warnings, progress and crash points go through s.
func (s *session) migrationOptions() migrate.Options {
	env := s.env
	return migrate.Options{Repo: s.repo, Config: s.cfg, From: s.kind, Source: s.backend,
		Getenv: env.Getenv, Now: env.Now, CacheDir: s.cacheDir(),
		Hooks: migrate.Hooks{
			Say:           func(msg string) { fmt.Fprintln(env.Stderr, msg) },
			Warn:          s.warn,
			Progress:      env.progress,
			Event:         s.logEvent,
			SourceRemoved: func() { s.noDBEvents = true },
			Prepare:       s.ensureDrivers,
			Step:          env.MigrationStep,
		}}
}

// invalidRefused names on stderr each document that keeps a migration
// from reading its source and refuses it (exit 2); other errors pass.
func (s *session) invalidRefused(err error) error {
	var inv *migrate.InvalidError
	if !errors.As(err, &inv) {
		return err
	}
	for _, p := range inv.Problems {
		fmt.Fprintf(s.env.Stderr, "%v\n", p.Err)
	}
	return &refusedError{err}
}

// printPlan is --dry-run: the steps of the migration, as text or JSON.
func printPlan(env *Env, asJSON bool, m *migrate.Migration, p migrate.Plan) error {
	out := env.Stdout
	if asJSON {
		return writeJSON(out, map[string]any{"from": p.From, "to": p.To, "milestones": p.Milestones, "steps": p.Steps, "invalid": p.Invalid})
	}
	fmt.Fprintf(out, "plan: migrate %d milestone(s) from %s to %s\n", p.Milestones, p.From, p.To)
	for i, st := range p.Steps {
		fmt.Fprintf(out, "  %d. %s\n", i+1, st)
	}
	if p.Pins {
		fmt.Fprintf(out, "  the switch commit also sets storage.backend: %s (the automatic switch stays off until `git milestone backend auto`)\n", m.Target())
	}
	if p.LeavesGit {
		fmt.Fprint(out, m.LeavingGitNotice())
	}
	if p.Invalid > 0 {
		fmt.Fprintf(out, "  %d invalid document(s) would be left behind\n", p.Invalid)
	}
	return nil
}

// progress draws a bar of total items on a terminal's stderr.
func (env *Env) progress(what string, total int) (func(done int), func()) {
	if !env.StderrTTY || total == 0 {
		return func(int) {}, func() {}
	}
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(env.Stderr),
		progressbar.OptionSetDescription(what), progressbar.OptionClearOnFinish())
	return func(done int) { bar.Set(done) }, func() { bar.Finish() }
}

// logEvent appends one event (and, in database mode, to the events table).
func (s *session) logEvent(name string, details map[string]any) {
	s.appendEvents("", eventlog.Event{Timestamp: s.env.Now(), Event: name, Backend: s.kind, Details: details})
}

// confirmLeavingGit asks before the milestones leave git: on a terminal it
// asks; otherwise --yes is required (refused, exit 2, without it).
func confirmLeavingGit(env *Env, notice string) error {
	fmt.Fprint(env.Stderr, notice)
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
