package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/migrate"
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
			return runBackend(c.Context, env, backendOptions{Auto: c.Args().First() == config.Auto, JSON: c.Bool("json")})
		},
	}
}

// backendOptions are backend's argument and flag.
type backendOptions struct {
	Auto bool // `backend auto`: storage.backend: auto again
	JSON bool
}

// runBackend prints the current and the recommended backend with the
// figures behind them, or (opts.Auto) unpins the backend.
func runBackend(ctx context.Context, env *Env, opts backendOptions) error {
	s, err := open(ctx, env)
	if err != nil {
		return err
	}
	defer s.close()
	if opts.Auto {
		return s.setBackendAuto(ctx)
	}
	open, err := migrate.OpenCount(ctx, s.backend)
	if err != nil {
		return err
	}
	users, err := migrate.RecentUsers(ctx, s.repo, s.backend, s.env.Now())
	if err != nil {
		return err
	}
	t := s.cfg.Storage.Thresholds
	rec := migrate.Recommend(t, open, users)
	rep := backendReport{Current: s.kind, Configured: s.cfg.Storage.Backend, Recommended: rec.Kind,
		RecommendedDatabaseType: rec.DatabaseType, Milestones: open, Users: users, Reasons: rec.Reasons,
		Thresholds: map[string]int{
			"milestones_file_to_hybrid": t.MilestoneCount.FileToHybrid, "milestones_hybrid_to_database": t.MilestoneCount.HybridToDatabase,
			"users_file_to_hybrid": t.ConcurrentUsers.FileToHybrid, "users_hybrid_to_database": t.ConcurrentUsers.HybridToDatabase,
		}}
	if db, ok := s.backend.(storage.Database); ok {
		rep.DatabaseType = db.Type()
	}
	if opts.JSON {
		return writeJSON(env.Stdout, rep)
	}
	fmt.Fprintf(env.Stdout, "current:     %s\n", migrate.Describe(rep.Current, rep.DatabaseType))
	fmt.Fprintf(env.Stdout, "configured:  %s\n", rep.Configured)
	fmt.Fprintf(env.Stdout, "recommended: %s\n", migrate.Describe(rep.Recommended, rep.RecommendedDatabaseType))
	for _, r := range rep.Reasons {
		fmt.Fprintf(env.Stdout, "  - %s\n", r)
	}
	switch {
	case rec.Kind == config.Database && (s.kind != config.Database || rep.DatabaseType != rep.RecommendedDatabaseType):
		fmt.Fprintf(env.Stdout, "to switch: git milestone migrate --to database --database-type %s --dry-run\n", rep.RecommendedDatabaseType)
	case rec.Kind != s.kind:
		fmt.Fprintf(env.Stdout, "to switch: git milestone migrate --to %s --dry-run\n", rec.Kind)
	}
	return nil
}

// autoSwitch runs the automatic file <-> hybrid switch after a change
// (migrate.Auto decides and moves): one line on stderr when it switched,
// a warning when it failed.
func (s *session) autoSwitch(ctx context.Context) {
	line, err := migrate.Auto(ctx, s.migrationOptions())
	if err != nil {
		var inv *migrate.InvalidError
		if errors.As(err, &inv) {
			for _, p := range inv.Problems {
				fmt.Fprintf(s.env.Stderr, "%v\n", p.Err)
			}
		}
		s.warn(err.Error())
		return
	}
	if line != "" {
		fmt.Fprintln(s.env.Stderr, line)
	}
}

// setBackendAuto commits storage.backend: auto, ending the pin an explicit
// migrate set, and lets the automatic switch decide right away.
func (s *session) setBackendAuto(ctx context.Context) error {
	if s.cfg.Storage.Backend == config.Auto {
		fmt.Fprintf(s.env.Stderr, "storage.backend is already auto (backend %s)\n", s.kind)
		return nil
	}
	res, err := migrate.Unpin(ctx, s.repo, s.env.Getenv, s.warn)
	if err != nil {
		return err
	}
	s.cfg.Storage.Backend = config.Auto
	s.logEvent(configChangedEvent, map[string]any{"storage.backend": config.Auto, "was": s.kind})
	s.reportCommit(fmt.Sprintf("storage.backend: auto (backend %s; the automatic switch decides from now on)", s.kind), res)
	s.autoSwitch(ctx)
	return nil
}

// configChangedEvent records a change to storage-config.yaml made by the tool.
const configChangedEvent = "config_changed"
