package dbstore

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/sqlike"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// TestMigrationFillsSearch opens a database of schema version 1 with rows
// of two projects: migration 0002 folds and stores their search text, so
// that the new search finds them.
func TestMigrationFillsSearch(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		driver, dsn := "sqlite", d.path
		if d.kind == TypePostgreSQL {
			driver, dsn = "pgx", d.url
		}
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := migrations(d.kind)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, ms[0].sql); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO milestone_schema (version) VALUES (1)`); err != nil {
			t.Fatal(err)
		}
		m := milestone.Milestone{ID: "cafe", Title: "Café CRÈME", Status: milestone.Planned, Priority: milestone.Medium,
			Labels: []string{"Ωmega"}, Owner: "Zoë"}
		doc, err := m.JSON()
		if err != nil {
			t.Fatal(err)
		}
		src := yamlSource(t, &m)
		for i, project := range []string{"p1", "p2"} {
			var err error
			if d.kind == TypePostgreSQL {
				_, err = db.ExecContext(ctx, `INSERT INTO milestones (project, id, title, status, priority, source, doc)
 VALUES ($1, $2, $3, $4, $5, $6, $7)`, project, m.ID, m.Title, "planned", "medium", string(src), string(doc))
			} else {
				_, err = db.ExecContext(ctx, `INSERT INTO milestones (rid, project, id, title, status, priority, source, doc)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, i+1, project, m.ID, m.Title, "planned", "medium", string(src), string(doc))
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		db.Close()

		s := d.open(t, "p2")
		for _, q := range []string{"creme", "CAFE", "ωMEGA", "zoe", "caf", "é"} {
			got, _, err := s.List(ctx, storage.Query{Text: q, All: true})
			if err != nil || !slices.Equal(ids(got), []string{"cafe"}) {
				t.Errorf("search %q after migration = %v %v, want [cafe]", q, ids(got), err)
			}
		}
		got, _, err := s.List(ctx, storage.Query{Text: "nothing", All: true})
		if err != nil || len(got) != 0 {
			t.Errorf("search nothing = %v %v", ids(got), err)
		}
		p1 := d.open(t, "p1")
		if got, _, err := p1.List(ctx, storage.Query{Text: "cafe", All: true}); err != nil || len(got) != 1 {
			t.Errorf("other project after migration = %v %v", ids(got), err)
		}
	})
}

func TestLikeContains(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abc", "%abc%"},
		{"100%", `%100\%%`},
		{"a_b", `%a\_b%`},
		{`c:\x`, `%c:\\x%`},
		{`\%_`, `%\\\%\_%`},
	} {
		if got := sqlike.Contains(tc.in); got != tc.want {
			t.Errorf("sqlike.Contains(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
