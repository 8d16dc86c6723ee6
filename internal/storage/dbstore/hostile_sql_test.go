package dbstore

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/sqlike"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// hostileSQL are strings that break SQL built by concatenation, LIKE
// patterns without escaping, or FTS query syntax.
var hostileSQL = []string{
	`'`, `''`, `"`, `'); DROP TABLE milestones; --`, `" OR 1=1 --`, `' OR '1'='1`, `\`, `\'`, `\\`,
	`%`, `_`, `%_%`, `a%b`, `a_b`, `100%`, `\%`, `\_`, `[abc]`, `^$`, `*`, `?`,
	`$1`, `$$`, `?1`, `:name`, `@p`, `;`, `--`, `/*`, `*/`, `E'\x41'`, `U&'\0041'`,
	`NEAR(a b)`, `a OR b`, `a AND NOT b`, `"phrase`, `col:term`, `-neg`, `+pos`, `{a b}`, `^a`,
	`é`, `ÉCOLE`, `日本`, `🎉`, "zero\u200bwidth", "tab\there", `x'||'y`, `0x27`, `CHAR(39)`,
}

// TestHostileStringsAreData: every hostile string stored as title, owner,
// label and description is found by an exact filter on exactly the
// milestones holding it, and a search with it is an answer (never an SQL
// error); the tables are intact afterwards. On SQLite and PostgreSQL.
func TestHostileStringsAreData(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "hostile")
		var all []milestone.Milestone
		var recs []storage.Record
		for i, h := range hostileSQL {
			m := milestone.Milestone{ID: fmt.Sprintf("h%02d", i), Title: "T " + h, Status: milestone.Active,
				Priority: milestone.Medium, Owner: h, Labels: []string{h, "common"}, Description: "about " + h + " here\n"}
			if err := m.Validate(); err != nil {
				t.Fatalf("%q: %v", h, err)
			}
			all = append(all, m)
			recs = append(recs, rec(t, m))
		}
		create(t, s, recs...)
		ids := func(rs []storage.Record) string {
			var out []string
			for _, r := range rs {
				out = append(out, r.Milestone.ID)
			}
			sort.Strings(out)
			return strings.Join(out, ",")
		}
		want := func(q storage.Query) string {
			var out []string
			for i := range all {
				if storage.Match(q, &all[i]) {
					out = append(out, all[i].ID)
				}
			}
			sort.Strings(out)
			return strings.Join(out, ",")
		}
		for _, h := range hostileSQL {
			for _, q := range []storage.Query{{Owner: h, All: true}, {Labels: []string{h}, All: true}, {Labels: []string{h, "common"}}} {
				got, problems, err := s.List(ctx, q)
				if err != nil || len(problems) > 0 {
					t.Fatalf("%+v: %v %v", q, err, problems)
				}
				if g, w := ids(got), want(q); g != w {
					t.Errorf("%+v: got %s, want %s", q, g, w)
				}
			}
			if _, _, err := s.List(ctx, storage.Query{Text: h, All: true}); err != nil {
				t.Errorf("search %q: %v", h, err)
			}
			if _, _, err := s.List(ctx, storage.Query{Text: "about " + h, All: true}); err != nil {
				t.Errorf("search %q: %v", "about "+h, err)
			}
			if _, err := s.Get(ctx, h); err == nil {
				t.Errorf("Get(%q) found something", h)
			}
			// The LIKE helper keeps the text literal on this dialect.
			ph1, ph2 := "?", "?"
			if d.kind == TypePostgreSQL {
				ph1, ph2 = "$1", "$2"
			}
			var lit, other bool
			q := "SELECT " + ph1 + " LIKE " + ph2 + " ESCAPE '\\'"
			if err := s.db.QueryRowContext(ctx, q, "x"+h+"y", sqlike.Contains(h)).Scan(&lit); err != nil {
				t.Fatalf("LIKE %q: %v", h, err)
			}
			if !lit {
				t.Errorf("%q does not match its own escaped pattern", h)
			}
			if strings.ContainsAny(h, `%_\`) {
				if err := s.db.QueryRowContext(ctx, q, "xy", sqlike.Contains(h)).Scan(&other); err != nil {
					t.Fatal(err)
				}
				if other {
					t.Errorf("escaped pattern of %q matches text without it", h)
				}
			}
		}
		got, _, err := s.List(ctx, storage.Query{All: true})
		if err != nil || len(got) != len(hostileSQL) {
			t.Fatalf("after the hostile queries: %d milestones, %v", len(got), err)
		}
	})
}
