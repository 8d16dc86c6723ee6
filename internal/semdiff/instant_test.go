package semdiff

import (
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// TestFieldChangesCompareInstants: a timestamp rewritten with another UTC
// offset is no change; a real change of instant is one.
func TestFieldChangesCompareInstants(t *testing.T) {
	a := &milestone.Milestone{ID: "x", Title: "T", Status: milestone.Completed, Priority: milestone.Medium,
		CreatedAt: "2026-03-01T10:00:00+02:00", UpdatedAt: "2026-03-01T08:00:00Z", ClosedAt: "2026-03-02T00:00:00Z"}
	b := a.Clone()
	b.CreatedAt = "2026-03-01T08:00:00Z"
	b.UpdatedAt = "2026-03-01T03:00:00-05:00"
	b.ClosedAt = "2026-03-02T01:00:00+02:00" // 2026-03-01T23:00Z: an hour earlier
	changes := FieldChanges(a, &b)
	if len(changes) != 1 || changes[0].Field != milestone.KeyClosedAt {
		t.Fatalf("changes = %+v, want only closed_at", changes)
	}
}
