package dbstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
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

// TestConformancePostgreSQLNoTrigram runs the suite as a role that may
// create tables but not extensions: migration 0002 cannot create pg_trgm,
// so search has no trigram index and scans, with the same answers.
func TestConformancePostgreSQLNoTrigram(t *testing.T) {
	dbURL := pgtest.NewDatabase(t, "gm_conformance_notrgm")
	ctx := context.Background()
	admin, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	role := "gm_notrgm_" + hex.EncodeToString(b)
	for _, q := range []string{`CREATE ROLE ` + role + ` LOGIN`, `GRANT USAGE, CREATE ON SCHEMA public TO ` + role} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		// Before the database goes (pgtest's cleanup runs after this one).
		admin, err := sql.Open("pgx", dbURL)
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		for _, q := range []string{`DROP OWNED BY ` + role, `DROP ROLE ` + role} {
			if _, err := admin.ExecContext(ctx, q); err != nil {
				t.Error(err)
			}
		}
	})
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		s, err := dbstore.Open(ctx, dbstore.Config{Type: dbstore.TypePostgreSQL, URL: u.String(), ProjectKey: "notrgm-" + t.Name()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	var ext, idx int
	admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'`).Scan(&ext)
	admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_indexes WHERE indexname = 'milestones_search_trgm'`).Scan(&idx)
	if ext != 0 || idx != 0 {
		t.Fatalf("pg_trgm installed (%d) or its index made (%d) by a role that may not", ext, idx)
	}
}
