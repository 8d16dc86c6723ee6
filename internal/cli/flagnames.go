package cli

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// flagNames is f.Names() without its cost: urfave/cli's Names runs a
// regular expression over the name and each alias, and building the
// command tree asks for the names of every flag of every command, in every
// process (about half of newApp's time). Names with a comma or a space,
// which that expression rewrites, still go through Names.
func flagNames(f cli.Flag) []string {
	var name string
	var aliases []string
	switch f := f.(type) {
	case *cli.BoolFlag:
		name, aliases = f.Name, f.Aliases
	case *cli.StringFlag:
		name, aliases = f.Name, f.Aliases
	case *cli.IntFlag:
		name, aliases = f.Name, f.Aliases
	case *cli.StringSliceFlag:
		name, aliases = f.Name, f.Aliases
	case *cli.GenericFlag:
		name, aliases = f.Name, f.Aliases
	default:
		return f.Names()
	}
	names := append([]string{name}, aliases...)
	for _, n := range names {
		if strings.ContainsAny(n, ", ") {
			return f.Names()
		}
	}
	return names
}
