package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/resolve"
)

func newResolveCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "resolve",
		Usage:     "settle milestone conflicts in a stopped merge, rebase, cherry-pick or revert",
		ArgsUsage: " ",
		Description: `When one branch closes, reopens or renames (mv) a milestone and the other
edits it, git may stop with a modify/delete conflict on the old path (its
rename detection needs the two files to be half alike). resolve merges the
edit into the moved document field by field, with the merge driver's rules,
stages it and removes the stale path. Fields both sides changed differently
stay between conflict markers for you to settle (then git add the file).
Then finish with git commit, or git rebase/cherry-pick/revert --continue.

Exit status: 0 every milestone conflict is settled; 1 some are left.`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print what was done as a JSON object"}},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "[--json]"); err != nil {
				return err
			}
			return runResolve(c.Context, env, resolveOptions{JSON: c.Bool("json")})
		},
	}
}

// resolveOptions are resolve's flags.
type resolveOptions struct {
	JSON bool
}

// runResolve settles the milestone conflicts of a stopped merge, rebase,
// cherry-pick or revert; it fails (exit 1, silently) when some are left.
func runResolve(ctx context.Context, env *Env, opts resolveOptions) error {
	repo, err := openRepo(env)
	if err != nil {
		return err
	}
	out, err := resolve.Run(repo)
	if errors.Is(err, resolve.ErrNoOperation) {
		return fmt.Errorf("resolve: %w; there is nothing to resolve", err)
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		b, err := json.Marshal(resolveJSON(out))
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		printResolve(env, out)
	}
	if len(out.Marked)+len(out.Left) > 0 {
		return &silentError{code: ExitFailed}
	}
	return nil
}

type resolveItemJSON struct {
	Path   string   `json:"path"`
	Into   string   `json:"into,omitempty"`
	Fields []string `json:"conflicts,omitempty"`
	Reason string   `json:"reason,omitempty"`
}

func resolveJSON(o resolve.Outcome) map[string]any {
	conv := func(items []resolve.Item) []resolveItemJSON {
		out := []resolveItemJSON{}
		for _, it := range items {
			out = append(out, resolveItemJSON{Path: it.Stale, Into: it.Into, Fields: it.Fields, Reason: it.Reason})
		}
		return out
	}
	return map[string]any{"operation": o.Op.Name, "resolved": conv(o.Resolved), "conflicts": conv(o.Marked), "left": conv(o.Left)}
}

func printResolve(env *Env, o resolve.Outcome) {
	w := env.Stdout
	for _, it := range o.Resolved {
		fmt.Fprintf(w, "resolved  %s -> %s (merged field by field, staged)\n", it.Stale, it.Into)
	}
	for _, it := range o.Marked {
		fmt.Fprintf(w, "conflict  %s -> %s: %s differ on both sides; edit the markers, then `git add %s`\n",
			it.Stale, it.Into, strings.Join(it.Fields, ", "), it.Into)
	}
	for _, it := range o.Left {
		fmt.Fprintf(w, "left      %s: %s\n", it.Stale, it.Reason)
	}
	switch {
	case len(o.Resolved)+len(o.Marked)+len(o.Left) == 0:
		fmt.Fprintf(w, "no milestone conflicts in this %s\n", o.Op.Name)
	case len(o.Marked)+len(o.Left) == 0 && o.Op.Continue != "":
		fmt.Fprintf(w, "every milestone conflict is settled; finish the %s with `%s`\n", o.Op.Name, o.Op.Continue)
	}
}
