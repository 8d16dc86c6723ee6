package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/migrate"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// backendReport is the `backend --json` object (SPEC section 4).
type backendReport struct {
	Current      string `json:"current"`
	DatabaseType string `json:"database_type,omitempty"`
	Configured   string `json:"configured"`
	Recommended  string `json:"recommended"`
	// RecommendedDatabaseType is set when the recommendation is the
	// database: postgresql when more than one person writes (a local
	// SQLite file is not shared by clones), else sqlite.
	RecommendedDatabaseType string         `json:"recommended_database_type,omitempty"`
	Milestones              int            `json:"milestones"`
	Users                   int            `json:"users"`
	Thresholds              map[string]int `json:"thresholds"`
	Reasons                 []string       `json:"reasons"`
}

// recommend picks the backend for a number of open milestones and users.
func recommend(t config.Thresholds, open, users int) (string, []string) {
	mc, uc := t.MilestoneCount, t.ConcurrentUsers
	switch {
	case open < mc.FileToHybrid && users < uc.FileToHybrid:
		return config.File, []string{
			fmt.Sprintf("%d open milestone(s) < %d (file_to_hybrid)", open, mc.FileToHybrid),
			fmt.Sprintf("%d user(s) in 30 days < %d (file_to_hybrid)", users, uc.FileToHybrid)}
	case open < mc.HybridToDatabase && users < uc.HybridToDatabase:
		var r []string
		if open >= mc.FileToHybrid {
			r = append(r, fmt.Sprintf("%d open milestone(s) >= %d (file_to_hybrid)", open, mc.FileToHybrid))
		}
		if users >= uc.FileToHybrid {
			r = append(r, fmt.Sprintf("%d user(s) in 30 days >= %d (file_to_hybrid)", users, uc.FileToHybrid))
		}
		return config.Hybrid, append(r, fmt.Sprintf("below %d open milestones and %d users (hybrid_to_database)", mc.HybridToDatabase, uc.HybridToDatabase))
	}
	var r []string
	if open >= mc.HybridToDatabase {
		r = append(r, fmt.Sprintf("%d open milestone(s) >= %d (hybrid_to_database)", open, mc.HybridToDatabase))
	}
	if users >= uc.HybridToDatabase {
		r = append(r, fmt.Sprintf("%d user(s) in 30 days >= %d (hybrid_to_database)", users, uc.HybridToDatabase))
	}
	return config.Database, r
}

// openCount counts open milestones.
func (s *session) openCount(ctx context.Context) (int, error) {
	recs, _, err := s.backend.List(ctx, storage.Query{})
	return len(recs), err
}

// users counts distinct people who changed milestones in the last 30 days:
// commit authors of .milestones/ in file modes, actors in the database.
func (s *session) users(ctx context.Context) (int, error) {
	since := s.env.Now().Add(-30 * 24 * time.Hour)
	if db, ok := s.backend.(storage.EventStore); ok {
		return db.Actors(ctx, since)
	}
	emails, err := s.repo.AuthorEmails(since, ".milestones")
	if err != nil {
		if head, herr := s.repo.Head(); herr == nil && head.Unborn {
			return 0, nil
		}
		return 0, fmt.Errorf("count users: %w", err)
	}
	seen := map[string]bool{}
	for _, e := range emails {
		seen[strings.ToLower(e)] = true
	}
	return len(seen), nil
}

func newBackendCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "backend",
		Usage: "the current backend, the recommended one, and the figures behind the choice; `backend auto` lets the automatic switch decide again",
		UsageText: `git milestone backend [--json]
   git milestone backend auto   (storage.backend: auto again, after an explicit migrate pinned it)`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print a JSON object"}},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 1, "[auto] [--json]"); err != nil {
				return err
			}
			if a := c.Args().First(); a != "" && a != config.Auto {
				return refused("backend %q: the only argument is auto (to move to a backend: git milestone migrate --to %s)", a, a)
			}
			s, err := open(c.Context, env)
			if err != nil {
				return err
			}
			defer s.close()
			if c.Args().First() == config.Auto {
				return s.setBackendAuto(c.Context)
			}
			open, err := s.openCount(c.Context)
			if err != nil {
				return err
			}
			users, err := s.users(c.Context)
			if err != nil {
				return err
			}
			t := s.cfg.Storage.Thresholds
			rec, reasons := recommend(t, open, users)
			rep := backendReport{Current: s.kind, Configured: s.cfg.Storage.Backend, Recommended: rec,
				Milestones: open, Users: users, Reasons: reasons,
				Thresholds: map[string]int{
					"milestones_file_to_hybrid": t.MilestoneCount.FileToHybrid, "milestones_hybrid_to_database": t.MilestoneCount.HybridToDatabase,
					"users_file_to_hybrid": t.ConcurrentUsers.FileToHybrid, "users_hybrid_to_database": t.ConcurrentUsers.HybridToDatabase,
				}}
			if db, ok := s.backend.(storage.Database); ok {
				rep.DatabaseType = db.Type()
			}
			if rec == config.Database {
				rep.RecommendedDatabaseType = opener.SQLite
				if users > 1 {
					rep.RecommendedDatabaseType = opener.PostgreSQL
					rep.Reasons = append(rep.Reasons, fmt.Sprintf("%d people write: a shared PostgreSQL server, not a local SQLite file (.milestones/enterprise.db is not in git, so clones do not share it)", users))
				} else {
					rep.Reasons = append(rep.Reasons, "one person writes: a local SQLite file fits (.milestones/enterprise.db, not in git; PostgreSQL once others join)")
				}
			}
			if c.Bool("json") {
				return writeJSON(env.Stdout, rep)
			}
			fmt.Fprintf(env.Stdout, "current:     %s\n", describe(rep.Current, rep.DatabaseType))
			fmt.Fprintf(env.Stdout, "configured:  %s\n", rep.Configured)
			fmt.Fprintf(env.Stdout, "recommended: %s\n", describe(rep.Recommended, rep.RecommendedDatabaseType))
			for _, r := range rep.Reasons {
				fmt.Fprintf(env.Stdout, "  - %s\n", r)
			}
			switch {
			case rec == config.Database && (s.kind != config.Database || rep.DatabaseType != rep.RecommendedDatabaseType):
				fmt.Fprintf(env.Stdout, "to switch: git milestone migrate --to database --database-type %s --dry-run\n", rep.RecommendedDatabaseType)
			case rec != s.kind:
				fmt.Fprintf(env.Stdout, "to switch: git milestone migrate --to %s --dry-run\n", rec)
			}
			return nil
		},
	}
}

// autoSwitch moves between file and hybrid by itself when the config says
// backend: auto with auto_migrate. It switches up when the open milestones
// or the people writing reach the file_to_hybrid thresholds, and back down
// only when both are below 80% of them (hysteresis: no flapping at the
// threshold). Each switch is one commit, one event and one line on stderr.
// Moves into or out of a database are only ever made by `migrate`.
func (s *session) autoSwitch(ctx context.Context) {
	if s.cfg.Storage.Backend != config.Auto || !s.cfg.Storage.Migration.AutoMigrate {
		return
	}
	if s.kind != config.File && s.kind != config.Hybrid {
		return
	}
	if j, err := readJournal(s.repo); err != nil {
		return
	} else if j != nil {
		if !fileModes(j.From) || !fileModes(j.To) {
			return // a migration into or out of a database is finished by migrate or fsck --repair
		}
		// An automatic (or manual) file <-> hybrid move was killed: finish
		// or undo it quietly, then decide afresh.
		// (The live backend is what the work tree says: finishing never
		// changes it.)
		if _, err := s.finishInterruptedLocked(ctx); err != nil {
			s.warn(err.Error())
			return
		}
	}
	to, reason, err := s.autoTarget(ctx)
	if err != nil || to == "" {
		return
	}
	mc := s.cfg.Storage.Migration
	m := &migration{s: s, to: to, backup: mc.BackupBeforeMigration, rollback: mc.RollbackOnFailure, auto: true}
	if err := m.run(ctx); err != nil {
		s.warn(fmt.Sprintf("%s: automatic switch to the %s backend failed: %v", reason, to, err))
		return
	}
	where := ""
	if m.result.Commit != "" {
		where = fmt.Sprintf(" (commit %s", short(m.result.Commit))
		if m.result.Branch != "" {
			where += " on " + m.result.Branch
		}
		if m.backupDir != "" {
			where += "; backup " + m.backupDir
		}
		where += ")"
	}
	fmt.Fprintf(s.env.Stderr, "%s: switched to the %s backend automatically%s\n", reason, to, where)
}

// autoTarget decides the automatic switch (migrate.AutoTarget) from this
// repository's figures.
func (s *session) autoTarget(ctx context.Context) (string, string, error) {
	open, err := s.openCount(ctx)
	if err != nil {
		return "", "", err
	}
	return migrate.AutoTarget(s.kind, open, func() (int, error) { return s.users(ctx) }, s.cfg.Storage.Thresholds)
}

// setBackendAuto commits storage.backend: auto, ending the pin an explicit
// migrate set, and lets the automatic switch decide right away.
func (s *session) setBackendAuto(ctx context.Context) error {
	if s.cfg.Storage.Backend == config.Auto {
		fmt.Fprintf(s.env.Stderr, "storage.backend is already auto (backend %s)\n", s.kind)
		return nil
	}
	release, err := lock.Acquire(ctx, s.tree(), MigrationLock, 60*time.Second, s.warn)
	if errors.Is(err, lock.ErrLocked) {
		return fmt.Errorf("a migration is running: %w", err)
	}
	if err != nil {
		return err
	}
	defer release()
	data, err := s.tree().ReadFile(config.ConfigPath)
	if errors.Is(err, os.ErrNotExist) {
		data = []byte(config.DefaultYAML)
	} else if err != nil {
		return err
	}
	out, err := config.SetValues(data, config.Auto, "")
	if err != nil {
		return err
	}
	res, err := opener.Commit(ctx, s.repo, opener.CommitOptions{Getenv: s.env.Getenv, Warn: s.warn},
		"milestone: backend auto\n\nThe automatic file <-> hybrid switch decides again (storage.backend: auto).\n",
		[]storage.Change{{Path: config.ConfigPath, Content: out}})
	if err != nil {
		return err
	}
	release()
	s.cfg.Storage.Backend = config.Auto
	s.logEvent(configChangedEvent, map[string]any{"storage.backend": config.Auto, "was": s.kind})
	s.reportCommit(fmt.Sprintf("storage.backend: auto (backend %s; the automatic switch decides from now on)", s.kind), res)
	s.autoSwitch(ctx)
	return nil
}

// configChangedEvent records a change to storage-config.yaml made by the tool.
const configChangedEvent = "config_changed"

// fileModes reports whether kind keeps the milestones as YAML files.
func fileModes(kind string) bool { return kind == config.File || kind == config.Hybrid }
