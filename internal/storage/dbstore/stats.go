package dbstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// Stats computes storage.Summarize in SQL (counts by status and priority,
// overdue before today, oldest and newest by created_at with ties to the
// smallest id), without reading any document but those two.
func (s *Store) Stats(ctx context.Context, today string) (storage.Stats, []storage.Problem, error) {
	st := storage.NewStats()
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	count := s.countByColumn
	if s.d.statsOnePass {
		count = s.countOnePass
	}
	if err := count(sctx, &st, today); err != nil {
		return st, nil, s.wrap(ctx, "stats", err)
	}
	for _, e := range []struct {
		dst   **storage.StatsEntry
		query string
	}{{&st.Oldest, s.d.oldest}, {&st.Newest, s.d.newest}} {
		var id string
		err := s.rdb.QueryRowContext(sctx, e.query, s.project).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return st, nil, s.wrap(ctx, "stats", err)
		}
		rec, err := s.Get(ctx, id) // ids are plain: [a-z0-9._-]
		if err != nil {
			return st, nil, err
		}
		*e.dst = &storage.StatsEntry{ID: rec.Milestone.ID, Title: rec.Milestone.Title, CreatedAt: rec.Milestone.CreatedAt}
	}
	return st, nil, nil
}

// countOnePass fills the counts from one pass over the narrow (project,
// status, priority, due) index (SQLite): at most 5 x 4 groups, each with
// its overdue count, added up here.
func (s *Store) countOnePass(ctx context.Context, st *storage.Stats, today string) error {
	rows, err := s.rdb.QueryContext(ctx, `SELECT status, priority, count(*),
	    count(CASE WHEN status IN ('planned', 'active', 'blocked') AND due <> '' AND due < $2 THEN 1 END)
	    FROM milestones WHERE project = $1 GROUP BY status, priority`, s.project, today)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var status, priority string
		var n, overdue int
		if err := rows.Scan(&status, &priority, &n, &overdue); err != nil {
			return err
		}
		st.AddGroup(status, priority, n, overdue)
	}
	return rows.Err()
}

// countByColumn fills the counts with one query per column (PostgreSQL:
// each an index-only scan of (project, status, id) or (project, priority,
// id) once the table is vacuumed, where one pass over both columns reads
// the whole table: 39 + 47 ms against 357 ms at 100,000), then the
// overdue ones from the due index.
func (s *Store) countByColumn(ctx context.Context, st *storage.Stats, today string) error {
	for _, g := range []struct {
		col string
		m   map[string]int
	}{{"status", st.ByStatus}, {"priority", st.ByPriority}} {
		// col is one of two fixed column names, never input.
		rows, err := s.rdb.QueryContext(ctx, `SELECT `+g.col+`, count(*) FROM milestones WHERE project = $1 GROUP BY `+g.col, s.project)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return err
			}
			g.m[k] = n
			if g.col == "status" {
				st.Total += n
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM milestones WHERE project = $1
		AND status IN ('planned', 'active', 'blocked') AND due <> '' AND due < $2`, s.project, today).Scan(&st.Overdue)
}
