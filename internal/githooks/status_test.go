package githooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/hooks"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		name     string
		break_   func(t *testing.T, hooksDir string) // what goes wrong after install
		problem  string                              // a problem naming it ("" = healthy)
		warning  string
		notFires string // a hook that must not fire
	}{
		{name: "healthy"},
		{name: "not executable", break_: func(t *testing.T, d string) {
			if err := os.Chmod(filepath.Join(d, "post-merge"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, problem: "post-merge is not executable, so git ignores it", notFires: "post-merge"},
		{name: "chained user hook not executable", break_: func(t *testing.T, d string) {
			writeFile(t, filepath.Join(d, "pre-commit"+hooks.UserSuffix), "#!/bin/sh\n", 0o644)
		}, problem: "pre-commit" + hooks.UserSuffix + " is not executable, so it does not run"},
		{name: "chained user hook dangling link", break_: func(t *testing.T, d string) {
			if err := os.Symlink("nowhere", filepath.Join(d, "post-checkout"+hooks.UserSuffix)); err != nil {
				t.Fatal(err)
			}
		}, problem: "post-checkout" + hooks.UserSuffix + " is unreadable or a broken link"},
		{name: "replaced by another program", break_: func(t *testing.T, d string) {
			writeFile(t, filepath.Join(d, "post-rewrite"), "#!/bin/sh\necho mine\n", 0o755)
		}, problem: "post-rewrite is not git-milestone's hook", notFires: "post-rewrite"},
		{name: "deleted with user hook waiting", break_: func(t *testing.T, d string) {
			if err := os.Remove(filepath.Join(d, "pre-commit")); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(d, "pre-commit"+hooks.UserSuffix), "#!/bin/sh\n", 0o755)
		}, problem: "waits beside it, run by nobody", notFires: "pre-commit"},
		{name: "outdated", break_: func(t *testing.T, d string) {
			writeFile(t, filepath.Join(d, "post-merge"), "#!/bin/sh\n"+hooks.Marker+" (post-merge)\n"+
				"printf 'post-merge %s\\n' \"$(command -v git-milestone)\" >>\"$"+hooks.CanaryEnv+"\"\n", 0o755)
		}, warning: "older version"},
		{name: "hooks folder deleted", break_: func(t *testing.T, d string) {
			if err := os.RemoveAll(d); err != nil {
				t.Fatal(err)
			}
		}, problem: "hooks folder " /* name follows */, notFires: "pre-commit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newRepo(t)
			o := discover(t, dir)
			if _, err := Install(o); err != nil {
				t.Fatal(err)
			}
			hooksDir := filepath.Join(o.CommonDir, "hooks")
			if tt.break_ != nil {
				tt.break_(t, hooksDir)
			}
			st, err := Status(o)
			if err != nil {
				t.Fatal(err)
			}
			if st.Dir != hooksDir || st.FromConfig {
				t.Errorf("Dir %s (from config %v)", st.Dir, st.FromConfig)
			}
			if st.Binary != filepath.Join(binDir, "git-milestone") {
				t.Errorf("Binary %q", st.Binary)
			}
			if tt.problem == "" {
				if !st.OK() {
					t.Errorf("problems: %q", st.Problems)
				}
			} else if !hasProblem(st, tt.problem) {
				t.Errorf("problems %q lack %q", st.Problems, tt.problem)
			}
			if tt.problem == "hooks folder " && !hasProblem(st, hooksDir) {
				t.Errorf("problems %q do not name %s", st.Problems, hooksDir)
			}
			if tt.warning != "" && !strings.Contains(strings.Join(st.Warnings, "\n"), tt.warning) {
				t.Errorf("warnings %q lack %q", st.Warnings, tt.warning)
			}
			for _, h := range st.Hooks {
				if want := h.Name != tt.notFires; h.Fires != want {
					t.Errorf("%s fires %v, want %v", h.Name, h.Fires, want)
				}
			}
			// Status changes nothing and runs neither git-milestone nor user hooks.
			if _, err := os.Stat(filepath.Join(dir, "user-hook-ran")); err == nil {
				t.Errorf("a user hook ran")
			}
		})
	}
}

func TestStatusBinaryMismatch(t *testing.T) {
	dir := newRepo(t)
	o := discover(t, dir)
	other := filepath.Join(t.TempDir(), "git-milestone")
	writeFile(t, other, "#!/bin/sh\n", 0o755)
	o.Binary = other
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	st, err := Status(o)
	if err != nil {
		t.Fatal(err)
	}
	if !st.OK() || !strings.Contains(strings.Join(st.Warnings, "\n"), "not "+other) {
		t.Errorf("problems %q, warnings %q", st.Problems, st.Warnings)
	}
	o.Binary = filepath.Join(binDir, "git-milestone")
	if st, _ := Status(o); len(st.Warnings) != 0 {
		t.Errorf("warnings with the right binary: %q", st.Warnings)
	}
}

func TestStatusOptionsDisagreeWithGit(t *testing.T) {
	dir := newRepo(t)
	o := discover(t, dir)
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	// Someone sets core.hooksPath after install: git no longer looks in .git/hooks.
	git(t, dir, "config", "core.hooksPath", ".hooks")
	st, err := Status(o) // stale Options, as a caller might hold
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(st, "git runs hooks from "+filepath.Join(dir, ".hooks")) {
		t.Errorf("problems %q", st.Problems)
	}
	if !hasProblem(st, "a folder that does not exist") {
		t.Errorf("problems %q", st.Problems)
	}
}

func TestManagers(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, repo, hooksDir string)
		manager   string
		evidence  string
		lines     int
		firstFile string
		firstLine string
		addLine   func(t *testing.T, repo string, l ManagerLine) // makes the first line present
	}{
		{name: "husky v9", setup: func(t *testing.T, repo, _ string) {
			writeFile(t, filepath.Join(repo, ".husky", "_", "h"), "#!/bin/sh\n", 0o755)
			writeFile(t, filepath.Join(repo, ".husky", "pre-commit"), "npm test\n", 0o644)
			git(t, repo, "config", "core.hooksPath", ".husky/_")
		}, manager: Husky, evidence: "core.hooksPath=", lines: 4, firstFile: ".husky/pre-commit",
			firstLine: `if command -v git-milestone >/dev/null 2>&1; then git-milestone hook pre-commit "$@"; fi`,
			addLine:   appendLine},
		{name: "husky folder only", setup: func(t *testing.T, repo, _ string) {
			if err := os.Mkdir(filepath.Join(repo, ".husky"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, manager: Husky, evidence: ".husky/", lines: 4, firstFile: ".husky/pre-commit", addLine: appendLine},
		{name: "pre-commit", setup: func(t *testing.T, repo, hooksDir string) {
			writeFile(t, filepath.Join(repo, ".pre-commit-config.yaml"), "repos:\n- repo: local\n  hooks: []\n", 0o644)
			writeFile(t, filepath.Join(hooksDir, "pre-commit"), "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n", 0o755)
		}, manager: PreCommit, evidence: ".pre-commit-config.yaml", lines: 1, firstFile: ".pre-commit-config.yaml",
			firstLine: `- {repo: local, hooks: [{id: git-milestone, name: git-milestone, entry: git-milestone hook pre-commit, ` +
				`language: system, pass_filenames: false, files: ^\.milestones/, stages: [pre-commit]}]}`,
			addLine: func(t *testing.T, repo string, l ManagerLine) {
				writeFile(t, filepath.Join(repo, l.File), "repos:\n"+l.Line+"\n", 0o644)
			}},
		{name: "pre-commit hook without config", setup: func(t *testing.T, repo, hooksDir string) {
			writeFile(t, filepath.Join(hooksDir, "pre-commit"), "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n", 0o755)
		}, manager: PreCommit, evidence: "was written by pre-commit", lines: 1, firstFile: ".pre-commit-config.yaml"},
		{name: "lefthook with a pre-commit section", setup: func(t *testing.T, repo, _ string) {
			writeFile(t, filepath.Join(repo, "lefthook.yml"), "pre-commit:\n  commands:\n    lint:\n      run: make lint\n", 0o644)
		}, manager: Lefthook, evidence: "lefthook.yml", lines: 4, firstFile: "lefthook.yml",
			firstLine: "git-milestone: {run: 'git-milestone hook pre-commit'}",
			addLine: func(t *testing.T, repo string, l ManagerLine) {
				writeFile(t, filepath.Join(repo, l.File), "pre-commit:\n  commands:\n    lint:\n      run: make lint\n    "+l.Line+"\n", 0o644)
			}},
		{name: "dot lefthook", setup: func(t *testing.T, repo, _ string) {
			writeFile(t, filepath.Join(repo, ".lefthook.yml"), "{}\n", 0o644)
		}, manager: Lefthook, evidence: ".lefthook.yml", lines: 4, firstFile: ".lefthook.yml",
			firstLine: "pre-commit: {commands: {git-milestone: {run: 'git-milestone hook pre-commit'}}}",
			addLine: func(t *testing.T, repo string, l ManagerLine) {
				writeFile(t, filepath.Join(repo, l.File), l.Line+"\n", 0o644)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newRepo(t)
			o := discover(t, dir)
			hooksDir := filepath.Join(o.CommonDir, "hooks")
			tt.setup(t, dir, hooksDir)
			o = discover(t, dir)
			gitDirBefore := snapshot(t, o.CommonDir)
			rep, err := Install(o)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Manager == nil || rep.Manager.Name != tt.manager || !strings.Contains(rep.Manager.Evidence, tt.evidence) {
				t.Fatalf("manager %+v, want %s (%s)", rep.Manager, tt.manager, tt.evidence)
			}
			if len(rep.Hooks) != 0 {
				t.Errorf("hooks touched: %+v", rep.Hooks)
			}
			if after := snapshot(t, o.CommonDir); after != gitDirBefore {
				t.Errorf("install wrote into the git dir")
			}
			if fi, err := os.Stat(filepath.Join(dir, ".husky", "_", "pre-commit")); err == nil {
				t.Errorf("wrote into husky's folder: %v", fi.Name())
			}
			ls := rep.Manager.Lines
			if len(ls) != tt.lines || ls[0].Hook != "pre-commit" || ls[0].File != tt.firstFile || ls[0].Present {
				t.Fatalf("lines %+v", ls)
			}
			if tt.firstLine != "" && ls[0].Line != tt.firstLine {
				t.Errorf("line %q, want %q", ls[0].Line, tt.firstLine)
			}
			st, err := Status(o)
			if err != nil {
				t.Fatal(err)
			}
			if !hasProblem(st, tt.manager+" owns the hooks") || !hasProblem(st, ls[0].Line) {
				t.Errorf("status problems %q", st.Problems)
			}
			if tt.addLine == nil {
				return
			}
			tt.addLine(t, dir, ls[0])
			st, err = Status(o)
			if err != nil {
				t.Fatal(err)
			}
			if hasProblem(st, "for pre-commit:") {
				t.Errorf("after adding the line, status still asks for it: %q", st.Problems)
			}
			if !st.Manager.Lines[0].Present {
				t.Errorf("line not seen as present")
			}
		})
	}
}

func appendLine(t *testing.T, repo string, l ManagerLine) {
	t.Helper()
	path := filepath.Join(repo, l.File)
	b, _ := os.ReadFile(path)
	writeFile(t, path, string(b)+l.Line+"\n", 0o755)
}

// The line given for husky really works when husky's hook runs it: the
// commit is checked and refused.
func TestHuskyLineWorks(t *testing.T) {
	dir := newRepo(t)
	log := hookLog(t)
	// husky v9's runner, reduced: core.hooksPath=.husky/_ whose hooks run .husky/NAME with sh -e.
	writeFile(t, filepath.Join(dir, ".husky", "_", "pre-commit"), "#!/bin/sh\nsh -e \".husky/$(basename \"$0\")\" \"$@\"\n", 0o755)
	writeFile(t, filepath.Join(dir, ".husky", "pre-commit"), "echo linted\n", 0o644)
	git(t, dir, "config", "core.hooksPath", ".husky/_")
	rep, err := Install(discover(t, dir))
	if err != nil || rep.Manager == nil {
		t.Fatalf("%+v %v", rep, err)
	}
	appendLine(t, dir, rep.Manager.Lines[0])
	if err := commit(t, dir, "ok.txt", "ok\n"); err != nil {
		t.Fatal(err)
	}
	if l := log(); len(l) != 1 || l[0] != "pre-commit []" {
		t.Errorf("calls %q", l)
	}
	err = commit(t, dir, ".milestones/active/bad.yaml", "title: Bad\nstatus: nonsense\n")
	if err == nil || !strings.Contains(err.Error(), ".milestones/active/bad.yaml:2:9:") {
		t.Errorf("commit of an invalid document: %v", err)
	}
	// Without git-milestone on PATH the line does nothing and blocks nothing.
	t.Setenv("PATH", basePath)
	if _, err := gitErrOut(dir, nil, "commit", "-q", "-m", "no binary"); err != nil {
		t.Errorf("commit without git-milestone: %v", err)
	}
}
