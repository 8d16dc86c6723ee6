// Package cli is the git-milestone command line: one urfave/cli app, one
// file per command, and the single place where errors become exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
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
	commit    commitChoice // the git commit flags of the running command
	hinted    bool         // the resolve hint was printed already
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
	switch {
	case errors.As(err, &s):
		return s.code
	case errors.As(err, &r), errors.As(err, &fe), errors.As(err, &field), errors.As(err, &amb):
		return ExitRefused
	case errors.Is(err, storage.ErrExists):
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
	app := newApp(&env)
	args = signArgs(app.Commands, args)
	if len(args) > 1 {
		args = append(args[:1:1], permuteArgs(app.Commands, args[1:])...)
	}
	err := app.RunContext(context.Background(), args)
	err = withResolveHint(&env, err)
	if err != nil {
		var s *silentError
		if !errors.As(err, &s) {
			fmt.Fprintf(env.Stderr, "git-milestone: %s\n", strings.TrimSpace(err.Error()))
		}
		return ExitCode(err)
	}
	return ExitOK
}

func newApp(env *Env) *cli.App {
	app := &cli.App{
		Name:      "git milestone",
		HelpName:  "git milestone",
		Usage:     "keep a project's milestones in its git repository",
		UsageText: "git milestone COMMAND [options] [arguments]",
		Description: `Milestones are YAML files under .milestones/, reviewed in pull requests like code.
Every change the tool makes is one git commit touching only those files.

Exit status: 0 success; 1 the operation failed (not found, conflict, lock
timeout, store down); 2 the input was refused (bad flag, bad value, invalid
document).`,
		Reader:               env.Stdin,
		Writer:               env.Stdout,
		ErrWriter:            env.Stderr,
		HideVersion:          true,
		EnableBashCompletion: false,
		ExitErrHandler:       func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, isSub bool) error {
			return refused("%v (see `git milestone -h`)", err)
		},
	}
	app.Commands = commands(env)
	for _, c := range app.Commands {
		setUsageError(c)
		addCommitFlags(c, env)
	}
	app.Action = func(c *cli.Context) error {
		if c.NArg() > 0 {
			return refused("unknown command %q (see `git milestone --help`)", c.Args().First())
		}
		return cli.ShowAppHelp(c)
	}
	return app
}

func setUsageError(c *cli.Command) {
	c.OnUsageError = func(ctx *cli.Context, err error, isSub bool) error {
		return refused("%s: %v (see `git milestone %s --help`)", c.Name, err, c.Name)
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
