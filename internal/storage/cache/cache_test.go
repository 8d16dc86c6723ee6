package cache_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/cache"
	"github.com/git-milestone/git-milestone/internal/storage/dbstore"
)

func TestCacheTTLAndMisses(t *testing.T) {
	ctx := context.Background()
	db, err := dbstore.Open(ctx, dbstore.Config{Type: dbstore.TypeSQLite, Path: filepath.Join(t.TempDir(), "e.db"), ProjectKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	put := func(title string) {
		m := milestone.Milestone{ID: "a", Title: title, Status: milestone.Active, Priority: milestone.High}
		if _, err := db.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error { return tx.Put(m, format.Encode(m)) }); err != nil {
			t.Fatal(err)
		}
	}
	put("first")
	opens := 0
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	tree, dir := safefs.New(t.TempDir(), ""), "cache"
	newCache := func() *cache.Store {
		c := cache.New(tree, dir, time.Minute, "scope", func() (storage.Backend, error) { opens++; return db, nil })
		c.Now = func() time.Time { return now }
		return c
	}
	title := func(c *cache.Store) string {
		recs, _, err := c.List(ctx, storage.Query{})
		if err != nil || len(recs) != 1 {
			t.Fatalf("list: %v %v", recs, err)
		}
		return recs[0].Milestone.Title
	}
	if got := title(newCache()); got != "first" || opens != 1 {
		t.Fatalf("miss: %q, %d opens", got, opens)
	}
	put("second")
	// Entries written "now" by the real clock: make the fake clock agree.
	now = time.Now()
	if got := title(newCache()); got != "first" || opens != 1 {
		t.Fatalf("hit: %q, %d opens (the database was asked)", got, opens)
	}
	now = now.Add(2 * time.Minute)
	if got := title(newCache()); got != "second" || opens != 2 {
		t.Fatalf("after the TTL: %q, %d opens", got, opens)
	}
	c := newCache()
	var nf *milestone.NotFoundError
	if _, err := c.Get(ctx, "zzz"); !errors.As(err, &nf) {
		t.Fatalf("get missing: %v", err)
	}
	if _, err := c.Get(ctx, "zzz"); !errors.As(err, &nf) {
		t.Fatalf("cached not-found: %v", err)
	}
	if err := cache.Invalidate(tree, dir); err != nil {
		t.Fatal(err)
	}
	if st, _, err := newCache().Stats(ctx, "2026-11-26"); err != nil || st.Total != 1 || st.ByPriority["high"] != 1 {
		t.Fatalf("stats: %+v %v", st, err)
	}
}
