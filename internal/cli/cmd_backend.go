package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/dbstore"
)

// backendReport is the `backend --json` object (SPEC section 4).
type backendReport struct {
	Current      string         `json:"current"`
	DatabaseType string         `json:"database_type,omitempty"`
	Configured   string         `json:"configured"`
	Recommended  string         `json:"recommended"`
	Milestones   int            `json:"milestones"`
	Users        int            `json:"users"`
	Thresholds   map[string]int `json:"thresholds"`
	Reasons      []string       `json:"reasons"`
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
	if db, ok := s.backend.(*dbstore.Store); ok {
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
		Usage: "the current backend, the recommended one, and the figures behind the choice",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print a JSON object"}},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "[--json]"); err != nil {
				return err
			}
			s, err := open(c.Context, env)
			if err != nil {
				return err
			}
			defer s.close()
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
			if db, ok := s.backend.(*dbstore.Store); ok {
				rep.DatabaseType = db.Type()
			}
			if c.Bool("json") {
				return writeJSON(env.Stdout, rep)
			}
			fmt.Fprintf(env.Stdout, "current:     %s\n", describe(rep.Current, rep.DatabaseType))
			fmt.Fprintf(env.Stdout, "configured:  %s\n", rep.Configured)
			fmt.Fprintf(env.Stdout, "recommended: %s\n", rep.Recommended)
			for _, r := range reasons {
				fmt.Fprintf(env.Stdout, "  - %s\n", r)
			}
			if rec != s.kind {
				fmt.Fprintf(env.Stdout, "to switch: git milestone migrate --to %s --dry-run\n", rec)
			}
			return nil
		},
	}
}

// autoSwitch moves between file and hybrid by itself when the config says
// backend: auto with auto_migrate, and the open-milestone count crossed
// the file_to_hybrid threshold. Moves into or out of a database are only
// ever made by `migrate`.
func (s *session) autoSwitch(ctx context.Context) {
	if s.cfg.Storage.Backend != config.Auto || !s.cfg.Storage.Migration.AutoMigrate {
		return
	}
	if s.kind != config.File && s.kind != config.Hybrid {
		return
	}
	open, err := s.openCount(ctx)
	if err != nil {
		return
	}
	limit := s.cfg.Storage.Thresholds.MilestoneCount.FileToHybrid
	to := ""
	switch {
	case s.kind == config.File && open >= limit:
		to = config.Hybrid
	case s.kind == config.Hybrid && open < limit:
		to = config.File
	default:
		return
	}
	fmt.Fprintf(s.env.Stderr, "%d open milestones (threshold %d): switching to the %s backend automatically\n", open, limit, to)
	m := &migration{s: s, to: to, backup: s.cfg.Storage.Migration.BackupBeforeMigration, auto: true}
	if err := m.run(ctx); err != nil {
		s.warn(fmt.Sprintf("automatic switch to %s: %v", to, err))
	}
}
