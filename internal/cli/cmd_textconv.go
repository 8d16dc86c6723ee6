package cli

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/semdiff"
)

func newTextconvCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "textconv",
		Usage:     "print a stable, readable rendering of a milestone document (what `git diff` shows through diff=milestone)",
		ArgsUsage: "FILE",
		Description: `git runs this for files with the diff=milestone attribute (set up by init):
fields one per line in canonical order, list items one per line, the
description last. Comments, quoting and layout do not show; use
'git diff --no-textconv' to see the raw text. A file that is not a valid
milestone document is printed as is, after a line that says why.`,
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 1, 1, "FILE"); err != nil {
				return err
			}
			file := c.Args().First()
			src, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("textconv: %w", err)
			}
			// git hands us a temporary file: its name is not the milestone id.
			_, err = env.Stdout.Write(semdiff.Textconv("", src))
			return err
		},
	}
}
