package dbstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// importIndexes lists the secondary indexes of milestones and
// milestone_labels and the primary keys of both.
func importIndexes(t *testing.T, s *Store, kind string) (secondary []secondaryIndex, keys []string) {
	t.Helper()
	ctx := context.Background()
	q := sqliteSecondaryIndexes
	if kind == TypePostgreSQL {
		q = pgSecondaryIndexes
	}
	rows, err := s.rdb.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if secondary, err = scanIndexes(rows); err != nil {
		t.Fatal(err)
	}
	if kind != TypePostgreSQL {
		return secondary, nil // SQLite keys are part of the tables and never dropped
	}
	r, err := s.rdb.QueryContext(ctx, `SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid IN ('milestones'::regclass, 'milestone_labels'::regclass) AND contype = 'p' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var k string
		if err := r.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if len(keys) != 2 {
		t.Fatalf("primary keys: %q", keys)
	}
	return secondary, keys
}

// childImport is the child process of TestImportKilledMidway: it imports
// 3,000 records in chunks of 200 into the store the environment names and,
// at the first progress report (rows are being written), says so with a
// file and waits to be killed.
func childImport() int {
	cfg := Config{Type: os.Getenv("DBSTORE_TYPE"), URL: os.Getenv("DBSTORE_URL"), Path: os.Getenv("DBSTORE_PATH"),
		ProjectKey: "killed", PoolSize: 2}
	ctx := context.Background()
	s, err := Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 1
	}
	s.importChunk = 200
	err = s.Import(ctx, newGenerator(5).records(3000), func(int) {
		os.WriteFile(filepath.Join(os.Getenv("DBSTORE_SYNC"), "writing"), nil, 0o644)
		time.Sleep(time.Hour)
	})
	fmt.Fprintln(os.Stderr, "child import returned:", err)
	return 1
}

// TestImportKilledMidway kills a process in the middle of a bulk load into
// an empty database (its indexes and, on PostgreSQL, the key of
// milestone_labels dropped for the load, rows already sent): nothing of it
// is left, the indexes and keys are there, and the same import then
// succeeds, with the key of milestone_labels enforced.
func TestImportKilledMidway(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "killed")
		indexes, keys := importIndexes(t, s, d.kind)
		sync := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=import", "DBSTORE_TYPE="+d.kind, "DBSTORE_URL="+d.url,
			"DBSTORE_PATH="+d.path, "DBSTORE_SYNC="+sync)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		for {
			if _, err := os.Stat(filepath.Join(sync, "writing")); err == nil {
				break
			}
			select {
			case err := <-done:
				t.Fatalf("the child ended before writing: %v\n%s", err, out.String())
			case <-time.After(5 * time.Millisecond):
			}
		}
		cmd.Process.Kill()
		<-done

		var n int
		if err := s.rdb.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM milestones) + (SELECT count(*) FROM milestone_labels)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("the killed import left %d rows", n)
		}
		i2, k2 := importIndexes(t, s, d.kind)
		if fmt.Sprint(i2, k2) != fmt.Sprint(indexes, keys) {
			t.Fatalf("after the killed import: indexes %v, keys %q; before %v, %q", i2, k2, indexes, keys)
		}
		recs := newGenerator(5).records(3000)
		if err := s.Import(ctx, recs, nil); err != nil {
			t.Fatal(err)
		}
		i3, k3 := importIndexes(t, s, d.kind)
		if fmt.Sprint(i3, k3) != fmt.Sprint(indexes, keys) {
			t.Fatalf("after the import: indexes %v, keys %q; before %v, %q", i3, k3, indexes, keys)
		}
		var id, label string
		if err := s.rdb.QueryRowContext(ctx, `SELECT id, label FROM milestone_labels LIMIT 1`).Scan(&id, &label); err != nil {
			t.Fatal(err)
		}
		_, err := s.db.ExecContext(ctx, `INSERT INTO milestone_labels (project, id, label) VALUES ($1, $2, $3)`, "killed", id, label)
		if !s.uniqueViolation(err) {
			t.Fatalf("a label given twice = %v, want a unique violation", err)
		}
	})
}

// TestImportStreamFailsLate checks the streamed bulk load into an empty
// database (secondary indexes dropped for the load) when a chunk after
// the first fails its checks: the whole import fails, no row is written,
// the indexes are back, and a good import afterwards succeeds.
func TestImportStreamFailsLate(t *testing.T) {
	recs := newGenerator(21).records(1500)
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "late")
		s.importChunk = 100
		indexes := func() []secondaryIndex {
			q := sqliteSecondaryIndexes
			if d.kind == TypePostgreSQL {
				q = pgSecondaryIndexes
			}
			rows, err := s.rdb.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			idx, err := scanIndexes(rows)
			if err != nil {
				t.Fatal(err)
			}
			return idx
		}
		before := indexes()
		if len(before) == 0 {
			t.Fatal("no secondary index to drop")
		}
		count := func() int {
			var n int
			if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM milestones`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		dup := append(append([]storage.Record(nil), recs...), recs[5]) // given twice, in the last chunk
		if err := s.Import(ctx, dup, nil); !errors.Is(err, storage.ErrExists) {
			t.Fatalf("import with a duplicate in a late chunk = %v, want ErrExists", err)
		}
		bad := append([]storage.Record(nil), recs...)
		bad[1234].Milestone.ID = "Not An Id"
		if err := s.Import(ctx, bad, nil); err == nil {
			t.Fatal("import with an invalid id in a late chunk succeeded")
		}
		if n := count(); n != 0 {
			t.Fatalf("failed imports left %d rows", n)
		}
		if after := indexes(); len(after) != len(before) {
			t.Fatalf("indexes after the failed imports: %v, before %v", after, before)
		}
		if err := s.Import(ctx, recs, nil); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != len(recs) {
			t.Fatalf("%d rows after the import, want %d", n, len(recs))
		}
		if after := indexes(); len(after) != len(before) {
			t.Fatalf("indexes after the import: %v, before %v", after, before)
		}
	})
}
