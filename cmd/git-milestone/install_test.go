package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// install.sh installs the binary, the manual and the completion scripts
// where asked; the manual is what `git milestone --help` shows.
func TestInstallScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	tmp := t.TempDir()
	// Built as go test builds (its cache is warm); install.sh's own
	// -trimpath build would compile everything again.
	bin := filepath.Join(tmp, "git-milestone")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	prefix := filepath.Join(tmp, "prefix")
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	comp := filepath.Join(tmp, "completion")
	cmd := exec.Command("sh", "../../install.sh")
	cmd.Env = append(os.Environ(), "GIT_MILESTONE_BINARY="+bin, "PREFIX="+prefix, "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "XDG_DATA_HOME=", "XDG_CONFIG_HOME=",
		"BASH_COMPLETION_DIR="+filepath.Join(comp, "bash"), "ZSH_COMPLETION_DIR="+filepath.Join(comp, "zsh"),
		"FISH_COMPLETION_DIR="+filepath.Join(comp, "fish"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	// install.sh ran `git milestone setup --global`: the drivers are in
	// the (test's) user's global git config.
	if global, err := os.ReadFile(filepath.Join(home, ".gitconfig")); err != nil || !strings.Contains(string(global), "[merge \"milestone\"]") {
		t.Errorf("setup --global did not register the merge driver: %v\n%s", err, global)
	}
	for _, f := range []string{"bin/git-milestone", "share/man/man1/git-milestone.1"} {
		if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	for _, f := range []string{"bash/git-milestone", "zsh/_git-milestone", "fish/git-milestone.fish"} {
		b, err := os.ReadFile(filepath.Join(comp, f))
		if err != nil || len(b) == 0 {
			t.Errorf("completion %s not installed: %v", f, err)
		}
	}
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man is not installed: `git milestone --help` not checked")
	}
	// git turns `git milestone --help` into `git help milestone`, which runs man.
	repo := filepath.Join(tmp, "repo")
	if err := exec.Command("git", "init", "-q", repo).Run(); err != nil {
		t.Fatal(err)
	}
	help := exec.Command("git", "milestone", "--help")
	help.Dir = repo
	help.Env = append(os.Environ(), "PATH="+filepath.Join(prefix, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"MANPATH="+filepath.Join(prefix, "share", "man")+":", "MANPAGER=cat", "PAGER=cat", "GIT_PAGER=cat", "MANWIDTH=80", "HOME="+home)
	var stderr bytes.Buffer
	help.Stderr = &stderr
	page, err := help.Output()
	if err != nil {
		t.Fatalf("git milestone --help: %v\n%s", err, stderr.String())
	}
	text := regexp.MustCompile(".\x08").ReplaceAllString(string(page), "")
	if !strings.Contains(text, "git-milestone - keep a project's milestones") || !strings.Contains(text, "EXIT STATUS") {
		t.Errorf("git milestone --help did not show the manual:\n%.400s", text)
	}
}
