package dbstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// escapeText makes s storable in a PostgreSQL text column, which cannot
// hold NUL, without losing anything: NUL becomes "\x01\x01" and "\x01"
// becomes "\x01\x02". The code is prefix-free and keeps byte order, so
// equality and ORDER BY on escaped columns behave exactly as on the
// original strings. Both dialects store indexed columns this way.
func escapeText(s string) string {
	if !strings.ContainsAny(s, "\x00\x01") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0:
			b.WriteString("\x01\x01")
		case 1:
			b.WriteString("\x01\x02")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// unescapeText reverses escapeText.
func unescapeText(s string) string {
	if !strings.Contains(s, "\x01") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == 1 && i+1 < len(s) {
			i++
			b.WriteByte(s[i] - 1)
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// maxIndexKey is the longest value indexKey keeps whole. PostgreSQL
// refuses B-tree entries past about 2.7 kB.
const maxIndexKey = 1024

// indexKey is escapeText(s) for an indexed column. A value longer than
// maxIndexKey keeps its first 256 bytes, then the marker "\x01\x03" (which
// escapeText never writes) and the SHA-256 of the whole value: equality
// stays exact, and order is kept up to the first 256 bytes.
func indexKey(s string) string {
	e := escapeText(s)
	if len(e) <= maxIndexKey {
		return e
	}
	cut := 256 // cut the original, so that no escape pair is split
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	sum := sha256.Sum256([]byte(s))
	return escapeText(s[:cut]) + "\x01\x03" + hex.EncodeToString(sum[:])
}

// row is one milestone in the form the SQL statements take.
type row struct {
	id, title, status, priority, owner, due, created, updated string
	source, doc                                               string
	brief                                                     string   // doc without description and unknown keys (SQLite)
	labels                                                    []string // escaped, unique
	search                                                    string   // storage.SearchText
}

// newRow checks a milestone and its source and prepares its row, with its
// brief document when brief (the dialect stores one).
func newRow(m *milestone.Milestone, src []byte, brief bool) (row, error) {
	if err := milestone.ValidateID(m.ID); err != nil {
		return row{}, err
	}
	if i := strings.IndexByte(string(src), 0); i >= 0 {
		return row{}, fmt.Errorf("milestone %s: source has a NUL byte at offset %d (YAML escapes NUL as \\0)", m.ID, i)
	}
	if !utf8.Valid(src) {
		return row{}, fmt.Errorf("milestone %s: source is not valid UTF-8", m.ID)
	}
	doc, err := m.JSON()
	if err != nil {
		return row{}, fmt.Errorf("milestone %s: encode JSON: %w", m.ID, err)
	}
	r := row{
		id:       m.ID,
		title:    escapeText(m.Title),
		status:   indexKey(string(m.Status)),
		priority: indexKey(string(m.Priority)),
		owner:    indexKey(m.Owner),
		due:      indexKey(m.Due),
		created:  indexKey(m.CreatedAt),
		updated:  indexKey(m.UpdatedAt),
		source:   string(src),
		doc:      string(doc),
		search:   storage.SearchText(m),
	}
	if brief {
		if r.brief, err = briefJSON(*m); err != nil {
			return row{}, err
		}
	}
	seen := make(map[string]bool, len(m.Labels))
	for _, l := range m.Labels {
		e := indexKey(l)
		if !seen[e] {
			seen[e] = true
			r.labels = append(r.labels, e)
		}
	}
	return r, nil
}

// briefJSON is the JSON document of m without its description and unknown
// keys: what a table of milestones shows (storage.Query.Brief).
func briefJSON(m milestone.Milestone) (string, error) {
	m.Description, m.Extra = "", nil
	b, err := m.JSON()
	if err != nil {
		return "", fmt.Errorf("milestone %s: encode JSON: %w", m.ID, err)
	}
	return string(b), nil
}

// decodeRecord rebuilds a record from its stored source and JSON document.
func decodeRecord(id string, source []byte, doc string) (storage.Record, error) {
	m, err := decodeDoc(doc)
	if err != nil {
		return storage.Record{}, fmt.Errorf("milestone %s: stored document: %w", id, err)
	}
	m.ID = id
	return storage.Record{Milestone: m, Source: source}, nil
}
