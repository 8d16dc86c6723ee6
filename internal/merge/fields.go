package merge

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

// val is the value of one document key and whether the key is present.
// Known keys hold a string, a []string (labels, depends_on) or an int
// (progress); unknown keys hold their decoded YAML value.
type val struct {
	v  any
	ok bool
}

// get returns the value of key in m. Empty strings and lists are absent,
// as Decode reads them.
func get(m *milestone.Milestone, key string) val {
	v, ok := m.Get(key)
	return val{v, ok}
}

// set stores v as the value of key in m (an absent v removes the key).
// A new unknown key is appended to Extra.
func set(m *milestone.Milestone, key string, v val) {
	if m.SetKnown(key, v.v, v.ok) {
		return
	}
	for i, f := range m.Extra {
		if f.Key == key {
			if v.ok {
				m.Extra[i].Value = v.v
			} else {
				m.Extra = append(m.Extra[:i:i], m.Extra[i+1:]...)
			}
			return
		}
	}
	if v.ok {
		m.Extra = append(m.Extra, milestone.Field{Key: key, Value: v.v})
	}
}

// same reports whether two values are equal: both absent, or both present
// with the same value.
func same(a, b val) bool {
	if a.ok != b.ok {
		return false
	}
	if !a.ok {
		return true
	}
	switch x := a.v.(type) {
	case string:
		y, ok := b.v.(string)
		return ok && x == y
	case []string:
		y, ok := b.v.([]string)
		return ok && equalLines(x, y)
	case int:
		y, ok := b.v.(int)
		return ok && x == y
	}
	return canon(a.v) == canon(b.v)
}

// canon renders a value canonically, for comparison (see format.Canon).
func canon(v any) string { return format.Canon(v) }

// show renders a value for a message: "absent", a quoted string, [a, b].
func show(v val) string {
	if !v.ok {
		return "(absent)"
	}
	switch x := v.v.(type) {
	case string:
		if i := strings.IndexByte(x, '\n'); i >= 0 {
			return strconv.Quote(x[:i] + "…")
		}
		return strconv.Quote(x)
	case []string:
		return "[" + strings.Join(x, ", ") + "]"
	case int:
		return strconv.Itoa(x)
	}
	return strings.TrimSpace(strings.TrimPrefix(canon(v.v), fmt.Sprintf("%T ", v.v)))
}

// keys lists every key present in any of the milestones: the known keys in
// canonical order, then unknown keys in the order of ours, theirs, base.
func keys(ms ...*milestone.Milestone) []string {
	out := append([]string(nil), milestone.Keys...)
	seen := map[string]bool{}
	for _, m := range ms {
		if m == nil {
			continue
		}
		for _, f := range m.Extra {
			if !seen[f.Key] && !milestone.IsKnownKey(f.Key) {
				seen[f.Key] = true
				out = append(out, f.Key)
			}
		}
	}
	return out
}

// parseTime reads an RFC 3339 timestamp; ok is false for anything else.
func parseTime(s string) (time.Time, bool) { return milestone.ParseInstant(s) }
