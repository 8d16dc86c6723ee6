package cli

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/history"
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
			if !c.Bool("html") {
				return refused("report: say which format: --html (the one there is)")
			}
			var (
				s   *session
				in  report.Input
				err error
			)
			if wantsRollup(c) {
				var scopes []projectScope
				if s, scopes, err = openRollup(c, env); err != nil {
					return err
				}
				defer s.close()
				groups, err := rollupProjects(c, scopes, s.warn)
				if err != nil {
					return err
				}
				for _, g := range groups {
					in.Projects = append(in.Projects, report.Project{Key: g.project.Key, Name: projectLabelName(g.project.Name, g.project.Key),
						Milestones: milestonesOf(g.recs)})
				}
				in.Title = "all projects"
			} else {
				if s, err = openReader(c.Context, env, c.Bool("no-cache")); err != nil {
					return err
				}
				defer s.close()
				recs, problems, err := s.read.List(c.Context, storage.Query{All: true})
				if err != nil {
					return err
				}
				s.warnProblems(problems)
				p := report.Project{Name: projectName(s.repo, s.cfg), Milestones: milestonesOf(recs)}
				if s.kind != config.Database {
					h, err := mineHead(s.repo)
					if err != nil {
						return err
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
				in.Projects = []report.Project{p}
				in.Title = p.Name
			}
			if t := c.String("title"); t != "" {
				in.Title = t
			}
			in.Today = s.today()
			var b bytes.Buffer
			if err := report.Write(&b, in); err != nil {
				return err
			}
			out := c.String("output")
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
			fmt.Fprintf(env.Stderr, "wrote %s\n", c.String("output"))
			return nil
		},
	}
}

func projectLabelName(name, key string) string {
	if name == "" {
		return key
	}
	return name
}
