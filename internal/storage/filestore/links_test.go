package filestore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage/storagetest"
)

// TestLinkedFolderNeverRead: with .milestones/active a link to a folder
// outside the repository, neither Get nor ReadFile reads through it
// (O_NOFOLLOW alone guards only the last path component).
func TestLinkedFolderNeverRead(t *testing.T) {
	repo := storagetest.NewRepo(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "x.yaml"), []byte("title: Outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	active := filepath.Join(repo.WorkTree, ".milestones", "active")
	os.RemoveAll(active)
	if err := os.Symlink(outside, active); err != nil {
		t.Fatal(err)
	}
	s := Open(repo, Options{Getenv: storagetest.Getenv})
	if _, err := s.Get(context.Background(), "x"); !errors.Is(err, safefs.ErrRefused) {
		t.Errorf("Get: %v, want a refusal", err)
	}
	if _, err := s.ReadFile(".milestones/active/x.yaml"); !errors.Is(err, safefs.ErrRefused) {
		t.Errorf("ReadFile: %v, want a refusal", err)
	}
}
