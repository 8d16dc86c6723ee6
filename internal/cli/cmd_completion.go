package cli

import (
	"context"
	_ "embed"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
)

var (
	//go:embed completion/git-milestone.bash
	bashCompletion string
	//go:embed completion/git-milestone.zsh
	zshCompletion string
	//go:embed completion/git-milestone.fish
	fishCompletion string
)

// completionScripts are the scripts `completion SHELL` prints.
var completionScripts = map[string]string{"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion}

func newCompletionCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: `Load it for this shell with
  source <(git milestone completion bash)     (bash; git's own completion then completes "git milestone")
  source <(git milestone completion zsh)      (zsh)
  git milestone completion fish | source      (fish)
install.sh installs the three scripts where the shells look for them.`,
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 1, 1, "bash|zsh|fish"); err != nil {
				return err
			}
			return runCompletion(c.Context, env, completionOptions{Shell: c.Args().First()})
		},
	}
}

// completionOptions are completion's argument.
type completionOptions struct {
	Shell string // bash, zsh or fish
}

// runCompletion prints the completion script for opts.Shell.
func runCompletion(ctx context.Context, env *Env, opts completionOptions) error {
	script, ok := completionScripts[opts.Shell]
	if !ok {
		return refused("completion: %q is not bash, zsh or fish", opts.Shell)
	}
	_, err := fmt.Fprint(env.Stdout, script)
	return err
}

// newCompleteCommand is the query the completion scripts ask: the words
// after "git milestone", the last one being completed. It prints the
// candidates one a line and never writes anything.
func newCompleteCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:            "__complete",
		Usage:           "print completion candidates for the words given (used by the completion scripts)",
		ArgsUsage:       "WORD... CURRENT",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			return runComplete(c.Context, env, completeOptions{Words: c.Args().Slice()})
		},
	}
}

// completeOptions are the words __complete is asked about.
type completeOptions struct {
	Words []string // the words after "git milestone" (after a leading "--"), the last one being completed
}

// runComplete prints the candidates for the last word, one a line, from
// the definitions of the commands.
func runComplete(ctx context.Context, env *Env, opts completeOptions) error {
	words := opts.Words
	if len(words) > 0 && words[0] == "--" {
		words = words[1:]
	}
	if len(words) == 0 {
		words = []string{""}
	}
	for _, w := range completeWords(setUpApp(env), words, func() []string { return completionIDs(env) }) {
		fmt.Fprintln(env.Stdout, w)
	}
	return nil
}

// completeWords returns the candidates for the last of words.
func completeWords(app *cli.App, words []string, ids func() []string) []string {
	cur := words[len(words)-1]
	pos := walkWords(app, words[:len(words)-1])
	if len(words) >= 2 {
		if f := pos.valueFlag(words[len(words)-2]); f != nil {
			return matching(flagValues(f, ids), cur)
		}
	}
	return matching(pos.candidates(app, cur, ids), cur)
}

// wordPosition is where the words before the one completed leave us.
type wordPosition struct {
	cmd   *cli.Command   // the (sub)command named last; nil: none
	cmds  []*cli.Command // the commands that may come next
	flags []cli.Flag     // the flags that apply
	npos  int            // positional arguments of cmd so far
}

// walkWords follows words (all but the one completed): the commands and
// subcommands they name, the flags (and the values of those that take
// one) and the positional arguments.
func walkWords(app *cli.App, words []string) wordPosition {
	p := wordPosition{cmds: app.Commands, flags: app.Flags}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			continue
		}
		if strings.HasPrefix(w, "-") && len(w) > 1 {
			if f := findFlag(p.flags, w); f != nil && takesValue(f) && !strings.Contains(w, "=") {
				i++ // its value
			}
			continue
		}
		if (p.cmd == nil || len(p.cmd.Subcommands) > 0) && findCommand(p.cmds, w) != nil {
			p.cmd = findCommand(p.cmds, w)
			p.cmds, p.flags = p.cmd.Subcommands, append(append([]cli.Flag{}, p.cmd.Flags...), app.Flags...)
			p.npos = 0
			continue
		}
		p.npos++
	}
	return p
}

// valueFlag returns the flag that word names when it waits for its value
// (the next word), or nil.
func (p wordPosition) valueFlag(word string) cli.Flag {
	if !strings.HasPrefix(word, "-") || strings.Contains(word, "=") {
		return nil
	}
	if f := findFlag(p.flags, word); f != nil && takesValue(f) {
		return f
	}
	return nil
}

// candidates returns what may stand at the position of cur (not a flag's
// value): a flag's value after "--flag=", the flags, the (sub)commands,
// a completion shell or milestone ids.
func (p wordPosition) candidates(app *cli.App, cur string, ids func() []string) []string {
	switch {
	case strings.HasPrefix(cur, "--") && strings.Contains(cur, "="):
		name, _, _ := strings.Cut(cur, "=")
		var cands []string
		if f := findFlag(p.flags, name); f != nil {
			for _, v := range flagValues(f, ids) {
				cands = append(cands, name+"="+v)
			}
		}
		return cands
	case strings.HasPrefix(cur, "-"):
		return append(longFlagNames(p.flags), "--help")
	case p.cmd == nil || len(p.cmd.Subcommands) > 0:
		cands := visibleNames(p.cmds)
		if p.cmd == nil {
			cands = append(cands, "help")
		}
		return cands
	case p.cmd.Name == "help":
		return visibleNames(app.Commands)
	case p.cmd.Name == "completion":
		return []string{"bash", "fish", "zsh"}
	case takesIDs(p.cmd, p.npos):
		return ids()
	}
	return nil
}

// longFlagNames returns "--name" for each long name of flags.
func longFlagNames(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		for _, n := range flagNames(f) {
			if len(n) > 1 {
				out = append(out, "--"+n)
			}
		}
	}
	return out
}

// visibleNames returns the names of the commands not hidden.
func visibleNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c.Name)
		}
	}
	return out
}

// matching returns the candidates that start with cur, once each, sorted.
func matching(cands []string, cur string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cands {
		if strings.HasPrefix(c, cur) && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// takesIDs reports whether the positional argument at npos of cmd is a
// milestone id, from its ArgsUsage ("ID", "ID...", "OLD NEW", "[ID]").
func takesIDs(cmd *cli.Command, npos int) bool {
	args := strings.Fields(cmd.ArgsUsage)
	if len(args) == 0 {
		return false
	}
	a := args[min(npos, len(args)-1)]
	if npos >= len(args) && !strings.HasSuffix(a, "...") {
		return false
	}
	a = strings.Trim(a, "[].")
	return a == "ID" || a == "OLD" || strings.HasSuffix(a, "ID")
}

func findFlag(flags []cli.Flag, word string) cli.Flag {
	name, _, _ := strings.Cut(strings.TrimLeft(word, "-"), "=")
	for _, f := range flags {
		for _, n := range flagNames(f) {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// flagValues are the values a flag takes, by its name, so flags that
// other commands add with these names complete too.
func flagValues(f cli.Flag, ids func() []string) []string {
	for _, spec := range milestone.Fields {
		if spec.Kind == milestone.KindEnum && spec.Flag == flagNames(f)[0] {
			return append([]string(nil), spec.Values...)
		}
	}
	switch flagNames(f)[0] {
	case "backend", "to":
		return []string{config.File, config.Hybrid, config.Database}
	case "database-type":
		return []string{"sqlite", "postgresql"}
	case "color":
		return []string{"auto", "always", "never"}
	case "sort":
		var out []string
		for _, k := range storage.SortKeys {
			out = append(out, k, "-"+k)
		}
		return out
	case "depends-on", "id":
		return ids()
	case "owner":
		return []string{"@me"}
	case "start", "due", "due-before", "since":
		return []string{"today", "tomorrow", "+1w", "+2w", "monday", "friday"}
	}
	if u := flagUsage(f); strings.Contains(u, "text, markdown or json") {
		return []string{"text", "markdown", "json"}
	}
	return nil
}

// completionIDs lists milestone ids from the work tree's file names,
// without opening a store (nothing is written, no database is asked).
func completionIDs(env *Env) []string {
	repo, err := openRepo(env)
	if err != nil {
		return nil
	}
	var ids []string
	for _, st := range []milestone.Status{milestone.Active, milestone.Completed} {
		// Through safefs: a linked folder is not listed.
		entries, err := safefs.WorkTree(repo.WorkTree).ReadDir(path.Dir(opener.PathFor("x", st)))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if id, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && e.Type().IsRegular() && milestone.ValidateID(id) == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids
}
