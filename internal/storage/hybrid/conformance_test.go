package hybrid_test

import (
	"context"
	"testing"

	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
	"github.com/git-milestone/git-milestone/internal/storage/hybrid"
	"github.com/git-milestone/git-milestone/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		s, err := hybrid.Open(context.Background(), storagetest.NewRepo(t), filestore.Options{Getenv: storagetest.Getenv},
			func(msg string) { t.Log(msg) })
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
