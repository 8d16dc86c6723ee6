package index

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// docRow is one milestone in the form the index stores it.
type docRow struct {
	m      milestone.Milestone
	path   string
	src    []byte
	doc    string // milestone.JSON, or "null" if a value has no JSON form
	extra  any    // the extra column: nil, the JSON pairs, or extraInSource
	search []byte // storage.SearchText: the folded text search terms are matched against
	fts    string // milestones_fts: the key of each distinct word of search
}

// words adds the row's words to set.
func (r *docRow) words(set map[string]struct{}) {
	for _, w := range strings.Fields(string(r.search)) {
		if _, ok := set[w]; !ok {
			set[strings.Clone(w)] = struct{}{} // not a slice of the whole text
		}
	}
}

// extraInSource marks a milestone whose unknown keys have no JSON form
// (YAML .inf, say): a read decodes its source again.
const extraInSource = "!"

func newDocRow(m milestone.Milestone, src []byte, path string) *docRow {
	r := &docRow{m: m, path: path, src: src, doc: "null"}
	if doc, err := m.JSON(); err == nil {
		r.doc = string(doc)
	}
	if len(m.Extra) > 0 {
		if b, err := encodeExtra(m.Extra); err == nil {
			r.extra = b
		} else {
			r.extra = extraInSource
		}
	}
	search := storage.SearchText(&m)
	r.search = []byte(search)
	r.fts = keys(search)
	return r
}

// insert writes the row, its labels and its JSON document (the caller
// writes the full-text row, r.fts).
func (r *docRow) insert(exec func(string, ...any) error, rid int64) error {
	m := &r.m
	var progress any
	if m.Progress != nil {
		progress = *m.Progress
	}
	err := exec(`INSERT INTO milestones (id, title, status, priority, created_at, updated_at, file_path,
	    owner, start, due, progress, closed_at, labels, depends_on, rid)
	    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Title, string(m.Status), string(m.Priority), null(m.CreatedAt), null(m.UpdatedAt), r.path,
		null(m.Owner), null(m.Start), null(m.Due), progress, null(m.ClosedAt),
		null(strings.Join(m.Labels, "\n")), null(strings.Join(m.DependsOn, "\n")), rid)
	if err != nil {
		return err
	}
	for _, l := range m.Labels {
		if err := exec(`INSERT OR IGNORE INTO labels (label, id) VALUES (?, ?)`, l, m.ID); err != nil {
			return err
		}
	}
	err = exec(`INSERT INTO docs (rid, description, extra, source, doc) VALUES (?, ?, ?, ?, ?)`,
		rid, null(m.Description), r.extra, string(r.src), r.doc)
	if err != nil {
		return err
	}
	return exec(`INSERT INTO search (rid, text) VALUES (?, ?)`, rid, r.search)
}

// null maps "" to SQL NULL.
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// recordColumns are what scanRecord reads, from milestones m JOIN docs d.
const recordColumns = briefColumns + `, d.description, d.extra, d.source`

// briefColumns are what scanBrief reads, from milestones m alone: every
// field but the description and unknown keys.
const briefColumns = `m.id, m.file_path, m.title, m.status, m.priority, m.owner, m.start, m.due,
    m.progress, m.labels, m.depends_on, m.created_at, m.updated_at, m.closed_at`

// briefRow holds a row of briefColumns as scanned.
type briefRow struct {
	status, priority                                          string
	owner, start, due, labels, deps, created, updated, closed sql.NullString
	progress                                                  sql.NullInt64
}

// dest returns the scan destinations of briefColumns for r and b.
func (b *briefRow) dest(r *storage.Record) []any {
	m := &r.Milestone
	return []any{&m.ID, &r.Path, &m.Title, &b.status, &b.priority, &b.owner, &b.start, &b.due,
		&b.progress, &b.labels, &b.deps, &b.created, &b.updated, &b.closed}
}

// fill sets r's fields from the scanned row.
func (b *briefRow) fill(r *storage.Record) {
	m := &r.Milestone
	m.Status, m.Priority = milestone.Status(b.status), milestone.Priority(b.priority)
	m.Owner, m.Start, m.Due = b.owner.String, b.start.String, b.due.String
	m.CreatedAt, m.UpdatedAt, m.ClosedAt = b.created.String, b.updated.String, b.closed.String
	if b.progress.Valid {
		p := int(b.progress.Int64)
		m.Progress = &p
	}
	if b.labels.Valid {
		m.Labels = strings.Split(b.labels.String, "\n")
	}
	if b.deps.Valid {
		m.DependsOn = strings.Split(b.deps.String, "\n")
	}
}

// scanBrief builds a Record without description, unknown keys and source
// from a row of briefColumns, preceded by the columns in pre.
func scanBrief(rows *sql.Rows, pre ...any) (storage.Record, error) {
	var r storage.Record
	var b briefRow
	if err := rows.Scan(append(pre, b.dest(&r)...)...); err != nil {
		return r, err
	}
	b.fill(&r)
	return r, nil
}

// scanRecord builds a Record from a row of recordColumns, preceded by
// the columns in pre.
func scanRecord(rows *sql.Rows, pre ...any) (storage.Record, error) {
	var r storage.Record
	var b briefRow
	var desc, extra sql.NullString
	err := rows.Scan(append(append(pre, b.dest(&r)...), &desc, &extra, &r.Source)...)
	if err != nil {
		return r, err
	}
	b.fill(&r)
	m := &r.Milestone
	m.Description = desc.String
	switch {
	case !extra.Valid:
	case extra.String == extraInSource:
		full, err := format.Decode(r.Path, r.Source)
		if err != nil {
			return r, fmt.Errorf("milestone %s: %w", m.ID, err)
		}
		m.Extra = full.Extra
	default:
		if m.Extra, err = decodeExtra(extra.String); err != nil {
			return r, &corruptError{err: fmt.Errorf("milestone %s: extra: %w", m.ID, err)}
		}
	}
	return r, nil
}

// encodeExtra writes unknown keys as a JSON array of [key, value] pairs
// (an array: keys keep their order and may repeat names JSON objects
// would treat specially).
func encodeExtra(fields []milestone.Field) (string, error) {
	pairs := make([][2]any, len(fields))
	for i, f := range fields {
		pairs[i] = [2]any{f.Key, milestone.JSONable(f.Value)}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(pairs); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// decodeExtra reverses encodeExtra; numbers decode as json.Number, as in
// milestone.FromJSON.
func decodeExtra(s string) ([]milestone.Field, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var pairs [][2]any
	if err := dec.Decode(&pairs); err != nil {
		return nil, err
	}
	out := make([]milestone.Field, len(pairs))
	for i, p := range pairs {
		k, _ := p[0].(string)
		out[i] = milestone.Field{Key: k, Value: p[1]}
	}
	return out, nil
}
