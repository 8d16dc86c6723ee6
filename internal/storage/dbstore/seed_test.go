package dbstore

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// shellDB creates the design note's enterprise.db (initialize_database_storage,
// SQLite branch) with rows as create_milestone_database inserts them.
func shellDB(t *testing.T, rows map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "enterprise.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS milestones (
                id TEXT PRIMARY KEY,
                data TEXT,
                created_at TEXT,
                updated_at TEXT
            );`); err != nil {
		t.Fatal(err)
	}
	for id, data := range rows {
		if _, err := db.Exec(`INSERT INTO milestones (id, data, created_at, updated_at) VALUES (?, ?, datetime('now'), datetime('now'))`, id, data); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestReadSeed(t *testing.T) {
	ctx := context.Background()
	path := shellDB(t, map[string]string{
		"b": `{"title":"B","status":"in_progress"}`,
		"a": `{"id":"a","title":"A","priority":"P0","due_date":"2026-12-01"}`,
	})
	before, _ := os.ReadFile(path)
	rows, err := ReadSeed(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].ID != "a" || rows[1].ID != "b" || !strings.Contains(string(rows[0].Data), `"P0"`) ||
		len(rows[0].CreatedAt) != len("2006-01-02 15:04:05") || rows[0].UpdatedAt == "" {
		t.Fatalf("%+v", rows)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("reading the shell-era database changed the file")
	}
	// Opened as a store, it is refused with the way to bring it in.
	if _, err := Open(ctx, Config{Type: TypeSQLite, Path: path, ProjectKey: "p"}); err == nil ||
		!strings.Contains(err.Error(), "shell-era database") || !strings.Contains(err.Error(), "import --from seed") {
		t.Errorf("open as store: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("refusing the shell-era database changed the file")
	}

	// Not a shell-era database: refused.
	other := filepath.Join(t.TempDir(), "other.db")
	db, _ := sql.Open("sqlite", other)
	db.Exec(`CREATE TABLE notes (id TEXT, body TEXT)`)
	db.Close()
	if _, err := ReadSeed(ctx, other); err == nil || !strings.Contains(err.Error(), "no shell-era table") {
		t.Errorf("foreign: %v", err)
	}
	text := filepath.Join(t.TempDir(), "x.db")
	os.WriteFile(text, []byte("hello\n"), 0o644)
	if _, err := ReadSeed(ctx, text); err == nil || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Errorf("text file: %v", err)
	}
	link := filepath.Join(t.TempDir(), "link.db")
	os.Symlink(path, link)
	if _, err := ReadSeed(ctx, link); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("symlink: %v", err)
	}
}
