package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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
			return runTextconv(c.Context, env, textconvOptions{File: c.Args().First()})
		},
	}
}

// textconvOptions are textconv's argument.
type textconvOptions struct {
	File string // the document git hands over (a temporary file)
}

// runTextconv prints the stable rendering of one document.
func runTextconv(ctx context.Context, env *Env, opts textconvOptions) error {
	src, err := os.ReadFile(argFile(env, opts.File))
	if err != nil {
		return fmt.Errorf("textconv: %w", asTyped(err, opts.File))
	}
	// git hands us a temporary file: its name is not the milestone id.
	_, err = env.Stdout.Write(semdiff.Textconv("", src))
	return err
}

// argFile is a file argument as seen from the command's working
// directory, env.Dir.
func argFile(env *Env, name string) string {
	if filepath.IsAbs(name) || env.Dir == "" {
		return name
	}
	return filepath.Join(env.Dir, name)
}

// asTyped makes an error about a file argument name it as it was given.
func asTyped(err error, name string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		pe.Path = name
	}
	return err
}
