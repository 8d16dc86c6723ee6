package transfer

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// SeedKey is the unknown key under which a converted document keeps the
// original values the conversion changed (and the document's own id).
const SeedKey = "x-seed"

// Vocabulary translates other words for statuses and priorities.
type Vocabulary struct {
	Status   map[string]milestone.Status
	Priority map[string]milestone.Priority
}

// defaultStatuses are the shell era's status words (the design note's
// layer and the tools its documents came from) and common synonyms.
var defaultStatuses = map[milestone.Status][]string{
	milestone.Planned:   {"planned", "pending", "todo", "to_do", "not_started", "new", "backlog", "proposed", "draft", "deferred", "scheduled"},
	milestone.Active:    {"active", "in_progress", "inprogress", "started", "doing", "wip", "open", "ongoing", "in_review", "review"},
	milestone.Blocked:   {"blocked", "on_hold", "onhold", "paused", "waiting", "stalled"},
	milestone.Completed: {"completed", "complete", "done", "closed", "finished", "resolved", "shipped", "released", "delivered"},
	milestone.Cancelled: {"cancelled", "canceled", "abandoned", "dropped", "wontfix", "won't_fix", "rejected", "obsolete"},
}

// defaultPriorities: P0..P3 (P4) and common synonyms.
var defaultPriorities = map[milestone.Priority][]string{
	milestone.Critical: {"critical", "p0", "urgent", "highest", "blocker", "0"},
	milestone.High:     {"high", "p1", "1"},
	milestone.Medium:   {"medium", "p2", "normal", "moderate", "2"},
	milestone.Low:      {"low", "p3", "p4", "lowest", "minor", "trivial", "3", "4"},
}

// seedAliases are the shell era's field names and what they are now.
var seedAliases = map[string]string{
	"due_date": milestone.KeyDue, "due_on": milestone.KeyDue, "deadline": milestone.KeyDue, "target_date": milestone.KeyDue, "duedate": milestone.KeyDue,
	"start_date": milestone.KeyStart, "started_on": milestone.KeyStart, "startdate": milestone.KeyStart,
	"dependencies": milestone.KeyDependsOn, "depends": milestone.KeyDependsOn, "deps": milestone.KeyDependsOn, "blocked_by": milestone.KeyDependsOn, "dependson": milestone.KeyDependsOn,
	"assignee": milestone.KeyOwner, "assigned_to": milestone.KeyOwner,
	"tags":    milestone.KeyLabels,
	"name":    milestone.KeyTitle,
	"summary": milestone.KeyDescription,
	"created": milestone.KeyCreatedAt, "created_on": milestone.KeyCreatedAt, "createdat": milestone.KeyCreatedAt,
	"updated": milestone.KeyUpdatedAt, "modified": milestone.KeyUpdatedAt, "updated_on": milestone.KeyUpdatedAt, "updatedat": milestone.KeyUpdatedAt,
	"completed_at": milestone.KeyClosedAt, "completed_on": milestone.KeyClosedAt, "closed_on": milestone.KeyClosedAt, "done_at": milestone.KeyClosedAt,
	"percent_complete": milestone.KeyProgress, "completion": milestone.KeyProgress, "percent": milestone.KeyProgress,
}

// IsSeedWord reports whether w (any case) is a status, priority or field
// name of the shell era that today's documents do not use: such a word in
// an error suggests `import --from seed`.
func IsSeedWord(w string) bool {
	w = strings.ToLower(w)
	if _, ok := seedAliases[w]; ok {
		return true
	}
	for st, words := range defaultStatuses {
		for _, x := range words {
			if x == w && x != string(st) {
				return true
			}
		}
	}
	for pr, words := range defaultPriorities {
		for _, x := range words {
			if x == w && x != string(pr) {
				return true
			}
		}
	}
	return false
}

// NewVocabulary is the built-in vocabulary with custom words (from the
// `vocabulary:` map of storage-config.yaml) added over it.
func NewVocabulary(status, priority map[string]string) Vocabulary {
	v := Vocabulary{Status: map[string]milestone.Status{}, Priority: map[string]milestone.Priority{}}
	for st, words := range defaultStatuses {
		for _, w := range words {
			v.Status[w] = st
		}
	}
	for p, words := range defaultPriorities {
		for _, w := range words {
			v.Priority[w] = p
		}
	}
	for w, st := range status {
		v.Status[normWord(w)] = milestone.Status(st)
	}
	for w, p := range priority {
		v.Priority[normWord(w)] = milestone.Priority(p)
	}
	return v
}

// normWord folds case and the separators people use: "In-Progress" and
// "in progress" are in_progress.
func normWord(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer("-", "_", " ", "_").Replace(s)
}

// SeedField is one key of a shell-era document.
type SeedField struct {
	Key    string
	Value  any    // decoded value
	Text   string // a scalar's text as written
	Scalar bool
}

// SeedDoc is one shell-era milestone: a YAML document under
// .milestones/active|completed, or a row of its enterprise.db.
type SeedDoc struct {
	ID     string // the file name without .yaml, or the row's id
	Path   string // the file, "" for a database row
	Folder string // "active" or "completed" for a file
	Fields []SeedField
	// CreatedAt and UpdatedAt are the row's columns (database rows).
	CreatedAt, UpdatedAt string
}

// origin names the document in messages.
func (d *SeedDoc) origin() string {
	if d.Path != "" {
		return d.Path
	}
	return "enterprise.db row " + strconv.Quote(d.ID)
}

// converter holds the state of one conversion.
type converter struct {
	v     Vocabulary
	m     milestone.Milestone
	orig  map[string]any // x-seed: originals that changed
	keys  []string       // x-seed keys in order
	notes []string
	set   map[string]bool // known keys already set
	extra map[string]bool
}

func (c *converter) keep(key string, v any) {
	if _, ok := c.orig[key]; !ok {
		c.keys = append(c.keys, key)
	}
	c.orig[key] = v
}

func (c *converter) note(format string, args ...any) {
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}

// ConvertSeed turns a shell-era document into a milestone: known
// vocabularies mapped (in_progress -> active, P0..P3 -> critical..low,
// due_date -> due, dependencies -> depends_on, ...), unknown keys kept as
// x-<key>, and every original value the conversion changed (and the
// document's own id) kept under x-seed. Nothing is dropped. A document in
// completed/ (where the shell layer's delete moved it) is closed. now is
// the closed_at of a closed milestone that has no other time.
func ConvertSeed(d SeedDoc, v Vocabulary, now string) (Incoming, error) {
	c := &converter{v: v, orig: map[string]any{}, set: map[string]bool{}, extra: map[string]bool{}}
	id := d.ID
	if err := milestone.ValidateID(id); err != nil {
		id = milestone.Slug(d.ID)
		c.keep("id", d.ID)
		c.note("id %q is not a valid id: the milestone is %s", d.ID, id)
	}
	c.m.ID = id
	for _, f := range d.Fields {
		if f.Key == SeedKey {
			continue // an earlier conversion's record: merged below
		}
		c.field(f)
	}
	// An earlier record of originals comes first.
	for _, f := range d.Fields {
		if f.Key == SeedKey {
			if mp, ok := f.Value.(map[string]any); ok {
				for k, val := range mp {
					if _, have := c.orig[k]; !have {
						c.keep(k, val)
					}
				}
			}
		}
	}
	m := &c.m
	if m.Title == "" {
		m.Title = d.ID
		c.note("no title: the id %s is the title", d.ID)
	}
	if m.Status == "" {
		m.Status = milestone.Planned
	}
	if m.Priority == "" {
		m.Priority = milestone.Medium
	}
	if m.CreatedAt == "" && d.CreatedAt != "" {
		if ts, ok := timestamp(d.CreatedAt); ok {
			m.CreatedAt = ts
		}
	}
	if m.UpdatedAt == "" && d.UpdatedAt != "" {
		if ts, ok := timestamp(d.UpdatedAt); ok {
			m.UpdatedAt = ts
		}
	}
	if d.Folder == "completed" && !m.Status.Closed() {
		if _, kept := c.orig[milestone.KeyStatus]; !kept {
			c.keep(milestone.KeyStatus, string(m.Status))
		}
		c.note("status %s in completed/ (the shell layer's delete): completed", m.Status)
		m.Status = milestone.Completed
	}
	if m.Status.Closed() && m.ClosedAt == "" {
		m.ClosedAt = firstNonEmpty(m.UpdatedAt, m.CreatedAt, now)
	}
	if len(c.keys) > 0 {
		sort.SliceStable(c.keys, func(i, j int) bool { return c.keys[i] == "id" && c.keys[j] != "id" })
		rec := make(map[string]any, len(c.keys))
		for _, k := range c.keys {
			rec[k] = c.orig[k]
		}
		m.Extra = append(m.Extra, milestone.Field{Key: SeedKey, Value: rec})
	}
	if err := m.Validate(); err != nil {
		return Incoming{}, fmt.Errorf("%s: %w", d.origin(), err)
	}
	return Incoming{M: c.m, Origin: d.origin(), Replaces: d.Path, Notes: c.notes}, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// field maps one key of the document.
func (c *converter) field(f SeedField) {
	key := f.Key
	target := key
	if !milestone.IsKnownKey(key) {
		norm := normWord(key) // "Due-Date", "due date": due_date
		if milestone.IsKnownKey(norm) {
			target = norm
		} else if k, ok := seedAliases[norm]; ok {
			target = k
		}
	}
	if key == "id" {
		c.keep("id", f.Value)
		if s := textOf(f); s != c.m.ID {
			c.note("id: the document says %q, the file name %q wins (kept as %s.id)", s, c.m.ID, SeedKey)
		} else {
			c.note("id -> %s.id (the file name is the id)", SeedKey)
		}
		return
	}
	if !milestone.IsKnownKey(target) || c.set[target] {
		c.unknown(f)
		return
	}
	if f.Scalar && f.Text == "" && f.Value == nil {
		c.set[target] = true
		return // null: absent
	}
	ok := c.known(target, f)
	if !ok {
		c.keep(key, f.Value)
		c.note("%s %s cannot be read as %s: kept under %s", key, show(f), target, SeedKey)
		return
	}
	c.set[target] = true
	after, _ := c.m.Get(target)
	switch {
	case target != key && c.changed(key):
		c.note("%s %s -> %s %v", key, show(f), target, after)
	case target != key:
		c.note("%s -> %s", key, target)
	case c.changed(key) && target != milestone.KeyStatus && target != milestone.KeyPriority:
		c.note("%s %s -> %v", key, show(f), after)
	}
}

// changed reports whether the original value of key was kept because
// the conversion changed it.
func (c *converter) changed(key string) bool { _, ok := c.orig[key]; return ok }

// unknown keeps a key the tool does not know under x-<key>.
func (c *converter) unknown(f SeedField) {
	k := f.Key
	if !strings.HasPrefix(k, "x-") {
		k = "x-" + k
	}
	for c.extra[k] || milestone.IsKnownKey(k) || k == SeedKey {
		k = "x-seed-" + strings.TrimPrefix(k, "x-")
	}
	c.extra[k] = true
	c.m.Extra = append(c.m.Extra, milestone.Field{Key: k, Value: milestone.PlainNumbers(f.Value)})
	if k != f.Key {
		c.note("%s -> %s", f.Key, k)
	}
}

// known sets a known field from f; false when the value cannot be read
// as that field.
func (c *converter) known(key string, f SeedField) bool {
	text := textOf(f)
	switch key {
	case milestone.KeyTitle, milestone.KeyOwner, milestone.KeyDescription:
		return c.knownText(key, f, text)
	case milestone.KeyStatus:
		return c.knownStatus(f, text)
	case milestone.KeyPriority:
		return c.knownPriority(f, text)
	case milestone.KeyStart, milestone.KeyDue:
		return c.knownDate(key, f, text)
	case milestone.KeyCreatedAt, milestone.KeyUpdatedAt, milestone.KeyClosedAt:
		return c.knownTimestamp(key, f, text)
	case milestone.KeyProgress:
		return c.knownProgress(f, text)
	case milestone.KeyLabels, milestone.KeyDependsOn:
		return c.knownList(key, f)
	}
	return true
}

// knownText sets the title, owner or description (a scalar; a title and
// an owner must be valid).
func (c *converter) knownText(key string, f SeedField, text string) bool {
	if !f.Scalar {
		return false
	}
	switch key {
	case milestone.KeyTitle:
		if milestone.ValidateTitle(text) != nil {
			return false
		}
		c.m.Title = text
	case milestone.KeyOwner:
		if milestone.ValidateOwner(text) != nil {
			return false
		}
		c.m.Owner = text
	default:
		c.m.Description = text
	}
	return true
}

// knownStatus sets the status from a word of the vocabulary, keeping the
// original when it is not the status itself.
func (c *converter) knownStatus(f SeedField, text string) bool {
	st, ok := c.v.Status[normWord(text)]
	if !f.Scalar || !ok {
		return false
	}
	if string(st) != text {
		c.keep(f.Key, f.Value)
		c.note("status %s -> %s", text, st)
	}
	c.m.Status = st
	return true
}

// knownPriority sets the priority from a word of the vocabulary, keeping
// the original when it is not the priority itself.
func (c *converter) knownPriority(f SeedField, text string) bool {
	p, ok := c.v.Priority[normWord(text)]
	if !f.Scalar || !ok {
		return false
	}
	if string(p) != text {
		c.keep(f.Key, f.Value)
		c.note("priority %s -> %s", text, p)
	}
	c.m.Priority = p
	return true
}

// knownDate sets the start or due date, keeping the original when it was
// written otherwise.
func (c *converter) knownDate(key string, f SeedField, text string) bool {
	d, ok := date(f)
	if !ok {
		return false
	}
	if d != text {
		c.keep(f.Key, f.Value)
	}
	if key == milestone.KeyStart {
		c.m.Start = d
	} else {
		c.m.Due = d
	}
	return true
}

// knownTimestamp sets the created, updated or closed instant (a scalar
// timestamp or a YAML time), keeping the original when it was written
// otherwise.
func (c *converter) knownTimestamp(key string, f SeedField, text string) bool {
	ts, ok := timestamp(text)
	if t, isTime := f.Value.(time.Time); isTime {
		ts, ok = t.UTC().Format(time.RFC3339), true
	}
	if !f.Scalar || !ok {
		return false
	}
	if ts != text {
		c.keep(f.Key, f.Value)
	}
	switch key {
	case milestone.KeyCreatedAt:
		c.m.CreatedAt = ts
	case milestone.KeyUpdatedAt:
		c.m.UpdatedAt = ts
	default:
		c.m.ClosedAt = ts
	}
	return true
}

// knownProgress sets the progress, keeping the original when it was
// written otherwise.
func (c *converter) knownProgress(f SeedField, text string) bool {
	p, ok := progress(f)
	if !ok {
		return false
	}
	if strconv.Itoa(p) != text {
		c.keep(f.Key, f.Value)
	}
	c.m.Progress = &p
	return true
}

// knownList sets the labels or dependencies (a list, or a comma-separated
// string, kept as the original), each of which must be valid.
func (c *converter) knownList(key string, f SeedField) bool {
	list, ok := stringList(f)
	if !ok {
		return false
	}
	for _, e := range list {
		if key == milestone.KeyLabels && milestone.ValidateLabel(key, e) != nil {
			return false
		}
		if key == milestone.KeyDependsOn && milestone.ValidateID(e) != nil {
			return false
		}
	}
	if f.Scalar {
		c.keep(f.Key, f.Value) // a comma-separated string became a list
	}
	if key == milestone.KeyLabels {
		c.m.Labels = list
	} else {
		c.m.DependsOn = list
	}
	return true
}

// textOf is a scalar's text (a JSON number or bool spelled out).
func textOf(f SeedField) string {
	if f.Scalar {
		return f.Text
	}
	return fmt.Sprint(f.Value)
}

func show(f SeedField) string {
	if f.Scalar {
		return strconv.Quote(f.Text)
	}
	b, err := json.Marshal(milestone.JSONable(f.Value))
	if err != nil {
		return fmt.Sprint(f.Value)
	}
	return string(b)
}

var dateLayouts = []string{time.DateOnly, "2006/01/02", time.RFC3339, time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02T15:04:05.000Z"}

// date reads a calendar date: YYYY-MM-DD, YYYY/MM/DD or a timestamp (its
// date as written).
func date(f SeedField) (string, bool) {
	if t, ok := f.Value.(time.Time); ok && f.Scalar && len(f.Text) >= 10 {
		if _, err := time.Parse(time.DateOnly, f.Text[:10]); err == nil {
			return f.Text[:10], true
		}
		return t.Format(time.DateOnly), true
	}
	if !f.Scalar {
		return "", false
	}
	s := strings.TrimSpace(f.Text)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}

// timestamp reads RFC 3339, SQLite's datetime('now') (UTC) or a date, as
// an RFC 3339 UTC timestamp.
func timestamp(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, l := range []string{time.RFC3339, time.RFC3339Nano} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Truncate(time.Second).Format(time.RFC3339), true
		}
	}
	for _, l := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05.000", time.DateOnly} {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.Format(time.RFC3339), true
		}
	}
	return "", false
}

// progress reads 40, "40", "40%" or a fraction 0.4.
func progress(f SeedField) (int, bool) {
	if !f.Scalar {
		return 0, false
	}
	s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f.Text), "%"))
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) {
		return 0, false
	}
	if strings.Contains(s, ".") && x > 0 && x < 1 && !strings.HasSuffix(strings.TrimSpace(f.Text), "%") {
		x *= 100
	}
	p := int(math.Round(x))
	if p < 0 || p > 100 {
		return 0, false
	}
	return p, true
}

// stringList reads a list of scalars, or a comma-separated string.
func stringList(f SeedField) ([]string, bool) {
	if f.Scalar {
		var out []string
		for _, p := range strings.Split(f.Text, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, true
	}
	items, ok := f.Value.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		switch t := it.(type) {
		case string:
			out = append(out, t)
		case int, int64, float64, json.Number, bool:
			out = append(out, fmt.Sprint(t))
		default:
			return nil, false
		}
	}
	return out, true
}
