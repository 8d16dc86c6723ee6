package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/history"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/report"
	"github.com/git-milestone/git-milestone/internal/storage"
)

func newReportCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "write the roadmap page: one self-contained HTML file (--html -o FILE)",
		Description: `Writes one HTML file that needs nothing else to be read (inline CSS and
SVG, no script, no external URL): a timeline of the open milestones from
start (else creation) to due date with today's line, overdue and at-risk
milestones marked (at risk: a dependency is due after it), dependency
arrows, a burn-up chart (milestones in scope and closed over time, from the
git history; in database mode from created_at and closed_at), and a table
with each milestone's progress, dependencies and flags. Every text from
the documents is HTML-escaped. Without -o the page goes to stdout.
With --all-projects (PostgreSQL database mode) the page has a section per
project of the shared database.`,
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "html", Usage: "write HTML (the one format)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the page to `FILE` (- or none: stdout)"},
			&cli.StringFlag{Name: "title", Usage: "the page title (default: project.name from the config, else the repository folder)"},
			noCacheFlag(),
		}, rollupFlags()...),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "--html [-o FILE] [--title TEXT] [--all-projects [--project KEY|NAME]]"); err != nil {
				return err
			}
			return runReport(c.Context, env, reportOptions{HTML: c.Bool("html"), Output: c.String("output"),
				Title: c.String("title"), NoCache: c.Bool("no-cache"), Rollup: rollupOptionsOf(c)})
		},
	}
}

// reportOptions are report's flags.
type reportOptions struct {
	HTML    bool   // the one format, which must be asked for
	Output  string // the file as typed; "" or "-": stdout
	Title   string // "": the project's name
	NoCache bool
	Rollup  rollupOptions // a section per project of the shared database
}

// runReport writes the roadmap page.
func runReport(ctx context.Context, env *Env, opts reportOptions) error {
	if !opts.HTML {
		return refused("report: say which format: --html (the one there is)")
	}
	var (
		s   *session
		in  report.Input
		err error
	)
	if opts.Rollup.wanted() {
		s, in, err = rollupReportInput(ctx, env, opts.Rollup)
	} else {
		s, in, err = reportInput(ctx, env, opts.NoCache)
	}
	if s != nil {
		defer s.close()
	}
	if err != nil {
		return err
	}
	if opts.Title != "" {
		in.Title = opts.Title
	}
	in.Today = s.today()
	var b bytes.Buffer
	if err := report.Write(&b, in); err != nil {
		return err
	}
	out := opts.Output
	if out == "" || out == "-" {
		_, err := env.Stdout.Write(b.Bytes())
		return err
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(env.Dir, out)
	}
	if err := writeFileAtomic(out, b.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s\n", opts.Output)
	return nil
}

// reportInput reads the repository's milestones for the page, with the
// burn-up and slips from git when the files are the store. The caller
// closes the session, also on an error.
func reportInput(ctx context.Context, env *Env, noCache bool) (*session, report.Input, error) {
	s, err := openReader(ctx, env, noCache)
	if err != nil {
		return nil, report.Input{}, err
	}
	recs, problems, err := s.read.List(ctx, storage.Query{All: true})
	if err != nil {
		return s, report.Input{}, err
	}
	s.warnProblems(problems)
	p := report.Project{Name: projectName(s.repo, s.cfg), Milestones: milestonesOf(recs)}
	if opener.InWorkTree(s.kind) {
		h, err := mineHead(s.repo)
		if err != nil {
			return s, report.Input{}, err
		}
		if pts := h.BurnUp(); len(pts) > 0 {
			p.BurnUp = pts
		}
		p.Slips = map[string]history.Totals{}
		for _, m := range h.Milestones {
			if !m.Removed {
				p.Slips[m.ID] = history.Total(m.Changes)
			}
		}
	}
	return s, report.Input{Projects: []report.Project{p}, Title: p.Name}, nil
}

// rollupReportInput reads every selected project of the shared database
// for the page. The caller closes the session, also on an error.
func rollupReportInput(ctx context.Context, env *Env, opts rollupOptions) (*session, report.Input, error) {
	s, scopes, err := openRollup(ctx, env, opts)
	if err != nil {
		return nil, report.Input{}, err
	}
	groups, err := rollupProjects(ctx, scopes, s.warn)
	if err != nil {
		return s, report.Input{}, err
	}
	in := report.Input{Title: "all projects"}
	for _, g := range groups {
		in.Projects = append(in.Projects, report.Project{Key: g.project.Key, Name: projectLabelName(g.project.Name, g.project.Key),
			Milestones: milestonesOf(g.recs)})
	}
	return s, in, nil
}

func projectLabelName(name, key string) string {
	if name == "" {
		return key
	}
	return name
}
