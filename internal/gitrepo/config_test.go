package gitrepo_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// identEnv is one identity scenario: config files (by role) and variables.
type identEnv struct {
	name   string
	local  string            // .git/config additions
	home   string            // ~/.gitconfig
	xdg    string            // $XDG_CONFIG_HOME/git/config (or ~/.config/git/config with noXDG)
	system string            // file named by GIT_CONFIG_SYSTEM
	incl   string            // file included by ~/.gitconfig as ~/inc.gitconfig
	noXDG  bool              // leave XDG_CONFIG_HOME unset
	vars   map[string]string // extra environment
}

// setup writes the scenario's files and returns its environment.
func (e identEnv) setup(t *testing.T, dir string) map[string]string {
	t.Helper()
	home := t.TempDir()
	env := map[string]string{"HOME": home, "GIT_CONFIG_NOSYSTEM": "1"}
	xdgDir := filepath.Join(home, "xdg")
	if e.noXDG {
		xdgDir = filepath.Join(home, ".config")
		env["XDG_CONFIG_HOME"] = ""
	} else {
		env["XDG_CONFIG_HOME"] = xdgDir
	}
	write := func(p, s string) {
		if s == "" {
			return
		}
		os.MkdirAll(filepath.Dir(p), 0o777)
		if err := os.WriteFile(p, []byte(s), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(home, ".gitconfig"), e.home)
	write(filepath.Join(xdgDir, "git", "config"), e.xdg)
	write(filepath.Join(home, "inc.gitconfig"), e.incl)
	if e.system != "" {
		p := filepath.Join(home, "system.gitconfig")
		write(p, e.system)
		env["GIT_CONFIG_SYSTEM"] = p
		env["GIT_CONFIG_NOSYSTEM"] = ""
	}
	if e.local != "" {
		f, err := os.OpenFile(filepath.Join(dir, ".git", "config"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(e.local)
		f.Close()
	}
	for k, v := range e.vars {
		env[k] = v
	}
	return env
}

func envList(env map[string]string) []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func identOf(s gitrepo.Signature) string {
	_, off := s.When.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return s.Name + " <" + s.Email + "> " + itoa(s.When.Unix()) + " " + sign + pad2(off/3600) + pad2(off%3600/60)
}

func itoa(n int64) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func pad2(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

// TestIdentityLikeGit compares Identity with `git var GIT_AUTHOR_IDENT` and
// `git var GIT_COMMITTER_IDENT` under the same configuration files and
// environment. Dates are fixed so the lines compare exactly.
func TestIdentityLikeGit(t *testing.T) {
	dates := map[string]string{"GIT_AUTHOR_DATE": "@1700000000 +0100", "GIT_COMMITTER_DATE": "@1700000100 -0730"}
	cases := []identEnv{
		{name: "repository config", local: "[user]\n\tname = Repo User\n\temail = repo@example.com\n"},
		{name: "global ~/.gitconfig", home: "[user]\n\tname = Home User\n\temail = home@example.com\n"},
		{name: "XDG config", xdg: "[user]\n\tname = Xdg User\n\temail = xdg@example.com\n"},
		{name: "~/.config/git/config without XDG_CONFIG_HOME", noXDG: true, xdg: "[user]\n\tname = Cfg User\n\temail = cfg@example.com\n"},
		{name: "~/.gitconfig beats XDG, repository beats both",
			xdg:   "[user]\n\tname = Xdg\n\temail = xdg@example.com\n",
			home:  "[user]\n\tname = Home\n\temail = home@example.com\n",
			local: "[user]\n\temail = local@example.com\n"},
		{name: "system config is the weakest", system: "[user]\n\tname = Sys\n\temail = sys@example.com\n",
			home: "[user]\n\temail = home@example.com\n"},
		{name: "author.* and committer.* beat user.*",
			home: "[user]\n\tname = U\n\temail = u@example.com\n[author]\n\tname = Author Name\n[committer]\n\temail = committer@example.com\n"},
		{name: "environment beats config", home: "[user]\n\tname = U\n\temail = u@example.com\n",
			vars: map[string]string{"GIT_AUTHOR_NAME": "Env Author", "GIT_COMMITTER_EMAIL": "env-committer@example.com"}},
		{name: "EMAIL as the last resort", home: "[user]\n\tname = U\n",
			vars: map[string]string{"EMAIL": "from-email-var@example.com"}},
		{name: "include.path", home: "[include]\n\tpath = ~/inc.gitconfig\n[user]\n\tname = Before Include\n",
			incl: "[user]\n\temail = included@example.com\n"},
		{name: "includeIf gitdir", home: "[user]\n\tname = U\n\temail = u@example.com\n[includeIf \"gitdir:/\"]\n\tpath = ~/inc.gitconfig\n",
			incl: "[user]\n\tname = Conditional\n"},
		{name: "git -c (GIT_CONFIG_PARAMETERS)", home: "[user]\n\tname = U\n\temail = u@example.com\n",
			vars: map[string]string{"GIT_CONFIG_PARAMETERS": "'user.name'='Dash C'"}},
		{name: "GIT_CONFIG_COUNT", home: "[user]\n\tname = U\n\temail = u@example.com\n",
			vars: map[string]string{"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "user.email", "GIT_CONFIG_VALUE_0": "count@example.com"}},
		{name: "crud trimmed", home: "[user]\n\tname = \"  'Ana <x> Lima, Jr.' \"\n\temail = \" <ana@example.com>; \"\n"},
		{name: "quoting and comments", home: "[user] ; comment\n\tname = \"Quoted \\\"Name\\\"\" # trailing\n\tEMAIL = mixed-case-key@example.com\n"},
		{name: "RFC 2822 and ISO dates", home: "[user]\n\tname = U\n\temail = u@example.com\n",
			vars: map[string]string{"GIT_AUTHOR_DATE": "Thu, 07 Apr 2005 22:13:13 +0200", "GIT_COMMITTER_DATE": "2005-04-07T22:13:13-03:30"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := gittest.Init(t)
			// gittest.Init sets a local identity: start from none.
			git(t, dir, "config", "--unset", "user.name")
			git(t, dir, "config", "--unset", "user.email")
			env := tc.setup(t, dir)
			for k, v := range dates {
				if _, ok := env[k]; !ok {
					env[k] = v
				}
			}
			r, err := gitrepo.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			author, committer, err := r.Identity(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				role string
				got  gitrepo.Signature
			}{{"GIT_AUTHOR_IDENT", author}, {"GIT_COMMITTER_IDENT", committer}} {
				want, err := gittest.Run(dir, envList(env), "var", c.role)
				if err != nil {
					t.Fatal(err)
				}
				if got := identOf(c.got); got != strings.TrimSpace(want) {
					t.Errorf("%s = %q, git says %q", c.role, got, strings.TrimSpace(want))
				}
			}
		})
	}
}

func TestNoIdentity(t *testing.T) {
	cases := []identEnv{
		{name: "nothing set"},
		{name: "name only", home: "[user]\n\tname = U\n"},
		{name: "email only", home: "[user]\n\temail = u@example.com\n"},
		{name: "crud only", home: "[user]\n\tname = \"<>\"\n\temail = u@example.com\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := gittest.Init(t)
			git(t, dir, "config", "--unset", "user.name")
			git(t, dir, "config", "--unset", "user.email")
			env := tc.setup(t, dir)
			r, _ := gitrepo.Open(dir)
			_, _, err := r.Identity(func(k string) string { return env[k] })
			if !errors.Is(err, gitrepo.ErrNoIdentity) {
				t.Fatalf("err = %v, want ErrNoIdentity", err)
			}
			for _, hint := range []string{`git config --global user.name "Your Name"`, `git config --global user.email "you@example.com"`} {
				if !strings.Contains(err.Error(), hint) {
					t.Errorf("message lacks %q:\n%v", hint, err)
				}
			}
		})
	}
	t.Run("bad date", func(t *testing.T) {
		dir := gittest.Init(t)
		r, _ := gitrepo.Open(dir)
		_, _, err := r.Identity(func(k string) string {
			return map[string]string{"GIT_AUTHOR_DATE": "yesterday-ish"}[k]
		})
		if err == nil || !strings.Contains(err.Error(), "GIT_AUTHOR_DATE") {
			t.Errorf("err = %v, want a GIT_AUTHOR_DATE error", err)
		}
	})
}

func TestConfigGetLikeGit(t *testing.T) {
	dir := gittest.Init(t)
	git(t, dir, "config", "core.hooksPath", ".githooks")
	git(t, dir, "config", "merge.milestone.driver", "git milestone merge-driver %O %A %B %P")
	git(t, dir, "config", "Remote.Origin.url", "https://example.com/a.git")
	git(t, dir, "config", "--add", "multi.value", "first")
	git(t, dir, "config", "--add", "multi.value", "last")
	home := os.Getenv("HOME")
	os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[core]\n\teditor = vi\n\thooksPath = global-hooks\n"), 0o666)
	defer os.Remove(filepath.Join(home, ".gitconfig"))
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"core.hooksPath", "core.hookspath", "CORE.HOOKSPATH", "core.editor",
		"merge.milestone.driver", "remote.Origin.url", "remote.origin.url", "multi.value", "no.such", "user.name"} {
		got, err := r.ConfigGet(key)
		want, _ := gittest.Run(dir, nil, "config", "--get", key)
		if err != nil || got != strings.TrimSuffix(want, "\n") {
			t.Errorf("ConfigGet(%q) = %q, %v; git says %q", key, got, err, want)
		}
	}
	if _, err := r.ConfigGet("nodot"); err == nil {
		t.Errorf("a key without a section was accepted")
	}
	if err := r.ConfigSet("diff.milestone.textconv", "git milestone textconv"); err != nil {
		t.Fatal(err)
	}
	if got := git(t, dir, "config", "--local", "--get", "diff.milestone.textconv"); got != "git milestone textconv" {
		t.Errorf("after ConfigSet git says %q", got)
	}
	if got, _ := r.ConfigGet("diff.milestone.textconv"); got != "git milestone textconv" {
		t.Errorf("ConfigGet after ConfigSet = %q", got)
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct {
		in   string
		unix int64
		tz   int // seconds east
		ok   bool
	}{
		{"@1700000000 +0100", 1700000000, 3600, true},
		{"1700000000 -0730", 1700000000, -(7*3600 + 30*60), true},
		{"@1700000000", 1700000000, 0, true},
		{"2005-04-07T22:13:13+02:00", 1112904793, 7200, true},
		{"2005-04-07 22:13:13 +0200", 1112904793, 7200, true},
		{"Thu, 07 Apr 2005 22:13:13 +0200", 1112904793, 7200, true},
		{"2005-04-07T20:13:13Z", 1112904793, 0, true},
		{"not a date", 0, 0, false},
		{"@12x +0100", 0, 0, false},
	}
	for _, tc := range cases {
		got, err := gitrepo.ParseDate(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseDate(%q) err = %v", tc.in, err)
			continue
		}
		if !tc.ok {
			continue
		}
		_, off := got.Zone()
		if got.Unix() != tc.unix || off != tc.tz {
			t.Errorf("ParseDate(%q) = %v (%d, zone %d), want %d zone %d", tc.in, got, got.Unix(), off, tc.unix, tc.tz)
		}
	}
	_ = time.Now
}
