package dbstore

import (
	"context"
	"errors"
	"testing"

	"github.com/git-milestone/git-milestone/internal/storage"
)

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
