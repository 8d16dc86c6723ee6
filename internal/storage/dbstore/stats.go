package dbstore

import (
	"context"
	"database/sql"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Stats computes storage.Summarize in SQL (counts by status and priority,
// overdue before today, oldest and newest by created_at with ties to the
// smallest id), without reading any document but those two.
//
// It reads the project's rows twice, whatever their number: one pass
// counts by (status, priority) and finds the smallest and largest
// created_at; a second finds the smallest id at each of the two (there is
// no index on created_at: each ORDER BY ... LIMIT 1 was a pass of its own,
// 4 passes in all, ~50 ms each at 100,000 on PostgreSQL).
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
	rows, err := s.rdb.QueryContext(sctx, `SELECT status, priority, count(*),
		count(*) FILTER (WHERE status IN ('planned', 'active', 'blocked') AND due <> '' AND due < $2),
		min(created_at) FILTER (WHERE created_at <> ''), max(created_at) FILTER (WHERE created_at <> '')
		FROM milestones WHERE project = $1 GROUP BY status, priority`, s.project, today)
	if err != nil {
		return st, nil, s.wrap(ctx, "stats", err)
	}
	var oldest, newest sql.NullString
	for rows.Next() {
		var status, priority string
		var n, overdue int
		var lo, hi sql.NullString
		if err := rows.Scan(&status, &priority, &n, &overdue, &lo, &hi); err != nil {
			rows.Close()
			return st, nil, s.wrap(ctx, "stats", err)
		}
		st.ByStatus[status] += n
		st.ByPriority[priority] += n
		st.Total += n
		st.Overdue += overdue
		if lo.Valid && (!oldest.Valid || lo.String < oldest.String) {
			oldest = lo
		}
		if hi.Valid && (!newest.Valid || hi.String > newest.String) {
			newest = hi
		}
	}
	if err := rows.Close(); err != nil {
		return st, nil, s.wrap(ctx, "stats", err)
	}
	if !oldest.Valid {
		return st, nil, nil // no milestone has created_at
	}
	// The smallest id at each end (created_at is compared as stored, as
	// the ORDER BY it replaces did).
	first := map[string]string{}
	rows, err = s.rdb.QueryContext(sctx, `SELECT created_at, min(id) FROM milestones
		WHERE project = $1 AND created_at IN ($2, $3) GROUP BY created_at`, s.project, oldest.String, newest.String)
	if err != nil {
		return st, nil, s.wrap(ctx, "stats", err)
	}
	for rows.Next() {
		var at, id string
		if err := rows.Scan(&at, &id); err != nil {
			rows.Close()
			return st, nil, s.wrap(ctx, "stats", err)
		}
		first[at] = id
	}
	if err := rows.Close(); err != nil {
		return st, nil, s.wrap(ctx, "stats", err)
	}
	for _, e := range []struct {
		dst **storage.StatsEntry
		at  string
	}{{&st.Oldest, oldest.String}, {&st.Newest, newest.String}} {
		id, ok := first[e.at]
		if !ok {
			continue // changed between the two statements: as if read before
		}
		rec, err := s.Get(ctx, id) // ids are plain: [a-z0-9._-]
		if err != nil {
			return st, nil, err
		}
		*e.dst = &storage.StatsEntry{ID: rec.Milestone.ID, Title: rec.Milestone.Title, CreatedAt: rec.Milestone.CreatedAt}
	}
	return st, nil, nil
}
