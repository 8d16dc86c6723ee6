package storage

import (
	"math/rand"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/textfold"
)

// fixtureRecords has ties in created_at and due, to test orders.
func fixtureRecords() []Record {
	var recs []Record
	for i, id := range []string{"e", "b", "d", "a", "c", "f", "g"} {
		m := milestone.Milestone{ID: id, Title: "T " + id, Status: milestone.Statuses[i%len(milestone.Statuses)],
			Priority: milestone.Priorities[i%len(milestone.Priorities)], CreatedAt: []string{"2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"}[i%2]}
		if i%3 == 0 {
			m.Due = "2026-03-01"
		}
		recs = append(recs, Record{Milestone: m})
	}
	return recs
}

// TestSummarizeAnyOrder checks that Summarize gives the same Stats
// whatever the order of the records: ties in created_at go to the
// smallest id.
func TestSummarizeAnyOrder(t *testing.T) {
	recs := fixtureRecords()
	byID := append([]Record(nil), recs...)
	sort.Slice(byID, func(i, j int) bool { return byID[i].Milestone.ID < byID[j].Milestone.ID })
	want := Summarize(byID, "2026-06-01")
	if want.Oldest == nil || want.Oldest.ID != "c" || want.Newest == nil || want.Newest.ID != "a" {
		t.Fatalf("by id: oldest %+v newest %+v, want c and a", want.Oldest, want.Newest)
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 50; i++ {
		rng.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
		if got := Summarize(recs, "2026-06-01"); !reflect.DeepEqual(got, want) {
			t.Fatalf("order %v: %+v, want %+v", ids(recs), got, want)
		}
	}
}

// TestSortStable checks Sort against a stable sort of the records
// themselves, for every key.
func TestSortStable(t *testing.T) {
	for _, key := range append([]string{""}, SortKeys...) {
		recs := fixtureRecords()
		want := append([]Record(nil), recs...)
		sort.SliceStable(want, func(i, j int) bool { return Less(key, &want[i].Milestone, &want[j].Milestone) })
		Sort(key, recs)
		if !reflect.DeepEqual(ids(recs), ids(want)) {
			t.Errorf("sort %q: %v, want %v", key, ids(recs), ids(want))
		}
	}
}

func ids(recs []Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Milestone.ID
	}
	return out
}

// TestSortRandom checks Sort against sort.SliceStable on random records
// with repeated keys and ids (a stable sort keeps their order: Path tells
// them apart), sorted, reversed and shuffled inputs of every length up to
// 64.
func TestSortRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	statuses := milestone.Statuses
	for n := 0; n <= 64; n++ {
		for _, key := range append([]string{""}, SortKeys...) {
			recs := make([]Record, n)
			for i := range recs {
				recs[i] = Record{Path: strconv.Itoa(i), Milestone: milestone.Milestone{
					ID:     "m" + strconv.Itoa(rng.Intn(n/2+1)),
					Title:  "t" + strconv.Itoa(rng.Intn(3)),
					Status: statuses[rng.Intn(len(statuses))],
					Due:    []string{"", "2026-01-01", "2026-02-01"}[rng.Intn(3)],
				}}
			}
			inputs := [][]Record{recs, append([]Record(nil), recs...)}
			slices.Reverse(inputs[1])
			sortedIn := append([]Record(nil), recs...)
			sort.SliceStable(sortedIn, func(i, j int) bool { return Less(key, &sortedIn[i].Milestone, &sortedIn[j].Milestone) })
			inputs = append(inputs, sortedIn)
			for _, in := range inputs {
				want := append([]Record(nil), in...)
				sort.SliceStable(want, func(i, j int) bool { return Less(key, &want[i].Milestone, &want[j].Milestone) })
				got := append([]Record(nil), in...)
				Sort(key, got)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("n=%d key %q: %v, want %v", n, key, paths(got), paths(want))
				}
			}
		}
	}
}

func paths(recs []Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Path
	}
	return out
}

func TestCapacityHint(t *testing.T) {
	for _, c := range []struct{ rows, limit, want int }{
		{0, 0, 0}, {10, 0, 10}, {10, 3, 3}, {3, 10, 3}, {-1, 0, 0},
		{maxCapacityHint * 4, 0, maxCapacityHint}, {maxCapacityHint * 4, 50, 50},
	} {
		if got := CapacityHint(c.rows, c.limit); got != c.want {
			t.Errorf("CapacityHint(%d, %d) = %d, want %d", c.rows, c.limit, got, c.want)
		}
	}
}

// A Summarizer fed any split of the records, merged, gives Summarize's
// Stats; so does one fed them all.
func TestSummarizerMerge(t *testing.T) {
	recs := fixtureRecords()
	recs = append(recs, Record{Milestone: milestone.Milestone{ID: "0", Status: milestone.Active, Priority: milestone.Low}}) // no created_at
	want := Summarize(recs, "2026-06-01")
	rng := rand.New(rand.NewSource(2))
	for round := 0; round < 50; round++ {
		rng.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
		parts := []*Summarizer{NewSummarizer("2026-06-01"), NewSummarizer("2026-06-01"), NewSummarizer("2026-06-01")}
		for i := range recs {
			parts[rng.Intn(len(parts))].Add(&recs[i].Milestone)
		}
		parts[0].Merge(parts[1])
		parts[0].Merge(parts[2])
		if got := parts[0].Stats(); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: %+v oldest %+v newest %+v, want %+v oldest %+v newest %+v", round, got, got.Oldest, got.Newest, want, want.Oldest, want.Newest)
		}
	}
	if got := NewSummarizer("").Stats(); got.Oldest != nil || got.Newest != nil || got.Total != 0 || len(got.ByStatus) != 5 {
		t.Fatalf("empty: %+v", got)
	}
}

// MatchText, which matches each field on its own without building the
// search text, agrees with ContainsTerms over SearchText.
func TestMatchTextAgreesWithSearchText(t *testing.T) {
	ms := []milestone.Milestone{
		{ID: "m-1", Title: "Ship the API", Description: "Line one\nLINE two", Labels: []string{"Web", "zanzibar"}, Owner: "Ana@Example.com"},
		{ID: "m-2", Title: "Éléphant ÉCOLE Straße", Description: "ﬁle ① naïve", Labels: []string{"Ünï"}, Owner: "ΣΊΣΥΦΟΣ"},
		{ID: "m-3", Title: "nul\x00byte", Description: "bad \xff utf8", Labels: nil, Owner: ""},
		{ID: "m-4", Title: "ᏣᎳᎩ Cherokee", Labels: []string{"", "a\nb"}},
	}
	queries := []string{"api", "API web", "line two", "ana@example", "zanzibar ship", "elephant", "ecole strasse", "file 1 naive",
		"uni", "σισυφοσ", "nul", "byte", "nul byte", "\ufffd", "utf8", "ᏣᎳᎩ", "ꮳꮃꭹ", "m-", "m-3", "e", "web\nzanzibar", "one two three", "a", "b"}
	for _, q := range queries {
		terms := textfold.Terms(q)
		for i := range ms {
			m := &ms[i]
			if got, want := MatchText(m, terms), ContainsTerms(SearchText(m), terms); got != want {
				t.Errorf("%q in %s: MatchText %v, SearchText %v", q, m.ID, got, want)
			}
		}
	}
	if MatchText(&ms[0], nil) {
		t.Error("no terms matched")
	}
}
