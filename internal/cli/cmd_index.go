package cli

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// hybridSession opens the session and checks its backend keeps an index.
func hybridSession(ctx context.Context, env *Env) (*session, storage.Indexed, error) {
	s, err := open(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	h, ok := s.backend.(storage.Indexed)
	if !ok {
		s.close()
		return nil, nil, fmt.Errorf("the index belongs to the hybrid backend; this repository uses %s (see `git milestone migrate --to hybrid`)", s.kind)
	}
	if err := h.CheckIndex(ctx); err != nil {
		s.close()
		return nil, nil, err
	}
	return s, h, nil
}

// The subcommands of index.
const (
	indexStatus  = "status"
	indexRefresh = "refresh"
	indexRebuild = "rebuild"
)

func newIndexCommand(env *Env) *cli.Command {
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: "print JSON"}
	action := func(op string) cli.ActionFunc {
		return func(c *cli.Context) error {
			return runIndex(c.Context, env, indexOptions{Op: op, JSON: op == indexStatus && c.Bool("json")})
		}
	}
	return &cli.Command{
		Name:  "index",
		Usage: "the hybrid backend's SQLite index (.milestones/index.db): status, refresh, rebuild",
		Subcommands: []*cli.Command{
			{Name: indexStatus, Usage: "is the index fresh, and if not, why; counts", Flags: []cli.Flag{jsonFlag}, Action: action(indexStatus)},
			{Name: indexRefresh, Usage: "bring the index up to date with the work tree (only what changed)", Action: action(indexRefresh)},
			{Name: indexRebuild, Usage: "rebuild the index from the milestone files", Action: action(indexRebuild)},
		},
	}
}

// indexOptions are index's subcommand and flag.
type indexOptions struct {
	Op   string // status, refresh or rebuild
	JSON bool   // status as JSON
}

// runIndex reports on, refreshes or rebuilds the index of a backend that
// keeps one (storage.Indexed).
func runIndex(ctx context.Context, env *Env, opts indexOptions) error {
	s, h, err := hybridSession(ctx, env)
	if err != nil {
		return err
	}
	defer s.close()
	switch opts.Op {
	case indexStatus:
		st, err := h.IndexStatus(ctx)
		if err != nil {
			return err
		}
		return printIndexStatus(env, st, opts.JSON)
	case indexRefresh:
		rep, err := h.RefreshIndex(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "index refreshed: %d added, %d updated, %d removed\n", len(rep.Added), len(rep.Updated), len(rep.Removed))
		return nil
	case indexRebuild:
		var set func(int)
		finish := func() {}
		progress := func(done, total int) {
			if set == nil {
				set, finish = env.progress("indexing", total)
			}
			set(done)
		}
		if err := h.RebuildIndex(ctx, progress); err != nil {
			return err
		}
		finish()
		st, err := h.IndexStatus(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "index rebuilt: %d milestone(s)\n", st.Milestones)
		return nil
	}
	return refused("index %q: the subcommands are status, refresh, rebuild", opts.Op)
}

// printIndexStatus prints index status, as text or JSON.
func printIndexStatus(env *Env, st storage.IndexStatus, asJSON bool) error {
	if asJSON {
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
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
