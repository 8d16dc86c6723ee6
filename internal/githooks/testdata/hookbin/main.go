// Command hookbin stands in for git-milestone in the githooks tests: it
// answers "hook NAME ARGS...", logs every call to $HOOKBIN_LOG (name,
// arguments, and standard input for post-rewrite) and, for pre-commit,
// refuses the commit when githooks.CheckStaged reports problems.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/git-milestone/git-milestone/internal/githooks"
)

func main() {
	args := os.Args[1:]
	if len(args) < 2 || args[0] != "hook" {
		fmt.Fprintln(os.Stderr, "usage: hookbin hook NAME [ARGS]")
		os.Exit(2)
	}
	name := args[1]
	if log := os.Getenv("HOOKBIN_LOG"); log != "" {
		line := name + " [" + strings.Join(args[2:], " ") + "]"
		if name == "post-rewrite" {
			b, _ := io.ReadAll(os.Stdin)
			line += " stdin=" + strconv.Quote(string(b))
		}
		f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			fmt.Fprintln(f, line)
			f.Close()
		}
	}
	if name != "pre-commit" {
		return
	}
	wt, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	problems, err := githooks.CheckStaged(context.Background(), wt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "git-milestone: cannot check the staged milestones:", err)
		os.Exit(3) // loud in tests, so that a broken check cannot pass unseen

	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}
