package cli

import (
	"io"
	"slices"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestFlagNames: flagNames answers what urfave/cli's Names answers, for
// every flag of every command, and for names Names rewrites.
func TestFlagNames(t *testing.T) {
	app := newApp(&Env{Stdout: io.Discard, Stderr: io.Discard})
	flags := append([]cli.Flag(nil), app.Flags...)
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			flags = append(flags, c.Flags...)
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
	flags = append(flags, &cli.StringFlag{Name: "old, o", Aliases: []string{"x y", ""}}, &cli.BoolFlag{Name: "b"})
	if len(flags) < 100 {
		t.Fatalf("only %d flags found", len(flags))
	}
	for _, f := range flags {
		if got, want := flagNames(f), f.Names(); !slices.Equal(got, want) {
			t.Errorf("flagNames = %q, Names = %q", got, want)
		}
	}
}
