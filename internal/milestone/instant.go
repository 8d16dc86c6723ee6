package milestone

import (
	"strings"
	"time"
)

// instantLayouts are the timestamp forms read in documents: RFC 3339 and
// the other forms of YAML's timestamp type (a space for the T, no zone
// meaning UTC), each with optional fractional seconds.
var instantLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	time.DateOnly,
}

// ParseInstant reads a timestamp (created_at, updated_at, closed_at) as an
// instant, whatever its UTC offset or YAML spelling; ok is false when s is
// not a timestamp. Timestamps compare as instants, never as text.
func ParseInstant(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	// YAML allows a lower-case t and z.
	if len(s) > 10 && s[10] == 't' {
		s = s[:10] + "T" + s[11:]
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	for _, l := range instantLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// SameInstant reports whether a and b are the same text or name the same
// instant.
func SameInstant(a, b string) bool {
	if a == b {
		return true
	}
	ta, okA := ParseInstant(a)
	tb, okB := ParseInstant(b)
	return okA && okB && ta.Equal(tb)
}

// IsInstantKey reports whether key holds a timestamp.
func IsInstantKey(key string) bool {
	f, ok := Spec(key)
	return ok && f.Kind == KindTimestamp
}
