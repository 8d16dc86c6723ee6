package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/depgraph"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

func newGraphCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "graph",
		Usage: "the dependency graph (Graphviz DOT or Mermaid), or the critical path to a milestone",
		Description: `Draws an edge from each dependency to the milestone that depends on it
(depends_on): open milestones and what they depend on, or every milestone
with --all. Closed dependencies are grey and dashed; ids that name no
milestone are red and dotted.
  git milestone graph | dot -Tsvg > graph.svg
  git milestone graph --format mermaid     (paste into Markdown)
--critical-path ID prints the chain of open dependencies that ends at ID
and finishes last (at each step the dependency whose own chain reaches the
latest due date); a step due after the milestone that depends on it is
flagged AT RISK.
--json prints {"nodes":[{"id", "title", "status", "due", "closed", "missing"}],
"edges":[{"from", "to", "closed", "missing"}]}, or with --critical-path
{"target", "steps":[{"id", "title", "status", "due", "overdue", "at_risk"}], "at_risk", "finish"}.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "dot", Usage: "dot (Graphviz) or mermaid"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "include every closed milestone, not only those open ones depend on"},
			&cli.StringFlag{Name: "critical-path", Usage: "print the critical path to this milestone `ID` instead"},
			&cli.BoolFlag{Name: "json", Usage: "print a JSON object"},
			noCacheFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "[--format dot|mermaid] [--all] [--critical-path ID] [--json]"); err != nil {
				return err
			}
			return runGraph(c.Context, env, graphOptions{Format: c.String("format"), All: c.Bool("all"),
				CriticalPath: c.String("critical-path"), CriticalPathSet: c.IsSet("critical-path"),
				JSON: c.Bool("json"), NoCache: c.Bool("no-cache")})
		},
	}
}

// graphOptions are graph's flags.
type graphOptions struct {
	Format          string // dot or mermaid
	All             bool   // every closed milestone too
	CriticalPath    string // the milestone (id or prefix as typed), when CriticalPathSet
	CriticalPathSet bool
	JSON, NoCache   bool
}

// runGraph prints the dependency graph, or the critical path to a milestone.
func runGraph(ctx context.Context, env *Env, opts graphOptions) error {
	if opts.Format != "dot" && opts.Format != "mermaid" {
		return refused("--format %q is not one of dot, mermaid", opts.Format)
	}
	s, err := openReader(ctx, env, opts.NoCache)
	if err != nil {
		return err
	}
	defer s.close()
	g, problems, err := loadGraph(ctx, s.read)
	if err != nil {
		return err
	}
	s.warnProblems(problems)
	if opts.CriticalPathSet {
		id, err := s.resolve(ctx, opts.CriticalPath)
		if err != nil {
			return err
		}
		p, err := g.CriticalPath(id, s.today())
		if err != nil {
			return err
		}
		if opts.JSON {
			return writeJSON(env.Stdout, p)
		}
		writeCriticalPath(env, p)
		return nil
	}
	v := g.View(opts.All)
	switch {
	case opts.JSON:
		return writeJSON(env.Stdout, v)
	case opts.Format == "mermaid":
		return depgraph.WriteMermaid(env.Stdout, v)
	}
	return depgraph.WriteDOT(env.Stdout, v)
}

// loadGraph reads every milestone, open and closed, into a graph.
func loadGraph(ctx context.Context, r storage.Reader) (*depgraph.Graph, []storage.Problem, error) {
	recs, problems, err := r.List(ctx, storage.Query{All: true})
	if err != nil {
		return nil, nil, err
	}
	return depgraph.New(milestonesOf(recs)), problems, nil
}

func milestonesOf(recs []storage.Record) []milestone.Milestone {
	ms := make([]milestone.Milestone, len(recs))
	for i, r := range recs {
		ms[i] = r.Milestone
	}
	return ms
}

// writeCriticalPath prints a critical path for people.
func writeCriticalPath(env *Env, p depgraph.Path) {
	color := env.color()
	paint := func(code, s string) string {
		if color && code != "" {
			return code + s + ansiReset
		}
		return s
	}
	head := "Critical path to " + p.Target
	if p.Finish != "" {
		head += " (finishes " + p.Finish + ")"
	}
	if p.AtRisk {
		head += ": " + paint(ansiRed, "AT RISK")
	}
	fmt.Fprintln(env.Stdout, head)
	width := 0
	for _, st := range p.Steps {
		width = max(width, len(st.ID))
	}
	for i, st := range p.Steps {
		due := st.Due
		if due == "" {
			due = "no due date"
		}
		var notes []string
		if st.Overdue {
			notes = append(notes, paint(ansiRed, "overdue"))
		}
		if st.AtRisk {
			next := p.Steps[i+1]
			notes = append(notes, paint(ansiRed, fmt.Sprintf("AT RISK: due after %s (%s)", next.ID, next.Due)))
		}
		line := fmt.Sprintf("  %-*s  %-11s  %-9s  %s", width, st.ID, due, st.Status, printable(st.Title))
		if len(notes) > 0 {
			line += "  " + strings.Join(notes, ", ")
		}
		fmt.Fprintln(env.Stdout, line)
	}
}

// depFlags are list's dependency filters.
func depFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "ready", Usage: "only open milestones whose dependencies are all closed"},
		&cli.BoolFlag{Name: "blocked", Usage: "only open milestones waiting for a dependency that is not closed"},
	}
}

// listByDeps answers list --ready / --blocked: the milestones q selects
// that are ready (or blocked), q's order kept and its limit applied after
// the filter.
func listByDeps(ctx context.Context, r storage.Reader, q storage.Query, ready, blocked bool) ([]storage.Record, []storage.Problem, error) {
	if ready && blocked {
		return nil, nil, refused("--ready and --blocked exclude each other")
	}
	g, problems, err := loadGraph(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	limit := q.Limit
	q.Limit = 0
	recs, _, err := r.List(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	out := []storage.Record{}
	for _, rec := range recs {
		id := rec.Milestone.ID
		if ready && g.Ready(id) || blocked && g.Blocked(id) {
			out = append(out, rec)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, problems, nil
}
