package cli

import (
	"context"
	"fmt"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// openIndex opens repo's hybrid store and its index (as a reader). warn
// receives the file store's warnings; indexWarn the index's own (nil:
// none, for callers whose point is to build it). The caller closes the
// store.
func openIndex(ctx context.Context, repo *gitrepo.Repo, env *Env, warn, indexWarn func(string)) (opener.HybridBackend, storage.Reader, error) {
	st, err := opener.Hybrid(ctx, repo, openerOptions(env, warn), indexWarn)
	if err != nil {
		return nil, nil, err
	}
	ix, err := st.IndexReader(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, ix, nil
}

// hybridSession opens the session and checks its backend keeps an index.
func hybridSession(c *cli.Context, env *Env) (*session, storage.Indexed, error) {
	s, err := open(c.Context, env)
	if err != nil {
		return nil, nil, err
	}
	h, ok := s.backend.(storage.Indexed)
	if !ok {
		s.close()
		return nil, nil, fmt.Errorf("the index belongs to the hybrid backend; this repository uses %s (see `git milestone migrate --to hybrid`)", s.kind)
	}
	if err := h.CheckIndex(c.Context); err != nil {
		s.close()
		return nil, nil, err
	}
	return s, h, nil
}

func newIndexCommand(env *Env) *cli.Command {
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: "print JSON"}
	return &cli.Command{
		Name:  "index",
		Usage: "the hybrid backend's SQLite index (.milestones/index.db): status, refresh, rebuild",
		Subcommands: []*cli.Command{
			{
				Name:  "status",
				Usage: "is the index fresh, and if not, why; counts",
				Flags: []cli.Flag{jsonFlag},
				Action: func(c *cli.Context) error {
					s, h, err := hybridSession(c, env)
					if err != nil {
						return err
					}
					defer s.close()
					st, err := h.IndexStatus(c.Context)
					if err != nil {
						return err
					}
					if c.Bool("json") {
						problems := make([]string, len(st.Problems))
						for i, p := range st.Problems {
							problems[i] = p.Err.Error()
						}
						return writeJSON(env.Stdout, map[string]any{
							"path": st.Path, "schema_version": st.SchemaVersion, "fresh": st.Fresh, "rescan": st.Rescan,
							"added": nonNilStrings(st.Added), "changed": nonNilStrings(st.Changed), "removed": nonNilStrings(st.Removed),
							"files": st.Files, "milestones": st.Milestones, "problems": problems, "racy": st.Racy,
						})
					}
					state := "fresh"
					if !st.Fresh {
						state = "stale"
					}
					fmt.Fprintf(env.Stdout, "index %s: %s (schema %d), %d milestone(s) in %d file(s)\n", st.Path, state, st.SchemaVersion, st.Milestones, st.Files)
					for _, l := range []struct {
						what  string
						paths []string
					}{{"added", st.Added}, {"changed", st.Changed}, {"removed", st.Removed}} {
						for _, p := range l.paths {
							fmt.Fprintf(env.Stdout, "  %-8s %s\n", l.what, p)
						}
					}
					if st.Rescan {
						fmt.Fprintln(env.Stdout, "  a milestone folder changed since it was last listed")
					}
					for _, p := range st.Problems {
						fmt.Fprintf(env.Stdout, "  problem  %v\n", p.Err)
					}
					return nil
				},
			},
			{
				Name:  "refresh",
				Usage: "bring the index up to date with the work tree (only what changed)",
				Action: func(c *cli.Context) error {
					s, h, err := hybridSession(c, env)
					if err != nil {
						return err
					}
					defer s.close()
					rep, err := h.RefreshIndex(c.Context)
					if err != nil {
						return err
					}
					fmt.Fprintf(env.Stderr, "index refreshed: %d added, %d updated, %d removed\n", len(rep.Added), len(rep.Updated), len(rep.Removed))
					return nil
				},
			},
			{
				Name:  "rebuild",
				Usage: "rebuild the index from the milestone files",
				Action: func(c *cli.Context) error {
					s, h, err := hybridSession(c, env)
					if err != nil {
						return err
					}
					defer s.close()
					var bar *progressbar.ProgressBar
					progress := func(done, total int) {
						if !env.StderrTTY {
							return
						}
						if bar == nil {
							bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(env.Stderr),
								progressbar.OptionSetDescription("indexing"), progressbar.OptionClearOnFinish())
						}
						bar.Set(done)
					}
					if err := h.RebuildIndex(c.Context, progress); err != nil {
						return err
					}
					if bar != nil {
						bar.Finish()
					}
					st, err := h.IndexStatus(c.Context)
					if err != nil {
						return err
					}
					fmt.Fprintf(env.Stderr, "index rebuilt: %d milestone(s)\n", st.Milestones)
					return nil
				},
			},
		},
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
