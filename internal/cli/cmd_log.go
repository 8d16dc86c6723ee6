package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/semdiff"
)

func newLogCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "log",
		Usage:     "the commits that changed one milestone, with their field changes",
		ArgsUsage: "ID",
		Description: `Follows the milestone from HEAD back through history, across moves
between active/ and completed/ and renames (mv), newest first. ID may be a
unique prefix of a current milestone, or the exact id of a removed one.
--json prints [{"commit","author","email","date","subject","id","kind","changes":[...]}].`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print a JSON array"},
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 1, 1, "ID [--json]"); err != nil {
				return err
			}
			repo, err := openRepo(env)
			if err != nil {
				return err
			}
			head, err := repo.Head()
			if err != nil {
				return err
			}
			arg := c.Args().First()
			var ids []string
			if !head.Unborn {
				snap, err := semdiff.TreeSnapshot(repo, head.Hash, "HEAD")
				if err != nil {
					return err
				}
				for _, d := range snap.Docs {
					ids = append(ids, d.ID)
				}
			}
			id, err := milestone.Resolve(ids, arg)
			var nf *milestone.NotFoundError
			if errors.As(err, &nf) {
				if milestone.ValidateID(arg) != nil {
					return refused("%v", milestone.ValidateID(arg))
				}
				id, err = arg, nil // maybe removed: history knows it
			}
			if err != nil {
				return err
			}
			entries, err := semdiff.Log(repo, head.Hash, id)
			if err != nil {
				return err
			}
			if len(entries) == 0 {
				return &milestone.NotFoundError{ID: id}
			}
			if c.Bool("json") {
				return semdiff.WriteLogJSON(env.Stdout, entries)
			}
			writeLog(env, entries)
			return nil
		},
	}
}

// writeLog prints log entries for people.
func writeLog(env *Env, entries []semdiff.LogEntry) {
	color := env.color()
	paint := func(code, s string) string {
		if color {
			return code + s + ansiReset
		}
		return s
	}
	var b strings.Builder
	for i, e := range entries {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s %s  %s <%s>\n", paint(ansiYellow, "commit "+short(e.Commit)), e.Date.Format("2006-01-02 15:04"), e.Author, e.Email)
		fmt.Fprintf(&b, "    %s\n", e.Subject)
		var one strings.Builder
		_ = semdiff.WriteText(&one, []semdiff.Entry{e.Entry}, semdiff.RenderOptions{Color: color})
		// Drop the summary line and blank line WriteText starts with.
		lines := strings.Split(strings.TrimRight(one.String(), "\n"), "\n")
		for _, l := range lines[min(2, len(lines)):] {
			fmt.Fprintf(&b, "    %s\n", l)
		}
		if e.Error != "" {
			fmt.Fprintf(&b, "    %s\n", paint(ansiRed, "cannot compare: "+e.Error))
		}
	}
	fmt.Fprint(env.Stdout, b.String())
}
