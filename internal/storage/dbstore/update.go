package dbstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// maxAttempts bounds how often Update runs fn when concurrent writers
// keep changing the rows it read.
const maxAttempts = 64

// errRetry marks a transaction that lost an optimistic-concurrency race.
var errRetry = fmt.Errorf("%w: a row changed since it was read (retrying)", storage.ErrConflict)

// Update runs fn in one database transaction and commits its writes. Rows
// carry a version: every write checks that the row still has the version
// fn read (UPDATE ... WHERE version = $n); when another writer got there
// first the transaction is rolled back and fn runs again, up to a bound,
// then storage.ErrConflict. No update is ever lost. opts has no effect in
// database mode (rows, not lock files, carry the concurrency). fn must use
// only tx: on SQLite the transaction holds the one writer connection, so a
// write through the Store from inside fn would wait for itself.
func (s *Store) Update(ctx context.Context, opts storage.UpdateOptions, fn func(tx storage.Tx) error) (storage.Result, error) {
	for attempt := 1; ; attempt++ {
		err := s.updateOnce(ctx, fn)
		if !errors.Is(err, errRetry) {
			return storage.Result{}, err
		}
		if attempt == maxAttempts {
			return storage.Result{}, fmt.Errorf("update: %d attempts lost to concurrent writers: %w", attempt, storage.ErrConflict)
		}
		// Jittered backoff so that competing processes spread out.
		d := time.Duration(rand.Int64N(int64(min(attempt, 16))*int64(time.Millisecond))) + time.Millisecond
		select {
		case <-ctx.Done():
			return storage.Result{}, ctx.Err()
		case <-time.After(d):
		}
	}
}

// serializationFailure reports a PostgreSQL error that means "retry": a
// serialization failure (dialect.updateTx) is retried like a version
// conflict.
func serializationFailure(err error) bool {
	c := pgCode(err)
	return c == "40001" || c == "40P01"
}

func (s *Store) updateOnce(ctx context.Context, fn func(tx storage.Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, s.d.updateTx)
	if err != nil {
		return s.wrap(ctx, "begin transaction", err)
	}
	defer sqlTx.Rollback()
	t := &dbTx{s: s, ctx: ctx, tx: sqlTx, versions: map[string]int64{}}
	ferr := fn(t)
	switch {
	case t.conflict, serializationFailure(ferr), serializationFailure(t.failed):
		return errRetry
	case ferr != nil:
		return ferr
	case t.failed != nil:
		// fn ignored a failed write: never commit a partial update.
		return t.failed
	}
	if err := sqlTx.Commit(); err != nil {
		if serializationFailure(err) {
			return errRetry
		}
		return s.wrap(ctx, "commit", err)
	}
	return nil
}

// dbTx is storage.Tx inside one database transaction. versions holds the
// version of every row the transaction has seen (0: absent), which its
// writes then require.
type dbTx struct {
	s        *Store
	ctx      context.Context
	tx       *sql.Tx
	versions map[string]int64
	conflict bool
	failed   error
}

// see records the version a read found. A row read twice with different
// versions changed under the transaction: retry.
func (t *dbTx) see(id string, v int64) {
	if old, ok := t.versions[id]; ok {
		if old != v {
			t.conflict = true
		}
		return
	}
	t.versions[id] = v
}

func (t *dbTx) fail(err error) error {
	if t.failed == nil {
		t.failed = err
	}
	return err
}

func (t *dbTx) lose() error {
	t.conflict = true
	return errRetry
}

// Get reads a milestone, including this transaction's own writes.
func (t *dbTx) Get(id string) (storage.Record, error) {
	rec, v, err := t.s.get(t.ctx, t.tx, id)
	var nf *milestone.NotFoundError
	if err != nil && !errors.As(err, &nf) {
		return rec, t.fail(err)
	}
	t.see(id, v)
	return rec, err
}

// All returns every milestone of the project, by id.
func (t *dbTx) All() ([]storage.Record, []storage.Problem, error) {
	sctx, cancel := t.s.stmtCtx(t.ctx)
	defer cancel()
	rows, err := t.tx.QueryContext(sctx, `SELECT m.id, `+t.s.d.docCols+`, m.version FROM milestones m`+t.s.d.docJoin+`
	    WHERE m.project = $1 ORDER BY m.id`, t.s.project)
	if err != nil {
		return nil, nil, t.fail(t.s.wrap(sctx, "read all milestones", err))
	}
	defer rows.Close()
	var recs []storage.Record
	var probs []storage.Problem
	for rows.Next() {
		var id string
		var source []byte
		var doc string
		var v int64
		if err := rows.Scan(&id, &source, &doc, &v); err != nil {
			return nil, nil, t.fail(t.s.wrap(sctx, "read all milestones", err))
		}
		t.see(id, v)
		rec, err := decodeRecord(id, source, doc)
		if err != nil {
			probs = append(probs, storage.Problem{Path: id, Err: err})
			continue
		}
		recs = append(recs, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, t.fail(t.s.wrap(sctx, "read all milestones", err))
	}
	return recs, probs, nil
}

// version returns the version of id this transaction is based on, reading
// it if the transaction has not seen the row yet.
func (t *dbTx) version(id string) (int64, error) {
	if v, ok := t.versions[id]; ok {
		return v, nil
	}
	sctx, cancel := t.s.stmtCtx(t.ctx)
	defer cancel()
	var v int64
	err := t.tx.QueryRowContext(sctx, `SELECT version FROM milestones WHERE project = $1 AND id = $2`, t.s.project, id).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, t.fail(t.s.wrap(sctx, "read version of "+id, err))
	}
	t.see(id, v)
	return v, nil
}

// Put writes a milestone (insert or update).
func (t *dbTx) Put(m milestone.Milestone, src []byte) error { return t.put(m, src, false) }

// Create writes a new milestone; storage.ErrExists if the id is taken.
func (t *dbTx) Create(m milestone.Milestone, src []byte) error { return t.put(m, src, true) }

func (t *dbTx) put(m milestone.Milestone, src []byte, create bool) error {
	if t.conflict {
		return errRetry
	}
	r, err := newRow(&m, src, t.s.d.storesBrief)
	if err != nil {
		return err
	}
	v, err := t.version(r.id)
	if err != nil {
		return err
	}
	if create && v != 0 {
		return fmt.Errorf("%w: %s", storage.ErrExists, r.id)
	}
	if v == 0 {
		err := t.s.insert(t.ctx, t.tx, r)
		if t.s.uniqueViolation(err) {
			return t.lose() // inserted concurrently: retry sees it
		}
		if err != nil {
			return t.fail(t.s.wrap(t.ctx, "insert milestone "+r.id, err))
		}
	} else {
		ok, err := t.s.update(t.ctx, t.tx, r, v)
		if err != nil {
			return t.fail(t.s.wrap(t.ctx, "update milestone "+r.id, err))
		}
		if !ok {
			return t.lose()
		}
	}
	t.versions[r.id] = v + 1
	return nil
}

// Delete removes a milestone.
func (t *dbTx) Delete(id string) error {
	if t.conflict {
		return errRetry
	}
	v, err := t.version(id)
	if err != nil {
		return err
	}
	if v == 0 {
		return &milestone.NotFoundError{ID: id}
	}
	ok, err := t.s.delete(t.ctx, t.tx, id, v)
	if err != nil {
		return t.fail(t.s.wrap(t.ctx, "delete milestone "+id, err))
	}
	if !ok {
		return t.lose()
	}
	t.versions[id] = 0
	return nil
}

// uniqueViolation reports a duplicate primary key.
func (s *Store) uniqueViolation(err error) bool { return err != nil && s.d.uniqueViolation(err) }

const deleteLabels = `DELETE FROM milestone_labels WHERE project = $1 AND id = $2`

// insert adds a new row with its labels (and search text).
func (s *Store) insert(ctx context.Context, tx *sql.Tx, r row) (err error) {
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	defer func() { err = s.stmtErr(sctx, err) }()
	if err := s.d.insertRow(sctx, tx, s.project, r); err != nil {
		return err
	}
	return s.insertLabels(sctx, tx, r)
}

func (s *Store) insertLabels(ctx context.Context, tx *sql.Tx, r row) error {
	if len(r.labels) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, s.d.insertLabels, s.project, r.id, s.d.labelsArg(r.labels))
	return err
}

// update rewrites a row if it still has version v; false if it does not.
func (s *Store) update(ctx context.Context, tx *sql.Tx, r row, v int64) (_ bool, err error) {
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	defer func() { err = s.stmtErr(sctx, err) }()
	if ok, err := s.d.updateRow(sctx, tx, s.project, r, v); !ok || err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(sctx, deleteLabels, s.project, r.id); err != nil {
		return false, err
	}
	return true, s.insertLabels(sctx, tx, r)
}

// delete removes a row if it still has version v; false if it does not.
func (s *Store) delete(ctx context.Context, tx *sql.Tx, id string, v int64) (_ bool, err error) {
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	defer func() { err = s.stmtErr(sctx, err) }()
	if ok, err := s.d.deleteRow(sctx, tx, s.project, id, v); !ok || err != nil {
		return false, err
	}
	_, err = tx.ExecContext(sctx, deleteLabels, s.project, id)
	return err == nil, err
}
