package index

import (
	"database/sql"
	"reflect"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// TestBriefColumnsRoundTrip packs rows in SQLite with briefColumns and
// unpacks them with fillBrief: NULL stays apart from "", and values that
// look like the packing itself ("-", "3:abc", colons, digits, newlines,
// multi-byte text) are data.
func TestBriefColumnsRoundTrip(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE milestones (id TEXT, file_path TEXT, title TEXT, status TEXT, priority TEXT,
	    owner TEXT, start TEXT, due TEXT, progress INTEGER, labels TEXT, depends_on TEXT,
	    created_at TEXT, updated_at TEXT, closed_at TEXT)`); err != nil {
		t.Fatal(err)
	}
	progress := 40
	zero := 0
	want := []storage.Record{
		{Path: ".milestones/active/a.yaml", Milestone: milestone.Milestone{ID: "a", Title: "-", Status: "active", Priority: "high"}},
		{Path: ".milestones/active/b.yaml", Milestone: milestone.Milestone{ID: "b", Title: "3:abc:-", Status: "planned", Priority: "low",
			Owner: "ana@example.com", Start: "2026-01-01", Due: "2026-02-01", Progress: &progress,
			Labels: []string{"x", "2:y"}, DependsOn: []string{"a"}, CreatedAt: "2026-01-01T00:00:00Z",
			UpdatedAt: "2026-01-02T00:00:00Z", ClosedAt: "2026-01-03T00:00:00Z"}},
		{Path: ".milestones/completed/c.yaml", Milestone: milestone.Milestone{ID: "c", Title: "Été 日本 '; DROP TABLE x; --" + strings.Repeat("z", 300),
			Status: "completed", Priority: "medium", Progress: &zero, Labels: []string{""}}},
	}
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for _, r := range want {
		m := r.Milestone
		var p any
		if m.Progress != nil {
			p = *m.Progress
		}
		var labels, deps any
		if m.Labels != nil {
			labels = strings.Join(m.Labels, "\n")
		}
		if m.DependsOn != nil {
			deps = strings.Join(m.DependsOn, "\n")
		}
		if _, err := db.Exec(`INSERT INTO milestones VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, r.Path, m.Title, string(m.Status), string(m.Priority), nullable(m.Owner), nullable(m.Start), nullable(m.Due),
			p, labels, deps, nullable(m.CreatedAt), nullable(m.UpdatedAt), nullable(m.ClosedAt)); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.Query(`SELECT ` + briefColumns + ` FROM milestones m ORDER BY m.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []storage.Record
	for rows.Next() {
		r, err := scanBrief(rows)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestUnpackRefusesMalformed(t *testing.T) {
	for _, s := range []string{"", "x", "3:ab", "-1:", ":a", "9999999999999999999999:a"} {
		var r storage.Record
		if err := fillBrief(&r, s); err == nil {
			t.Errorf("fillBrief(%q) accepted", s)
		}
	}
}
