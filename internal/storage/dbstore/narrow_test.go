package dbstore

import (
	"bytes"
	"context"
	"database/sql"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// TestMigrationNarrowsSQLite opens a SQLite database of schema version 3
// holding milestones of two projects: migration 0004 moves each source and
// document to milestone_docs and fills the brief documents, so that every
// read gives back exactly what was stored, and the writes after it keep
// milestone_docs in step with milestones.
func TestMigrationNarrowsSQLite(t *testing.T) {
	ctx := context.Background()
	d := newTestDB(t, TypeSQLite)
	db, err := sql.Open("sqlite", d.path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations(TypeSQLite)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:3] {
		if _, err := db.ExecContext(ctx, m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO milestone_schema (version) VALUES (1), (2), (3)`); err != nil {
		t.Fatal(err)
	}
	progress := 40
	want := milestone.Milestone{ID: "beta", Title: "Public beta", Status: milestone.Active, Priority: milestone.High,
		Owner: "ana@example.com", Due: "2026-12-15", Labels: []string{"web", "release"}, Progress: &progress,
		Description: "Free text.\nSecond line.\n", Extra: []milestone.Field{{Key: "x-points", Value: 3}}}
	doc, err := want.JSON()
	if err != nil {
		t.Fatal(err)
	}
	src := yamlSource(t, &want)
	for i, project := range []string{"p1", "p2"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO milestones (rid, project, id, title, status, priority, source, doc)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, i+1, project, want.ID, want.Title, "active", "high", string(src), string(doc)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := d.open(t, "p2")
	got, err := s.Get(ctx, "beta")
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := got.Milestone.JSON()
	if !bytes.Equal(gj, doc) || !bytes.Equal(got.Source, src) {
		t.Fatalf("after migration:\n%s\n%q\nwant\n%s\n%q", gj, got.Source, doc, src)
	}
	brief, _, err := s.List(ctx, storage.Query{Brief: true})
	if err != nil || len(brief) != 1 {
		t.Fatalf("brief list: %v %v", brief, err)
	}
	b, w := brief[0].Milestone, want
	w.Description, w.Extra = "", nil
	bj, _ := b.JSON()
	wj, _ := w.JSON()
	if !bytes.Equal(bj, wj) {
		t.Fatalf("brief record %s, want %s", bj, wj)
	}
	full, _, err := s.List(ctx, storage.Query{})
	if err != nil || len(full) != 1 || full[0].Milestone.Description != want.Description || !bytes.Equal(full[0].Source, src) {
		t.Fatalf("full list: %+v %v", full, err)
	}

	// The writes that follow: create, update, delete, clear a project.
	docsInStep := func(what string) {
		t.Helper()
		var rows, docs, orphans int
		err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM milestones), (SELECT count(*) FROM milestone_docs),
		    (SELECT count(*) FROM milestone_docs WHERE rid NOT IN (SELECT rid FROM milestones))`).Scan(&rows, &docs, &orphans)
		if err != nil {
			t.Fatal(err)
		}
		if rows != docs || orphans != 0 {
			t.Fatalf("%s: %d rows, %d documents, %d without a row", what, rows, docs, orphans)
		}
	}
	docsInStep("after migration")
	create(t, s, rec(t, milestone.Milestone{ID: "gamma", Title: "Gamma", Status: milestone.Planned, Priority: milestone.Low, Description: "G\n"}))
	docsInStep("after create")
	if _, err := s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
		r, err := tx.Get("gamma")
		if err != nil {
			return err
		}
		r.Milestone.Description = "Changed.\n"
		return tx.Put(r.Milestone, yamlSource(t, &r.Milestone))
	}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Get(ctx, "gamma"); err != nil || r.Milestone.Description != "Changed.\n" || !bytes.Contains(r.Source, []byte("Changed.")) {
		t.Fatalf("after update: %+v %v", r, err)
	}
	docsInStep("after update")
	if _, err := s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error { return tx.Delete("beta") }); err != nil {
		t.Fatal(err)
	}
	docsInStep("after delete")
	if n, err := d.open(t, "p1").DeleteProject(ctx); err != nil || n != 1 {
		t.Fatalf("delete project p1: %d %v", n, err)
	}
	docsInStep("after deleting a project")
	if n, err := s.DeleteAll(ctx); err != nil || n != 1 {
		t.Fatalf("delete all of p2: %d %v", n, err)
	}
	docsInStep("after deleting all")
}
