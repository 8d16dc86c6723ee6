package filestore_test

import (
	"testing"

	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
	"github.com/git-milestone/git-milestone/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return filestore.Open(storagetest.NewRepo(t), filestore.Options{Getenv: storagetest.Getenv})
	})
}
