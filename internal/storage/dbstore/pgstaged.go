package dbstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// ImportNew is Import for a database that is not yet the live store of
// the project (a migration into it, whose undo is DeleteAll). On
// PostgreSQL, a bulk load into an empty database commits its rows, with
// both primary keys, before the secondary indexes exist, and then builds
// those several at a time on separate connections (PostgreSQL 15 builds a
// GIN index on one CPU: the search index alone takes as long as the
// B-trees and the load together). The indexes still to build are
// recorded in the transaction of the rows (table milestone_pending_indexes);
// each index is built in one transaction with the removal of its record.
// Until they are all built, queries answer the same, by scanning.
//
// A failure after the commit deletes the rows of this project and builds
// the indexes (on the emptied table) before returning the error. A crash
// leaves the rows and the record: the next DeleteAll (the migration's
// undo, and its first step when it is run again), DeleteProject or bulk
// load builds what is recorded. Elsewhere, and into a database that holds
// rows, ImportNew is Import.
func (s *Store) ImportNew(ctx context.Context, recs []storage.Record, progress func(done int)) error {
	return s.importRecords(ctx, recs, progress, s.pool != nil)
}

// pgPendingTable records the indexes a staged bulk load (ImportNew) has
// yet to build: name and the statement that creates it.
const pgPendingTable = "milestone_pending_indexes"

// stagedHook, when set (tests), runs after the rows of a staged bulk load
// are committed, before its indexes are built; an error it returns fails
// the load there.
var stagedHook func() error

// pgRecordPending creates the record of the indexes to build, in tx (in a
// savepoint: on failure tx goes on without it).
func (s *Store) pgRecordPending(ctx context.Context, tx pgx.Tx, idx []secondaryIndex) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	defer sp.Rollback(ctx)
	if _, err := sp.Exec(ctx, `CREATE TABLE `+pgPendingTable+` (name TEXT PRIMARY KEY, def TEXT NOT NULL)`); err != nil {
		return err
	}
	names, defs := make([]string, len(idx)), make([]string, len(idx))
	for i, x := range idx {
		names[i], defs[i] = x.name, x.def
	}
	_, err = sp.Exec(ctx, `INSERT INTO `+pgPendingTable+` (name, def) SELECT * FROM unnest($1::text[], $2::text[])`, names, defs)
	if err != nil {
		return err
	}
	return sp.Commit(ctx)
}

// pgFinishStaged builds the recorded indexes after the commit of a staged
// load; on failure it deletes the project's rows and builds what is left
// on the emptied table.
func (s *Store) pgFinishStaged(ctx context.Context) error {
	err := error(nil)
	if stagedHook != nil {
		err = stagedHook()
	}
	if err == nil {
		err = s.pgBuildPending(ctx, 2)
	}
	if err == nil {
		return nil
	}
	// The caller hears of a failure: nothing of the load may stay.
	uctx := context.WithoutCancel(ctx)
	if _, derr := s.deleteAll(uctx); derr != nil {
		return fmt.Errorf("%w; removing the loaded rows failed too (the next migration or DeleteAll removes them): %v", err, derr)
	}
	if berr := s.pgBuildPending(uctx, 1); berr != nil {
		return fmt.Errorf("%w; building the indexes of the emptied tables failed too (the next bulk load or DeleteAll builds them): %v", err, berr)
	}
	return err
}

// pgRepairPending builds the indexes a crashed staged load recorded, if
// any.
func (s *Store) pgRepairPending(ctx context.Context) error {
	if s.pool == nil {
		return nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgPendingTable).Scan(&exists); err != nil {
		return s.wrap(ctx, "look for indexes to build", err)
	}
	if !exists {
		return nil
	}
	return s.pgBuildPending(ctx, 1)
}

// pgBuildPending builds the recorded indexes on up to workers connections,
// the GIN ones first (they take longest), each in one transaction with
// the removal of its record (a row lock on the record: two processes never
// build the same index), then drops the record once it is empty.
func (s *Store) pgBuildPending(ctx context.Context, workers int) error {
	var todo []secondaryIndex
	rows, err := s.pool.Query(ctx, `SELECT name, def FROM `+pgPendingTable+` ORDER BY def LIKE '% USING gin %' DESC, name`)
	if pgUndefinedTable(err) {
		return nil // built and dropped meanwhile
	}
	if err == nil {
		todo, err = scanIndexes(rows)
		rows.Close()
	}
	if pgUndefinedTable(err) {
		return nil
	}
	if err != nil {
		return s.wrap(ctx, "list the indexes to build", err)
	}
	next := make(chan secondaryIndex, len(todo))
	for _, i := range todo {
		next <- i
	}
	close(next)
	workers = max(1, min(workers, len(todo)))
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			errs <- s.pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
				for i := range next {
					if err := s.pgBuildOne(ctx, c, i); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	var first error
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	return s.pgDropPending(ctx)
}

// pgBuildOne builds one recorded index, unless another process did.
func (s *Store) pgBuildOne(ctx context.Context, c *pgxpool.Conn, i secondaryIndex) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return s.wrap(ctx, "build index "+i.name, err)
	}
	defer tx.Rollback(ctx)
	// An index build is not a slow query: query_timeout does not apply.
	// The builds run side by side: each keeps to one process (the GIN one
	// cannot use more, and the B-trees' workers would take its CPU).
	for _, q := range []string{`SET LOCAL statement_timeout = 0`, `SET LOCAL maintenance_work_mem = '256MB'`,
		`SET LOCAL max_parallel_maintenance_workers = 0`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return s.wrap(ctx, "build index "+i.name, err)
		}
	}
	var n int
	err = tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+pgPendingTable+` WHERE name = $1 FOR UPDATE) r`, i.name).Scan(&n)
	if pgUndefinedTable(err) || (err == nil && n == 0) {
		return nil // built by another process
	}
	if err != nil {
		return s.wrap(ctx, "build index "+i.name, err)
	}
	if _, err := tx.Exec(ctx, ifNotExists(i.def)); err != nil {
		return s.wrap(ctx, "build index "+i.name, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM `+pgPendingTable+` WHERE name = $1`, i.name); err != nil {
		return s.wrap(ctx, "build index "+i.name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.wrap(ctx, "build index "+i.name, err)
	}
	return nil
}

// pgDropPending drops the record once no index is left in it.
func (s *Store) pgDropPending(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.wrap(ctx, "drop the record of indexes to build", err)
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `LOCK TABLE `+pgPendingTable+` IN ACCESS EXCLUSIVE MODE`)
	if pgUndefinedTable(err) {
		return nil
	}
	var left bool
	if err == nil {
		err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgPendingTable+`)`).Scan(&left)
	}
	if err == nil && !left {
		_, err = tx.Exec(ctx, `DROP TABLE `+pgPendingTable)
	}
	if err == nil {
		err = tx.Commit(ctx)
	}
	if err != nil {
		return s.wrap(ctx, "drop the record of indexes to build", err)
	}
	return nil // what is left was recorded after we listed it: its builder drops the record
}

// ifNotExists makes a CREATE [UNIQUE] INDEX statement, as pg_indexes gives
// it, do nothing when the index exists.
func ifNotExists(def string) string {
	for _, p := range []string{"CREATE INDEX ", "CREATE UNIQUE INDEX "} {
		if rest, ok := strings.CutPrefix(def, p); ok {
			return p + "IF NOT EXISTS " + rest
		}
	}
	return def
}
