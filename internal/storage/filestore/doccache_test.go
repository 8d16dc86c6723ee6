package filestore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/storagetest"
)

var docs = map[string]string{
	"active/plain.yaml":   "title: Plain\nstatus: planned\npriority: low\n",
	"active/full.yaml":    "title: Full one\nstatus: active\npriority: high\nowner: ana@example.com\nstart: 2026-01-02\ndue: 2026-03-04\nlabels: [web, api]\ndepends_on: [plain]\nprogress: 0\ndescription: |\n  two\n  lines\ncreated_at: 2026-01-01T00:00:00Z\nupdated_at: 2026-01-02T00:00:00Z\n",
	"active/empty.yaml":   "title: Empty lists\nstatus: blocked\npriority: medium\nlabels: []\n",
	"active/extra.yaml":   "title: Unknown keys\nstatus: planned\npriority: low\nx-points: 5\nx-map: {a: 1}\n",
	"completed/done.yaml": "title: Done\nstatus: completed\npriority: low\nclosed_at: 2026-02-01T00:00:00Z\n",
	"active/bad.yaml":     "title: [unclosed\n",
}

func cacheStore(t *testing.T, ahead time.Duration) (*Store, string) {
	t.Helper()
	repo := storagetest.NewRepo(t)
	for rel, src := range docs {
		p := filepath.Join(repo.WorkTree, Dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	s := Open(repo, Options{Getenv: storagetest.Getenv})
	if ahead != 0 {
		s.now = func() time.Time { return time.Now().Add(ahead) }
	}
	return s, repo.WorkTree
}

// loadAll returns the records and the problems' paths.
func loadAll(t *testing.T, s *Store) ([]storage.Record, string) {
	t.Helper()
	recs, problems, err := s.LoadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for _, p := range problems {
		ps = append(ps, p.Path)
	}
	return recs, strings.Join(ps, ",")
}

// Records from the cache are those a read and decode gives, field for
// field (nil and empty lists, progress 0, unknown keys).
func TestDocCacheGivesTheSameRecords(t *testing.T) {
	s, _ := cacheStore(t, 10*time.Second)
	first, p1 := loadAll(t, s)
	if _, err := os.Stat(s.docCachePath()); err != nil {
		t.Fatalf("no cache written: %v", err)
	}
	second, p2 := loadAll(t, s)
	if p1 != ".milestones/active/bad.yaml" || p2 != p1 {
		t.Fatalf("problems %q then %q", p1, p2)
	}
	if len(first) != len(docs)-1 || !reflect.DeepEqual(first, second) {
		t.Fatalf("cached records differ:\n%+v\n%+v", first, second)
	}
	for _, r := range second {
		direct, err := s.Load(DocFile{ID: r.Milestone.ID, Path: r.Path})
		if err != nil || !reflect.DeepEqual(direct, r) {
			t.Fatalf("%s: cached %+v, read %+v (%v)", r.Path, r, direct, err)
		}
	}
}

// A cached document is used only while its file's stat data is the same
// and not racy; edits in place, removals and new files are seen at once.
func TestDocCacheTrustsOnlyUnchangedStatData(t *testing.T) {
	s, root := cacheStore(t, 0)
	// plant puts a different title for plain.yaml in the cache.
	plant := func() {
		t.Helper()
		data, err := os.ReadFile(s.docCachePath())
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.Replace(data, []byte("\x05Plain"), []byte("\x05Cache"), 1)
		if err := os.WriteFile(s.docCachePath(), data, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	title := func(recs []storage.Record, id string) string {
		for _, r := range recs {
			if r.Milestone.ID == id {
				return r.Milestone.Title
			}
		}
		return "(none)"
	}
	// Cached by a clock that has not passed the files' times by the racy
	// margin (a check made right after they were written, on any machine):
	// no entry is trusted.
	s.now = func() time.Time { return time.Now().Add(-time.Second) }
	loadAll(t, s)
	plant()
	if recs, _ := loadAll(t, s); title(recs, "plain") != "Plain" {
		t.Fatalf("racy entry trusted: %q", title(recs, "plain"))
	}
	// Cached 10 s later: while plain.yaml's stat data is unchanged, the
	// cache answers (proof it is used).
	s.now = func() time.Time { return time.Now().Add(10 * time.Second) }
	loadAll(t, s)
	plant()
	if recs, _ := loadAll(t, s); title(recs, "plain") != "Cache" {
		t.Fatalf("title %q: the cache was not used", title(recs, "plain"))
	}
	// In place, same size: new mtime/ctime.
	full := filepath.Join(root, Dir, "active", "full.yaml")
	src, _ := os.ReadFile(full)
	if err := os.WriteFile(full, bytes.Replace(src, []byte("Full one"), []byte("Full two"), 1), 0o666); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, Dir, "completed", "done.yaml"))
	if err := os.WriteFile(filepath.Join(root, Dir, "active", "new.yaml"), []byte("title: New\nstatus: planned\npriority: low\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("plain.yaml", filepath.Join(root, Dir, "active", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	recs, problems := loadAll(t, s)
	if title(recs, "full") != "Full two" || title(recs, "done") != "(none)" || title(recs, "new") != "New" || title(recs, "link") != "(none)" {
		t.Fatalf("edits not seen: %+v", recs)
	}
	if !strings.Contains(problems, "link.yaml") {
		t.Fatalf("problems %q: the symbolic link is not refused", problems)
	}
}

// A damaged cache is no cache.
func TestDocCacheDamagedIsIgnored(t *testing.T) {
	s, _ := cacheStore(t, 10*time.Second)
	want, _ := loadAll(t, s)
	data, _ := os.ReadFile(s.docCachePath())
	for _, bad := range [][]byte{nil, []byte("not a cache"), data[:len(data)/2], append(append([]byte{}, data...), 0xff)} {
		if err := os.WriteFile(s.docCachePath(), bad, 0o666); err != nil {
			t.Fatal(err)
		}
		if got, _ := loadAll(t, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("damaged cache %q changed the records", bad[:min(len(bad), 20)])
		}
	}
}

func TestCacheStale(t *testing.T) {
	for _, tc := range []struct {
		stale, n int
		want     bool
	}{
		{0, 10, false}, {1, 10, true}, {1, 32, true}, {1, 33, false},
		{1, 1000, false}, {15, 1000, false}, {16, 1000, true}, {16, 100000, true},
	} {
		if got := cacheStale(tc.stale, tc.n); got != tc.want {
			t.Errorf("cacheStale(%d, %d) = %v, want %v", tc.stale, tc.n, got, tc.want)
		}
	}
}

// After one document changes among many, LoadAll reads it again and
// answers with it, without writing the whole cache again; the next
// command reads it again too (its entry is still stale), never trusting
// the stale entry.
func TestDocCacheNotRewrittenForOneChange(t *testing.T) {
	repo := storagetest.NewRepo(t)
	dir := filepath.Join(repo.WorkTree, Dir, "active")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		src := fmt.Sprintf("title: Doc %d\nstatus: planned\npriority: low\n", i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("d%03d.yaml", i)), []byte(src), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	s := Open(repo, Options{Getenv: storagetest.Getenv})
	s.now = func() time.Time { return time.Now().Add(10 * time.Second) }
	loadAll(t, s)
	before, err := os.ReadFile(s.docCachePath())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "d042.yaml"), []byte("title: Changed\nstatus: planned\npriority: low\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		recs, _ := loadAll(t, s)
		if len(recs) != 100 || recs[42].Milestone.Title != "Changed" {
			t.Fatalf("round %d: %d records, d042 %q", round, len(recs), recs[42].Milestone.Title)
		}
		after, err := os.ReadFile(s.docCachePath())
		if err != nil || !bytes.Equal(after, before) {
			t.Fatalf("round %d: the cache was written again for one changed document (%v)", round, err)
		}
	}
}
