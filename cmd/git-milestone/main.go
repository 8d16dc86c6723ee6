// Command git-milestone is the `git milestone` subcommand: it keeps a
// project's milestones as YAML files under .milestones/ in its repository.
package main

import (
	"os"
	"runtime/pprof"

	"golang.org/x/term"

	"github.com/git-milestone/git-milestone/internal/cli"
	"github.com/git-milestone/git-milestone/internal/gcstart"
)

// gcLimit is the memory below which a command runs without garbage
// collection: every query at 10,000 milestones stays under it.
const gcLimit = 32 << 20

func main() {
	gcstart.Defer(gcLimit)
	dir, err := os.Getwd()
	if err != nil {
		os.Stderr.WriteString("git-milestone: " + err.Error() + "\n")
		os.Exit(cli.ExitFailed)
	}
	if path := os.Getenv("GIT_MILESTONE_CPUPROFILE"); path != "" {
		// For performance work: a CPU profile of this one command.
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
		}
	}
	code := cli.Main(os.Args, cli.Env{
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Getenv:    os.Getenv,
		LookupEnv: os.LookupEnv,
		Dir:       dir,
		StdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		StdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		StderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	})
	pprof.StopCPUProfile()
	os.Exit(code)
}
