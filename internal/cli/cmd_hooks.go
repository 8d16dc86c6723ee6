package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/githooks"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// hookLocations finds where this repository's hooks live.
func hookLocations(ctx context.Context, env *Env) (githooks.Options, error) {
	o, err := githooks.Discover(ctx, env.Dir)
	if err != nil {
		return o, err
	}
	if exe, err := os.Executable(); err == nil {
		o.Binary = exe
	}
	return o, nil
}

// The subcommands of hooks.
const (
	hooksInstall   = "install"
	hooksUninstall = "uninstall"
	hooksStatus    = "status"
)

func newHooksCommand(env *Env) *cli.Command {
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: "print the report as JSON"}
	action := func(op string) cli.ActionFunc {
		return func(c *cli.Context) error {
			return runHooks(c.Context, env, hooksOptions{Op: op, JSON: c.Bool("json")})
		}
	}
	return &cli.Command{
		Name:  "hooks",
		Usage: "install, remove or check the git hooks that keep the index fresh and validate commits",
		Subcommands: []*cli.Command{
			{Name: hooksInstall, Flags: []cli.Flag{jsonFlag}, Action: action(hooksInstall),
				Usage: "install the hooks where git looks (core.hooksPath or .git/hooks), chaining any hook you already had"},
			{Name: hooksUninstall, Flags: []cli.Flag{jsonFlag}, Action: action(hooksUninstall),
				Usage: "remove our hooks and restore exactly the hooks that were there before"},
			{Name: hooksStatus, Flags: []cli.Flag{jsonFlag}, Action: action(hooksStatus),
				Usage: "prove the hooks would fire (where git looks, executable, binary found, chained hooks intact)"},
		},
	}
}

// hooksOptions are hooks' subcommand and flag.
type hooksOptions struct {
	Op   string // install, uninstall or status
	JSON bool
}

// runHooks installs, removes or checks the git hooks (internal/githooks).
func runHooks(ctx context.Context, env *Env, opts hooksOptions) error {
	o, err := hookLocations(ctx, env)
	if err != nil {
		return err
	}
	switch opts.Op {
	case hooksInstall:
		rep, err := githooks.Install(o)
		if err != nil {
			return err
		}
		repo, err := openRepo(env)
		if err != nil {
			return err
		}
		if err := configureDrivers(repo); err != nil {
			return err
		}
		return printHookReport(env, opts.JSON, rep)
	case hooksUninstall:
		rep, err := githooks.Uninstall(o)
		if err != nil {
			return err
		}
		return printHookReport(env, opts.JSON, rep)
	case hooksStatus:
		st, err := githooks.Status(o)
		if err != nil {
			return err
		}
		if repo, err := openRepo(env); err == nil {
			st.Problems = append(st.Problems, driverFindings(repo)...)
		}
		if err := printHookStatus(env, opts.JSON, st); err != nil {
			return err
		}
		if !st.OK() {
			return &silentError{code: ExitFailed}
		}
		return nil
	}
	return refused("hooks %q: the subcommands are install, uninstall, status", opts.Op)
}

// printHookStatus prints hooks status, as text or JSON.
func printHookStatus(env *Env, asJSON bool, st githooks.StatusReport) error {
	if asJSON {
		return writeJSON(env.Stdout, st)
	}
	fmt.Fprintf(env.Stdout, "hooks folder: %s\n", st.Dir)
	for _, h := range st.Hooks {
		state := "not installed"
		switch {
		case h.Installed && h.Fires:
			state = "installed, fires"
		case h.Installed:
			state = "installed, does NOT fire"
		}
		fmt.Fprintf(env.Stdout, "  %-14s %s", h.Name, state)
		if h.UserHook != "" {
			fmt.Fprintf(env.Stdout, " (chains %s)", h.UserHook)
		}
		fmt.Fprintln(env.Stdout)
	}
	for _, w := range st.Warnings {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	for _, p := range st.Problems {
		fmt.Fprintf(env.Stdout, "problem: %s\n", p)
	}
	printManager(env.Stdout, st.Manager)
	return nil
}

func printHookReport(env *Env, asJSON bool, rep githooks.Report) error {
	if asJSON {
		return writeJSON(env.Stdout, rep)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	if rep.Manager != nil {
		printManager(env.Stdout, rep.Manager)
		return nil
	}
	for _, h := range rep.Hooks {
		fmt.Fprintf(env.Stdout, "%-14s %s", h.Name, h.Action)
		if h.UserHook != "" {
			fmt.Fprintf(env.Stdout, " (your hook is kept as %s and still runs)", h.UserHook)
		}
		fmt.Fprintln(env.Stdout)
	}
	return nil
}

func printManager(w io.Writer, m *githooks.Manager) {
	if m == nil {
		return
	}
	missing := m.Missing()
	if len(missing) == 0 {
		fmt.Fprintf(w, "%s runs the hooks (%s); its configuration already calls git-milestone\n", m.Name, m.Evidence)
		return
	}
	fmt.Fprintf(w, "%s runs the hooks here (%s): nothing was overwritten. Add to its configuration:\n", m.Name, m.Evidence)
	for _, l := range missing {
		where := l.File
		if l.Where != "" {
			where += " (" + l.Where + ")"
		}
		fmt.Fprintf(w, "  %s: %s\n", where, l.Line)
	}
}

func newHookCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "hook",
		Usage:     "what the installed git hooks call (pre-commit, post-merge, post-checkout, post-rewrite)",
		ArgsUsage: "NAME [ARGS]",
		Hidden:    false,
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 1, -1, "NAME [ARGS]"); err != nil {
				return err
			}
			return runHook(c.Context, env, hookRunOptions{Name: c.Args().First(), Args: c.Args().Tail()})
		},
	}
}

// hookRunOptions are the arguments of `hook`: the hook's name and what git
// passed it.
type hookRunOptions struct {
	Name string
	Args []string
}

// runHook does what the installed hook script opts.Name asks.
func runHook(ctx context.Context, env *Env, opts hookRunOptions) error {
	switch opts.Name {
	case "pre-commit":
		return preCommitHook(ctx, env)
	case "post-merge", "post-checkout", "post-rewrite":
		// A post-* hook never fails a git command: problems are warnings.
		if err := refreshHook(ctx, env, opts.Name, opts.Args); err != nil {
			fmt.Fprintf(env.Stderr, "git-milestone: %s hook: %v (the index will refresh on the next command)\n", opts.Name, err)
		}
		return nil
	}
	return refused("hook: unknown hook %q (pre-commit, post-merge, post-checkout, post-rewrite)", opts.Name)
}

// preCommitHook refuses a commit whose staged milestone documents are
// invalid, naming file:line, and refreshes the index for them.
func preCommitHook(ctx context.Context, env *Env) error {
	repo, err := openRepo(env)
	if err != nil {
		return err
	}
	problems, err := githooks.CheckStaged(ctx, repo.WorkTree)
	if err != nil {
		// We cannot check: say so, but do not block the user's commit.
		fmt.Fprintf(env.Stderr, "git-milestone: pre-commit: cannot check the staged milestones: %v\n", err)
		return nil
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(env.Stderr, "%v\n", p)
		}
		fmt.Fprintf(env.Stderr, "git-milestone: commit refused: %d invalid milestone document(s) staged (fix them, or commit with --no-verify)\n", len(problems))
		if h := stoppedHint(repo); h != "" {
			fmt.Fprintf(env.Stderr, "git-milestone: %s\n", h)
		}
		return &silentError{code: ExitFailed}
	}
	if err := refreshHook(ctx, env, "pre-commit", nil); err != nil {
		fmt.Fprintf(env.Stderr, "git-milestone: pre-commit: %v (the index will refresh on the next command)\n", err)
	}
	return nil
}

// refreshHook brings the hybrid index up to date after git changed the
// work tree, touching only the milestone files that changed when git tells
// us which commits moved.
func refreshHook(ctx context.Context, env *Env, name string, args []string) error {
	repo, err := openRepo(env)
	if err != nil {
		return err
	}
	kind, err := config.ReadBackend(repo.WorkTree)
	if err != nil {
		return err
	}
	warn := func(s string) { fmt.Fprintf(env.Stderr, "git-milestone: %s\n", s) }
	// Only a store in the work tree is opened here (a hook never
	// connects to a database), and only one with an index is refreshed.
	b, inTree, err := opener.OpenWorkTree(ctx, repo, kind, openerOptions(env, warn))
	if err != nil || !inTree {
		return err
	}
	defer b.Close()
	st, ok := b.(storage.Indexed)
	if !ok {
		return nil
	}
	var stdin []byte
	if name == "post-rewrite" && env.Stdin != nil {
		stdin, _ = io.ReadAll(env.Stdin)
	}
	if err := st.CheckIndex(ctx); err != nil {
		return err
	}
	if rng, ok := githooks.HookRange(repo.GitDir, name, args, stdin); ok {
		changes, err := githooks.ChangedPaths(ctx, repo.WorkTree, rng.From, rng.To)
		if err == nil {
			paths := make([]string, len(changes))
			for i, ch := range changes {
				paths[i] = ch.Path
			}
			return st.RefreshIndexPaths(ctx, paths)
		}
	}
	_, err = st.RefreshIndex(ctx)
	return err
}
