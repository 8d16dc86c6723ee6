// Package milestone holds the domain model: a milestone, its fields, their
// validation, id rules and id-prefix resolution. It does no I/O.
package milestone

import (
	"crypto/sha256"
	"encoding/hex"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is the life-cycle state of a milestone.
type Status string

// The statuses a milestone can have. Completed and Cancelled are closed.
const (
	Planned   Status = "planned"
	Active    Status = "active"
	Blocked   Status = "blocked"
	Completed Status = "completed"
	Cancelled Status = "cancelled"
)

// Statuses lists every status in display order.
var Statuses = []Status{Planned, Active, Blocked, Completed, Cancelled}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Closed reports whether s is a closed status (the file lives in completed/).
func (s Status) Closed() bool { return s == Completed || s == Cancelled }

// Folder is the folder under .milestones/ where a milestone with status s lives.
func (s Status) Folder() string {
	if s.Closed() {
		return "completed"
	}
	return "active"
}

// Priority orders milestones by importance.
type Priority string

// The priorities, lowest first.
const (
	Low      Priority = "low"
	Medium   Priority = "medium"
	High     Priority = "high"
	Critical Priority = "critical"
)

// Priorities lists every priority, lowest first.
var Priorities = []Priority{Low, Medium, High, Critical}

// Valid reports whether p is one of Priorities.
func (p Priority) Valid() bool { return p.Rank() >= 0 }

// Rank is p's position in Priorities (higher is more important), or -1.
func (p Priority) Rank() int {
	for i, v := range Priorities {
		if p == v {
			return i
		}
	}
	return -1
}

// Document keys, as written in YAML and in JSON output.
const (
	KeyTitle       = "title"
	KeyStatus      = "status"
	KeyPriority    = "priority"
	KeyOwner       = "owner"
	KeyStart       = "start"
	KeyDue         = "due"
	KeyLabels      = "labels"
	KeyDependsOn   = "depends_on"
	KeyProgress    = "progress"
	KeyDescription = "description"
	KeyCreatedAt   = "created_at"
	KeyUpdatedAt   = "updated_at"
	KeyClosedAt    = "closed_at"
)

// Milestone is one milestone document. Dates and timestamps are kept as the
// text written in the document (validated), so nothing is reformatted.
type Milestone struct {
	ID          string
	Title       string
	Status      Status
	Priority    Priority
	Owner       string
	Start       string // YYYY-MM-DD or empty
	Due         string // YYYY-MM-DD or empty
	Labels      []string
	DependsOn   []string
	Progress    *int
	Description string
	CreatedAt   string // RFC 3339 UTC, set by the tool
	UpdatedAt   string
	ClosedAt    string
	// Extra holds keys the tool does not know, in document order, with
	// their decoded YAML values. They are kept as written.
	Extra []Field
}

// Field is one key of a document with its decoded value.
type Field struct {
	Key   string
	Value any
}

// Open reports whether the milestone is not closed.
func (m *Milestone) Open() bool { return !m.Status.Closed() }

// Overdue reports whether the milestone is open and its due date is before today (YYYY-MM-DD).
func (m *Milestone) Overdue(today string) bool {
	return m.Open() && m.Due != "" && m.Due < today
}

// HasLabel reports whether the milestone carries label.
func (m *Milestone) HasLabel(label string) bool {
	for _, l := range m.Labels {
		if l == label {
			return true
		}
	}
	return false
}

// Clone returns a deep copy of m (Extra values are shared: they are never mutated).
func (m Milestone) Clone() Milestone {
	c := m
	c.Labels = append([]string(nil), m.Labels...)
	c.DependsOn = append([]string(nil), m.DependsOn...)
	c.Extra = append([]Field(nil), m.Extra...)
	if m.Progress != nil {
		p := *m.Progress
		c.Progress = &p
	}
	return c
}

// FieldError says which field of a milestone is invalid and why.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Msg }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ValidateID checks id against the id rules: ^[a-z0-9][a-z0-9._-]{0,63}$ and no "..".
func ValidateID(id string) error {
	if !validID(id) || strings.Contains(id, "..") {
		return fmt.Errorf("invalid id %q: ids are 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit, without \"..\"", id)
	}
	return nil
}

// validID matches ^[a-z0-9][a-z0-9._-]{0,63}$ (by hand: the compiled
// expression would cost every process ~700 allocations at start-up).
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

// ValidateTitle checks a title: one line, 1-200 characters.
func ValidateTitle(t string) error {
	switch {
	case strings.TrimSpace(t) == "":
		return fieldErr(KeyTitle, "title is empty")
	case strings.ContainsAny(t, "\r\n"):
		return fieldErr(KeyTitle, "title %q has more than one line", t)
	case hasControl(t):
		return fieldErr(KeyTitle, "title %q contains a control character", t)
	case utf8.RuneCountInString(t) > 200:
		return fieldErr(KeyTitle, "title is %d characters long (at most 200)", utf8.RuneCountInString(t))
	}
	return nil
}

// hasControl reports a control character (C0 other than tab, DEL, C1):
// one-line fields are printed in tables, where escape sequences would
// reach the user's terminal.
func hasControl(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\t') || (r >= 0x7f && r < 0xa0) {
			return true
		}
	}
	return false
}

// ValidateOwner checks an owner: one line, no control characters.
func ValidateOwner(o string) error {
	if strings.ContainsAny(o, "\r\n") || hasControl(o) {
		return fieldErr(KeyOwner, "owner %q must be one line without control characters", o)
	}
	return nil
}

// ValidateStatus checks s against Statuses.
func ValidateStatus(s string) error {
	if !Status(s).Valid() {
		return fieldErr(KeyStatus, "status %q is not one of %s", s, joinStatuses())
	}
	return nil
}

// ValidatePriority checks p against Priorities.
func ValidatePriority(p string) error {
	if !Priority(p).Valid() {
		return fieldErr(KeyPriority, "priority %q is not one of %s", p, joinPriorities())
	}
	return nil
}

// ValidateDate checks a YYYY-MM-DD calendar date of the given field.
func ValidateDate(field, d string) error {
	if _, err := time.Parse(time.DateOnly, d); err != nil || len(d) != 10 {
		return fieldErr(field, "%s %q is not a date (YYYY-MM-DD)", field, d)
	}
	return nil
}

// ValidateTimestamp checks an RFC 3339 timestamp of the given field.
func ValidateTimestamp(field, ts string) error {
	if _, err := time.Parse(time.RFC3339, ts); err != nil {
		return fieldErr(field, "%s %q is not an RFC 3339 timestamp", field, ts)
	}
	return nil
}

// ValidateProgress checks 0 <= p <= 100.
func ValidateProgress(p int) error {
	if p < 0 || p > 100 {
		return fieldErr(KeyProgress, "progress %d is outside 0-100", p)
	}
	return nil
}

// ValidateLabel checks one label: non-empty, one line.
func ValidateLabel(field, l string) error {
	if strings.TrimSpace(l) == "" || strings.ContainsAny(l, "\r\n") || hasControl(l) {
		return fieldErr(field, "%s entry %q must be non-empty and one line", field, l)
	}
	return nil
}

// Validate checks every field of m. The id is checked too unless empty.
func (m *Milestone) Validate() error {
	if m.ID != "" {
		if err := ValidateID(m.ID); err != nil {
			return err
		}
	}
	for i := range Fields {
		if err := Fields[i].validate(m); err != nil {
			return err
		}
	}
	return nil
}

func joinStatuses() string {
	s := make([]string, len(Statuses))
	for i, v := range Statuses {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func joinPriorities() string {
	s := make([]string, len(Priorities))
	for i, v := range Priorities {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// latinFolds spells the Latin letters that do not decompose into an ASCII
// letter plus accents.
var latinFolds = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'þ': "th",
	'ł': "l", 'ı': "i", 'ħ': "h", 'ŧ': "t", 'ŋ': "ng", 'ĸ': "k", 'ſ': "s",
}

// Slug turns a title into an id candidate: lower case, Latin letters
// without their accents (Café déjà vu -> cafe-deja-vu), runs of other
// characters become '-', at most 56 characters. A title with letters or
// digits of other scripts keeps what it has in ASCII and gains a short
// hash of the whole title, so distinct titles get distinct, stable ids;
// a title with none at all becomes "m-" and that hash.
func Slug(title string) string {
	var b strings.Builder
	dash := false
	foreign := false
	for _, r := range norm.NFKD.String(strings.ToLower(title)) {
		if f, ok := latinFolds[r]; ok {
			b.WriteString(f)
			dash = false
			continue
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case unicode.Is(unicode.Mn, r):
			// an accent taken off its letter by NFKD
		default:
			if unicode.IsLetter(r) || unicode.IsNumber(r) {
				foreign = true
			}
			if b.Len() > 0 && !dash {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	s := strings.TrimRight(b.String(), "-")
	hash := ""
	if foreign || s == "" {
		sum := sha256.Sum256([]byte(title))
		hash = hex.EncodeToString(sum[:])[:7]
	}
	limit := 56 // leave room for a "-N" suffix
	if hash != "" {
		limit -= len(hash) + 1
	}
	if len(s) > limit {
		s = strings.TrimRight(s[:limit], "-")
	}
	switch {
	case hash == "":
		return s
	case s == "":
		return "m-" + hash
	}
	return s + "-" + hash
}

// CheckDates refuses a start date after the due date.
func (m *Milestone) CheckDates() error {
	if m.Start != "" && m.Due != "" && m.Start > m.Due {
		return fieldErr(KeyStart, "start %s is after due %s", m.Start, m.Due)
	}
	return nil
}

// UniqueSlug returns Slug(title), or Slug(title)-N for the smallest N >= 2
// that exists() rejects.
func UniqueSlug(title string, exists func(id string) bool) string {
	base := Slug(title)
	if !exists(base) {
		return base
	}
	for n := 2; ; n++ {
		id := fmt.Sprintf("%s-%d", base, n)
		if !exists(id) {
			return id
		}
	}
}

// AmbiguousError reports an id prefix that matches several milestones.
type AmbiguousError struct {
	Prefix  string
	Matches []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("milestone id %q is ambiguous: it matches %s", e.Prefix, strings.Join(e.Matches, ", "))
}

// NotFoundError reports an id or prefix that matches no milestone.
type NotFoundError struct{ ID string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("no milestone %q", e.ID) }

// Resolve finds the id that prefix names among ids: an exact match wins,
// otherwise the one id starting with prefix.
func Resolve(ids []string, prefix string) (string, error) {
	var matches []string
	for _, id := range ids {
		if id == prefix {
			return id, nil
		}
		if strings.HasPrefix(id, prefix) {
			matches = append(matches, id)
		}
	}
	switch len(matches) {
	case 0:
		return "", &NotFoundError{ID: prefix}
	case 1:
		return matches[0], nil
	}
	sort.Strings(matches)
	return "", &AmbiguousError{Prefix: prefix, Matches: matches}
}

// Get returns the value of key in m as a document holds it (string,
// []string, int, or an unknown key's decoded value) and whether it is
// present: empty strings, empty lists and a nil progress are absent.
func (m *Milestone) Get(key string) (any, bool) {
	if f, ok := Spec(key); ok {
		return f.get(m)
	}
	for _, f := range m.Extra {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

// DaysBetween is the number of days from date a to date b (YYYY-MM-DD),
// false when either is not a date.
func DaysBetween(a, b string) (int, bool) {
	ta, err1 := time.Parse(time.DateOnly, a)
	tb, err2 := time.Parse(time.DateOnly, b)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return int(tb.Sub(ta).Hours() / 24), true
}
