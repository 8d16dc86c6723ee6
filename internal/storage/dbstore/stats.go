package dbstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Stats computes storage.Summarize in SQL (counts by status and priority,
// overdue before today, oldest and newest by created_at with ties to the
// smallest id), without reading any document but those two.
func (s *Store) Stats(ctx context.Context, today string) (storage.Stats, []storage.Problem, error) {
	st := storage.Stats{ByStatus: map[string]int{}, ByPriority: map[string]int{}}
	for _, v := range milestone.Statuses {
		st.ByStatus[string(v)] = 0
	}
	for _, v := range milestone.Priorities {
		st.ByPriority[string(v)] = 0
	}
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	// One pass over the narrow (project, status, priority, due) index
	// gives every count: at most 5 x 4 groups, added up here.
	rows, err := s.rdb.QueryContext(sctx, `SELECT status, priority, count(*),
	    count(CASE WHEN status IN ('planned', 'active', 'blocked') AND due <> '' AND due < $2 THEN 1 END)
	    FROM milestones WHERE project = $1 GROUP BY status, priority`, s.project, today)
	if err != nil {
		return st, nil, s.wrap(ctx, "stats", err)
	}
	for rows.Next() {
		var status, priority string
		var n, overdue int
		if err := rows.Scan(&status, &priority, &n, &overdue); err != nil {
			rows.Close()
			return st, nil, s.wrap(ctx, "stats", err)
		}
		st.ByStatus[status] += n
		st.ByPriority[priority] += n
		st.Total += n
		st.Overdue += overdue
	}
	if err := rows.Close(); err != nil {
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
