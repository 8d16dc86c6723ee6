package milestone

import "testing"

func TestInstants(t *testing.T) {
	cases := []struct {
		a, b string
		same bool
	}{
		{"2026-03-01T10:00:00+02:00", "2026-03-01T08:00:00Z", true},
		{"2026-03-01T10:00:00+02:00", "2026-03-01T10:00:00Z", false},
		{"2026-03-01 08:00:00Z", "2026-03-01T08:00:00Z", true},
		{"2026-03-01t08:00:00z", "2026-03-01T08:00:00Z", true},
		{"2026-03-01T08:00:00.000Z", "2026-03-01T08:00:00Z", true},
		{"2026-03-01T23:30:00-05:00", "2026-03-02T04:30:00Z", true},
		{"2026-03-01", "2026-03-01T00:00:00Z", true},
		{"not a time", "2026-03-01T00:00:00Z", false},
		{"", "", true},
	}
	for _, c := range cases {
		if got := SameInstant(c.a, c.b); got != c.same {
			t.Errorf("SameInstant(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
