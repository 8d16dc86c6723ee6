package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/semdiff"
)

func newDiffCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "what changed in the milestones, field by field, between revisions or in the work tree",
		ArgsUsage: "[REV | REV..REV | REV...REV]",
		Description: `With no argument: the work tree (staged and unstaged edits) against HEAD.
REV: the work tree against REV. A..B: revision A against B. A...B: B
against its merge base with A (what a pull request from B into A changes).

Each milestone is added, modified, closed, reopened, removed or renamed,
with its field changes (a due date that moved says by how many days).
--format text (default; coloured on a terminal), markdown (for a pull-request
comment) or json ([{"id","kind","changes":[{"field","old","new"}]}]).
Text and Markdown leave out updated_at; JSON has every field.
Documents that cannot be read at a revision are named on stderr and skipped.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "text, markdown or json"},
			&cli.BoolFlag{Name: "json", Usage: "same as --format json"},
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 1, "[REV | REV..REV | REV...REV] [--format text|markdown|json]"); err != nil {
				return err
			}
			opts := diffOptions{Rev: c.Args().First(), Format: c.String("format")}
			if c.Bool("json") {
				opts.Format = "json"
			}
			return runDiff(env, opts)
		},
	}
}

// diffOptions are diff's argument and flags.
type diffOptions struct {
	Rev    string // "", REV, A..B or A...B
	Format string // text, markdown (md) or json
}

// runDiff prints the semantic difference opts.Rev names.
func runDiff(env *Env, opts diffOptions) error {
	formatName := opts.Format
	switch formatName {
	case "text", "markdown", "md", "json":
	default:
		return refused("--format %q is not one of text, markdown, json", formatName)
	}
	repo, err := openRepo(env)
	if err != nil {
		return err
	}
	// Outside a sparse checkout the work tree's milestones are HEAD's.
	repo, cleanup, err := sparseSnapshot(repo)
	if err != nil {
		return err
	}
	if cleanup != nil {
		defer cleanup()
	}
	old, new, label, err := diffSnapshots(repo, opts.Rev)
	if err != nil {
		return err
	}
	entries, problems := semdiff.Compare(old, new)
	for _, p := range problems {
		fmt.Fprintf(env.Stderr, "warning: %s\n", p.Error())
	}
	opt := semdiff.RenderOptions{Range: label, Color: env.color()}
	switch formatName {
	case "json":
		return semdiff.WriteJSON(env.Stdout, entries)
	case "markdown", "md":
		return semdiff.WriteMarkdown(env.Stdout, entries, problems, opt)
	}
	return semdiff.WriteText(env.Stdout, entries, opt)
}

// diffSnapshots reads the two states the argument names, and a label for
// the summary.
func diffSnapshots(repo *gitrepo.Repo, arg string) (old, new *semdiff.Snapshot, label string, err error) {
	tree := func(rev string) (*semdiff.Snapshot, error) {
		id, err := resolveRev(repo, rev)
		if err != nil {
			return nil, err
		}
		return semdiff.TreeSnapshot(repo, id, rev)
	}
	work := func() (*semdiff.Snapshot, error) { return semdiff.WorkTreeSnapshot(repo.WorkTree) }
	orHead := func(s string) string {
		if s == "" {
			return "HEAD"
		}
		return s
	}
	switch {
	case arg == "":
		if old, err = tree("HEAD"); err == nil {
			new, err = work()
		}
		return old, new, "HEAD → work tree", err
	case strings.Contains(arg, "..."):
		a, b, _ := strings.Cut(arg, "...")
		a, b = orHead(a), orHead(b)
		ida, err := resolveRev(repo, a)
		if err != nil {
			return nil, nil, "", err
		}
		idb, err := resolveRev(repo, b)
		if err != nil {
			return nil, nil, "", err
		}
		mb, err := repo.MergeBase(ida, idb)
		if err != nil {
			return nil, nil, "", err
		}
		if mb == "" {
			return nil, nil, "", fmt.Errorf("%s and %s have no common ancestor: compare them with %s..%s", a, b, a, b)
		}
		if old, err = semdiff.TreeSnapshot(repo, mb, "merge base of "+a+" and "+b); err == nil {
			new, err = semdiff.TreeSnapshot(repo, idb, b)
		}
		return old, new, arg, err
	case strings.Contains(arg, ".."):
		a, b, _ := strings.Cut(arg, "..")
		a, b = orHead(a), orHead(b)
		if old, err = tree(a); err == nil {
			new, err = tree(b)
		}
		return old, new, a + ".." + b, err
	}
	if old, err = tree(arg); err == nil {
		new, err = work()
	}
	return old, new, arg + " → work tree", err
}

// resolveRev resolves a revision to a commit ("" for an unborn HEAD);
// an unknown one is refused.
func resolveRev(repo *gitrepo.Repo, rev string) (string, error) {
	id, err := repo.ResolveCommit(rev)
	if errors.Is(err, gitrepo.ErrUnknownRevision) {
		return "", refused("%v (see `git milestone diff --help`)", err)
	}
	if err == nil && id == "" && rev != "HEAD" && rev != "@" {
		return "", refused("unknown revision %q: the branch has no commits yet", rev)
	}
	return id, err
}
