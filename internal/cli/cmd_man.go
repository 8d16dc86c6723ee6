package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// manEnvironment documents the variables git-milestone reads.
var manEnvironment = [][2]string{
	{"GIT_DIR, GIT_WORK_TREE", "which repository and work tree to use, as for git."},
	{"GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL, GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL", "the identity of the commits written, as for git."},
	{"GIT_EDITOR, VISUAL, EDITOR", "the editor of edit, in this order after core.editor as git chooses it (default vi)."},
	{"GIT_PAGER, PAGER", "the pager of show, list, search, log, diff, stats and events on a terminal (after core.pager; default less). Empty or cat means none."},
	{"LESS, LV", "set to FRX and -c for the pager when unset, as git does."},
	{"NO_COLOR", "when set and not empty, no colour unless --color=always."},
	{"CLICOLOR_FORCE", "when set and not 0, colour even when stdout is not a terminal."},
	{"COLUMNS", "the width tables are cut to (default: the terminal's width)."},
	{"DATABASE_URL, DATABASE_TYPE", "the database of the database backend when the configuration names them."},
}

// manFiles documents the files git-milestone reads and writes.
var manFiles = [][2]string{
	{".milestones/active/ID.yaml, .milestones/completed/ID.yaml", "one milestone document each; completed/ holds completed and cancelled ones."},
	{".milestones/config.yaml", "the backend and its settings (written by init, migrate and backend)."},
	{".milestones/logs/storage-events.jsonl", "the storage event log (events)."},
	{".milestones/cache/", "the read cache of the database backend (not committed)."},
	{"$GIT_DIR/MILESTONE_EDIT-ID.yaml", "the text of an edit that was given up, kept so no work is lost."},
}

func newManCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "man",
		Usage: "print the manual page git-milestone(1) as roff (install.sh installs it)",
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, ""); err != nil {
				return err
			}
			return runMan(c.Context, env, manOptions{})
		},
	}
}

// manOptions are man's (none: the page is made from the command definitions).
type manOptions struct{}

// runMan prints git-milestone(1), generated from the definitions of the
// commands.
func runMan(ctx context.Context, env *Env, opts manOptions) error {
	writeMan(env.Stdout, setUpApp(env), readBuildInfo().Version)
	return nil
}

// setUpApp is the app as it runs, for the manual and completion, which
// are made from its definitions: with the flags every command gets and
// urfave/cli's help command and --help flag.
func setUpApp(env *Env) *cli.App {
	app := newApp(env)
	app.Setup()
	return app
}

// roff escapes text for a man page line: backslashes, dashes and a
// leading dot or quote.
func roff(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			l = `\&` + l
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// paragraphs writes text, a blank line starting a new paragraph.
func paragraphs(w io.Writer, text string) {
	for i, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if i > 0 {
			fmt.Fprintln(w, ".PP")
		}
		fmt.Fprintln(w, roff(strings.TrimSpace(p)))
	}
}

// writeMan writes git-milestone(1) from the command definitions.
func writeMan(w io.Writer, app *cli.App, version string) {
	fmt.Fprintf(w, ".TH GIT\\-MILESTONE 1 \"\" \"git-milestone %s\" \"Git Manual\"\n", roff(version))
	fmt.Fprintln(w, ".SH NAME")
	fmt.Fprintf(w, "git\\-milestone \\- %s\n", roff(app.Usage))
	fmt.Fprintln(w, ".SH SYNOPSIS")
	fmt.Fprintln(w, ".nf")
	fmt.Fprintf(w, "\\fBgit milestone\\fR [\\-\\-version] [\\-\\-no\\-pager] [\\-\\-color=\\fIWHEN\\fR] \\fICOMMAND\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]\n")
	for _, c := range visibleCommands(app.Commands) {
		fmt.Fprintf(w, "\\fBgit milestone %s\\fR %s\n", roff(c.Name), roff(synopsisArgs(c)))
	}
	fmt.Fprintln(w, ".fi")
	fmt.Fprintln(w, ".SH DESCRIPTION")
	paragraphs(w, strings.Split(app.Description, "\n\nExit status")[0])
	fmt.Fprintln(w, ".SH OPTIONS")
	writeManFlags(w, app.Flags)
	fmt.Fprintln(w, ".SH COMMANDS")
	for _, c := range visibleCommands(app.Commands) {
		writeManCommand(w, c, "git milestone "+c.Name)
	}
	fmt.Fprintln(w, ".SH EXIT STATUS")
	for _, e := range [][2]string{
		{"0", "success."},
		{"1", "the operation failed: not found, conflict, lock timeout, store down; also `git milestone` without a command."},
		{"2", "the input was refused: unknown command or option, bad value, invalid document, dependency cycle. Nothing was written."},
	} {
		fmt.Fprintf(w, ".TP\n.B %s\n%s\n", e[0], roff(e[1]))
	}
	fmt.Fprintln(w, ".SH ENVIRONMENT")
	for _, e := range manEnvironment {
		fmt.Fprintf(w, ".TP\n.B %s\n%s\n", roff(e[0]), roff(e[1]))
	}
	fmt.Fprintln(w, ".SH FILES")
	for _, f := range manFiles {
		fmt.Fprintf(w, ".TP\n.I %s\n%s\n", roff(f[0]), roff(f[1]))
	}
	fmt.Fprintln(w, ".SH SEE ALSO")
	fmt.Fprintln(w, "\\fBgit\\fR(1), \\fBgitattributes\\fR(5), \\fBgit\\-log\\fR(1)")
}

func visibleCommands(cmds []*cli.Command) []*cli.Command {
	var out []*cli.Command
	for _, c := range cmds {
		if !c.Hidden && c.Name != "help" {
			out = append(out, c)
		}
	}
	return out
}

func synopsisArgs(c *cli.Command) string {
	if len(c.Subcommands) > 0 {
		var names []string
		for _, s := range visibleCommands(c.Subcommands) {
			names = append(names, s.Name)
		}
		return strings.Join(names, "|") + " [options]"
	}
	s := "[options]"
	if c.ArgsUsage != "" {
		s += " " + c.ArgsUsage
	}
	return s
}

func writeManCommand(w io.Writer, c *cli.Command, full string) {
	head := full
	if c.ArgsUsage != "" {
		head += " " + c.ArgsUsage
	}
	fmt.Fprintf(w, ".SS \"%s\"\n", roff(head))
	fmt.Fprintln(w, roff(c.Usage)+".")
	if c.Description != "" {
		fmt.Fprintln(w, ".PP")
		paragraphs(w, c.Description)
	}
	if len(c.Aliases) > 0 {
		fmt.Fprintf(w, ".PP\nAlso: %s.\n", roff(strings.Join(c.Aliases, ", ")))
	}
	writeManFlags(w, c.Flags)
	for _, s := range visibleCommands(c.Subcommands) {
		writeManCommand(w, s, full+" "+s.Name)
	}
}

func writeManFlags(w io.Writer, flags []cli.Flag) {
	for _, f := range flags {
		var names []string
		for _, n := range flagNames(f) {
			dash := "\\-\\-"
			if len(n) == 1 {
				dash = "\\-"
			}
			names = append(names, "\\fB"+dash+roff(n)+"\\fR")
		}
		head := strings.Join(names, ", ")
		if takesValue(f) {
			head += " \\fI" + flagPlaceholder(f) + "\\fR"
		}
		fmt.Fprintf(w, ".TP\n%s\n%s\n", head, roff(flagUsage(f)))
	}
}

func takesValue(f cli.Flag) bool {
	if df, ok := f.(cli.DocGenerationFlag); ok {
		return df.TakesValue()
	}
	return false
}

func flagUsage(f cli.Flag) string {
	if df, ok := f.(cli.DocGenerationFlag); ok {
		u := df.GetUsage()
		if v := df.GetValue(); v != "" && v != "false" && v != "0" && takesValue(f) {
			u += " (default: " + strings.Trim(v, `"`) + ")"
		}
		return u
	}
	return ""
}

// placeholders name the value of flags in the manual.
var placeholders = map[string]string{
	"jq": "EXPR", "format": "TEMPLATE", "since": "DATE", "due": "DATE", "start": "DATE", "due-before": "DATE",
	"author": "TEXT", "set": "KEY=VALUE", "color": "WHEN", "depends-on": "ID", "label": "LABEL", "add-label": "LABEL",
	"remove-label": "LABEL", "from-file": "FILE", "sort": "KEYS", "status": "STATUS", "priority": "PRIORITY",
}

func flagPlaceholder(f cli.Flag) string {
	if p, ok := placeholders[flagNames(f)[0]]; ok {
		return p
	}
	switch f.(type) {
	case *cli.IntFlag:
		return "N"
	case *cli.StringSliceFlag:
		return "VALUE"
	}
	return strings.ToUpper(strings.ReplaceAll(flagNames(f)[0], "-", "_"))
}
