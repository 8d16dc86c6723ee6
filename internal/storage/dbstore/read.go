package dbstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Get returns the milestone with exactly this id.
func (s *Store) Get(ctx context.Context, id string) (storage.Record, error) {
	rec, _, err := s.get(ctx, s.rdb, id)
	if err != nil {
		return storage.Record{}, err
	}
	return rec, nil
}

// get reads one record and its version; a *milestone.NotFoundError when
// the id is absent.
func (s *Store) get(ctx context.Context, q queryer, id string) (storage.Record, int64, error) {
	if milestone.ValidateID(id) != nil {
		return storage.Record{}, 0, &milestone.NotFoundError{ID: id} // no stored id is invalid
	}
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	var source []byte
	var doc string
	var version int64
	err := q.QueryRowContext(sctx, `SELECT `+s.d.docCols+`, m.version FROM milestones m`+s.d.docJoin+`
	    WHERE m.project = $1 AND m.id = $2`, s.project, id).Scan(&source, &doc, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Record{}, 0, &milestone.NotFoundError{ID: id}
	}
	if err != nil {
		return storage.Record{}, 0, s.wrap(sctx, "get milestone "+id, err)
	}
	rec, err := decodeRecord(id, source, doc)
	if err != nil {
		return storage.Record{}, 0, err
	}
	return rec, version, nil
}

// IDs returns every milestone id of the project, sorted.
func (s *Store) IDs(ctx context.Context) ([]string, error) {
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	rows, err := s.rdb.QueryContext(sctx, `SELECT id FROM milestones WHERE project = $1 ORDER BY id`, s.project)
	if err != nil {
		return nil, s.wrap(sctx, "list ids", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.wrap(sctx, "list ids", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(sctx, "list ids", err)
	}
	return ids, nil
}

// ResolveID resolves an id or unique id prefix exactly as milestone.Resolve
// does over IDs, but reads only the ids that start with prefix (an index
// range), so it costs O(matches), not O(milestones).
func (s *Store) ResolveID(ctx context.Context, prefix string) (string, error) {
	for _, r := range prefix {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "", &milestone.NotFoundError{ID: prefix} // no valid id starts with it
		}
	}
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	// Ids use [a-z0-9._-], all below '~': [prefix, prefix+"~") holds exactly
	// the ids that start with prefix.
	rows, err := s.rdb.QueryContext(sctx, `SELECT id FROM milestones WHERE project = $1 AND id >= $2 AND id < $3 ORDER BY id`,
		s.project, prefix, prefix+"~")
	if err != nil {
		return "", s.wrap(sctx, "resolve id "+prefix, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", s.wrap(sctx, "resolve id "+prefix, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", s.wrap(sctx, "resolve id "+prefix, err)
	}
	return milestone.Resolve(ids, prefix)
}

// orderBy maps each sort key to a fixed ORDER BY clause that sorts exactly
// as storage.Less does (byte order, ties by id). No value ever reaches SQL
// text: keys only select one of these constants.
var orderBy = map[string]string{
	"id":       "m.id",
	"title":    "m.title, m.id",
	"status":   rankCase("m.status", statusNames()) + ", m.id",
	"priority": rankCase("m.priority", priorityNamesDesc()) + ", m.id",
	"due":      "m.due = '', m.due, m.id",
	"created":  "m.created_at, m.id",
	"updated":  "m.updated_at DESC, m.id",
}

func statusNames() []string {
	var s []string
	for _, v := range milestone.Statuses {
		s = append(s, string(v))
	}
	return s
}

// priorityNamesDesc lists priorities most important first (priority sorts
// descending).
func priorityNamesDesc() []string {
	var s []string
	for i := len(milestone.Priorities) - 1; i >= 0; i-- {
		s = append(s, string(milestone.Priorities[i]))
	}
	return s
}

// plainWord reports whether s is one or more of a-z.
func plainWord(s string) bool {
	for _, c := range []byte(s) {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

// rankCase builds CASE col WHEN 'a' THEN 0 ... ELSE n END from the model's
// own constants (checked to be plain words).
func rankCase(col string, names []string) string {
	var b strings.Builder
	b.WriteString("CASE " + col)
	for i, n := range names {
		if !plainWord(n) {
			panic("dbstore: unexpected enum value " + strconv.Quote(n))
		}
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", n, i)
	}
	fmt.Fprintf(&b, " ELSE %d END", len(names))
	return b.String()
}

// args collects statement parameters and hands out their placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// closedStatuses are the statuses an open-only query excludes.
func closedStatuses() []milestone.Status {
	var c []milestone.Status
	for _, st := range milestone.Statuses {
		if st.Closed() {
			c = append(c, st)
		}
	}
	return c
}

// listSQL builds the statement for q: the filters of storage.Match in SQL,
// search (search.go), the order of storage.Less and the limit.
func (s *Store) listSQL(q storage.Query) (string, args, error) {
	if !storage.ValidSort(q.Sort) {
		return "", nil, fmt.Errorf("list: unknown sort key %q (one of %s)", q.Sort, strings.Join(storage.SortKeys, ", "))
	}
	var a args
	proj := a.add(s.project)
	where := []string{"m.project = " + proj}
	from, order := "milestones m", orderBy["id"]
	if q.Text != "" {
		f, ok := s.searchWhere(q.Text, &a, &where)
		if !ok {
			where = append(where, "1 = 0") // no terms match nothing
		} else {
			from = f
		}
	}
	if q.Sort != "" {
		order = orderBy[q.Sort]
	}
	inList := func(col string, vals []string) {
		ph := make([]string, len(vals))
		for i, v := range vals {
			ph[i] = a.add(indexKey(v))
		}
		where = append(where, col+" IN ("+strings.Join(ph, ", ")+")")
	}
	notClosed := func() {
		if q.Text == "" {
			// The open statuses by name: the planner reads them from the
			// status index, which holds each row's brief document.
			var open []string
			for _, st := range milestone.Statuses {
				if !st.Closed() {
					open = append(open, string(st))
				}
			}
			inList("m.status", open)
			return
		}
		// A search is driven by its full-text match.
		var c []string
		for _, st := range closedStatuses() {
			c = append(c, a.add(string(st)))
		}
		where = append(where, "m.status NOT IN ("+strings.Join(c, ", ")+")")
	}
	if len(q.Statuses) > 0 {
		vals := make([]string, len(q.Statuses))
		for i, v := range q.Statuses {
			vals[i] = string(v)
		}
		inList("m.status", vals)
	} else if !q.All {
		notClosed()
	}
	if len(q.Priorities) > 0 {
		vals := make([]string, len(q.Priorities))
		for i, v := range q.Priorities {
			vals[i] = string(v)
		}
		inList("m.priority", vals)
	}
	for _, l := range q.Labels {
		// Uncorrelated, so both planners can drive it from the label index.
		where = append(where, "m.id IN (SELECT l.id FROM milestone_labels l WHERE l.project = "+proj+" AND l.label = "+a.add(indexKey(l))+")")
	}
	if q.Owner != "" {
		where = append(where, "m.owner = "+a.add(indexKey(q.Owner)))
	}
	if q.DueBefore != "" {
		where = append(where, "m.due <> '' AND m.due < "+a.add(indexKey(q.DueBefore)))
	}
	if q.Overdue {
		notClosed()
		where = append(where, "m.due <> '' AND m.due < "+a.add(indexKey(q.Today)))
	}
	cols := s.d.docCols
	if q.Brief {
		cols = "NULL, " + s.d.briefCol // a table shows no source and no description
	} else {
		from += s.d.docJoin
	}
	stmt := "SELECT m.id, " + cols + " FROM " + from + " WHERE " + strings.Join(where, " AND ")
	// Without a limit List sorts in Go (storage.Sort defines the order):
	// the planner is then free to read the rows from the index that
	// selects them, rather than from the one that orders them.
	if q.Limit > 0 {
		stmt += " ORDER BY " + order + " LIMIT " + a.add(q.Limit)
	}
	return stmt, a, nil
}

// countRows returns a bound on the number of the project's milestones
// where the dialect has a cheap one (dialect.countRows), and 0 otherwise:
// List's capacity hint.
func (s *Store) countRows(ctx context.Context) (int, error) {
	if s.d.countRows == "" {
		return 0, nil
	}
	var n int
	err := s.rdb.QueryRowContext(ctx, s.d.countRows).Scan(&n)
	return n, err
}

// List returns the milestones q selects, as storage.Match, storage.Less
// and storage.Limit define (Text: storage.MatchText, in the same order).
// A stored document that cannot be decoded is returned as a Problem.
func (s *Store) List(ctx context.Context, q storage.Query) ([]storage.Record, []storage.Problem, error) {
	stmt, a, err := s.listSQL(q)
	if err != nil {
		return nil, nil, err
	}
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	rows0, err := s.countRows(sctx)
	if err != nil {
		return nil, nil, s.wrap(sctx, "list milestones", err)
	}
	rows, err := s.rdb.QueryContext(sctx, stmt, a...)
	if err != nil {
		return nil, nil, s.wrap(sctx, "list milestones", err)
	}
	defer rows.Close()
	recs := make([]storage.Record, 0, storage.CapacityHint(rows0, q.Limit))
	var probs []storage.Problem
	for rows.Next() {
		var id string
		var source []byte
		var doc string // the driver's string: the record's fields are slices of it
		if err := rows.Scan(&id, &source, &doc); err != nil {
			return nil, nil, s.wrap(sctx, "list milestones", err)
		}
		rec, err := decodeRecord(id, source, doc)
		if err != nil {
			probs = append(probs, storage.Problem{Path: id, Err: err})
			continue
		}
		recs = append(recs, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, s.wrap(sctx, "list milestones", err)
	}
	if q.Limit == 0 {
		storage.Sort(q.Sort, recs)
	}
	return recs, probs, nil
}
