package dbstore

import (
	"context"
	"slices"
)

// DeleteAll removes every milestone of this project (not its events), in
// one transaction, and returns how many there were. Migration uses it to
// clear what an interrupted earlier attempt left in a target database that
// is not yet the live store.
//
// On PostgreSQL, it then builds the indexes a crashed staged bulk load
// (ImportNew) recorded, on the emptied table.
func (s *Store) DeleteAll(ctx context.Context) (int, error) {
	n, err := s.deleteAll(ctx)
	if err != nil {
		return 0, err
	}
	return n, s.pgRepairPending(ctx)
}

func (s *Store) deleteAll(ctx context.Context) (int, error) {
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(sctx, nil)
	if err != nil {
		return 0, s.wrap(ctx, "delete all: begin", err)
	}
	defer tx.Rollback()
	for _, q := range append(slices.Clip(s.d.clearRows), `DELETE FROM milestone_labels WHERE project = $1`) {
		if _, err := tx.ExecContext(sctx, q, s.project); err != nil {
			return 0, s.wrap(ctx, "delete all", err)
		}
	}
	res, err := tx.ExecContext(sctx, `DELETE FROM milestones WHERE project = $1`, s.project)
	if err != nil {
		return 0, s.wrap(ctx, "delete all", err)
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return 0, s.wrap(ctx, "delete all: commit", err)
	}
	return int(n), nil
}

// DeleteProject removes every row of this project: its milestones, their
// labels and its events, in one transaction, and returns how many
// milestones there were. Rows of other projects sharing the database are
// never touched. Migration uses it once the milestones have left the
// database and their copy is verified. Like DeleteAll, it then builds the
// indexes a crashed staged bulk load recorded.
func (s *Store) DeleteProject(ctx context.Context) (int, error) {
	n, err := s.deleteProject(ctx)
	if err != nil {
		return 0, err
	}
	return n, s.pgRepairPending(ctx)
}

func (s *Store) deleteProject(ctx context.Context) (int, error) {
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(sctx, nil)
	if err != nil {
		return 0, s.wrap(ctx, "delete project: begin", err)
	}
	defer tx.Rollback()
	stmts := append(slices.Clip(s.d.clearRows), `DELETE FROM milestone_labels WHERE project = $1`, `DELETE FROM milestone_events WHERE project = $1`)
	for _, q := range stmts {
		if _, err := tx.ExecContext(sctx, q, s.project); err != nil {
			return 0, s.wrap(ctx, "delete project", err)
		}
	}
	res, err := tx.ExecContext(sctx, `DELETE FROM milestones WHERE project = $1`, s.project)
	if err != nil {
		return 0, s.wrap(ctx, "delete project", err)
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return 0, s.wrap(ctx, "delete project: commit", err)
	}
	return int(n), nil
}

// HasProject reports whether the database holds anything of this project:
// a milestone or an event. A project set up in it (init, migrate) always
// has one, so false means the database is not this project's store (the
// wrong server or database in the URL).
func (s *Store) HasProject(ctx context.Context) (bool, error) {
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	var n int
	err := s.db.QueryRowContext(sctx, `SELECT (SELECT count(*) FROM (SELECT 1 FROM milestones WHERE project = $1 LIMIT 1) a)
		+ (SELECT count(*) FROM (SELECT 1 FROM milestone_events WHERE project = $1 LIMIT 1) b)`, s.project).Scan(&n)
	if err != nil {
		return false, s.wrap(ctx, "look up the project", err)
	}
	return n > 0, nil
}
