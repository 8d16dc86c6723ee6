package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/merge"
)

func newMergeDriverCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "merge-driver",
		Usage:     "merge one milestone document field by field (what git runs as merge.milestone.driver)",
		ArgsUsage: "BASE OURS THEIRS [PATH]",
		Description: `git runs 'git-milestone merge-driver %O %A %B %P' for files with the
merge=milestone attribute (set up by init). The result is written into OURS.
Exit status 0: merged cleanly; 1: conflicts were left in the file between
standard markers (git then reports the file as conflicted).

Rules (SPEC section 10): a field changed on one side takes that side;
changed differently on both sides is a conflict; labels and depends_on merge
as sets (removals kept); created_at keeps the oldest, updated_at the latest;
closed_at follows status; description merges line by line. A version that
does not parse is merged line by line, like 'git merge-file', and the merge
is reported as a conflict. Binary data (NUL bytes, invalid UTF-8) or a
version over 4 MiB is not merged at all: OURS is kept as it is and the exit
status is 1, so git reports the conflict.`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "marker-size", Usage: "length of the conflict markers (git's %L)"},
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 3, 4, "BASE OURS THEIRS [PATH]"); err != nil {
				return err
			}
			args := c.Args().Slice()
			opts := mergeDriverOptions{Base: args[0], Ours: args[1], Theirs: args[2], Path: args[1], MarkerSize: c.Int("marker-size")}
			if len(args) == 4 {
				opts.Path = args[3]
			}
			return runMergeDriver(c.Context, env, opts)
		},
	}
}

// mergeDriverOptions are merge-driver's arguments (git's %O %A %B %P) and flag.
type mergeDriverOptions struct {
	Base, Ours, Theirs string // the three versions' files; the result replaces Ours
	Path               string // the document's path in the repository, for messages
	MarkerSize         int    // git's %L; 0: the default
}

// runMergeDriver merges one milestone document field by field into
// opts.Ours; it fails (exit 1, silently) when conflicts are left in it.
func runMergeDriver(ctx context.Context, env *Env, opts mergeDriverOptions) error {
	var srcs [3][]byte
	for i, f := range []string{opts.Base, opts.Ours, opts.Theirs} {
		b, err := os.ReadFile(argFile(env, f))
		if err != nil {
			return fmt.Errorf("merge-driver %s: %w", opts.Path, asTyped(err, f))
		}
		srcs[i] = b
	}
	res := merge.MergeWith(srcs[0], srcs[1], srcs[2], opts.Path, merge.Options{MarkerSize: opts.MarkerSize})
	ours := argFile(env, opts.Ours)
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(ours); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.WriteFile(ours, res.Content, mode); err != nil {
		return fmt.Errorf("merge-driver %s: write result: %w", opts.Path, asTyped(err, opts.Ours))
	}
	for _, n := range res.Notes {
		fmt.Fprintf(env.Stderr, "git-milestone: %s\n", n)
	}
	if res.Clean() {
		return nil
	}
	for _, cf := range res.Conflicts {
		fmt.Fprintf(env.Stderr, "git-milestone: conflict in %s: %s\n", opts.Path, cf.Msg)
	}
	return &silentError{code: ExitFailed}
}
