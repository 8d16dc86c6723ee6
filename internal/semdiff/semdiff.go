// Package semdiff compares milestones between two states of a repository
// (revisions or the work tree) field by field, follows one milestone
// through history, and renders the result as text, Markdown or JSON
// (SPEC sections 4 and 10).
package semdiff

import (
	"fmt"
	"sort"
	"strings"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/merge"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

// Kind says what happened to a milestone.
type Kind string

// The kinds of change, as written in JSON.
const (
	Added    Kind = "added"
	Modified Kind = "modified"
	Closed   Kind = "closed"
	Reopened Kind = "reopened"
	Removed  Kind = "removed"
	Renamed  Kind = "renamed"
)

// Kinds lists every kind in display order.
var Kinds = []Kind{Added, Modified, Closed, Reopened, Renamed, Removed}

// Change is the change of one field. Old and New are the field's values
// (a string, a list of strings, a number, or an unknown key's value), nil
// when the field is absent on that side.
type Change struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
	// Days is how many days a date (start, due) moved: positive when it
	// moved later (a due date that slipped).
	Days *int `json:"days,omitempty"`
	// Added and Removed are the items a list (labels, depends_on) gained
	// and lost.
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

// Entry is what happened to one milestone.
type Entry struct {
	ID      string   `json:"id"`
	Kind    Kind     `json:"kind"`
	Changes []Change `json:"changes"`
	Title   string   `json:"title,omitempty"`    // the title after the change (before, for removed)
	OldID   string   `json:"old_id,omitempty"`   // the id before a rename
	Path    string   `json:"path,omitempty"`     // the file after the change
	OldPath string   `json:"old_path,omitempty"` // the file before, when it moved
}

// Doc is one milestone document of a snapshot.
type Doc struct {
	ID   string // the file name without .yaml
	Path string // repository-relative: .milestones/active/<id>.yaml
	Hash string // git blob id of the content; equal hashes are equal documents
	// Src is the content; nil until loaded by the snapshot's reader.
	Src []byte
}

// Snapshot is the set of milestone documents of one state.
type Snapshot struct {
	Name string // how messages name this state: a revision, "the work tree"
	Docs []Doc  // sorted by path
	// Read loads the content of a document (a blob read, a file read).
	Read func(d *Doc) ([]byte, error)
}

// Problem is a document that could not be compared.
type Problem struct {
	Where string // the snapshot's name
	Path  string
	Err   error
}

func (p Problem) Error() string {
	msg := p.Err.Error()
	if !strings.Contains(msg, p.Path) {
		msg = p.Path + ": " + msg
	}
	return fmt.Sprintf("%s at %s (skipped)", msg, p.Where)
}

// doc is a decoded document.
type doc struct {
	Doc
	m milestone.Milestone
}

// Compare lists what changed from old to new, one entry per milestone
// sorted by id, plus the documents it could not read (each named with its
// snapshot). A document whose text changed but whose fields did not is a
// modified entry with no changes.
func Compare(old, new *Snapshot) ([]Entry, []Problem) {
	var problems []Problem
	oldDocs, p1 := index(old)
	newDocs, p2 := index(new)
	problems = append(append(problems, p1...), p2...)
	load := func(s *Snapshot, d Doc) (*doc, bool) {
		m, err := decodeDoc(s, &d)
		if err != nil {
			problems = append(problems, Problem{Where: s.Name, Path: d.Path, Err: err})
			return nil, false
		}
		return &doc{Doc: d, m: m}, true
	}
	var entries []Entry
	var gone, born []*doc
	for id, od := range oldDocs {
		nd, ok := newDocs[id]
		if !ok {
			if d, ok := load(old, od); ok {
				gone = append(gone, d)
			}
			continue
		}
		if od.Hash != "" && od.Hash == nd.Hash && od.Path == nd.Path {
			continue
		}
		a, okA := load(old, od)
		b, okB := load(new, nd)
		if !okA || !okB {
			continue
		}
		if e, changed := entryFor(a, b); changed {
			entries = append(entries, e)
		}
	}
	for id, nd := range newDocs {
		if _, ok := oldDocs[id]; !ok {
			if d, ok := load(new, nd); ok {
				born = append(born, d)
			}
		}
	}
	sortDocs(gone)
	sortDocs(born)
	for _, pair := range pairRenames(gone, born) {
		a, b := pair[0], pair[1]
		e, _ := entryFor(a, b)
		e.Kind, e.OldID = Renamed, a.ID
		e.Changes = append([]Change{{Field: "id", Old: a.ID, New: b.ID}}, e.Changes...)
		entries = append(entries, e)
	}
	for _, d := range gone {
		if d != nil {
			entries = append(entries, Entry{ID: d.ID, Kind: Removed, Title: d.m.Title, OldPath: d.Path,
				Changes: FieldChanges(&d.m, nil)})
		}
	}
	for _, d := range born {
		if d != nil {
			entries = append(entries, Entry{ID: d.ID, Kind: Added, Title: d.m.Title, Path: d.Path,
				Changes: FieldChanges(nil, &d.m)})
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].ID < entries[j].ID })
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Path < problems[j].Path })
	return entries, problems
}

func sortDocs(ds []*doc) { sort.Slice(ds, func(i, j int) bool { return ds[i].ID < ds[j].ID }) }

// index maps a snapshot's documents by id; an id in both folders is a
// problem (the active/ one is compared).
func index(s *Snapshot) (map[string]Doc, []Problem) {
	byID := make(map[string]Doc, len(s.Docs))
	var problems []Problem
	for _, d := range s.Docs {
		if prev, dup := byID[d.ID]; dup {
			problems = append(problems, Problem{Where: s.Name, Path: d.Path,
				Err: fmt.Errorf("milestone %s also exists as %s; only that one is compared", d.ID, prev.Path)})
			continue
		}
		byID[d.ID] = d
	}
	return byID, problems
}

// decodeDoc reads and decodes a document of s.
func decodeDoc(s *Snapshot, d *Doc) (milestone.Milestone, error) {
	if d.Src == nil {
		src, err := s.Read(d)
		if err != nil {
			return milestone.Milestone{}, err
		}
		d.Src = src
	}
	return format.Decode(d.Path, d.Src)
}

// entryFor describes the change from a to b (the same milestone, maybe
// renamed or moved). changed is false when nothing differs at all.
func entryFor(a, b *doc) (Entry, bool) {
	e := Entry{ID: b.ID, Kind: Modified, Title: b.m.Title, Path: b.Path, Changes: FieldChanges(&a.m, &b.m)}
	if a.Path != b.Path {
		e.OldPath = a.Path
	}
	switch {
	case a.m.Open() && !b.m.Open():
		e.Kind = Closed
	case !a.m.Open() && b.m.Open():
		e.Kind = Reopened
	}
	changed := len(e.Changes) > 0 || e.OldPath != "" || !sameText(a.Src, b.Src)
	return e, changed
}

// sameText compares documents ignoring "\r\n" versus "\n".
func sameText(a, b []byte) bool {
	return strings.ReplaceAll(string(a), "\r\n", "\n") == strings.ReplaceAll(string(b), "\r\n", "\n")
}

// pairRenames pairs removed and added documents that are the same
// milestone under a new id: the same content; or the same created_at and
// the same title, or the same created_at and 80% of the lines alike; or,
// when neither has a created_at, the same title and 60% of the lines alike. The strongest
// matches are paired first. Paired documents are taken out of gone and born
// (set to nil).
func pairRenames(gone, born []*doc) [][2]*doc {
	type cand struct{ i, j, score int }
	var cands []cand
	for i, a := range gone {
		for j, b := range born {
			score := 0
			switch {
			case a.Hash != "" && a.Hash == b.Hash:
				score = 4
			case a.m.CreatedAt != "" && milestone.SameInstant(a.m.CreatedAt, b.m.CreatedAt) && a.m.Title == b.m.Title:
				score = 3
			case a.m.CreatedAt != "" && milestone.SameInstant(a.m.CreatedAt, b.m.CreatedAt) && similar(a.Src, b.Src, 8):
				score = 2
			case a.m.CreatedAt == "" && b.m.CreatedAt == "" && a.m.Title == b.m.Title && similar(a.Src, b.Src, 6):
				score = 1
			}
			if score > 0 {
				cands = append(cands, cand{i, j, score})
			}
		}
	}
	sort.SliceStable(cands, func(x, y int) bool { return cands[x].score > cands[y].score })
	var pairs [][2]*doc
	for _, c := range cands {
		if gone[c.i] != nil && born[c.j] != nil {
			pairs = append(pairs, [2]*doc{gone[c.i], born[c.j]})
			gone[c.i], born[c.j] = nil, nil
		}
	}
	return pairs
}

// similar reports whether at least tenths/10 of the lines of the longer
// text are common to both.
func similar(a, b []byte, tenths int) bool {
	la, lb := merge.SplitLines(a), merge.SplitLines(b)
	n := max(len(la), len(lb))
	if n == 0 {
		return true
	}
	changed := 0
	for _, h := range merge.DiffLines(la, lb) {
		changed += max(h.A1-h.A0, h.B1-h.B0)
	}
	return (n-changed)*10 >= n*tenths
}

// FieldChanges lists the fields that differ between a and b, known keys in
// canonical order then unknown keys. A nil milestone has no fields (every
// field of the other is added or removed).
func FieldChanges(a, b *milestone.Milestone) []Change {
	var empty milestone.Milestone
	if a == nil {
		a = &empty
	}
	if b == nil {
		b = &empty
	}
	changes := []Change{}
	keys := append([]string(nil), milestone.Keys...)
	seen := map[string]bool{}
	for _, m := range []*milestone.Milestone{a, b} {
		for _, f := range m.Extra {
			if !seen[f.Key] {
				seen[f.Key] = true
				keys = append(keys, f.Key)
			}
		}
	}
	for _, k := range keys {
		ov, oOK := value(a, k)
		nv, nOK := value(b, k)
		if oOK == nOK && (!oOK || equalValues(ov, nv)) {
			continue
		}
		if oOK && nOK && milestone.IsInstantKey(k) {
			os, _ := ov.(string)
			ns, _ := nv.(string)
			if milestone.SameInstant(os, ns) {
				continue // the same instant, written with another UTC offset
			}
		}
		c := Change{Field: k, Old: jsonValue(ov, oOK), New: jsonValue(nv, nOK)}
		switch kindOf(k) {
		case milestone.KindDate:
			if oOK && nOK {
				if d, ok := milestone.DaysBetween(ov.(string), nv.(string)); ok {
					c.Days = &d
				}
			}
		case milestone.KindList:
			ol, _ := ov.([]string)
			nl, _ := nv.([]string)
			c.Added, c.Removed = listDelta(ol, nl)
		}
		changes = append(changes, c)
	}
	return changes
}

// kindOf is the kind milestone.Fields gives key; unknown keys are text
// (they get no days or list delta).
func kindOf(key string) milestone.Kind {
	if f, ok := milestone.Spec(key); ok {
		return f.Kind
	}
	return milestone.KindText
}

// value returns the value of key in m and whether it is present. Status
// and priority are always present on a decoded milestone (they default).
func value(m *milestone.Milestone, key string) (any, bool) { return m.Get(key) }

// equalValues compares field values: strings, lists and numbers directly,
// other values (unknown keys) by their canonical rendering.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int:
		y, ok := b.(int)
		return ok && x == y
	case []string:
		y, ok := b.([]string)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return canon(a) == canon(b)
}

// canon renders a value canonically, for comparison.
func canon(v any) string {
	if l, ok := v.([]string); ok {
		return "list " + strings.Join(l, "\x00")
	}
	return format.Canon(v)
}

// jsonValue makes a value encodable as JSON: nil when absent, mappings
// with string keys.
func jsonValue(v any, ok bool) any {
	if !ok {
		return nil
	}
	if l, ok := v.([]string); ok {
		return append([]string{}, l...)
	}
	return milestone.JSONable(v)
}

// listDelta returns the items of b not in a, and of a not in b.
func listDelta(a, b []string) (added, removed []string) {
	in := func(l []string, s string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	for _, s := range b {
		if !in(a, s) {
			added = append(added, s)
		}
	}
	for _, s := range a {
		if !in(b, s) {
			removed = append(removed, s)
		}
	}
	return added, removed
}
