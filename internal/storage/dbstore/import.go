package dbstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// importChunk is how many rows Import writes between progress reports.
const importChunk = 5000

func (s *Store) chunk() int {
	if s.importChunk > 0 {
		return s.importChunk
	}
	return importChunk
}

// Import adds recs in one transaction (binary COPY on PostgreSQL), for
// migration into the database. An id that is already stored, or given
// twice, fails the whole import with storage.ErrExists and nothing is
// written. progress, if not nil, is called with the number of records
// written so far.
func (s *Store) Import(ctx context.Context, recs []storage.Record, progress func(done int)) error {
	rows := make([]row, len(recs))
	seen := make(map[string]bool, len(recs))
	for i := range recs {
		r, err := newRow(&recs[i].Milestone, recs[i].Source)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if seen[r.id] {
			return fmt.Errorf("import: %w: %s is given twice", storage.ErrExists, r.id)
		}
		seen[r.id] = true
		rows[i] = r
	}
	if progress == nil {
		progress = func(int) {}
	}
	if s.kind == TypePostgreSQL {
		return s.importPostgres(ctx, rows, progress)
	}
	return s.importSQLite(ctx, rows, progress)
}

var (
	copyMilestoneCols = []string{"project", "id", "title", "status", "priority", "owner", "due", "created_at",
		"updated_at", "source", "doc", "version", "fts_labels", "fts_owner", "fts_body"}
	copyLabelCols = []string{"project", "id", "label"}
)

func (s *Store) importPostgres(ctx context.Context, rows []row, progress func(int)) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.wrap(ctx, "import: begin", err)
	}
	defer tx.Rollback(ctx)
	// Into an empty table, building the GIN index once after the load is
	// several times cheaper than maintaining it row by row. DROP and CREATE
	// are part of the transaction: on failure the index is back as it was.
	// A bulk load is not a slow query: query_timeout does not apply.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return s.wrap(ctx, "import", err)
	}
	var empty bool
	if err := tx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM milestones)`).Scan(&empty); err != nil {
		return s.wrap(ctx, "import", err)
	}
	rebuild := empty && len(rows) >= rebuildIndexRows
	if rebuild {
		if _, err := tx.Exec(ctx, `DROP INDEX milestones_search`); err != nil {
			return s.wrap(ctx, "import: drop search index", err)
		}
	}
	for start := 0; start < len(rows); start += s.chunk() {
		chunk := rows[start:min(start+s.chunk(), len(rows))]
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"milestones"}, copyMilestoneCols,
			pgx.CopyFromSlice(len(chunk), func(i int) ([]any, error) {
				r := &chunk[i]
				return []any{s.project, r.id, r.title, r.status, r.priority, r.owner, r.due, r.created, r.updated,
					r.source, r.doc, int32(1), r.ftsLabels, r.ftsOwner, r.ftsDescription}, nil
			}))
		if err != nil {
			return s.importErr(ctx, err)
		}
		var labels [][]any
		for i := range chunk {
			for _, l := range chunk[i].labels {
				labels = append(labels, []any{s.project, chunk[i].id, l})
			}
		}
		if len(labels) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"milestone_labels"}, copyLabelCols, pgx.CopyFromRows(labels)); err != nil {
				return s.importErr(ctx, err)
			}
		}
		progress(start + len(chunk))
	}
	if rebuild {
		if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
			return s.wrap(ctx, "import", err)
		}
		if _, err := tx.Exec(ctx, createSearchIndex); err != nil {
			return s.wrap(ctx, "import: build search index", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return s.wrap(ctx, "import: commit", err)
	}
	// Fresh statistics, or the planner may scan instead of using the
	// search index.
	if _, err := s.pool.Exec(ctx, `ANALYZE milestones, milestone_labels`); err != nil {
		return s.wrap(ctx, "import: analyze", err)
	}
	return nil
}

// rebuildIndexRows is the import size from which an empty table's search
// index is dropped and built after the load.
const rebuildIndexRows = 1000

// createSearchIndex is the search index of migration 0001.
const createSearchIndex = `CREATE INDEX milestones_search ON milestones USING GIN (search)`

func (s *Store) importErr(ctx context.Context, err error) error {
	if s.uniqueViolation(err) {
		var pe *pgconn.PgError
		detail := ""
		if errors.As(err, &pe) {
			detail = ": " + pe.Detail
		}
		return fmt.Errorf("import: %w%s", storage.ErrExists, detail)
	}
	return s.wrap(ctx, "import", err)
}

func (s *Store) importSQLite(ctx context.Context, rows []row, progress func(int)) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(ctx, "import: begin", err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, sqliteInsert)
	if err != nil {
		return s.wrap(ctx, "import", err)
	}
	fts, err := tx.PrepareContext(ctx, sqliteInsertFTS)
	if err != nil {
		return s.wrap(ctx, "import", err)
	}
	lab, err := tx.PrepareContext(ctx, `INSERT INTO milestone_labels (project, id, label) VALUES ($1, $2, $3)`)
	if err != nil {
		return s.wrap(ctx, "import", err)
	}
	for i := range rows {
		r := &rows[i]
		var rowid int64
		if err := ins.QueryRowContext(ctx, s.rowArgs(*r)...).Scan(&rowid); err != nil {
			if s.uniqueViolation(err) {
				return fmt.Errorf("import: %w: %s", storage.ErrExists, r.id)
			}
			return s.wrap(ctx, "import "+r.id, err)
		}
		if _, err := fts.ExecContext(ctx, rowid, r.ftsTitle, r.ftsDescription, r.ftsLabels, r.ftsOwner); err != nil {
			return s.wrap(ctx, "import "+r.id, err)
		}
		for _, l := range r.labels {
			if _, err := lab.ExecContext(ctx, s.project, r.id, l); err != nil {
				return s.wrap(ctx, "import "+r.id, err)
			}
		}
		if (i+1)%s.chunk() == 0 || i+1 == len(rows) {
			progress(i + 1)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(ctx, "import: commit", err)
	}
	return nil
}
