package dbstore

import (
	"context"
	"reflect"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// TestProjects: two projects share one database; each registers a name;
// a scoped view reads the other project's rows and closing it leaves the
// connections open.
func TestProjects(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		web, mobile := d.open(t, "key-web"), d.open(t, "key-mobile")
		create(t, web, rec(t, milestone.Milestone{ID: "beta", Title: "Beta", Status: milestone.Planned, Priority: milestone.Medium}))
		create(t, mobile, rec(t, milestone.Milestone{ID: "app", Title: "App", Status: milestone.Active, Priority: milestone.High}))
		unnamed := d.open(t, "key-unnamed")
		create(t, unnamed, rec(t, milestone.Milestone{ID: "x", Title: "X", Status: milestone.Planned, Priority: milestone.Low}))

		if err := web.SetProjectName(ctx, "web"); err != nil {
			t.Fatal(err)
		}
		if err := mobile.SetProjectName(ctx, "Mobile 'app' \x00"); err != nil {
			t.Fatal(err)
		}
		if err := web.SetProjectName(ctx, "web"); err != nil { // unchanged: no write, no error
			t.Fatal(err)
		}
		ps, err := web.Projects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []Project{{Key: "key-mobile", Name: "Mobile 'app' "}, {Key: "key-web", Name: "web"}, {Key: "key-unnamed"}}
		if !reflect.DeepEqual(ps, want) {
			t.Fatalf("projects %+v, want %+v", ps, want)
		}
		view := web.Scoped("key-mobile")
		recs, _, err := view.List(ctx, storage.Query{All: true})
		if err != nil || len(recs) != 1 || recs[0].Milestone.ID != "app" {
			t.Fatalf("scoped list: %v %+v", err, recs)
		}
		if view.ProjectKey() != "key-mobile" || web.ProjectKey() != "key-web" {
			t.Error("a scoped view changed its parent")
		}
		view.Close()
		if _, err := web.Get(ctx, "beta"); err != nil {
			t.Fatalf("closing a scoped view closed the store: %v", err)
		}
		if err := web.SetProjectName(ctx, "web frontend"); err != nil {
			t.Fatal(err)
		}
		ps, _ = mobile.Projects(ctx)
		if ps[1].Name != "web frontend" {
			t.Errorf("renamed project: %+v", ps)
		}
	})
}
