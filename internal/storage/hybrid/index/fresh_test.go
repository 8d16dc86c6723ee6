package index

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// ReadFresh answers from a fresh index with one query; any change to the
// work tree before the check, and any write to the index while the query
// runs, makes it refresh and ask again, so the answer it returns is always
// that of Refresh followed by the query.
func TestReadFresh(t *testing.T) {
	dir, fs := newRepo(t)
	ix, _ := openIndex(t, dir)
	var rels []string
	for i := 0; i < 150; i++ {
		rels = append(rels, put(t, dir, milestone.Milestone{ID: fmt.Sprintf("r%03d", i), Title: "Title A", Status: milestone.Statuses[i%5], Priority: milestone.Low}))
	}
	titles := func(recs []storage.Record) map[string]string {
		m := map[string]string{}
		for _, r := range recs {
			m[r.Milestone.ID] = r.Milestone.Title
		}
		return m
	}
	// query lists everything; during is run inside the first query only
	// (a concurrent writer).
	query := func(during func()) (calls int, got map[string]string) {
		t.Helper()
		err := ix.ReadFresh(ctx, fs, StartTreeSum(ctx, fs), func() error {
			calls++
			recs, _, err := ix.List(ctx, storage.Query{All: true})
			got = titles(recs)
			if calls == 1 && during != nil {
				during()
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return calls, got
	}
	editInPlace := func(rel, title string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("title: "+title+"\n"), 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}

	if calls, got := query(nil); calls != 2 || len(got) != 150 {
		t.Fatalf("never refreshed: %d queries, %d records; want 2 (the first on an empty index), 150", calls, len(got))
	}
	if calls, got := query(nil); calls != 1 || len(got) != 150 {
		t.Fatalf("fresh index: %d queries, %d records; want 1, 150", calls, len(got))
	}

	editInPlace(rels[3], "Title B") // same size: only the stat data tells
	calls, got := query(nil)
	if calls != 2 || got["r003"] != "Title B" {
		t.Fatalf("after an edit in place: %d queries, r003 %q; want 2, Title B", calls, got["r003"])
	}

	// A writer refreshes the index while our query runs: the answer
	// given before its write is dropped.
	other, _ := openIndex(t, dir)
	calls, got = query(func() {
		editInPlace(rels[4], "Title C")
		if _, err := other.RefreshPaths(ctx, fs, []string{rels[4]}); err != nil {
			t.Fatal(err)
		}
	})
	if calls != 2 || got["r004"] != "Title C" {
		t.Fatalf("index written during the query: %d queries, r004 %q; want 2, Title C", calls, got["r004"])
	}

	// Removed and added files.
	os.Remove(filepath.Join(dir, filepath.FromSlash(rels[5])))
	put(t, dir, milestone.Milestone{ID: "r999", Title: "New", Status: milestone.Planned, Priority: milestone.High})
	calls, got = query(nil)
	if _, ok := got["r005"]; ok || got["r999"] != "New" || calls != 2 {
		t.Fatalf("after a removal and an addition: %d queries, r005 present %v, r999 %q", calls, ok, got["r999"])
	}
	if calls, _ := query(nil); calls != 1 {
		t.Fatalf("fresh again: %d queries, want 1", calls)
	}
}

// Racy entries (files written in the second the index recorded them) are
// compared by content before the answer stands.
func TestReadFreshRacy(t *testing.T) {
	dir, fs := newRepo(t)
	ix, _ := openIndex(t, dir)
	ix.tuning.now = nil // the real clock: what was just written is racy
	rel := put(t, dir, milestone.Milestone{ID: "racy", Title: "Title A", Status: milestone.Active, Priority: milestone.Low})
	refresh(t, ix, fs)
	if st, _ := storedSum(t, ix); len(st.racy) == 0 {
		t.Skip("the entry is not racy: the file system's clock is coarse here")
	}
	// Same size, same second: the stat data may not tell.
	p := filepath.Join(dir, filepath.FromSlash(rel))
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("title: Title Z\n"), 0)
	f.Close()
	var title string
	err = ix.ReadFresh(ctx, fs, nil, func() error {
		recs, _, err := ix.List(ctx, storage.Query{All: true})
		if len(recs) == 1 {
			title = recs[0].Milestone.Title
		}
		return err
	})
	if err != nil || title != "Title Z" {
		t.Fatalf("racy entry edited: title %q, %v; want Title Z", title, err)
	}
}
