package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/textfold"
)

// problemError is a problem message as recorded in the index.
type problemError string

func (e problemError) Error() string { return string(e) }

// problems returns every recorded problem, by path.
func (ix *Index) problems(ctx context.Context, db querier) ([]storage.Problem, error) {
	rows, err := db.QueryContext(ctx, `SELECT path, message FROM problems ORDER BY path`)
	if err != nil {
		return nil, ix.wrap("list problems", err)
	}
	defer rows.Close()
	var out []storage.Problem
	for rows.Next() {
		var p, msg string
		if err := rows.Scan(&p, &msg); err != nil {
			return nil, ix.wrap("list problems", err)
		}
		out = append(out, storage.Problem{Path: p, Err: problemError(msg)})
	}
	return out, ix.wrap("list problems", rows.Err())
}

// Problems returns the documents that could not be indexed.
func (ix *Index) Problems(ctx context.Context) ([]storage.Problem, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.problems(ctx, ix.db)
}

// sqlList builds a SQL list of string literals (fixed domain values only).
func sqlList[T ~string](vs []T) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + string(v) + "'"
	}
	return strings.Join(q, ", ")
}

// openStatuses is the SQL list of open statuses.
func openStatuses() string {
	var open []milestone.Status
	for _, s := range milestone.Statuses {
		if !s.Closed() {
			open = append(open, s)
		}
	}
	return sqlList(open)
}

// rankCase is a CASE expression giving col's position in values.
func rankCase[T ~string](col string, values []T) string {
	var b strings.Builder
	b.WriteString("CASE " + col)
	for i, v := range values {
		b.WriteString(" WHEN '" + string(v) + "' THEN " + strconv.Itoa(i))
	}
	b.WriteString(" ELSE " + strconv.Itoa(len(values)) + " END")
	return b.String()
}

// orderBy is the ORDER BY of storage.Less for key.
func orderBy(key string) string {
	switch key {
	case "title":
		return "m.title, m.id"
	case "status":
		return rankCase("m.status", milestone.Statuses) + ", m.id"
	case "priority":
		return rankCase("m.priority", milestone.Priorities) + " DESC, m.id"
	case "due":
		return "m.due IS NULL, m.due, m.id"
	case "created":
		return "m.created_at, m.id"
	case "updated":
		return "m.updated_at DESC, m.id"
	}
	return "m.id"
}

// List returns the milestones q selects, with exactly the filters, order
// and limit of storage.Match, storage.Less and storage.Limit, plus every
// recorded problem. With q.Text, a milestone matches as
// storage.MatchText says (every folded term a substring of the folded id,
// title, description, labels or owner), in the same order as without it.
// The index is read as it is: Refresh it first.
func (ix *Index) List(ctx context.Context, q storage.Query) ([]storage.Record, []storage.Problem, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	// One read transaction: the selection and the records it fetches
	// come from the same snapshot.
	db, err := ix.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, ix.wrap("query", err)
	}
	defer db.Rollback()
	problems, err := ix.problems(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	var where []string
	var args []any
	in := func(col string, n int) string {
		return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	}
	if len(q.Statuses) > 0 {
		where = append(where, in("m.status", len(q.Statuses)))
		for _, s := range q.Statuses {
			args = append(args, string(s))
		}
	} else if !q.All {
		where = append(where, "m.status IN ("+openStatuses()+")")
	}
	if len(q.Priorities) > 0 {
		where = append(where, in("m.priority", len(q.Priorities)))
		for _, p := range q.Priorities {
			args = append(args, string(p))
		}
	}
	for _, l := range q.Labels {
		where = append(where, "EXISTS (SELECT 1 FROM labels l WHERE l.label = ? AND l.id = m.id)")
		args = append(args, l)
	}
	if q.Owner != "" {
		where = append(where, "m.owner = ?")
		args = append(args, q.Owner)
	}
	if q.DueBefore != "" {
		where = append(where, "m.due < ?")
		args = append(args, q.DueBefore)
	}
	if q.Overdue {
		where = append(where, "m.status IN ("+openStatuses()+") AND m.due < ?")
		args = append(args, q.Today)
	}
	from := "milestones m"
	join := ""
	order := orderBy(q.Sort)
	if q.Text != "" {
		terms := textfold.Terms(q.Text)
		if len(terms) == 0 {
			return nil, problems, nil // no terms match nothing
		}
		var groups []string
		var exact []string
		var exactArgs []any
		for _, w := range terms {
			// Every candidate is confirmed on the search text itself: a key
			// collision never adds a result, and LIMIT counts true matches.
			exact = append(exact, "instr(s.text, ?) > 0")
			exactArgs = append(exactArgs, []byte(w))
			keys, ok, err := ix.expand(ctx, db, w)
			switch {
			case err != nil:
				return nil, nil, ix.wrap("search", err)
			case !ok:
				continue // too many words contain it: the check above finds it
			case len(keys) == 0:
				return nil, problems, nil // no indexed word contains it
			}
			groups = append(groups, "("+strings.Join(keys, " OR ")+")")
		}
		join = " JOIN search s ON s.rid = m.rid"
		where = append(where, exact...)
		args = append(args, exactArgs...)
		if len(groups) > 0 {
			from = "milestones_fts f JOIN milestones m ON m.rid = f.rowid"
			where = append([]string{"milestones_fts MATCH ?"}, where...)
			args = append([]any{strings.Join(groups, " AND ")}, args...)
		}
	}
	// First the selection, narrow (filters, order and limit read only the
	// milestones table, the indexes and, for a search, the search table), then
	// the records it selects. A brief query needs nothing else: it reads
	// its columns in the same pass and never touches the documents.
	cols := "m.rid"
	if q.Brief {
		cols = briefColumns
	}
	query := "SELECT " + cols + " FROM " + from + join
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	// Without a limit the records are sorted here (storage.Sort is the
	// order's definition): SQLite's sorter copies every selected row,
	// growing its buffer by realloc, for a sort Go does on positions.
	if q.Limit > 0 {
		query += " ORDER BY " + order + " LIMIT ?"
		args = append(args, q.Limit)
	}
	var recs []storage.Record
	if q.Brief {
		var rows int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM milestones`).Scan(&rows); err != nil {
			return nil, nil, ix.wrap("query", err)
		}
		recs, err = ix.records(ctx, db, storage.CapacityHint(rows, q.Limit), scanBrief, query, args...)
	} else {
		var rids []int64
		if rids, err = ix.rids(ctx, db, query, args...); err == nil {
			recs, err = ix.fetch(ctx, db, rids)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if q.Limit == 0 {
		storage.Sort(q.Sort, recs)
	}
	return recs, problems, nil
}

// rids runs a query selecting rids.
func (ix *Index) rids(ctx context.Context, db querier, query string, args ...any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, ix.wrap("query", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var rid int64
		if err := rows.Scan(&rid); err != nil {
			return nil, ix.wrap("query", err)
		}
		out = append(out, rid)
	}
	return out, ix.wrap("query", rows.Err())
}

// fetch returns the records of rids, in that order.
func (ix *Index) fetch(ctx context.Context, db querier, rids []int64) ([]storage.Record, error) {
	if len(rids) == 0 {
		return nil, nil
	}
	pos := make(map[int64]int, len(rids))
	var list strings.Builder
	list.WriteByte('[')
	for i, r := range rids {
		pos[r] = i
		if i > 0 {
			list.WriteByte(',')
		}
		list.WriteString(strconv.FormatInt(r, 10))
	}
	list.WriteByte(']')
	rows, err := db.QueryContext(ctx, `SELECT m.rid, `+recordColumns+` FROM milestones m JOIN docs d ON d.rid = m.rid
	    WHERE m.rid IN (SELECT value FROM json_each(?))`, list.String())
	if err != nil {
		return nil, ix.wrap("query", err)
	}
	defer rows.Close()
	out := make([]storage.Record, len(rids))
	found := 0
	for rows.Next() {
		var rid int64
		r, err := scanRecord(rows, &rid)
		if err != nil {
			return nil, ix.wrap("query", err)
		}
		i, ok := pos[rid]
		if !ok {
			continue
		}
		found++
		out[i] = r
	}
	if err := rows.Err(); err != nil {
		return nil, ix.wrap("query", err)
	}
	if found != len(rids) {
		return nil, ix.wrap("query", &corruptError{err: fmt.Errorf("%d of %d milestones have no document row", len(rids)-found, len(rids))})
	}
	return out, nil
}

// records runs a query and builds a record of each row with scan, into
// an array with room for capacity records.
func (ix *Index) records(ctx context.Context, db querier, capacity int, scan func(*sql.Rows, ...any) (storage.Record, error), query string, args ...any) ([]storage.Record, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, ix.wrap("query", err)
	}
	defer rows.Close()
	out := make([]storage.Record, 0, capacity)
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, ix.wrap("query", err)
		}
		out = append(out, r)
	}
	return out, ix.wrap("query", rows.Err())
}

// Get returns the milestone with exactly this id as indexed, a
// *milestone.NotFoundError, the recorded problem of its document, or, as
// in file mode, an error when the id exists in both folders.
func (ix *Index) Get(ctx context.Context, id string) (storage.Record, error) {
	if err := milestone.ValidateID(id); err != nil {
		return storage.Record{}, &milestone.NotFoundError{ID: id}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	db, err := ix.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return storage.Record{}, ix.wrap("get", err)
	}
	defer db.Rollback()
	recs, err := ix.records(ctx, db, 1, scanRecord, `SELECT `+recordColumns+` FROM milestones m JOIN docs d ON d.rid = m.rid WHERE m.id = ?`, id)
	if err != nil {
		return storage.Record{}, err
	}
	rows, err := db.QueryContext(ctx, `SELECT path, message FROM problems WHERE id = ? ORDER BY path`, id)
	if err != nil {
		return storage.Record{}, ix.wrap("get", err)
	}
	defer rows.Close()
	var paths []string
	var first error
	for _, r := range recs {
		paths = append(paths, r.Path)
	}
	for rows.Next() {
		var p, msg string
		if err := rows.Scan(&p, &msg); err != nil {
			return storage.Record{}, ix.wrap("get", err)
		}
		paths = append(paths, p)
		if first == nil {
			first = problemError(msg)
		}
	}
	if err := rows.Err(); err != nil {
		return storage.Record{}, ix.wrap("get", err)
	}
	sort.Strings(paths)
	switch {
	case len(paths) >= 2:
		return storage.Record{}, fmt.Errorf("milestone %q exists twice: %s and %s (run `git milestone fsck`)", id, paths[0], paths[1])
	case len(recs) == 1:
		return recs[0], nil
	case first != nil:
		return storage.Record{}, first
	}
	return storage.Record{}, &milestone.NotFoundError{ID: id}
}

// IDs returns the id of every document file, indexed or not (as file mode
// does: a document that does not parse still has an id), sorted.
func (ix *Index) IDs(ctx context.Context) ([]string, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	db, err := ix.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, ix.wrap("list ids", err)
	}
	defer db.Rollback()
	var ids []string
	for _, q := range []string{`SELECT id FROM milestones ORDER BY id`, `SELECT id FROM problems WHERE kind = 'doc'`} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, ix.wrap("list ids", err)
		}
		n := len(ids)
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, ix.wrap("list ids", err)
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return nil, ix.wrap("list ids", err)
		}
		if n > 0 && len(ids) > n { // documents that do not parse: rare
			sort.Strings(ids)
		}
	}
	return ids, nil
}

// Stats computes storage.Summarize over every indexed milestone in SQL;
// today is YYYY-MM-DD for the overdue count.
func (ix *Index) Stats(ctx context.Context, today string) (storage.Stats, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	s := storage.NewStats()
	db, err := ix.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return s, ix.wrap("stats", err)
	}
	defer db.Rollback()
	// One pass over idx_stats: every (status, priority) pair with its
	// count and how many of it are due before today.
	rows, err := db.QueryContext(ctx, `SELECT status, priority, count(*), count(CASE WHEN due < ? THEN 1 END)
	    FROM milestones INDEXED BY idx_stats GROUP BY status, priority`, today)
	if err != nil {
		return s, ix.wrap("stats", err)
	}
	for rows.Next() {
		var st, pr string
		var n, late int
		if err := rows.Scan(&st, &pr, &n, &late); err != nil {
			rows.Close()
			return s, ix.wrap("stats", err)
		}
		if milestone.Status(st).Closed() {
			late = 0
		}
		s.AddGroup(st, pr, n, late)
	}
	if err := rows.Close(); err != nil {
		return s, ix.wrap("stats", err)
	}
	// Oldest and newest by created_at; ties go to the smallest id, as
	// Summarize over records sorted by id does.
	// The subquery finds the time at one end of idx_created_id, the outer
	// query the first id of its ties there: no sort, even when thousands
	// of milestones share that time.
	for _, e := range []struct {
		dst **storage.StatsEntry
		end string
	}{{&s.Oldest, "min"}, {&s.Newest, "max"}} {
		var se storage.StatsEntry
		err := db.QueryRowContext(ctx, `SELECT id, title, created_at FROM milestones WHERE created_at =
		    (SELECT `+e.end+`(created_at) FROM milestones) ORDER BY id LIMIT 1`).Scan(&se.ID, &se.Title, &se.CreatedAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return s, ix.wrap("stats", err)
		default:
			*e.dst = &se
		}
	}
	return s, nil
}
