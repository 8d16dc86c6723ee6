package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/history"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/opener"
)

func newHistoryCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "history",
		Usage:     "slip history: every change of due date and status, from git, with totals",
		ArgsUsage: "[ID]",
		Description: `Reads the git history of .milestones/ on the current branch (one git
process) and lists, per milestone, every change of its due date and status:
old and new value, commit, date and author, oldest first, then the totals
("slipped 3 times, 31 days in all"). A milestone is followed across close and
reopen (moves between active/ and completed/) and across renames (mv); it is
shown under its latest id. Creation and removal count as status changes.
ID (a unique prefix of a current id, or any id the milestone ever had)
limits the output to that milestone. --since DATE (YYYY-MM-DD or RFC 3339)
keeps the changes made from then on, and totals those.
--json prints [{"id", "title", "former_ids", "removed", "due", "status",
"changes":[{"id", "field", "old", "new", "days", "commit", "date", "author", "email", "subject"}],
"totals":{"slips", "slip_days", "pull_ins", "pull_in_days", "due_changes", "status_changes"}}].`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "since", Usage: "only changes made on or after this date (YYYY-MM-DD or RFC 3339)"},
			&cli.BoolFlag{Name: "json", Usage: "print a JSON array"},
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 1, "[ID] [--since DATE] [--json]"); err != nil {
				return err
			}
			return runHistory(c.Context, env, historyOptions{ID: c.Args().First(), OneID: c.NArg() == 1,
				Since: c.String("since"), JSON: c.Bool("json")})
		},
	}
}

// historyOptions are history's argument and flags.
type historyOptions struct {
	ID    string // the milestone, when OneID
	OneID bool   // false: every milestone
	Since string // a date or an RFC 3339 time as typed
	JSON  bool
}

// runHistory prints the slip history of one milestone, or of all of them.
func runHistory(ctx context.Context, env *Env, opts historyOptions) error {
	since, err := parseSince(opts.Since)
	if err != nil {
		return err
	}
	repo, err := openRepo(env)
	if err != nil {
		return err
	}
	if kind, _ := config.ReadBackend(repo.WorkTree); kind != "" && !opener.InWorkTree(kind) {
		env.warn("the database is the store in this repository: history shows only what git recorded of .milestones/ (before the move to the database)")
	}
	h, err := mineHead(repo)
	if err != nil {
		return err
	}
	var keep func(*history.Milestone) bool
	if opts.OneID {
		m, err := historyFor(h, opts.ID)
		if err != nil {
			return notInGit(repo, opts.ID, err)
		}
		keep = func(x *history.Milestone) bool { return x == m }
	}
	out := h.Filter(keep, since)
	for _, p := range h.Problems {
		env.warn(p)
	}
	if opts.JSON {
		return writeJSON(env.Stdout, out.Milestones)
	}
	writeHistory(env, out)
	return nil
}

// mineHead reads the slip history of the current branch.
func mineHead(repo *gitrepo.Repo) (*history.History, error) {
	head, err := repo.Head()
	if err != nil {
		return nil, err
	}
	if head.Unborn {
		return history.Mine(repo, "")
	}
	return history.Mine(repo, head.Hash)
}

// parseSince reads --since: a date (midnight, local time) or an instant.
func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil && len(s) == 10 {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, refused("--since %q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)
}

// historyFor finds the milestone arg names: a unique prefix of a current
// id, or exactly an id it had before (a rename) or a removed one's id.
func historyFor(h *history.History, arg string) (*history.Milestone, error) {
	var ids []string
	byID := map[string]*history.Milestone{}
	for _, m := range h.Milestones {
		if !m.Removed {
			ids = append(ids, m.ID)
			byID[m.ID] = m
		}
	}
	id, err := milestone.Resolve(ids, arg)
	if err == nil {
		return byID[id], nil
	}
	var nf *milestone.NotFoundError
	if !errors.As(err, &nf) {
		return nil, err
	}
	if verr := milestone.ValidateID(arg); verr != nil {
		return nil, refused("%v", verr)
	}
	for _, m := range h.Milestones {
		if m.Known(arg) {
			return m, nil
		}
	}
	return nil, err
}

// writeHistory prints the history for people.
func writeHistory(env *Env, h *history.History) {
	if len(h.Milestones) == 0 {
		fmt.Fprintln(env.Stdout, "No changes of due date or status in history.")
		return
	}
	color := env.color()
	paint := func(code, s string) string {
		if color && code != "" {
			return code + s + ansiReset
		}
		return s
	}
	var b strings.Builder
	for i, m := range h.Milestones {
		if i > 0 {
			b.WriteString("\n")
		}
		head := paint(ansiBold, m.ID) + "  " + printable(m.Title)
		if len(m.FormerIDs) > 0 {
			head += "  (formerly " + strings.Join(m.FormerIDs, ", ") + ")"
		}
		if m.Removed {
			head += "  " + paint(ansiDim, "(removed)")
		}
		b.WriteString(head + "\n")
		for _, c := range m.Changes {
			change := historyValue(c.Old) + " → " + historyValue(c.New)
			code := ""
			switch {
			case c.Slipped():
				change += fmt.Sprintf("  (slipped %s)", plural(*c.Days, "day"))
				code = ansiRed
			case c.Days != nil && *c.Days < 0:
				change += fmt.Sprintf("  (pulled in %s)", plural(-*c.Days, "day"))
				code = ansiGreen
			}
			fmt.Fprintf(&b, "  %s  %s  %-6s  %s  %s\n", c.Date.Format(time.DateOnly), paint(ansiYellow, short(c.Commit)),
				c.Field, paint(code, change), printable(c.Author))
		}
		b.WriteString("  " + totalsText(m.Totals) + "\n")
	}
	fmt.Fprint(env.Stdout, b.String())
}

func historyValue(s *string) string {
	if s == nil {
		return "—"
	}
	return printable(*s)
}

// totalsText says "slipped 3 times, 31 days in all; pulled in once, 5 days; 4 status changes".
func totalsText(t history.Totals) string {
	var parts []string
	switch t.Slips {
	case 0:
		parts = append(parts, "never slipped")
	default:
		parts = append(parts, fmt.Sprintf("slipped %s, %s in all", times(t.Slips), plural(t.SlipDays, "day")))
	}
	if t.PullIns > 0 {
		parts = append(parts, fmt.Sprintf("pulled in %s, %s in all", times(t.PullIns), plural(t.PullInDays, "day")))
	}
	parts = append(parts, plural(t.StatusChanges, "status change"))
	return strings.Join(parts, "; ")
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
