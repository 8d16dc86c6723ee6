package cli

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// permuteArgs moves a command's flags before its positional arguments, so
// `create "Beta" --id beta` works as users of git expect (urfave/cli, like
// Go's flag package, stops parsing flags at the first positional argument).
// Everything after "--" stays positional.
func permuteArgs(cmds []*cli.Command, args []string) []string {
	if len(args) == 0 {
		return args
	}
	cmd := findCommand(cmds, args[0])
	if cmd == nil {
		return args
	}
	rest := args[1:]
	if len(cmd.Subcommands) > 0 {
		return append([]string{args[0]}, permuteArgs(cmd.Subcommands, rest)...)
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range flagNames(f) {
			takesValue[n] = !isBool
		}
	}
	var flags, positional []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if takesValue[name] && i+1 < len(rest) {
			i++
			flags = append(flags, rest[i])
		}
	}
	out := append([]string{args[0]}, flags...)
	if len(positional) > 0 {
		out = append(out, "--")
		out = append(out, positional...)
	}
	return out
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.Name == name {
			return c
		}
		for _, a := range c.Aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}
