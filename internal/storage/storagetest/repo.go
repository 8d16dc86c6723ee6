package storagetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
)

// Getenv is a test environment with a fixed git identity.
func Getenv(key string) string {
	switch key {
	case "GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME":
		return "Conformance"
	case "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL":
		return "conformance@example.com"
	case "GIT_CONFIG_NOSYSTEM":
		return "1"
	}
	return ""
}

// NewRepo makes a git repository with an empty .milestones layout in a
// temporary folder and opens it.
func NewRepo(t testing.TB) *gitrepo.Repo {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("git", "init", "-q", "-b", "main", dir)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	for _, d := range []string{"active", "completed"} {
		if err := os.MkdirAll(filepath.Join(dir, ".milestones", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := gitrepo.OpenEnv(dir, Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}
