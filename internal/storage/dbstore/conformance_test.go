package dbstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/git-milestone/git-milestone/internal/pgtest"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/dbstore"
	"github.com/git-milestone/git-milestone/internal/storage/storagetest"
)

func TestConformanceSQLite(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		s, err := dbstore.Open(context.Background(), dbstore.Config{Type: dbstore.TypeSQLite,
			Path: filepath.Join(t.TempDir(), "enterprise.db"), ProjectKey: "conformance"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestConformancePostgreSQL(t *testing.T) {
	url := pgtest.NewDatabase(t, "gm_conformance")
	// One database for the suite, a project key per test: rows never meet.
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		s, err := dbstore.Open(context.Background(), dbstore.Config{Type: dbstore.TypePostgreSQL, URL: url,
			ProjectKey: "conformance-" + t.Name()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
