// Package cli is the git-milestone command line: one urfave/cli app, one
// file per command, and the single place where errors become exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Exit codes (SPEC section 4).
const (
	ExitOK      = 0
	ExitFailed  = 1 // the operation failed: not found, conflict, lock timeout, store down
	ExitRefused = 2 // the input was refused: bad flag, bad value, invalid document
)

// Env is everything a command may touch of the outside world.
type Env struct {
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	Getenv    func(string) string
	Dir       string // working directory
	StdoutTTY bool   // stdout is a terminal
	StdinTTY  bool
	StderrTTY bool
	Now       func() time.Time
	// MigrationStep, when set (by tests only), is called after each step
	// of a migration (1 read, 2 backup, 3 copy, 4 verify, 5 switch commit),
	// so a test can kill the process there. The real binary leaves it nil.
	MigrationStep func(step int)
	// LookupEnv tells a variable set to "" from an unset one (GIT_PAGER=
	// turns the pager off); nil means Getenv's answer is all there is.
	LookupEnv func(string) (string, bool)

	term      *terminal     // buffered stdout and the pager (set by Main)
	stderrRaw io.Writer     // stderr without the flush-stdout-first wrapper
	commit    commitChoice  // the git commit flags of the running command
	hinted    bool          // the resolve hint was printed already
	repo      *gitrepo.Repo // the repository the command opened (openRepo), for git config
	early     *gitrepo.Repo // refuseEarly's repository, taken by the command's first openRepo
}

// refusedError marks an error as refused input (exit 2).
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// refused wraps err (or a formatted message) as refused input.
func refused(format string, args ...any) error {
	return &refusedError{err: fmt.Errorf(format, args...)}
}

// silentError carries an exit code for an error already reported.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// unreadableError is a stored document that cannot be read: the command
// failed (exit 1), even though the document's error is an invalid-input one.
type unreadableError struct{ err error }

func (e *unreadableError) Error() string { return e.err.Error() + ": " + problemHint(e.err) }
func (e *unreadableError) Unwrap() error { return e.err }

// ExitCode maps an error to its exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var s *silentError
	var r *refusedError
	var fe *format.Error
	var field *milestone.FieldError
	var amb *milestone.AmbiguousError
	var unreadable *unreadableError
	switch {
	case errors.As(err, &s):
		return s.code
	case errors.As(err, &unreadable):
		return ExitFailed
	case errors.As(err, &r), errors.As(err, &fe), errors.As(err, &field), errors.As(err, &amb):
		return ExitRefused
	case errors.Is(err, storage.ErrExists), errors.Is(err, safefs.ErrRefused), errors.Is(err, opener.ErrBadURL), errors.Is(err, opener.ErrNoURL):
		return ExitRefused
	}
	return ExitFailed
}

// Main runs the command line and returns the exit code.
func Main(args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	rest, g, err := parseGlobal(args[min(1, len(args)):])
	env.stderrRaw = env.Stderr
	t := setupTerminal(&env, g.colour, g.noPager)
	defer t.close()
	if err != nil {
		fmt.Fprintf(env.Stderr, "git-milestone: %s\n", err)
		return ExitCode(err)
	}
	if g.version {
		rest = []string{"version"}
	}
	if len(rest) == 0 {
		writeShortUsage(env.Stdout)
		return ExitFailed // as git does with no command
	}
	app := newApp(&env)
	if len(rest) > 1 && rest[0] == "help" && findCommand(app.Commands, rest[1]) == nil {
		err := refused("no help for %q: it is not a command%s", rest[1], commandSuggestion(rest[1], app.Commands))
		fmt.Fprintf(env.Stderr, "git-milestone: %s\n", err)
		return ExitCode(err)
	}
	args = signArgs(app.Commands, append([]string{"git-milestone"}, rest...))
	args = append(args[:1:1], permuteArgs(app.Commands, args[1:])...)
	err = app.RunContext(context.Background(), args)
	err = withResolveHint(&env, err)
	if err != nil {
		var s *silentError
		if !errors.As(err, &s) {
			fmt.Fprintf(env.Stderr, "git-milestone: %s%s\n", strings.TrimSpace(err.Error()), repairHint(err))
		}
		return ExitCode(err)
	}
	return ExitOK
}

// globalOptions are the options valid before or after any command.
type globalOptions struct {
	colour  string // "", auto, always, never
	noPager bool
	version bool
}

// parseGlobal takes --color[=WHEN], --no-color, --no-pager (anywhere
// before "--") and a leading --version out of args.
func parseGlobal(args []string) ([]string, globalOptions, error) {
	var g globalOptions
	var rest []string
	for i, a := range args {
		switch {
		case a == "--":
			return append(rest, args[i:]...), g, nil
		case a == "--no-pager":
			g.noPager = true
		case a == "--color":
			g.colour = "always"
		case a == "--no-color":
			g.colour = "never"
		case strings.HasPrefix(a, "--color="):
			switch v := strings.TrimPrefix(a, "--color="); v {
			case "auto", "always", "never":
				g.colour = v
			case "true", "yes":
				g.colour = "always"
			case "false", "no":
				g.colour = "never"
			default:
				return nil, g, refused("--color=%s: expected auto, always or never", v)
			}
		case (a == "--version" || a == "-v") && len(rest) == 0:
			g.version = true
		default:
			rest = append(rest, a)
		}
	}
	return rest, g, nil
}

// commonCommands are the commands the short usage lists, by theme.
var commonCommands = [][2]string{
	{"start a project", "init"},
	{"work with milestones", "create, show, list, search, update, edit, close, reopen, mv, rm"},
	{"look back", "log, diff, stats, events"},
	{"keep it healthy", "fsck, backend, migrate, hooks"},
}

// writeShortUsage is what `git milestone` alone prints.
func writeShortUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: git milestone [--version] [--no-pager] [--color=WHEN] COMMAND [options] [ARGS]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Common commands:")
	for _, c := range commonCommands {
		fmt.Fprintf(w, "   %-22s %s\n", c[0], c[1])
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "See 'git milestone help' for every command, 'git milestone help COMMAND' for one,")
	fmt.Fprintln(w, "and 'man git-milestone' for the manual.")
}

// hiddenCommands are run by git, hooks or shells, not by people.
var hiddenCommands = map[string]bool{"merge-driver": true, "textconv": true, "hook": true, "__complete": true, "man": true}

// pagedCommands send their output through the pager on a terminal.
var pagedCommands = map[string]bool{"show": true, "list": true, "search": true, "log": true, "diff": true, "events": true, "stats": true}

func newApp(env *Env) *cli.App {
	app := &cli.App{
		Name:      "git milestone",
		HelpName:  "git milestone",
		Usage:     "keep a project's milestones in its git repository",
		UsageText: "git milestone [--version] [--no-pager] [--color=WHEN] COMMAND [options] [arguments]",
		Description: `Milestones are YAML files under .milestones/, reviewed in pull requests like code.
Every change the tool makes is one git commit touching only those files.

Exit status: 0 success; 1 the operation failed (not found, conflict, lock
timeout, store down); 2 the input was refused (bad flag, bad value, invalid
document).`,
		Flags:                globalFlags(),
		Reader:               env.Stdin,
		Writer:               env.Stdout,
		ErrWriter:            env.Stderr,
		HideVersion:          true,
		EnableBashCompletion: false,
		ExitErrHandler:       func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, isSub bool) error {
			return refused("%s (see `git milestone -h`)%s", usageErrorText(err), flagSuggestion(err, c.App.Flags))
		},
	}
	app.Commands = commands(env)
	app.Commands = append(app.Commands, newVersionCommand(env), newManCommand(env),
		newCompletionCommand(env), newCompleteCommand(env))
	app.Metadata = map[string]any{envKey: env}
	for _, c := range app.Commands {
		addDataFlags(c)
		refuseUnknownSubcommand(c)
		setUsageError(c)
		if hiddenCommands[c.Name] {
			c.Hidden = true
		}
		if pagedCommands[c.Name] {
			before := c.Before
			c.Before = func(ctx *cli.Context) error {
				if !ctx.Bool("help") {
					env.startPager()
				}
				if before != nil {
					return before(ctx)
				}
				return nil
			}
		}
		addCommitFlags(c, env)
	}
	app.Action = func(c *cli.Context) error {
		if c.NArg() > 0 {
			name := c.Args().First()
			return refused("unknown command %q (see `git milestone --help`)%s", name, commandSuggestion(name, c.App.Commands))
		}
		return cli.ShowAppHelp(c)
	}
	return app
}

// globalFlags are documented in the help and the manual; parseGlobal
// takes them out of the arguments before urfave/cli sees them.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "version", Usage: "print the version, commit and build date, then exit"},
		&cli.BoolFlag{Name: "no-pager", Usage: "never send output through a pager"},
		&cli.StringFlag{Name: "color", Value: "auto", Usage: "colour output: auto (on a terminal), always or never"},
	}
}

// refuseUnknownSubcommand makes a command with subcommands refuse an
// unknown one with a suggestion (exit 2), and show its help without one.
func refuseUnknownSubcommand(c *cli.Command) {
	if len(c.Subcommands) == 0 || c.Action != nil {
		return
	}
	c.Action = func(ctx *cli.Context) error {
		if ctx.NArg() == 0 {
			return cli.ShowSubcommandHelp(ctx)
		}
		name := ctx.Args().First()
		return refused("%s: unknown command %q (see `git milestone %s --help`)%s", c.Name, name, c.Name, commandSuggestion(name, c.Subcommands))
	}
}

func setUsageError(c *cli.Command) {
	c.OnUsageError = func(ctx *cli.Context, err error, isSub bool) error {
		return refused("%s: %s (see `git milestone %s --help`)%s", c.Name, usageErrorText(err), c.Name, flagSuggestion(err, c.Flags))
	}
	for _, s := range c.Subcommands {
		setUsageError(s)
	}
}

// nArgs checks the number of positional arguments.
func nArgs(c *cli.Context, min, max int, usage string) error {
	if n := c.NArg(); n < min || (max >= 0 && n > max) {
		return refused("usage: git milestone %s %s", c.Command.Name, usage)
	}
	return nil
}

// repairHint points at fsck --repair when a link or special file in one of
// the tool's own folders (locks/, logs/, cache/) refused a command.
func repairHint(err error) string {
	var r *safefs.RefusedError
	if !errors.As(err, &r) {
		return ""
	}
	rel := strings.TrimPrefix(filepath.ToSlash(r.Path), ".milestones/")
	top, _, _ := strings.Cut(rel, "/")
	if rel == r.Path || !slices.Contains(ignoredFolders, top) {
		return ""
	}
	return " (`git milestone fsck --repair` removes it)"
}
