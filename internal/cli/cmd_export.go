package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/transfer"
)

func newExportCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write every milestone (open and closed) as JSON, CSV, iCalendar or Markdown, or as GitHub/GitLab API bodies",
		Description: `--format json      what 'list --all --json' prints; 'import --from json' takes it back unchanged
--format csv       RFC 4180, a header row; labels and depends_on joined with ';'
--format ics       RFC 5545: one all-day event per milestone with a due date, UIDs stable across runs
--format markdown  a table
--to github        bodies for 'gh api --method POST repos/OWNER/REPO/milestones' (PATCH .../milestones/NUMBER where "number" is known)
--to gitlab        bodies for POST /projects/:id/milestones (PUT .../milestones/:id where "id" is known)
Each body carries "x_id", the milestone's id here: add it to the API's answer and 'import --from github|gitlab'
links the two. Nothing is sent anywhere: the output goes to stdout or -o FILE.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "json, csv, ics or markdown"},
			&cli.StringFlag{Name: "to", Usage: "github or gitlab: request bodies for their REST API"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to FILE instead of stdout"},
			noCacheFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "--format json|csv|ics|markdown | --to github|gitlab [-o FILE]"); err != nil {
				return err
			}
			return runExport(c.Context, env, exportOptions{Format: c.String("format"), To: c.String("to"),
				Output: c.String("output"), NoCache: c.Bool("no-cache")})
		},
	}
}

// exportOptions are export's flags.
type exportOptions struct {
	Format  string // json, csv, ics, markdown (md); or
	To      string // github, gitlab: API request bodies
	Output  string // the file as typed; "": stdout
	NoCache bool
}

// check refuses a missing, unknown or doubled format.
func (o exportOptions) check() error {
	switch {
	case o.Format != "" && o.To != "":
		return refused("export: --format and --to exclude each other")
	case o.Format == "" && o.To == "":
		return refused("export: say --format json|csv|ics|markdown or --to github|gitlab")
	}
	switch o.Format {
	case "", "json", "csv", "ics", "markdown", "md":
	default:
		return refused("--format %q is not one of json, csv, ics, markdown", o.Format)
	}
	switch o.To {
	case "", "github", "gitlab":
	default:
		return refused("--to %q is not one of github, gitlab", o.To)
	}
	return nil
}

// runExport writes every milestone in the format opts names, to stdout or
// a file; nothing at all when a document cannot be read.
func runExport(ctx context.Context, env *Env, opts exportOptions) error {
	if err := opts.check(); err != nil {
		return err
	}
	s, err := openReader(ctx, env, opts.NoCache)
	if err != nil {
		return err
	}
	defer s.close()
	recs, problems, err := s.read.List(ctx, storage.Query{All: true})
	if err != nil {
		return err
	}
	if err := s.problemsError(problems); err != nil {
		return err // no partial export
	}
	ms := milestonesOf(recs)
	var out bytes.Buffer
	switch {
	case opts.To != "":
		err = writeJSON(&out, transfer.ExportRemote(ms, transfer.Remote(opts.To)))
	case opts.Format == "json":
		err = writeRecordsJSON(&out, recs)
	case opts.Format == "csv":
		err = transfer.WriteCSV(&out, ms)
	case opts.Format == "ics":
		domain := "git-milestone"
		if key, kerr := projectKey(s.repo, s.cfg); kerr == nil && len(key) >= 12 {
			domain = key[:12] + ".git-milestone"
		}
		err = transfer.WriteICS(&out, ms, transfer.ICSOptions{UIDDomain: domain,
			Name: filepath.Base(s.repo.WorkTree) + " milestones", Now: env.Now()})
	default:
		err = transfer.WriteMarkdown(&out, ms)
	}
	if err != nil {
		return err
	}
	if opts.Output == "" {
		_, err = env.Stdout.Write(out.Bytes())
		return err
	}
	file := opts.Output
	if !filepath.IsAbs(file) {
		file = filepath.Join(env.Dir, file)
	}
	if err := writeFileAtomic(file, out.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "Exported %d milestone(s) to %s\n", len(recs), opts.Output)
	return nil
}

// writeFileAtomic replaces file, a path the user chose (export -o,
// report -o), with data atomically, mode 0644.
func writeFileAtomic(file string, data []byte) error {
	return safefs.WriteFile(file, data, safefs.FileOptions{Perm: 0o644, Chmod: true})
}
