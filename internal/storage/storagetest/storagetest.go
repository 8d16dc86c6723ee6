// Package storagetest is the conformance suite every storage.Backend runs
// (file, hybrid, and the database on SQLite and PostgreSQL), so the
// backends cannot drift apart on edge cases.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Factory returns a new, empty backend for one test; the test closes it.
type Factory func(t *testing.T) storage.Backend

// Run runs every conformance test against backends made by newBackend.
func Run(t *testing.T, newBackend Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b storage.Backend)
	}{
		{"CreateGet", testCreateGet},
		{"CreateExisting", testCreateExisting},
		{"GetMissing", testGetMissing},
		{"UpdateMovesClosed", testUpdateMovesClosed},
		{"Delete", testDelete},
		{"FailedUpdateWritesNothing", testFailedUpdate},
		{"ListFilters", testListFilters},
		{"Search", testSearch},
		{"HostileText", testHostileText},
		{"ConcurrentLabels", testConcurrentLabels},
		{"RenameInOneUpdate", testRename},
		{"Stats", testStats},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t)
			defer b.Close()
			tc.fn(t, b)
		})
	}
}

var ctx = context.Background()

// doc builds a milestone with its canonical source.
func doc(id, title string, st milestone.Status, pr milestone.Priority, mods ...func(*milestone.Milestone)) (milestone.Milestone, []byte) {
	m := milestone.Milestone{ID: id, Title: title, Status: st, Priority: pr,
		CreatedAt: "2026-11-01T07:00:00Z", UpdatedAt: "2026-11-01T07:00:00Z"}
	for _, f := range mods {
		f(&m)
	}
	return m, format.Encode(m)
}

func create(t *testing.T, b storage.Backend, m milestone.Milestone, src []byte) {
	t.Helper()
	_, err := b.Update(ctx, storage.UpdateOptions{Lock: []string{m.ID}, Message: "milestone(" + m.ID + "): create\n"},
		func(tx storage.Tx) error { return tx.Create(m, src) })
	if err != nil {
		t.Fatalf("create %s: %v", m.ID, err)
	}
}

func mustGet(t *testing.T, b storage.Backend, id string) storage.Record {
	t.Helper()
	r, err := b.Get(ctx, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return r
}

// sameMilestone compares the fields that every backend must return exactly.
func sameMilestone(t *testing.T, got, want milestone.Milestone) {
	t.Helper()
	gj, err1 := got.JSON()
	wj, err2 := want.JSON()
	if err1 != nil || err2 != nil || !bytes.Equal(gj, wj) {
		t.Fatalf("milestone differs:\n got %s\nwant %s", gj, wj)
	}
}

func testCreateGet(t *testing.T, b storage.Backend) {
	m, src := doc("beta", "Public beta", milestone.Active, milestone.High, func(m *milestone.Milestone) {
		m.Labels = []string{"release", "web"}
		m.DependsOn = []string{"api"}
		p := 40
		m.Progress = &p
		m.Due, m.Owner, m.Description = "2026-12-15", "ana@example.com", "Line one.\nLine two.\n"
		m.Extra = []milestone.Field{{Key: "x-team", Value: "platform"}}
	})
	src = append([]byte("# a comment the store must keep\n"), src...)
	create(t, b, m, src)
	r := mustGet(t, b, "beta")
	if !bytes.Equal(r.Source, src) {
		t.Fatalf("source not kept byte for byte:\n got %q\nwant %q", r.Source, src)
	}
	sameMilestone(t, r.Milestone, m)
	ids, err := b.IDs(ctx)
	if err != nil || !reflect.DeepEqual(ids, []string{"beta"}) {
		t.Fatalf("IDs = %v, %v", ids, err)
	}
}

func testCreateExisting(t *testing.T, b storage.Backend) {
	m, src := doc("beta", "Beta", milestone.Planned, milestone.Medium)
	create(t, b, m, src)
	m2, src2 := doc("beta", "Other", milestone.Planned, milestone.Medium)
	_, err := b.Update(ctx, storage.UpdateOptions{Lock: []string{"beta"}, Message: "x\n"},
		func(tx storage.Tx) error { return tx.Create(m2, src2) })
	if !errors.Is(err, storage.ErrExists) {
		t.Fatalf("create existing: err = %v, want ErrExists", err)
	}
	if r := mustGet(t, b, "beta"); r.Milestone.Title != "Beta" {
		t.Fatalf("existing milestone changed: %q", r.Milestone.Title)
	}
}

func testGetMissing(t *testing.T, b storage.Backend) {
	_, err := b.Get(ctx, "nothing")
	var nf *milestone.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("get missing: err = %v, want NotFoundError", err)
	}
	recs, problems, err := b.List(ctx, storage.Query{All: true})
	if err != nil || len(recs) != 0 || len(problems) != 0 {
		t.Fatalf("empty list = %v %v %v", recs, problems, err)
	}
}

func update(t *testing.T, b storage.Backend, id string, change func(m *milestone.Milestone)) {
	t.Helper()
	_, err := b.Update(ctx, storage.UpdateOptions{Lock: []string{id}, Message: "milestone(" + id + "): update\n"}, func(tx storage.Tx) error {
		r, err := tx.Get(id)
		if err != nil {
			return err
		}
		m := r.Milestone.Clone()
		change(&m)
		src, err := format.Rewrite(r.Path, r.Source, m)
		if err != nil {
			return err
		}
		return tx.Put(m, src)
	})
	if err != nil {
		t.Fatalf("update %s: %v", id, err)
	}
}

func testUpdateMovesClosed(t *testing.T, b storage.Backend) {
	m, src := doc("beta", "Beta", milestone.Active, milestone.Medium)
	create(t, b, m, src)
	update(t, b, "beta", func(m *milestone.Milestone) {
		m.Status, m.ClosedAt = milestone.Completed, "2026-11-20T10:00:00Z"
	})
	r := mustGet(t, b, "beta")
	if r.Milestone.Status != milestone.Completed || r.Milestone.ClosedAt != "2026-11-20T10:00:00Z" {
		t.Fatalf("after close: %+v", r.Milestone)
	}
	if r.Path != "" && !strings.Contains(r.Path, "/completed/") {
		t.Fatalf("closed milestone at %s", r.Path)
	}
	open, _, err := b.List(ctx, storage.Query{})
	if err != nil || len(open) != 0 {
		t.Fatalf("open list = %v, %v", open, err)
	}
	all, _, _ := b.List(ctx, storage.Query{All: true})
	if len(all) != 1 {
		t.Fatalf("all = %v", all)
	}
}

func testDelete(t *testing.T, b storage.Backend) {
	m, src := doc("beta", "Beta", milestone.Active, milestone.Medium)
	create(t, b, m, src)
	if _, err := b.Update(ctx, storage.UpdateOptions{Lock: []string{"beta"}, Message: "rm\n"},
		func(tx storage.Tx) error { return tx.Delete("beta") }); err != nil {
		t.Fatal(err)
	}
	var nf *milestone.NotFoundError
	if _, err := b.Get(ctx, "beta"); !errors.As(err, &nf) {
		t.Fatalf("after delete: %v", err)
	}
	_, err := b.Update(ctx, storage.UpdateOptions{Lock: []string{"beta"}, Message: "rm\n"},
		func(tx storage.Tx) error { return tx.Delete("beta") })
	if !errors.As(err, &nf) {
		t.Fatalf("delete twice: %v", err)
	}
}

func testFailedUpdate(t *testing.T, b storage.Backend) {
	m, src := doc("beta", "Beta", milestone.Active, milestone.Medium)
	create(t, b, m, src)
	boom := errors.New("boom")
	_, err := b.Update(ctx, storage.UpdateOptions{Lock: []string{"beta"}, Message: "x\n"}, func(tx storage.Tx) error {
		r, _ := tx.Get("beta")
		mm := r.Milestone.Clone()
		mm.Title = "Changed"
		if err := tx.Put(mm, format.Encode(mm)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if r := mustGet(t, b, "beta"); r.Milestone.Title != "Beta" {
		t.Fatalf("a failed update wrote: %q", r.Milestone.Title)
	}
}

func ids(recs []storage.Record) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.Milestone.ID)
	}
	return out
}

func testListFilters(t *testing.T, b storage.Backend) {
	fixtures := []struct {
		id  string
		st  milestone.Status
		pr  milestone.Priority
		mod func(*milestone.Milestone)
	}{
		{"a", milestone.Active, milestone.High, func(m *milestone.Milestone) { m.Due, m.Labels, m.Owner = "2026-01-10", []string{"web"}, "ana" }},
		{"b", milestone.Planned, milestone.Low, func(m *milestone.Milestone) { m.Due, m.Labels = "2027-03-01", []string{"web", "api"} }},
		{"c", milestone.Blocked, milestone.Critical, func(m *milestone.Milestone) { m.Owner = "ana" }},
		{"d", milestone.Completed, milestone.High, func(m *milestone.Milestone) { m.Due, m.ClosedAt = "2025-01-01", "2025-01-02T00:00:00Z" }},
		{"e", milestone.Active, milestone.Medium, func(m *milestone.Milestone) { m.Due, m.CreatedAt = "2026-06-01", "2026-10-01T00:00:00Z" }},
	}
	var all []storage.Record
	for _, f := range fixtures {
		m, src := doc(f.id, "Milestone "+strings.ToUpper(f.id), f.st, f.pr, f.mod)
		create(t, b, m, src)
		all = append(all, storage.Record{Milestone: m})
	}
	queries := []storage.Query{
		{},
		{All: true},
		{Statuses: []milestone.Status{milestone.Active}},
		{Statuses: []milestone.Status{milestone.Completed, milestone.Blocked}},
		{Priorities: []milestone.Priority{milestone.High, milestone.Critical}, All: true},
		{Labels: []string{"web"}},
		{Labels: []string{"web", "api"}},
		{Owner: "ana"},
		{DueBefore: "2026-07-01", All: true},
		{Overdue: true, Today: "2026-11-26"},
		{Sort: "priority", All: true},
		{Sort: "due"},
		{Sort: "created", All: true},
		{Sort: "updated", All: true},
		{Sort: "title", All: true},
		{Sort: "status", All: true},
		{Sort: "due", Limit: 2},
	}
	for _, q := range queries {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			got, problems, err := b.List(ctx, q)
			if err != nil || len(problems) > 0 {
				t.Fatalf("list: %v %v", problems, err)
			}
			var want []storage.Record
			for _, r := range all {
				if storage.Match(q, &r.Milestone) {
					want = append(want, r)
				}
			}
			storage.Sort(q.Sort, want)
			want = storage.Limit(q.Limit, want)
			if !reflect.DeepEqual(ids(got), ids(want)) {
				t.Fatalf("list %+v = %v, want %v", q, ids(got), ids(want))
			}
			sameBrief(t, b, q, got)
		})
	}
}

// sameBrief checks that q with Brief selects full's milestones in the same
// order, each with the fields a table shows.
func sameBrief(t *testing.T, b storage.Backend, q storage.Query, full []storage.Record) {
	t.Helper()
	q.Brief = true
	got, problems, err := b.List(ctx, q)
	if err != nil || len(problems) > 0 {
		t.Fatalf("brief list: %v %v", problems, err)
	}
	if !reflect.DeepEqual(ids(got), ids(full)) {
		t.Fatalf("brief list %+v = %v, want %v", q, ids(got), ids(full))
	}
	for i, r := range got {
		g, w := r.Milestone, full[i].Milestone
		g.Description, g.Extra, w.Description, w.Extra = "", nil, "", nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("brief record %s = %+v, want %+v", g.ID, g, w)
		}
	}
}

// searchFixtures are the milestones of the search query table. Comments
// give the folded text a query matches.
func searchFixtures() []func() (milestone.Milestone, []byte) {
	p, m := milestone.Planned, milestone.Medium
	return []func() (milestone.Milestone, []byte){
		func() (milestone.Milestone, []byte) {
			return doc("alpha-cafe", "Café launch", p, m, func(x *milestone.Milestone) {
				x.Labels, x.Owner = []string{"Marketing"}, "ana"
			})
		},
		func() (milestone.Milestone, []byte) {
			return doc("beta-creme", "CRÈME BRÛLÉE", p, m, func(x *milestone.Milestone) {
				x.Description, x.Owner = "Dessert served at the CAFE counter.", "Zoë"
			})
		},
		func() (milestone.Milestone, []byte) {
			return doc("gamma-resume", "Resume upload", p, m, func(x *milestone.Milestone) {
				x.Description, x.Labels = "plain ascii text", []string{"backend"}
			})
		},
		func() (milestone.Milestone, []byte) {
			return doc("delta-strasse", "Straße fix", p, m, func(x *milestone.Milestone) { x.Owner = "bob" })
		},
		func() (milestone.Milestone, []byte) { return doc("epsilon-run", "Running tests nightly", p, m) },
		func() (milestone.Milestone, []byte) {
			return doc("eta-label", "Untitled", p, m, func(x *milestone.Milestone) { x.Labels = []string{"zanzibar", "q1"} })
		},
		func() (milestone.Milestone, []byte) {
			return doc("theta-owner", "Untitled", p, m, func(x *milestone.Milestone) { x.Owner = "owen@example.com" })
		},
		func() (milestone.Milestone, []byte) { return doc("quasar-7", "Untitled", p, m) },
		func() (milestone.Milestone, []byte) {
			return doc("iota-desc", "Untitled", p, m, func(x *milestone.Milestone) { x.Description = "a hidden xylophone\x00nul" })
		},
		func() (milestone.Milestone, []byte) {
			return doc("kappa-wild", "100% done_now", p, m, func(x *milestone.Milestone) {
				x.Description = `path\to\file 'single' "double"`
			})
		},
		func() (milestone.Milestone, []byte) {
			return doc("lambda-hostile", "Robert'); DROP TABLE milestones; --", p, m, func(x *milestone.Milestone) {
				x.Description = "../../etc/passwd\nsecond line"
			})
		},
		func() (milestone.Milestone, []byte) { return doc("mu-the", "The A Team", p, m) },
		func() (milestone.Milestone, []byte) {
			return doc("nu-closed", "Zanzibar retro", milestone.Completed, m, func(x *milestone.Milestone) {
				x.ClosedAt = "2026-11-02T07:00:00Z"
			})
		},
		func() (milestone.Milestone, []byte) { return doc("xi-run", "Run once", p, m) },
	}
}

// searchQueries is the search query table: every backend must answer each
// query with exactly these ids, in this order.
var searchQueries = []struct {
	name string
	q    storage.Query
	want []string
}{
	{"plain finds accented", storage.Query{Text: "cafe", All: true}, []string{"alpha-cafe", "beta-creme"}},
	{"accented finds plain", storage.Query{Text: "café", All: true}, []string{"alpha-cafe", "beta-creme"}},
	{"upper accented", storage.Query{Text: "CAFÉ", All: true}, []string{"alpha-cafe", "beta-creme"}},
	{"accents both ways", storage.Query{Text: "RÉSUMÉ", All: true}, []string{"gamma-resume"}},
	{"accented query, plain id", storage.Query{Text: "qüäsär-7", All: true}, []string{"quasar-7"}},
	{"accented short term", storage.Query{Text: "ẍÿ", All: true}, []string{"iota-desc"}},
	{"decomposed accent", storage.Query{Text: "bru\u0302le\u0301e", All: true}, []string{"beta-creme"}},
	{"owner accent", storage.Query{Text: "zoe", All: true}, []string{"beta-creme"}},
	{"sharp s", storage.Query{Text: "STRASSE", All: true}, []string{"delta-strasse"}},
	{"sharp s in query", storage.Query{Text: "straße", All: true}, []string{"delta-strasse"}},
	{"ligature", storage.Query{Text: "\ufb01x", All: true}, []string{"delta-strasse"}},
	{"all terms required", storage.Query{Text: "cafe launch", All: true}, []string{"alpha-cafe"}},
	{"all terms required 2", storage.Query{Text: "Dessert  café\t", All: true}, []string{"beta-creme"}},
	{"one term missing", storage.Query{Text: "cafe launch zzz", All: true}, []string{}},
	{"one char", storage.Query{Text: "7", All: true}, []string{"quasar-7"}},
	{"two chars", storage.Query{Text: "Q1", All: true}, []string{"eta-label"}},
	{"two chars in a word", storage.Query{Text: "xy", All: true}, []string{"iota-desc"}},
	{"short and long", storage.Query{Text: "xy hidden", All: true}, []string{"iota-desc"}},
	{"label only", storage.Query{Text: "zanzibar"}, []string{"eta-label"}},
	{"label and closed title", storage.Query{Text: "zanzibar", All: true}, []string{"eta-label", "nu-closed"}},
	{"label part", storage.Query{Text: "MARKET", All: true}, []string{"alpha-cafe"}},
	{"owner only", storage.Query{Text: "owen", All: true}, []string{"theta-owner"}},
	{"owner domain", storage.Query{Text: "example.com", All: true}, []string{"theta-owner"}},
	{"id only", storage.Query{Text: "quasar", All: true}, []string{"quasar-7"}},
	{"description only", storage.Query{Text: "xylophone", All: true}, []string{"iota-desc"}},
	{"NUL separates words", storage.Query{Text: "xylophone\x00NUL", All: true}, []string{"iota-desc"}},
	{"only NUL", storage.Query{Text: "\x00", All: true}, []string{}},
	{"percent is literal", storage.Query{Text: "%", All: true}, []string{"kappa-wild"}},
	{"LIKE wildcards are literal", storage.Query{Text: "%_", All: true}, []string{}},
	{"underscore is literal", storage.Query{Text: "_", All: true}, []string{"kappa-wild"}},
	{"underscore term", storage.Query{Text: "e_n", All: true}, []string{"kappa-wild"}},
	{"percent in a long term", storage.Query{Text: "00%", All: true}, []string{"kappa-wild"}},
	{"percent in a long term is literal", storage.Query{Text: "e%n", All: true}, []string{}},
	{"underscore in a long term is literal", storage.Query{Text: "d_n", All: true}, []string{}},
	{"backslash", storage.Query{Text: `\`, All: true}, []string{"kappa-wild"}},
	{"backslash escape", storage.Query{Text: `\to\`, All: true}, []string{"kappa-wild"}},
	{"single quotes", storage.Query{Text: `'single'`, All: true}, []string{"kappa-wild"}},
	{"double quotes", storage.Query{Text: `"double"`, All: true}, []string{"kappa-wild"}},
	{"one double quote", storage.Query{Text: `"`, All: true}, []string{"kappa-wild"}},
	{"one single quote", storage.Query{Text: `'`, All: true}, []string{"kappa-wild", "lambda-hostile"}},
	{"SQL text", storage.Query{Text: `'); DROP TABLE milestones; --`, All: true}, []string{"lambda-hostile"}},
	{"SQL text elsewhere", storage.Query{Text: `" OR 1=1 --`, All: true}, []string{}},
	{"FTS syntax", storage.Query{Text: `drop* NEAR(table) ^mile`, All: true}, []string{}},
	{"path", storage.Query{Text: "../", All: true}, []string{"lambda-hostile"}},
	{"newline in query", storage.Query{Text: "passwd\nSECOND", All: true}, []string{"lambda-hostile"}},
	{"no stop words: the", storage.Query{Text: "the", All: true}, []string{"beta-creme", "mu-the", "theta-owner"}},
	{"no stop words: a", storage.Query{Text: "a", All: true}, []string{"alpha-cafe", "beta-creme", "delta-strasse",
		"eta-label", "gamma-resume", "iota-desc", "kappa-wild", "lambda-hostile", "mu-the", "nu-closed", "quasar-7", "theta-owner"}},
	{"substring, no stemming", storage.Query{Text: "run", All: true}, []string{"epsilon-run", "xi-run"}},
	{"longer word not in shorter", storage.Query{Text: "running", All: true}, []string{"epsilon-run"}},
	{"no stemming", storage.Query{Text: "runs", All: true}, []string{}},
	{"blank", storage.Query{Text: " \t ", All: true}, []string{}},
	{"only a combining mark", storage.Query{Text: "\u0301", All: true}, []string{}},
	{"sorted by title", storage.Query{Text: "cafe", All: true, Sort: "title"}, []string{"beta-creme", "alpha-cafe"}},
	{"limit by id", storage.Query{Text: "a", All: true, Limit: 3}, []string{"alpha-cafe", "beta-creme", "delta-strasse"}},
	{"with a filter", storage.Query{Text: "a", Statuses: []milestone.Status{milestone.Completed}}, []string{"nu-closed"}},
	{"open only", storage.Query{Text: "ZANZIBAR untitled"}, []string{"eta-label"}},
}

// testSearch runs the search query table: the same ids in the same order
// on every backend, also after an update and a delete.
func testSearch(t *testing.T, b storage.Backend) {
	fixtures := searchFixtures()
	_, err := b.Update(ctx, storage.UpdateOptions{Message: "milestone: search fixtures\n"}, func(tx storage.Tx) error {
		for _, f := range fixtures {
			if err := tx.Create(f()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, q storage.Query, want []string) {
		t.Helper()
		got, problems, err := b.List(ctx, q)
		if err != nil || len(problems) > 0 {
			t.Fatalf("%s: search %q: %v %v", name, q.Text, err, problems)
		}
		if !reflect.DeepEqual(ids(got), want) {
			t.Errorf("%s: search %q = %q, want %q", name, q.Text, ids(got), want)
		}
		sameBrief(t, b, q, got)
	}
	for _, tc := range searchQueries {
		check(tc.name, tc.q, tc.want)
	}
	// The search data follows updates and deletes.
	update(t, b, "xi-run", func(m *milestone.Milestone) { m.Title = "Café rerun"; m.Labels = []string{"Ωmega"} })
	check("after update", storage.Query{Text: "CAFE", All: true}, []string{"alpha-cafe", "beta-creme", "xi-run"})
	check("old title gone", storage.Query{Text: "once", All: true}, []string{})
	check("new label", storage.Query{Text: "ωMEGA", All: true}, []string{"xi-run"})
	_, err = b.Update(ctx, storage.UpdateOptions{Lock: []string{"alpha-cafe"}, Message: "milestone(alpha-cafe): remove\n"},
		func(tx storage.Tx) error { return tx.Delete("alpha-cafe") })
	if err != nil {
		t.Fatal(err)
	}
	check("after delete", storage.Query{Text: "cafe", All: true}, []string{"beta-creme", "xi-run"})
}

func testHostileText(t *testing.T, b storage.Backend) {
	hostile := "it's \"quoted\" '); DROP TABLE milestones; -- $HOME `id` \\ ünïcødé 🚀 \x01\ttab\n" + strings.Repeat("long ", 20000)
	m, src := doc("hostile", "Robert'); DROP TABLE milestones; --", milestone.Planned, milestone.Medium, func(m *milestone.Milestone) {
		m.Description = hostile
		m.Owner = "$HOME"
		m.Labels = []string{"a'b", "c\"d", "%_"}
	})
	create(t, b, m, src)
	r := mustGet(t, b, "hostile")
	sameMilestone(t, r.Milestone, m)
	if !bytes.Equal(r.Source, src) {
		t.Fatal("hostile source changed")
	}
	got, _, err := b.List(ctx, storage.Query{Labels: []string{"%_"}})
	if err != nil || len(got) != 1 {
		t.Fatalf("label with LIKE metacharacters: %v %v", ids(got), err)
	}
	got, _, _ = b.List(ctx, storage.Query{Labels: []string{"%"}})
	if len(got) != 0 {
		t.Fatalf("label %% matched: %v", ids(got))
	}
}

func testConcurrentLabels(t *testing.T, b storage.Backend) {
	m, src := doc("beta", "Beta", milestone.Active, milestone.Medium)
	create(t, b, m, src)
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(label string) {
			defer wg.Done()
			_, err := b.Update(ctx, storage.UpdateOptions{Lock: []string{"beta"}, Message: "label\n"}, func(tx storage.Tx) error {
				r, err := tx.Get("beta")
				if err != nil {
					return err
				}
				mm := r.Milestone.Clone()
				mm.Labels = append(mm.Labels, label)
				s, err := format.Rewrite(r.Path, r.Source, mm)
				if err != nil {
					return err
				}
				return tx.Put(mm, s)
			})
			if err != nil {
				t.Error(err)
			}
		}(fmt.Sprintf("l%d", i))
	}
	wg.Wait()
	r := mustGet(t, b, "beta")
	if len(r.Milestone.Labels) != 6 {
		t.Fatalf("labels = %v, want 6 (a lost update)", r.Milestone.Labels)
	}
}

func testRename(t *testing.T, b storage.Backend) {
	m1, s1 := doc("api", "API", milestone.Active, milestone.Medium)
	m2, s2 := doc("beta", "Beta", milestone.Active, milestone.Medium, func(m *milestone.Milestone) { m.DependsOn = []string{"api"} })
	create(t, b, m1, s1)
	create(t, b, m2, s2)
	_, err := b.Update(ctx, storage.UpdateOptions{Lock: []string{"api", "api-v2"}, Message: "mv\n"}, func(tx storage.Tx) error {
		r, err := tx.Get("api")
		if err != nil {
			return err
		}
		if err := tx.Delete("api"); err != nil {
			return err
		}
		m := r.Milestone.Clone()
		m.ID = "api-v2"
		if err := tx.Create(m, r.Source); err != nil {
			return err
		}
		all, _, err := tx.All()
		if err != nil {
			return err
		}
		if got := ids(all); len(got) != 2 {
			return fmt.Errorf("tx.All inside the update = %v, want the renamed one and beta", got)
		}
		d, err := tx.Get("beta")
		if err != nil {
			return err
		}
		dm := d.Milestone.Clone()
		dm.DependsOn = []string{"api-v2"}
		src, err := format.Rewrite(d.Path, d.Source, dm)
		if err != nil {
			return err
		}
		return tx.Put(dm, src)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := b.IDs(ctx)
	if !reflect.DeepEqual(got, []string{"api-v2", "beta"}) {
		t.Fatalf("ids = %v", got)
	}
	if r := mustGet(t, b, "beta"); !reflect.DeepEqual(r.Milestone.DependsOn, []string{"api-v2"}) {
		t.Fatalf("depends_on = %v", r.Milestone.DependsOn)
	}
}

func testStats(t *testing.T, b storage.Backend) {
	for i, st := range []milestone.Status{milestone.Active, milestone.Completed, milestone.Blocked, milestone.Active} {
		id := fmt.Sprintf("s%d", i)
		m, src := doc(id, "Stats "+id, st, milestone.Priorities[i], func(m *milestone.Milestone) {
			m.Due = fmt.Sprintf("2026-0%d-01", i+1)
			if i == 3 {
				m.CreatedAt = "2026-10-01T00:00:00Z" // ties with s0..s2 broken by id
			}
		})
		create(t, b, m, src)
	}
	all, _, err := b.List(ctx, storage.Query{All: true})
	if err != nil {
		t.Fatal(err)
	}
	want := storage.Summarize(all, "2026-03-15")
	if want.Total != 4 || want.Overdue != 2 || want.Oldest.ID != "s3" || want.Newest.ID != "s0" {
		t.Fatalf("Summarize = %+v", want)
	}
	s, ok := b.(storage.Statser)
	if !ok {
		return
	}
	got, _, err := s.Stats(ctx, "2026-03-15")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Stats = %+v\nwant %+v", got, want)
	}
}
