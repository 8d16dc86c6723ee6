package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func testApp(t *testing.T) *cli.App {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }, Dir: t.TempDir()}
	return newApp(env)
}

// every command and flag says what it is for, whoever added it
func TestEveryCommandAndFlagHasUsage(t *testing.T) {
	app := testApp(t)
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := prefix + c.Name
			if strings.TrimSpace(c.Usage) == "" {
				t.Errorf("command %q has no Usage", name)
			}
			for _, f := range c.Flags {
				if strings.TrimSpace(flagUsage(f)) == "" && f.Names()[0] != "help" {
					t.Errorf("flag --%s of %q has no Usage", f.Names()[0], name)
				}
			}
			walk(name+" ", c.Subcommands)
		}
	}
	walk("", app.Commands)
	for _, f := range app.Flags {
		if flagUsage(f) == "" && f.Names()[0] != "help" {
			t.Errorf("global flag --%s has no Usage", f.Names()[0])
		}
	}
}

// internal commands are hidden from the main help and the manual, but run
func TestInternalCommandsHidden(t *testing.T) {
	app := testApp(t)
	for name := range hiddenCommands {
		c := findCommand(app.Commands, name)
		if c == nil {
			t.Errorf("hidden command %q does not exist", name)
			continue
		}
		if !c.Hidden {
			t.Errorf("command %q is not hidden", name)
		}
	}
	var out bytes.Buffer
	app.Writer = &out
	if err := app.Run([]string{"git-milestone", "help"}); err != nil {
		t.Fatal(err)
	}
	for name := range hiddenCommands {
		for _, line := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.TrimSuffix(f[0], ",") == name {
				t.Errorf("main help lists internal command %q: %q", name, line)
			}
		}
	}
}

// the manual has every section and one subsection per visible command,
// each flag with its usage; man renders it without warnings
func TestManPage(t *testing.T) {
	app := testApp(t)
	var b bytes.Buffer
	writeMan(&b, app, "v9.9.9")
	page := b.String()
	for _, sec := range []string{".TH GIT\\-MILESTONE 1", ".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", ".SH COMMANDS", ".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH FILES"} {
		if !strings.Contains(page, sec) {
			t.Errorf("man page has no %q", sec)
		}
	}
	for _, c := range visibleCommands(app.Commands) {
		if !strings.Contains(page, ".SS \"git milestone "+roff(c.Name)) {
			t.Errorf("man page has no section for %s", c.Name)
		}
		for _, f := range c.Flags {
			if u := flagUsage(f); u != "" && !strings.Contains(page, roff(u)) {
				t.Errorf("man page lacks the usage of %s --%s", c.Name, f.Names()[0])
			}
		}
	}
	for name := range hiddenCommands {
		if strings.Contains(page, ".SS \"git milestone "+roff(name)+"\"") || strings.Contains(page, ".SS \"git milestone "+roff(name)+" ") {
			t.Errorf("man page documents internal command %s", name)
		}
	}
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man is not installed (apt-get install man-db): rendering not checked")
	}
	file := filepath.Join(t.TempDir(), "git-milestone.1")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("man", "-l", file)
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "MAN_KEEP_FORMATTING=0", "PAGER=cat", "MANPAGER=cat")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	rendered, err := cmd.Output()
	if err != nil {
		t.Fatalf("man -l: %v\n%s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("man -l warns:\n%s", stderr.String())
	}
	text := regexp.MustCompile(".\x08").ReplaceAllString(string(rendered), "") // overstrike bold
	text = regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(text, "")
	for _, want := range []string{"GIT-MILESTONE(1)", "NAME", "git-milestone - keep a project's milestones", "EXIT STATUS", "ENVIRONMENT", "FILES", "git milestone create TITLE", "--from-file"} {
		if !strings.Contains(strings.ReplaceAll(text, "\u2010", "-"), want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
}

// completion comes from the command definitions: every visible command
// and every flag of it completes, whoever added it
func TestCompletionCoversEveryCommand(t *testing.T) {
	app := testApp(t)
	none := func() []string { return nil }
	top := strings.Join(completeWords(app, []string{""}, none), " ")
	for _, c := range visibleCommands(app.Commands) {
		if !strings.Contains(" "+top+" ", " "+c.Name+" ") {
			t.Errorf("command %s does not complete (got %s)", c.Name, top)
		}
		flags := strings.Join(completeWords(app, []string{c.Name, "--"}, none), " ")
		for _, f := range c.Flags {
			if n := f.Names()[0]; len(n) > 1 && !strings.Contains(" "+flags+" ", " --"+n+" ") {
				t.Errorf("%s --%s does not complete (got %s)", c.Name, n, flags)
			}
		}
	}
	for name := range hiddenCommands {
		if strings.Contains(" "+top+" ", " "+name+" ") {
			t.Errorf("internal command %s completes", name)
		}
	}
	ids := func() []string { return []string{"alpha", "beta"} }
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"show", ""}, "alpha beta"},
		{[]string{"mv", "alpha", ""}, ""},
		{[]string{"mv", ""}, "alpha beta"},
		{[]string{"close", "alpha", "b"}, "beta"},
		{[]string{"list", "--status", "b"}, "blocked"},
		{[]string{"list", "--priority=c"}, "--priority=critical"},
		{[]string{"create", "--owner", ""}, "@me"},
		{[]string{"help", "cr"}, "create"},
		{[]string{"completion", ""}, "bash fish zsh"},
	} {
		if got := strings.Join(completeWords(app, tc.words, ids), " "); got != tc.want {
			t.Errorf("complete %q = %q, want %q", tc.words, got, tc.want)
		}
	}
}
