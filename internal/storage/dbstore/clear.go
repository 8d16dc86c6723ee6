package dbstore

import (
	"context"
)

// DeleteAll removes every milestone of this project (not its events), in
// one transaction, and returns how many there were. Migration uses it to
// clear what an interrupted earlier attempt left in a target database that
// is not yet the live store.
func (s *Store) DeleteAll(ctx context.Context) (int, error) {
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(sctx, nil)
	if err != nil {
		return 0, s.wrap(ctx, "delete all: begin", err)
	}
	defer tx.Rollback()
	if s.kind == TypeSQLite {
		if _, err := tx.ExecContext(sctx, `DELETE FROM milestones_fts WHERE rowid IN (SELECT rowid FROM milestones WHERE project = $1)`, s.project); err != nil {
			return 0, s.wrap(ctx, "delete all", err)
		}
	}
	if _, err := tx.ExecContext(sctx, `DELETE FROM milestone_labels WHERE project = $1`, s.project); err != nil {
		return 0, s.wrap(ctx, "delete all", err)
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
