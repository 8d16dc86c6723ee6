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
	"github.com/git-milestone/git-milestone/internal/textfold"
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
	wait := func() {
		os.WriteFile(filepath.Join(os.Getenv("DBSTORE_SYNC"), "writing"), nil, 0o644)
		time.Sleep(time.Hour)
	}
	recs := newGenerator(5).records(3000)
	if os.Getenv("DBSTORE_IMPORT") == "new" {
		// Killed once the rows are committed, before the indexes are built.
		stagedHook = func() error { wait(); return nil }
		err = s.ImportNew(ctx, recs, nil)
	} else {
		err = s.Import(ctx, recs, func(int) { wait() })
	}
	fmt.Fprintln(os.Stderr, "child import returned:", err)
	return 1
}

// killChildImport runs childImport (ImportNew when mode is "new") on d and
// kills it once it waits.
func killChildImport(t *testing.T, d testDB, mode string) {
	t.Helper()
	sync := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=import", "DBSTORE_TYPE="+d.kind, "DBSTORE_URL="+d.url,
		"DBSTORE_PATH="+d.path, "DBSTORE_SYNC="+sync, "DBSTORE_IMPORT="+mode)
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
		killChildImport(t, d, "")

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

// pendingCount is the number of indexes recorded as still to build, -1
// when there is no record.
func pendingCount(t *testing.T, s *Store) int {
	t.Helper()
	ctx := context.Background()
	var exists bool
	if err := s.rdb.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgPendingTable).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if !exists {
		return -1
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM `+pgPendingTable).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// searchIDs is what a search for text answers, in order.
func searchIDs(t *testing.T, s *Store, text string) []string {
	t.Helper()
	recs, _, err := s.List(context.Background(), storage.Query{Text: text, All: true})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.Milestone.ID
	}
	return ids
}

// TestImportNewKilledAfterCommit kills a staged bulk load (ImportNew) once
// its rows are committed and before its indexes are built: the rows are
// all there with both primary keys, queries answer as they will with the
// indexes, and the indexes recorded are built by the next bulk load, or by
// DeleteAll (the migration's undo) on the emptied table.
func TestImportNewKilledAfterCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	ctx := context.Background()
	recs := newGenerator(5).records(3000)
	word := newGenerator(5).words[17]
	for _, next := range []string{"import", "deleteall"} {
		t.Run(next, func(t *testing.T) {
			d := newTestDB(t, TypePostgreSQL)
			s := d.open(t, "killed")
			indexes, keys := importIndexes(t, s, d.kind)
			killChildImport(t, d, "new")

			var n int
			if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM milestones`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != len(recs) {
				t.Fatalf("%d rows committed, want %d", n, len(recs))
			}
			if p := pendingCount(t, s); p != len(indexes) {
				t.Fatalf("%d indexes recorded to build, want %d", p, len(indexes))
			}
			i2, k2 := importIndexes(t, s, d.kind)
			if len(i2) != 0 || fmt.Sprint(k2) != fmt.Sprint(keys) {
				t.Fatalf("after the kill: indexes %v, keys %q", i2, k2)
			}
			var want []string
			for _, r := range recs {
				if storage.MatchText(&r.Milestone, textfold.Terms(word)) {
					want = append(want, r.Milestone.ID)
				}
			}
			if len(want) == 0 {
				t.Fatalf("no milestone has %q", word)
			}
			if got := searchIDs(t, s, word); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("search %q without its index: %d results, want %d", word, len(got), len(want))
			}

			switch next {
			case "import":
				extra := newGenerator(6).records(3)
				for i := range extra {
					extra[i].Milestone.ID = fmt.Sprintf("extra-%d", i)
				}
				if err := s.ImportNew(ctx, extra, nil); err != nil {
					t.Fatal(err)
				}
				n = len(recs) + len(extra)
			case "deleteall":
				if m, err := s.DeleteAll(ctx); err != nil || m != len(recs) {
					t.Fatalf("DeleteAll = %d, %v; want %d", m, err, len(recs))
				}
				n = 0
			}
			if p := pendingCount(t, s); p != -1 {
				t.Fatalf("after %s: %d indexes still recorded", next, p)
			}
			i3, k3 := importIndexes(t, s, d.kind)
			if fmt.Sprint(i3, k3) != fmt.Sprint(indexes, keys) {
				t.Fatalf("after %s: indexes %v, keys %q; before %v, %q", next, i3, k3, indexes, keys)
			}
			var m int
			if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM milestones`).Scan(&m); err != nil || m != n {
				t.Fatalf("after %s: %d rows (%v), want %d", next, m, err, n)
			}
			if next == "import" {
				if got := searchIDs(t, s, word); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("search %q with its index: %d results, want %d", word, len(got), len(want))
				}
			}
		})
	}
}

// TestImportNewFailsAfterCommit fails a staged bulk load after its rows
// are committed: the error is returned, no row of the load is left, and
// the indexes are all there, built on the emptied table.
func TestImportNewFailsAfterCommit(t *testing.T) {
	ctx := context.Background()
	d := newTestDB(t, TypePostgreSQL)
	s := d.open(t, "failed")
	other := d.open(t, "other")
	indexes, keys := importIndexes(t, s, d.kind)
	boom := errors.New("boom")
	stagedHook = func() error {
		// Another project writes while the indexes are missing.
		o := newGenerator(7).records(1)
		o[0].Milestone.ID = "other-1"
		create(t, other, o[0])
		return boom
	}
	defer func() { stagedHook = nil }()
	recs := newGenerator(5).records(2000)
	if err := s.ImportNew(ctx, recs, nil); !errors.Is(err, boom) {
		t.Fatalf("ImportNew = %v, want %v", err, boom)
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM milestones WHERE project = 'failed'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the failed load left %d rows (%v)", n, err)
	}
	if p := pendingCount(t, s); p != -1 {
		t.Fatalf("%d indexes still recorded", p)
	}
	i2, k2 := importIndexes(t, s, d.kind)
	if fmt.Sprint(i2, k2) != fmt.Sprint(indexes, keys) {
		t.Fatalf("after the failed load: indexes %v, keys %q; before %v, %q", i2, k2, indexes, keys)
	}
	if _, err := other.Get(ctx, "other-1"); err != nil {
		t.Fatalf("the other project's milestone: %v", err)
	}
	stagedHook = nil
	if err := s.ImportNew(ctx, recs, nil); err != nil { // into a table that holds a row: not staged
		t.Fatal(err)
	}
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM milestones WHERE project = 'failed'`).Scan(&n); err != nil || n != len(recs) {
		t.Fatalf("%d rows after the import (%v), want %d", n, err, len(recs))
	}
}

// TestImportNewStaged loads into an empty database with ImportNew (rows
// committed, then indexes built on two connections) and with Import into
// another: the same indexes and keys as before the load, no record left,
// and the same answers.
func TestImportNewStaged(t *testing.T) {
	ctx := context.Background()
	recs := newGenerator(8).records(2500)
	staged := newTestDB(t, TypePostgreSQL).open(t, "staged")
	plain := newTestDB(t, TypePostgreSQL).open(t, "staged")
	indexes, keys := importIndexes(t, staged, TypePostgreSQL)
	var progress []int
	if err := staged.ImportNew(ctx, recs, func(n int) { progress = append(progress, n) }); err != nil {
		t.Fatal(err)
	}
	if len(progress) == 0 || progress[len(progress)-1] != len(recs) {
		t.Fatalf("progress %v, want it to end at %d", progress, len(recs))
	}
	if err := plain.Import(ctx, recs, nil); err != nil {
		t.Fatal(err)
	}
	if p := pendingCount(t, staged); p != -1 {
		t.Fatalf("%d indexes still recorded", p)
	}
	i2, k2 := importIndexes(t, staged, TypePostgreSQL)
	if fmt.Sprint(i2, k2) != fmt.Sprint(indexes, keys) {
		t.Fatalf("after the staged load: indexes %v, keys %q; before %v, %q", i2, k2, indexes, keys)
	}
	g := newGenerator(8)
	for _, q := range []storage.Query{{All: true}, {Text: g.words[3]}, {Text: g.words[17] + " " + g.words[40], All: true},
		{Labels: []string{"web"}, All: true}, {Owner: "user3@example.com", All: true}} {
		a, _, err := staged.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := plain.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) == 0 || len(a) != len(b) {
			t.Fatalf("%+v: %d results after the staged load, %d after Import", q, len(a), len(b))
		}
		for i := range a {
			ja, _ := a[i].Milestone.JSON()
			jb, _ := b[i].Milestone.JSON()
			if a[i].Milestone.ID != b[i].Milestone.ID || string(ja) != string(jb) || string(a[i].Source) != string(b[i].Source) {
				t.Fatalf("%+v: result %d is %s after the staged load, %s after Import", q, i, ja, jb)
			}
		}
	}
}
