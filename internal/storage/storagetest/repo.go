package storagetest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
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
	if _, err := gittest.Run(dir, []string{"GIT_CONFIG_NOSYSTEM=1"}, "init", "-q", "-b", "main", dir); err != nil {
		t.Fatalf("git init: %v", err)
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
