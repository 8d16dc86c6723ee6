package dbstore

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// TestStatsEqualsSummarize checks the two-pass SQL of Stats against
// storage.Summarize over every record, on data with many ties of
// created_at at both ends, milestones without one, and overdue ones, and
// on a project without created_at at all.
func TestStatsEqualsSummarize(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		g := newGenerator(7)
		s := d.open(t, "stats")
		var recs []storage.Record
		for i := 0; i < 300; i++ {
			m := g.milestone(i)
			switch i % 4 {
			case 0:
				m.CreatedAt = ""
			case 1:
				m.CreatedAt = "2026-01-01T00:00:00Z" // ties at the oldest
			case 2:
				m.CreatedAt = "2026-09-30T12:00:00Z" // ties at the newest
			default:
				m.CreatedAt = fmt.Sprintf("2026-%02d-15T00:00:00Z", 2+i%7)
			}
			recs = append(recs, rec(t, m))
		}
		if err := s.Import(ctx, recs, nil); err != nil {
			t.Fatal(err)
		}
		bare := d.open(t, "stats-bare")
		m := g.milestone(1000)
		m.CreatedAt = ""
		create(t, bare, rec(t, m))
		for _, st := range []*Store{s, bare} {
			all, _, err := st.List(ctx, storage.Query{All: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, today := range []string{"2026-01-01", "2026-06-15", "2027-12-31"} {
				want := storage.Summarize(all, today)
				got, _, err := st.Stats(ctx, today)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s Stats(%s) = %+v\nwant %+v", st.project, today, got, want)
				}
			}
		}
	})
}
