package dbstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// importChunk is how many rows Import writes between progress reports.
const importChunk = 5000

// rebuildIndexRows is the import size from which the secondary indexes of
// an empty database are dropped for the load and built after it.
const rebuildIndexRows = 1000

func (s *Store) chunk() int {
	if s.importChunk > 0 {
		return s.importChunk
	}
	return importChunk
}

// Import adds recs in one transaction (binary COPY on PostgreSQL), for
// migration into the database. An id that is already stored, or given
// twice, fails the whole import with storage.ErrExists and nothing is
// written. progress, if not nil, is called now and then with how much is
// done, counted in records: it grows to len(recs).
func (s *Store) Import(ctx context.Context, recs []storage.Record, progress func(done int)) error {
	return s.importRecords(ctx, recs, progress, false)
}

// importRecords is Import, or with staged (PostgreSQL only) ImportNew.
func (s *Store) importRecords(ctx context.Context, recs []storage.Record, progress func(done int), staged bool) error {
	if progress == nil {
		progress = func(int) {}
	}
	rows := streamRows(recs, s.chunk(), s.d.storesBrief)
	defer rows.close()
	if staged {
		return s.importPostgresMode(ctx, rows, progress, true)
	}
	return s.d.importRows(s, ctx, rows, progress)
}

// rowStream checks and encodes records chunk by chunk, on every CPU, one
// chunk ahead of its reader: a bulk load writes one chunk while the next
// is being prepared, instead of preparing them all first.
type rowStream struct {
	total  int // records in all
	chunks chan rowChunk
	stop   chan struct{}
	once   sync.Once
	err    error // the first error met (sticky)
}

// rowChunk is one chunk of a rowStream, or the error that ends it.
type rowChunk struct {
	rows []row
	err  error
}

// streamRows starts preparing recs in chunks of size chunk (with their
// brief documents when brief).
func streamRows(recs []storage.Record, chunk int, brief bool) *rowStream {
	st := &rowStream{total: len(recs), chunks: make(chan rowChunk, 1), stop: make(chan struct{})}
	go func() {
		defer close(st.chunks)
		seen := make(map[string]bool, len(recs))
		for start := 0; start < len(recs); start += chunk {
			rows, err := prepareRows(recs[start:min(start+chunk, len(recs))], seen, brief)
			select {
			case st.chunks <- rowChunk{rows, err}:
			case <-st.stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return st
}

// next returns the next chunk, nil at the end.
func (st *rowStream) next() ([]row, error) {
	if st.err != nil {
		return nil, st.err
	}
	c, ok := <-st.chunks
	if !ok {
		return nil, nil
	}
	st.err = c.err
	return c.rows, c.err
}

// all returns every remaining row.
func (st *rowStream) all() ([]row, error) {
	var out []row
	for {
		rows, err := st.next()
		if err != nil || rows == nil {
			return out, err
		}
		out = append(out, rows...)
	}
}

// close stops the preparation (the reader gave up).
func (st *rowStream) close() { st.once.Do(func() { close(st.stop) }) }

// prepareRows checks and encodes recs, on every CPU; seen holds the ids
// of the chunks before (an id given twice fails the import).
func prepareRows(recs []storage.Record, seen map[string]bool, brief bool) ([]row, error) {
	rows := make([]row, len(recs))
	errs := make([]error, len(recs))
	workers := min(runtime.GOMAXPROCS(0), 1+len(recs)/1000)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(recs); i += workers {
				rows[i], errs[i] = newRow(&recs[i].Milestone, recs[i].Source, brief)
			}
		}()
	}
	wg.Wait()
	for i := range rows {
		if errs[i] != nil {
			return nil, fmt.Errorf("import: %w", errs[i])
		}
		if seen[rows[i].id] {
			return nil, fmt.Errorf("import: %w: %s is given twice", storage.ErrExists, rows[i].id)
		}
		seen[rows[i].id] = true
	}
	return rows, nil
}

// secondaryIndex is an index that is not part of a constraint, as the
// catalog describes it.
type secondaryIndex struct{ name, def string }

// Both dialects: the indexes of milestones and milestone_labels that no
// constraint owns, with the statements that create them.
const (
	pgSecondaryIndexes = `SELECT indexname, indexdef FROM pg_indexes
 WHERE schemaname = current_schema() AND tablename IN ('milestones', 'milestone_labels')
 AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid IN ('milestones'::regclass, 'milestone_labels'::regclass))
 ORDER BY indexname`
	sqliteSecondaryIndexes = `SELECT name, sql FROM sqlite_schema
 WHERE type = 'index' AND tbl_name IN ('milestones', 'milestone_labels') AND sql IS NOT NULL ORDER BY name`
)

func scanIndexes(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) ([]secondaryIndex, error) {
	var idx []secondaryIndex
	for rows.Next() {
		var i secondaryIndex
		if err := rows.Scan(&i.name, &i.def); err != nil {
			return nil, err
		}
		idx = append(idx, i)
	}
	return idx, rows.Err()
}

// pgLabelsKey is the primary key of milestone_labels, as the catalog
// describes it.
const pgLabelsKey = `SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'milestone_labels'::regclass AND contype = 'p'`

// importStats is the statistics target of the ANALYZE that ends a bulk
// load into an empty database: a sample of 300 times it rows. The planner
// needs the row counts and the few values of status, priority and
// project; the default target (100: 30,000 rows, most of the pages of
// 100,000 milestones) took 0.4-0.5 s for the same plans.
const importStats = 10

func (s *Store) importPostgres(ctx context.Context, stream *rowStream, progress func(int)) error {
	return s.importPostgresMode(ctx, stream, progress, false)
}

// importPostgresMode is importPostgres, staged as ImportNew describes when
// staged.
func (s *Store) importPostgresMode(ctx context.Context, stream *rowStream, progress func(int), staged bool) error {
	// Indexes a crashed staged load left to build are built first.
	if err := s.pgRepairPending(ctx); err != nil {
		return err
	}
	// The first chunk is checked before anything is written (an invalid
	// record fails fast); a later one's error rolls the transaction back.
	first, err := stream.next()
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.wrap(ctx, "import: begin", err)
	}
	defer tx.Rollback(ctx)
	// A bulk load is not a slow query: query_timeout does not apply.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return s.wrap(ctx, "import", err)
	}
	// Into an empty database, building the indexes once after the load is
	// several times cheaper than maintaining them row by row (the GIN
	// search index above all), and so is adding the primary key of
	// milestone_labels after its rows (its entries go in the middle of the
	// index; the primary key of milestones, in id order, stays). DROP and
	// CREATE are part of the transaction: on failure the indexes are back
	// as they were. The tables are locked before they are found empty:
	// nobody else's rows can come in until the commit, so the key checks
	// the constraint does again when it is added are the only ones needed.
	var rebuild []secondaryIndex
	var labelsKey *secondaryIndex
	if stream.total >= rebuildIndexRows {
		if rebuild, labelsKey, err = s.pgDropIfEmpty(ctx, tx); err != nil {
			return err
		}
	}
	staged = staged && len(rebuild) > 0 && s.pool.Config().MaxConns >= 2
	if staged {
		// A role that may not create the record builds the indexes in
		// the transaction.
		staged = s.pgRecordPending(ctx, tx, rebuild) == nil
	}
	conn := tx.Conn().PgConn()
	mc := newMilestoneCopy(s.project, stream, first, progress)
	if _, err := conn.CopyFrom(ctx, mc, copyMilestonesSQL); err != nil || mc.err != nil {
		if mc.err != nil {
			return mc.err
		}
		return s.importErr(ctx, err)
	}
	if _, err := conn.CopyFrom(ctx, bytes.NewReader(mc.labels.b), copyLabelsSQL); err != nil {
		return s.importErr(ctx, err)
	}
	mc.labels.b = nil
	if err := s.pgFinishInTx(ctx, tx, rebuild, labelsKey, staged); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return s.wrap(ctx, "import: commit", err)
	}
	if staged {
		return s.pgFinishStaged(ctx)
	}
	return nil
}

// pgDropIfEmpty drops, in tx, what pgDropIndexes drops when both tables
// are empty (found so again once locked), and returns what rebuilds it;
// nothing when they hold rows.
func (s *Store) pgDropIfEmpty(ctx context.Context, tx pgx.Tx) ([]secondaryIndex, *secondaryIndex, error) {
	empty, err := s.pgEmpty(ctx, tx)
	if err != nil || !empty {
		return nil, nil, err
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE milestones, milestone_labels IN ACCESS EXCLUSIVE MODE`); err != nil {
		return nil, nil, s.wrap(ctx, "import: lock", err)
	}
	if empty, err = s.pgEmpty(ctx, tx); err != nil || !empty {
		return nil, nil, err
	}
	return s.pgDropIndexes(ctx, tx)
}

// pgFinishInTx ends a load in its transaction: the key of
// milestone_labels added back, the indexes built (unless staged: after
// the commit), and fresh statistics.
func (s *Store) pgFinishInTx(ctx context.Context, tx pgx.Tx, rebuild []secondaryIndex, labelsKey *secondaryIndex, staged bool) error {
	if labelsKey != nil || len(rebuild) > 0 {
		if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
			return s.wrap(ctx, "import", err)
		}
	}
	if labelsKey != nil {
		add := `ALTER TABLE milestone_labels ADD CONSTRAINT ` + pgx.Identifier{labelsKey.name}.Sanitize() + " " + labelsKey.def
		if _, err := tx.Exec(ctx, add); err != nil {
			return s.importErr(ctx, err)
		}
	}
	if !staged { // else after the commit
		for _, i := range rebuild {
			if _, err := tx.Exec(ctx, i.def); err != nil {
				return s.wrap(ctx, "import: build index "+i.name, err)
			}
		}
	}
	// Fresh statistics, in the transaction (it counts its own rows), or
	// the planner may scan instead of using the search index. A table
	// that held other rows keeps the default sample.
	if labelsKey != nil || len(rebuild) > 0 {
		if _, err := tx.Exec(ctx, `SET LOCAL default_statistics_target = `+strconv.Itoa(importStats)); err != nil {
			return s.wrap(ctx, "import", err)
		}
	}
	if _, err := tx.Exec(ctx, `ANALYZE milestones, milestone_labels`); err != nil {
		return s.wrap(ctx, "import: analyze", err)
	}
	return nil
}

// pgEmpty reports whether milestones and milestone_labels hold no row, of
// any project.
func (s *Store) pgEmpty(ctx context.Context, tx pgx.Tx) (bool, error) {
	var empty bool
	err := tx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM milestones) AND NOT EXISTS (SELECT 1 FROM milestone_labels)`).Scan(&empty)
	if err != nil {
		return false, s.wrap(ctx, "import", err)
	}
	return empty, nil
}

// pgDropIndexes drops, in tx, the secondary indexes of milestones and
// milestone_labels and the primary key of milestone_labels, and returns
// what rebuilds them.
func (s *Store) pgDropIndexes(ctx context.Context, tx pgx.Tx) ([]secondaryIndex, *secondaryIndex, error) {
	r, err := tx.Query(ctx, pgSecondaryIndexes)
	if err != nil {
		return nil, nil, s.wrap(ctx, "import: list indexes", err)
	}
	rebuild, err := scanIndexes(r)
	r.Close()
	if err != nil {
		return nil, nil, s.wrap(ctx, "import: list indexes", err)
	}
	for _, i := range rebuild {
		if _, err := tx.Exec(ctx, `DROP INDEX `+pgx.Identifier{i.name}.Sanitize()); err != nil {
			return nil, nil, s.wrap(ctx, "import: drop index "+i.name, err)
		}
	}
	r, err = tx.Query(ctx, pgLabelsKey)
	if err != nil {
		return nil, nil, s.wrap(ctx, "import: list indexes", err)
	}
	keys, err := scanIndexes(r)
	r.Close()
	if err != nil {
		return nil, nil, s.wrap(ctx, "import: list indexes", err)
	}
	if len(keys) != 1 {
		return rebuild, nil, nil
	}
	key := keys[0]
	if _, err := tx.Exec(ctx, `ALTER TABLE milestone_labels DROP CONSTRAINT `+pgx.Identifier{key.name}.Sanitize()); err != nil {
		return nil, nil, s.wrap(ctx, "import: drop the key of milestone_labels", err)
	}
	return rebuild, &key, nil
}

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

func (s *Store) importSQLite(ctx context.Context, stream *rowStream, progress func(int)) error {
	rows, err := stream.all() // written in two passes (rows, then their FTS rows)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(ctx, "import: begin", err)
	}
	defer tx.Rollback()
	var base int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(rid), 0) FROM milestones`).Scan(&base); err != nil {
		return s.wrap(ctx, "import", err)
	}
	var rebuild []secondaryIndex
	if base == 0 && len(rows) >= rebuildIndexRows {
		r, err := tx.QueryContext(ctx, sqliteSecondaryIndexes)
		if err != nil {
			return s.wrap(ctx, "import: list indexes", err)
		}
		rebuild, err = scanIndexes(r)
		r.Close()
		if err != nil {
			return s.wrap(ctx, "import: list indexes", err)
		}
		for _, i := range rebuild {
			if _, err := tx.ExecContext(ctx, `DROP INDEX `+quoteSQLite(i.name)); err != nil {
				return s.wrap(ctx, "import: drop index "+i.name, err)
			}
		}
	}
	// Rows get explicit rowids, and the FTS rows are written after all of
	// them: FTS5 flushes its pending terms at every statement savepoint,
	// so interleaving the two made the load several times slower.
	ins, err := tx.PrepareContext(ctx, `INSERT INTO milestones (rid, project, id, title, status, priority, owner, due,
 created_at, updated_at, brief, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1)`)
	if err != nil {
		return s.wrap(ctx, "import", err)
	}
	docs, err := tx.PrepareContext(ctx, sqliteSetDoc)
	if err != nil {
		return s.wrap(ctx, "import", err)
	}
	lab, err := tx.PrepareContext(ctx, `INSERT INTO milestone_labels (project, id, label) VALUES ($1, $2, $3)`)
	if err != nil {
		return s.wrap(ctx, "import", err)
	}
	for i := range rows {
		r := &rows[i]
		rid := base + int64(i) + 1
		if _, err := ins.ExecContext(ctx, rid, s.project, r.id, r.title, r.status, r.priority, r.owner,
			r.due, r.created, r.updated, r.brief); err != nil {
			if s.uniqueViolation(err) {
				return fmt.Errorf("import: %w: %s", storage.ErrExists, r.id)
			}
			return s.wrap(ctx, "import "+r.id, err)
		}
		if _, err := docs.ExecContext(ctx, rid, r.source, r.doc); err != nil {
			return s.wrap(ctx, "import "+r.id, err)
		}
		for _, l := range r.labels {
			if _, err := lab.ExecContext(ctx, s.project, r.id, l); err != nil {
				return s.wrap(ctx, "import "+r.id, err)
			}
		}
		if (i+1)%s.chunk() == 0 {
			progress((i + 1) / 2)
		}
	}
	fts, err := tx.PrepareContext(ctx, sqliteInsertFTS)
	if err != nil {
		return s.wrap(ctx, "import", err)
	}
	for i := range rows {
		r := &rows[i]
		if _, err := fts.ExecContext(ctx, base+int64(i)+1, r.search); err != nil {
			return s.wrap(ctx, "import "+r.id, err)
		}
		if (i+1)%s.chunk() == 0 || i+1 == len(rows) {
			progress((len(rows) + i + 1) / 2)
		}
	}
	if err := recreate(ctx, tx, rebuild); err != nil {
		return s.wrap(ctx, "import", err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(ctx, "import: commit", err)
	}
	return nil
}

func recreate(ctx context.Context, tx *sql.Tx, idx []secondaryIndex) error {
	for _, i := range idx {
		if _, err := tx.ExecContext(ctx, i.def); err != nil {
			return fmt.Errorf("build index %s: %w", i.name, err)
		}
	}
	return nil
}

// quoteSQLite quotes an identifier taken from the schema.
func quoteSQLite(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
