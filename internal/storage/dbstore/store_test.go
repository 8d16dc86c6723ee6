package dbstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/textfold"
)

func intp(i int) *int { return &i }

// sameRecord fails unless got is want: same id, same show --json object,
// same source bytes, no path.
func sameRecord(t *testing.T, got, want storage.Record) {
	t.Helper()
	gj, err := got.Milestone.JSON()
	if err != nil {
		t.Fatal(err)
	}
	wj, err := want.Milestone.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if got.Milestone.ID != want.Milestone.ID || !bytes.Equal(gj, wj) {
		t.Errorf("milestone %s:\n got %s\nwant %s", want.Milestone.ID, gj, wj)
	}
	if !bytes.Equal(got.Source, want.Source) {
		t.Errorf("milestone %s source:\n got %q\nwant %q", want.Milestone.ID, got.Source, want.Source)
	}
	if got.Path != "" {
		t.Errorf("milestone %s: path %q in database mode", want.Milestone.ID, got.Path)
	}
}

func TestCRUD(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "proj")
		if s.Name() != "database" || s.Type() != d.kind {
			t.Errorf("Name/Type = %s/%s", s.Name(), s.Type())
		}
		beta := rec(t, milestone.Milestone{ID: "beta", Title: "Public beta", Status: milestone.Active,
			Priority: milestone.High, Owner: "ana@example.com", Due: "2026-12-15", Labels: []string{"release", "web"},
			DependsOn: []string{"api-freeze"}, Progress: intp(40), Description: "Free text.\n",
			CreatedAt: "2026-11-26T07:00:00Z", UpdatedAt: "2026-11-26T07:00:00Z",
			Extra: []milestone.Field{{Key: "x-zeta", Value: "kept"}, {Key: "x-alpha", Value: map[string]any{"b": "1", "a": []any{"x"}}}}})
		alpha := rec(t, milestone.Milestone{ID: "alpha", Title: "Alpha", Status: milestone.Planned, Priority: milestone.Medium})
		create(t, s, beta, alpha)

		got, err := s.Get(ctx, "beta")
		if err != nil {
			t.Fatal(err)
		}
		sameRecord(t, got, beta)
		if ids, err := s.IDs(ctx); err != nil || !slices.Equal(ids, []string{"alpha", "beta"}) {
			t.Errorf("IDs = %v, %v", ids, err)
		}

		// Not found, exists.
		var nf *milestone.NotFoundError
		if _, err := s.Get(ctx, "nope"); !errors.As(err, &nf) || nf.ID != "nope" {
			t.Errorf("Get(nope) = %v, want NotFoundError", err)
		}
		_, err = s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
			return tx.Create(alpha.Milestone, alpha.Source)
		})
		if !errors.Is(err, storage.ErrExists) || !strings.Contains(err.Error(), "alpha") {
			t.Errorf("Create(existing) = %v, want ErrExists naming alpha", err)
		}
		_, err = s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error { return tx.Delete("nope") })
		if !errors.As(err, &nf) {
			t.Errorf("Delete(nope) = %v, want NotFoundError", err)
		}

		// Update: Put changes, the Tx sees its own writes, version moves.
		_, v0, _ := s.get(ctx, s.db, "beta")
		_, err = s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
			r, err := tx.Get("beta")
			if err != nil {
				return err
			}
			m := r.Milestone.Clone()
			m.Status = milestone.Completed
			m.Labels = []string{"web", "shipped"}
			if err := tx.Put(m, yamlSource(t, &m)); err != nil {
				return err
			}
			again, err := tx.Get("beta")
			if err != nil || again.Milestone.Status != milestone.Completed {
				return fmt.Errorf("tx does not see its own write: %v %v", again.Milestone.Status, err)
			}
			gamma := milestone.Milestone{ID: "gamma", Title: "Gamma", Status: milestone.Blocked, Priority: milestone.Low}
			if err := tx.Put(gamma, yamlSource(t, &gamma)); err != nil {
				return err
			}
			all, probs, err := tx.All()
			if err != nil || len(probs) > 0 || len(all) != 3 || all[2].Milestone.ID != "gamma" {
				return fmt.Errorf("All = %d records, %v, %v", len(all), probs, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = s.Get(ctx, "beta")
		if got.Milestone.Status != milestone.Completed || !slices.Equal(got.Milestone.Labels, []string{"web", "shipped"}) {
			t.Errorf("after update: %+v", got.Milestone)
		}
		if _, v1, _ := s.get(ctx, s.db, "beta"); v1 != v0+1 {
			t.Errorf("version %d -> %d, want +1", v0, v1)
		}
		// The label side table follows the labels.
		for label, want := range map[string][]string{"web": {"beta"}, "shipped": {"beta"}, "release": nil} {
			recs, _, err := s.List(ctx, storage.Query{All: true, Labels: []string{label}})
			if err != nil || !slices.Equal(ids(recs), want) {
				t.Errorf("label %s: %v %v, want %v", label, ids(recs), err, want)
			}
		}

		// An error from fn writes nothing.
		boom := errors.New("boom")
		_, err = s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
			if err := tx.Delete("alpha"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("Update = %v, want boom", err)
		}
		if _, err := s.Get(ctx, "alpha"); err != nil {
			t.Errorf("alpha after failed update: %v", err)
		}

		// Delete removes the row, its labels and its search entry.
		_, err = s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error { return tx.Delete("beta") })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "beta"); !errors.As(err, &nf) {
			t.Errorf("Get after Delete = %v", err)
		}
		if recs, _, _ := s.List(ctx, storage.Query{All: true, Labels: []string{"web"}}); len(recs) != 0 {
			t.Errorf("label web after delete: %v", ids(recs))
		}
		if recs, _, _ := s.List(ctx, storage.Query{All: true, Text: "public"}); len(recs) != 0 {
			t.Errorf("search after delete: %v", ids(recs))
		}
		// A deleted id can be created again.
		create(t, s, beta)
		got, _ = s.Get(ctx, "beta")
		sameRecord(t, got, beta)
	})
}

func ids(recs []storage.Record) []string {
	var s []string
	for _, r := range recs {
		s = append(s, r.Milestone.ID)
	}
	return s
}

func TestHostileText(t *testing.T) {
	long := strings.Repeat("long line with 'quotes' and \"double\" and \\ backslash; ", 20000) // ~1 MB
	// ~1.5 MB of distinct words: its whole tsvector would pass PostgreSQL's
	// 1 MB limit; and long owner and label values (B-tree entries are
	// limited to about 2.7 kB).
	g := newGenerator(4)
	var w []string
	for i := 0; len(w) < 110000; i++ {
		w = append(w, fmt.Sprintf("%s%d", g.words[g.r.IntN(len(g.words))], i))
	}
	distinct := strings.Join(w, " ")
	hostile := []milestone.Milestone{
		{ID: "huge", Title: distinct[:9000], Owner: distinct[:6000], Labels: []string{distinct[1000:7000], distinct[1000:7001]},
			Description: distinct},
		{ID: "sql", Title: `'); DROP TABLE milestones; --`, Owner: `o'brien"; DELETE FROM milestones --`,
			Labels: []string{`' OR '1'='1`, `$1`, `?`, `%`, `_`}, Description: `SELECT * FROM milestones WHERE project = '' OR 1=1; --`},
		{ID: "nul", Title: "nul\x00in title", Owner: "a\x00b", Labels: []string{"x\x00y", "\x01", "\x01\x02"},
			Description: "NUL \x00 and SOH \x01 and escape \x1b[31m",
			Extra:       []milestone.Field{{Key: "x-nul", Value: "v\x00w"}}},
		{ID: "long", Title: strings.Repeat("é", 200), Description: long},
		{ID: "unicode", Title: "Ünïcödé 🚀 右から左 \u202e", Owner: "日本@例え.jp", Labels: []string{"🚀"},
			Description: "line1\r\nline2\ttab\u2028sep"},
	}
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "p'; DROP TABLE milestones; --")
		var recs []storage.Record
		for _, m := range hostile {
			m.Status, m.Priority = milestone.Active, milestone.High
			r := rec(t, m)
			if bytes.IndexByte(r.Source, 0) >= 0 {
				t.Fatalf("%s: the YAML source has a raw NUL", m.ID)
			}
			recs = append(recs, r)
		}
		create(t, s, recs...)
		for _, want := range recs {
			got, err := s.Get(ctx, want.Milestone.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameRecord(t, got, want)
			if got.Milestone.Title != want.Milestone.Title || got.Milestone.Description != want.Milestone.Description {
				t.Errorf("%s: text changed", want.Milestone.ID)
			}
			for _, l := range want.Milestone.Labels {
				got, _, err := s.List(ctx, storage.Query{Labels: []string{l}})
				if err != nil || !slices.Equal(ids(got), []string{want.Milestone.ID}) {
					t.Errorf("label %q: %v %v", l, ids(got), err)
				}
			}
			if o := want.Milestone.Owner; o != "" {
				got, _, err := s.List(ctx, storage.Query{Owner: o})
				if err != nil || !slices.Equal(ids(got), []string{want.Milestone.ID}) {
					t.Errorf("owner %q: %v %v", o, ids(got), err)
				}
			}
		}
		// Owner "a" must not match "a\x00b" (no truncation at NUL), nor a
		// long owner one with the same first kilobytes.
		for _, o := range []string{"a", distinct[:5999], distinct[:6000] + "x", distinct[:1024]} {
			if got, _, _ := s.List(ctx, storage.Query{Owner: o}); len(got) != 0 {
				t.Errorf("owner %.20q... matched %v", o, ids(got))
			}
		}
		// Words early in the huge description are found.
		if got, _, err := s.List(ctx, storage.Query{Text: w[5]}); err != nil || !slices.Equal(ids(got), []string{"huge"}) {
			t.Errorf("search %s = %v %v", w[5], ids(got), err)
		}
		// Title order is byte order, NUL included.
		got, _, err := s.List(ctx, storage.Query{Sort: "title"})
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(recs)
		storage.Sort("title", want)
		if !slices.Equal(ids(got), ids(want)) {
			t.Errorf("title order %v, want %v", ids(got), ids(want))
		}
		// Hostile search text is data, never syntax.
		for _, q := range []string{`'); DROP TABLE milestones; --`, `" OR "`, `NEAR(a b)`, `*`, `title:x`, `"`, `\`,
			"a\x00b", `-`, `AND`, `^`, `(`, `{}`, `$1`} {
			if _, _, err := s.List(ctx, storage.Query{Text: q}); err != nil {
				t.Errorf("search %q: %v", q, err)
			}
		}
		if got, _, err := s.List(ctx, storage.Query{Text: "DROP"}); err != nil || !slices.Contains(ids(got), "sql") {
			t.Errorf("search DROP = %v %v", ids(got), err)
		}
		// A source with a raw NUL is refused, clearly, and nothing written.
		bad := milestone.Milestone{ID: "bad", Title: "bad", Status: milestone.Active, Priority: milestone.Low}
		_, err = s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
			return tx.Create(bad, []byte("title: a\x00b\n"))
		})
		if err == nil || !strings.Contains(err.Error(), "NUL") {
			t.Errorf("raw NUL source: %v", err)
		}
		if n, _ := s.IDs(ctx); len(n) != len(recs) {
			t.Errorf("ids after refused write: %v", n)
		}
	})
}

// randomQuery draws a query over the generator's value space.
func randomQuery(g *generator) storage.Query {
	r := g.r
	var q storage.Query
	for _, st := range milestone.Statuses {
		if r.IntN(6) == 0 {
			q.Statuses = append(q.Statuses, st)
		}
	}
	q.All = r.IntN(2) == 0
	for _, p := range milestone.Priorities {
		if r.IntN(6) == 0 {
			q.Priorities = append(q.Priorities, p)
		}
	}
	for n := r.IntN(3); n > 0 && r.IntN(2) == 0; n-- {
		q.Labels = append(q.Labels, labelPool[r.IntN(len(labelPool))])
	}
	if r.IntN(5) == 0 {
		q.Owner = fmt.Sprintf("user%d@example.com", r.IntN(20))
	}
	if r.IntN(4) == 0 {
		q.DueBefore = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(400)).Format(time.DateOnly)
	}
	if r.IntN(4) == 0 {
		q.Overdue = true
		q.Today = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(400)).Format(time.DateOnly)
	}
	keys := append([]string{""}, storage.SortKeys...)
	q.Sort = keys[r.IntN(len(keys))]
	q.Limit = []int{0, 0, 1, 7, 50}[r.IntN(5)]
	return q
}

// equivalenceRecords: generated milestones plus ties and awkward titles.
func equivalenceRecords(t *testing.T, n int) []storage.Record {
	g := newGenerator(7)
	recs := g.records(n)
	titles := []string{"Zeta", "alpha", "Ålpha", "a\x00b", "a\x01", "a", "ab", "a b", "A", "same", "same", "same"}
	for i := range recs {
		m := &recs[i].Milestone
		if i%5 == 0 {
			m.Title = titles[i%len(titles)]
		}
		if i%7 == 0 { // ties on timestamps
			m.CreatedAt, m.UpdatedAt = "2026-05-05T05:05:05Z", "2026-06-06T06:06:06Z"
		}
		if i%11 == 0 {
			m.CreatedAt, m.UpdatedAt = "", ""
		}
		recs[i] = rec(t, *m)
	}
	return recs
}

func TestListMatchesStorageSemantics(t *testing.T) {
	recs := equivalenceRecords(t, 400)
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "equiv")
		if err := s.Import(ctx, recs, nil); err != nil {
			t.Fatal(err)
		}
		g := newGenerator(99)
		queries := []storage.Query{{}, {All: true}, {Sort: "due", All: true}, {Statuses: []milestone.Status{milestone.Completed}}}
		for i := 0; i < 300; i++ {
			queries = append(queries, randomQuery(g))
		}
		for _, q := range queries {
			got, probs, err := s.List(ctx, q)
			if err != nil || len(probs) > 0 {
				t.Fatalf("List(%+v): %v %v", q, probs, err)
			}
			var want []storage.Record
			for _, r := range recs {
				if storage.Match(q, &r.Milestone) {
					want = append(want, r)
				}
			}
			storage.Sort(q.Sort, want)
			want = storage.Limit(q.Limit, want)
			if !slices.Equal(ids(got), ids(want)) {
				t.Fatalf("List(%+v):\n got %v\nwant %v", q, ids(got), ids(want))
			}
		}
		if _, _, err := s.List(ctx, storage.Query{Sort: "title; DROP TABLE milestones"}); err == nil {
			t.Error("unknown sort key accepted")
		}
	})
}

func TestSearch(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "search")
		mk := func(id, title, desc, owner string, st milestone.Status, labels ...string) storage.Record {
			return rec(t, milestone.Milestone{ID: id, Title: title, Description: desc, Owner: owner, Status: st,
				Priority: milestone.Medium, Labels: labels})
		}
		create(t, s,
			mk("desc", "Other thing", "we travel to zanzibar later in the year", "", milestone.Active),
			mk("title", "Zanzibar launch", "plain words", "", milestone.Planned),
			mk("label", "Labelled", "nothing here", "", milestone.Blocked, "zanzibar"),
			mk("owner", "Owned", "nothing", "ana@example.com", milestone.Active),
			mk("closed", "Zanzibar done", "finished", "", milestone.Completed),
			mk("stem", "Releases everywhere", "", "", milestone.Active),
		)
		search := func(q storage.Query) []string {
			t.Helper()
			got, _, err := s.List(ctx, q)
			if err != nil {
				t.Fatalf("search %+v: %v", q, err)
			}
			return ids(got)
		}
		// By id, whichever field matched; closed excluded by default.
		if got := search(storage.Query{Text: "zanzibar"}); !slices.Equal(got, []string{"desc", "label", "title"}) {
			t.Errorf("order = %v, want [desc label title]", got)
		}
		if got := search(storage.Query{Text: "Zanzibar", All: true}); len(got) != 4 || got[0] == "desc" {
			t.Errorf("All = %v", got)
		}
		if got := search(storage.Query{Text: "zanzibar", Sort: "id"}); !slices.Equal(got, []string{"desc", "label", "title"}) {
			t.Errorf("sorted by id = %v", got)
		}
		if got := search(storage.Query{Text: "zanzibar", Statuses: []milestone.Status{milestone.Blocked}}); !slices.Equal(got, []string{"label"}) {
			t.Errorf("with status = %v", got)
		}
		if got := search(storage.Query{Text: "zanzibar", Limit: 1}); !slices.Equal(got, []string{"desc"}) {
			t.Errorf("limit 1 = %v", got)
		}
		if got := search(storage.Query{Text: "zanzibar travel"}); !slices.Equal(got, []string{"desc"}) {
			t.Errorf("two words (all required) = %v", got)
		}
		for _, q := range []string{"ana", "ana@example.com", "example"} {
			if got := search(storage.Query{Text: q}); !slices.Equal(got, []string{"owner"}) {
				t.Errorf("owner search %q = %v", q, got)
			}
		}
		if got := search(storage.Query{Text: "release"}); !slices.Equal(got, []string{"stem"}) {
			t.Errorf("substring search = %v", got)
		}
		if got := search(storage.Query{Text: "released"}); len(got) != 0 {
			t.Errorf("no stemming: released = %v", got)
		}
		if got := search(storage.Query{Text: "nowhere"}); len(got) != 0 {
			t.Errorf("no match = %v", got)
		}
		if got := search(storage.Query{Text: "!!!"}); len(got) != 0 {
			t.Errorf("punctuation = %v", got)
		}
	})
}

// TestSearchMatchesSubstrings checks search against storage.MatchText on
// generated data, words and fragments of words.
func TestSearchMatchesSubstrings(t *testing.T) {
	recs := equivalenceRecords(t, 300)
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "words")
		if err := s.Import(ctx, recs, nil); err != nil {
			t.Fatal(err)
		}
		g := newGenerator(5)
		for i := 0; i < 40; i++ {
			q := randomQuery(g)
			q.Limit = 0
			if q.Sort == "" {
				q.Sort = "id"
			}
			word := recs[g.r.IntN(len(recs))].Milestone.Description
			word = strings.Fields(word)[g.r.IntN(40)]
			if i%5 == 0 {
				word = labelPool[i%len(labelPool)]
			}
			if i%7 == 0 {
				word = fmt.Sprintf("user%d", i%20)
			}
			if i%3 == 0 && len(word) > 2 {
				word = strings.ToUpper(word[1 : 2+g.r.IntN(len(word)-2)]) // a fragment, 1 character or more
			}
			q.Text = word
			got, _, err := s.List(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var want []storage.Record
			for _, r := range recs {
				m := &r.Milestone
				if storage.Match(q, m) && storage.MatchText(m, textfold.Terms(word)) {
					want = append(want, r)
				}
			}
			storage.Sort(q.Sort, want)
			if !slices.Equal(ids(got), ids(want)) {
				t.Fatalf("search %q %+v:\n got %v\nwant %v", word, q, ids(got), ids(want))
			}
		}
	})
}

func TestProjectIsolation(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		a, b := d.open(t, "repo-a"), d.open(t, "repo-b")
		mk := func(id, title string) storage.Record {
			return rec(t, milestone.Milestone{ID: id, Title: title, Status: milestone.Active, Priority: milestone.High, Labels: []string{"shared"}})
		}
		create(t, a, mk("same", "Alpha copy"), mk("only-a", "Alpha only"))
		create(t, b, mk("same", "Beta copy"))
		for _, c := range []struct {
			s    *Store
			ids  []string
			text string
		}{{a, []string{"only-a", "same"}, "Alpha"}, {b, []string{"same"}, "Beta"}} {
			got, _ := c.s.IDs(ctx)
			if !slices.Equal(got, c.ids) {
				t.Errorf("%s IDs = %v, want %v", c.s.project, got, c.ids)
			}
			r, err := c.s.Get(ctx, "same")
			if err != nil || !strings.HasPrefix(r.Milestone.Title, c.text) {
				t.Errorf("%s Get(same) = %q %v", c.s.project, r.Milestone.Title, err)
			}
			if l, _, _ := c.s.List(ctx, storage.Query{Labels: []string{"shared"}}); len(l) != len(c.ids) {
				t.Errorf("%s label query = %v", c.s.project, ids(l))
			}
			if l, _, _ := c.s.List(ctx, storage.Query{Text: "copy"}); !slices.Equal(ids(l), []string{"same"}) || !strings.HasPrefix(l[0].Milestone.Title, c.text) {
				t.Errorf("%s search = %v", c.s.project, ids(l))
			}
		}
		if _, err := b.Get(ctx, "only-a"); err == nil {
			t.Error("repo-b sees repo-a's milestone")
		}
		_, err := b.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error { return tx.Delete("same") })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Get(ctx, "same"); err != nil {
			t.Errorf("repo-b's delete removed repo-a's milestone: %v", err)
		}
		if err := a.AppendEvent(ctx, Event{Event: "milestone_created", Actor: "ana"}); err != nil {
			t.Fatal(err)
		}
		if ev, _ := b.Events(ctx, 0); len(ev) != 0 {
			t.Errorf("repo-b sees repo-a's events: %v", ev)
		}
	})
}

func TestEvents(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "ev")
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
		in := []Event{
			{Timestamp: t0, Event: "storage_initialized", Backend: "database", Actor: "ana", Details: map[string]any{"type": d.kind}},
			{Timestamp: t0.Add(time.Hour), Event: "milestone_created", MilestoneID: "beta", Backend: "database", Actor: "bob"},
			{Timestamp: t0.Add(2 * time.Hour), Event: "milestone_updated", MilestoneID: "beta", Backend: "database", Actor: "ana",
				Details: map[string]any{"message": "it's \x00 'quoted'", "n": 3.5}},
			{Timestamp: t0.Add(48 * time.Hour), Event: "performance_metric", Backend: "database", Actor: "carol\x00x",
				Details: map[string]any{"operation": "list", "duration_ms": 1.5, "success": true}},
		}
		if err := s.AppendEvent(ctx, in[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendEvents(ctx, in[1:]...); err != nil {
			t.Fatal(err)
		}
		all, err := s.Events(ctx, 0)
		if err != nil || len(all) != 4 {
			t.Fatalf("Events(0) = %d, %v", len(all), err)
		}
		for i, e := range all {
			w := in[i]
			if !e.Timestamp.Equal(w.Timestamp.Truncate(time.Microsecond)) || e.Event != w.Event || e.MilestoneID != w.MilestoneID ||
				e.Backend != w.Backend || e.Actor != w.Actor || fmt.Sprint(e.Details) != fmt.Sprint(orEmpty(w.Details)) {
				t.Errorf("event %d = %+v, want %+v", i, e, w)
			}
		}
		tail, _ := s.Events(ctx, 2)
		if len(tail) != 2 || tail[0].Event != "milestone_updated" || tail[1].Event != "performance_metric" {
			t.Errorf("tail 2 = %+v", tail)
		}
		for _, c := range []struct {
			since time.Time
			want  int
		}{{t0.Add(-time.Hour), 3}, {t0.Add(time.Hour), 3}, {t0.Add(90 * time.Minute), 2}, {t0.Add(24 * time.Hour), 1}, {t0.Add(72 * time.Hour), 0}} {
			if n, err := s.Actors(ctx, c.since); err != nil || n != c.want {
				t.Errorf("Actors(%s) = %d %v, want %d", c.since, n, err, c.want)
			}
		}
		// Many at once (in batches), zero timestamps meaning now.
		many := make([]Event, 2500)
		for i := range many {
			many[i] = Event{Event: fmt.Sprint("bulk", i)}
		}
		if err := s.AppendEvents(ctx, many...); err != nil {
			t.Fatal(err)
		}
		if evs, _ := s.Events(ctx, 0); len(evs) != 4+len(many) || evs[len(evs)-1].Event != "bulk2499" {
			t.Errorf("after bulk append: %d events", len(evs))
		}
		// A zero timestamp means now.
		before := time.Now().Add(-time.Second)
		s.AppendEvent(ctx, Event{Event: "x"})
		last, _ := s.Events(ctx, 1)
		if len(last) != 1 || last[0].Timestamp.Before(before) {
			t.Errorf("zero timestamp: %+v", last)
		}
	})
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func TestImport(t *testing.T) {
	recs := newGenerator(3).records(2500)
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "imp")
		s.importChunk = 1000
		var progress []int
		if err := s.Import(ctx, recs, func(n int) { progress = append(progress, n) }); err != nil {
			t.Fatal(err)
		}
		if len(progress) < 3 || progress[len(progress)-1] != len(recs) || !slices.IsSorted(progress) {
			t.Errorf("progress = %v", progress)
		}
		all, _, err := s.List(ctx, storage.Query{All: true})
		if err != nil || len(all) != len(recs) {
			t.Fatalf("List = %d, %v", len(all), err)
		}
		for _, i := range []int{0, 999, 1000, 2499} {
			sameRecord(t, all[i], recs[i])
		}
		// Search and labels work on imported rows.
		if l, _, _ := s.List(ctx, storage.Query{All: true, Labels: []string{"release"}}); len(l) == 0 {
			t.Error("no imported row has label release")
		}
		if l, _, _ := s.List(ctx, storage.Query{All: true, Text: strings.Fields(recs[7].Milestone.Description)[0]}); !slices.Contains(ids(l), recs[7].Milestone.ID) {
			t.Error("imported row not found by search")
		}
		// A duplicate fails the whole import; nothing is written.
		m := milestone.Milestone{ID: "new-one", Title: "New", Status: milestone.Active, Priority: milestone.Low}
		err = s.Import(ctx, []storage.Record{rec(t, m), recs[3]}, nil)
		if !errors.Is(err, storage.ErrExists) {
			t.Errorf("import of an existing id = %v, want ErrExists", err)
		}
		if _, err := s.Get(ctx, "new-one"); err == nil {
			t.Error("failed import wrote new-one")
		}
		if err := s.Import(ctx, []storage.Record{rec(t, m), rec(t, m)}, nil); !errors.Is(err, storage.ErrExists) {
			t.Errorf("import of a twice-given id = %v", err)
		}
		// Updates after an import bump the imported version.
		_, err = s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
			r, err := tx.Get(recs[0].Milestone.ID)
			if err != nil {
				return err
			}
			return tx.Put(r.Milestone, append(r.Source, "# edited\n"...))
		})
		if err != nil {
			t.Fatal(err)
		}
		if r, v, _ := s.get(ctx, s.db, recs[0].Milestone.ID); v != 2 || !bytes.HasSuffix(r.Source, []byte("# edited\n")) {
			t.Errorf("after update: version %d", v)
		}
	})
}

func TestSchemaTooNew(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "p")
		if v, err := s.schemaVersion(ctx, s.db); err != nil || v != SchemaVersion(d.kind) || v < 1 {
			t.Fatalf("schema version %d %v, binary %d", v, err, SchemaVersion(d.kind))
		}
		// Opening again applies nothing and succeeds.
		d.open(t, "p")
		if _, err := s.db.ExecContext(ctx, `INSERT INTO milestone_schema (version) VALUES ($1)`, 7); err != nil {
			t.Fatal(err)
		}
		_, err := Open(ctx, d.config("p"))
		var tn *SchemaTooNewError
		if !errors.As(err, &tn) || tn.Database != 7 || tn.Binary != SchemaVersion(d.kind) {
			t.Fatalf("Open = %v, want SchemaTooNewError", err)
		}
		want := fmt.Sprintf("database schema version 7 is newer than this git-milestone (%d): upgrade git-milestone", SchemaVersion(d.kind))
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	})
}

// TestMigrationsNumbered: each flavour's migrations are well named and
// numbered without gaps, and the two share the versions they both have
// by name (a change made to both is one version on both).
func TestMigrationsNumbered(t *testing.T) {
	a, err1 := migrations(TypeSQLite)
	b, err2 := migrations(TypePostgreSQL)
	if err1 != nil || err2 != nil || len(a) == 0 || len(b) == 0 {
		t.Fatalf("sqlite %d %v, postgresql %d %v", len(a), err1, len(b), err2)
	}
	for i := range min(len(a), len(b)) {
		if a[i].name != b[i].name {
			t.Errorf("version %d is %s on SQLite, %s on PostgreSQL", i+1, a[i].name, b[i].name)
		}
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		errs := make(chan error, 6)
		for i := 0; i < 6; i++ {
			go func() {
				s, err := Open(context.Background(), d.config("p"))
				if err == nil {
					s.Close()
				}
				errs <- err
			}()
		}
		for i := 0; i < 6; i++ {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		s := d.open(t, "p")
		var n int
		s.db.QueryRow(`SELECT count(*) FROM milestone_schema`).Scan(&n)
		if n != SchemaVersion(d.kind) {
			t.Errorf("%d version rows, want %d", n, SchemaVersion(d.kind))
		}
	})
}

func TestOpenConfigErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Type: "mysql", ProjectKey: "p"}, `type "mysql"`},
		{Config{Type: TypeSQLite, ProjectKey: ""}, "project key"},
		{Config{Type: TypeSQLite, ProjectKey: "p"}, "no path"},
		{Config{Type: TypeSQLite, ProjectKey: "p", Path: "/nonexistent-dir/x/enterprise.db"}, "does not exist"},
		{Config{Type: TypePostgreSQL, ProjectKey: "p"}, "no URL"},
		{Config{Type: TypePostgreSQL, ProjectKey: "p", URL: "postgres://u:s3cretpw@[bad"}, "not a valid URL"},
	} {
		_, err := Open(ctx, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%+v) = %v, want %q", c.cfg, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("password printed: %v", err)
		}
	}
}

// VACUUM renumbers implicit rowids; the FTS rows must still point at the
// right milestones afterwards.
func TestSQLiteVacuumKeepsSearch(t *testing.T) {
	d := newTestDB(t, TypeSQLite)
	ctx := context.Background()
	s := d.open(t, "v")
	var recs []storage.Record
	for i := 0; i < 50; i++ {
		recs = append(recs, rec(t, milestone.Milestone{ID: fmt.Sprintf("m%02d", i), Title: fmt.Sprintf("word%02d", i),
			Status: milestone.Active, Priority: milestone.Low}))
	}
	create(t, s, recs...)
	_, err := s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
		for i := 0; i < 50; i += 2 {
			if err := tx.Delete(fmt.Sprintf("m%02d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 50; i += 2 {
		got, _, err := s.List(ctx, storage.Query{Text: fmt.Sprintf("word%02d", i)})
		if err != nil || !slices.Equal(ids(got), []string{fmt.Sprintf("m%02d", i)}) {
			t.Fatalf("search word%02d after VACUUM = %v %v", i, ids(got), err)
		}
	}
}

func TestResolveIDMatchesResolve(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "r")
		var recs []storage.Record
		for _, id := range []string{"a", "ab", "abc", "abd", "b-1", "b.2", "b_3", "b10", "z9", "zz"} {
			recs = append(recs, rec(t, milestone.Milestone{ID: id, Title: id, Status: milestone.Active, Priority: milestone.Low}))
		}
		create(t, s, recs...)
		all, _ := s.IDs(ctx)
		for _, p := range []string{"", "a", "ab", "abc", "abe", "b", "b-", "b.", "b_", "b1", "z", "zz", "zzz", "~", "A", "a%", "b_%",
			"'; --", "\x00", "é"} {
			want, werr := milestone.Resolve(all, p)
			got, gerr := s.ResolveID(ctx, p)
			if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Errorf("ResolveID(%q) = %q, %v; want %q, %v", p, got, gerr, want, werr)
			}
		}
	})
}
