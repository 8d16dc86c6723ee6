package index

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
var recordColumns = briefColumns + `, d.description, d.extra, d.source`

// briefFields are the columns of milestones m that scanBrief reads: every
// field but the description and unknown keys.
var briefFields = []string{"m.id", "m.file_path", "m.title", "m.status", "m.priority", "m.owner", "m.start", "m.due",
	"m.progress", "m.labels", "m.depends_on", "m.created_at", "m.updated_at", "m.closed_at"}

// briefColumns is one column packing briefFields: each field is "-" when
// NULL, else its length in bytes, ":" and its text. One column costs the
// driver one string per row instead of one per field, and fourteen
// column calls into SQLite fewer (a third of a brief query's time); the
// fields are slices of that one string. A length prefix, not a
// separator: a title may hold any character.
var briefColumns = packColumns(briefFields)

func packColumns(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "ifnull(octet_length(" + c + ") || ':' || " + c + ", '-')"
	}
	return strings.Join(parts, " || ")
}

// errBadBrief: a packed brief column that packColumns did not make.
var errBadBrief = errors.New("malformed brief column")

// unpack returns the next field of a briefColumns value: its text and
// whether it is not NULL.
func unpack(s *string) (string, bool, error) {
	if strings.HasPrefix(*s, "-") {
		*s = (*s)[1:]
		return "", false, nil
	}
	colon := strings.IndexByte(*s, ':')
	n, err := strconv.Atoi((*s)[:max(colon, 0)])
	if colon < 0 || err != nil || n < 0 || n > len(*s)-colon-1 {
		return "", false, errBadBrief
	}
	v := (*s)[colon+1 : colon+1+n]
	*s = (*s)[colon+1+n:]
	return v, true, nil
}

// fillBrief sets r's fields from a briefColumns value.
func fillBrief(r *storage.Record, packed string) error {
	var f [14]string
	var valid [14]bool
	for i := range f {
		var err error
		if f[i], valid[i], err = unpack(&packed); err != nil {
			return err
		}
	}
	if packed != "" {
		return errBadBrief
	}
	m := &r.Milestone
	m.ID, r.Path, m.Title = f[0], f[1], f[2]
	m.Status, m.Priority = milestone.Status(f[3]), milestone.Priority(f[4])
	m.Owner, m.Start, m.Due = f[5], f[6], f[7]
	if valid[8] {
		p, err := strconv.Atoi(f[8])
		if err != nil {
			return errBadBrief
		}
		m.Progress = &p
	}
	if valid[9] {
		m.Labels = strings.Split(f[9], "\n")
	}
	if valid[10] {
		m.DependsOn = strings.Split(f[10], "\n")
	}
	m.CreatedAt, m.UpdatedAt, m.ClosedAt = f[11], f[12], f[13]
	return nil
}

// scanBrief builds a Record without description, unknown keys and source
// from a row of briefColumns, preceded by the columns in pre.
func scanBrief(rows *sql.Rows, pre ...any) (storage.Record, error) {
	var r storage.Record
	var packed string
	if err := rows.Scan(append(pre, &packed)...); err != nil {
		return r, err
	}
	return r, briefError(fillBrief(&r, packed))
}

// briefError marks a malformed brief column as a corrupt index.
func briefError(err error) error {
	if err != nil {
		return &corruptError{err: err}
	}
	return nil
}

// scanRecord builds a Record from a row of recordColumns, preceded by
// the columns in pre.
func scanRecord(rows *sql.Rows, pre ...any) (storage.Record, error) {
	var r storage.Record
	var packed string
	var desc, extra sql.NullString
	err := rows.Scan(append(pre, &packed, &desc, &extra, &r.Source)...)
	if err != nil {
		return r, err
	}
	if err := fillBrief(&r, packed); err != nil {
		return r, briefError(err)
	}
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
