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

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/storagetest"
)

// manyDocs writes n varied documents (labels, depends_on, progress,
// accents, unknown keys on some) plus a broken one and a symbolic link,
// and returns a store whose cache trusts them (its clock is 10 s ahead).
func manyDocs(t *testing.T, n int) (*Store, string) {
	t.Helper()
	repo := storagetest.NewRepo(t)
	for _, f := range Folders {
		if err := os.MkdirAll(filepath.Join(repo.WorkTree, Dir, f), 0o777); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		st := milestone.Statuses[i%len(milestone.Statuses)]
		var b strings.Builder
		fmt.Fprintf(&b, "title: Milestone %d Ébène ZANZIBAR%d\nstatus: %s\npriority: %s\n", i, i%7, st, milestone.Priorities[i%4])
		if i%3 != 0 {
			fmt.Fprintf(&b, "owner: owner%d@example.com\ndue: 2026-0%d-1%d\n", i%5, 1+i%9, i%10)
		}
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "labels: [l%d, shared, Ünï%d]\ndepends_on: [m%03d]\nprogress: %d\n", i%6, i%2, (i+1)%n, i%101)
		case 1:
			b.WriteString("labels: []\nprogress: 0\n")
		case 2:
			b.WriteString("x-extra: 5\n") // unknown key: cached without fields
		}
		fmt.Fprintf(&b, "description: |\n  Line one of %d.\n  Straße two\ncreated_at: 2026-01-%02dT00:00:00Z\n", i, 1+i%28)
		p := filepath.Join(repo.WorkTree, Dir, st.Folder(), fmt.Sprintf("m%03d.yaml", i))
		if err := os.WriteFile(p, []byte(b.String()), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	active := filepath.Join(repo.WorkTree, Dir, "active")
	if err := os.WriteFile(filepath.Join(active, "broken.yaml"), []byte("title: [unclosed\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("m000.yaml", filepath.Join(active, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	s := Open(repo, Options{Getenv: storagetest.Getenv})
	s.now = func() time.Time { return time.Now().Add(10 * time.Second) }
	return s, repo.WorkTree
}

var loadQueries = []storage.Query{
	{},
	{All: true},
	{Statuses: []milestone.Status{milestone.Blocked}},
	{Statuses: []milestone.Status{milestone.Completed, milestone.Planned}, Sort: "priority"},
	{All: true, Priorities: []milestone.Priority{milestone.High}, Sort: "due"},
	{All: true, Labels: []string{"shared"}, Sort: "title"},
	{Owner: "owner3@example.com", Sort: "created"},
	{All: true, DueBefore: "2026-05-01", Sort: "status"},
	{Overdue: true, Today: "2026-04-01", Sort: "updated"},
	{All: true, Text: "zanzibar3"},
	{All: true, Text: "ebene unï1"},
	{All: true, Text: "STRASSE line"},
	{All: true, Text: "owner2 m01"},
	{All: true, Text: "   "},
	{All: true, Text: "nothing-like-this"},
	{All: true, Sort: "due", Limit: 7},
	{Brief: true, Sort: "title", Limit: 3},
}

// answers is every query's answer (records and problems' paths) and the
// stats, as one comparable value.
func answers(t *testing.T, s *Store) []any {
	t.Helper()
	ctx := context.Background()
	var out []any
	for _, q := range loadQueries {
		recs, problems, err := s.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, recs, problemPaths(problems))
	}
	st, problems, err := s.Stats(ctx, "2026-04-01")
	if err != nil {
		t.Fatal(err)
	}
	recs, lp, err := s.LoadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, st, problemPaths(problems), recs, problemPaths(lp))
}

func problemPaths(ps []storage.Problem) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Path)
	}
	return strings.Join(out, ",")
}

// cold answers with no document cache (and leaves one written).
func cold(t *testing.T, s *Store) []any {
	t.Helper()
	if err := os.Remove(s.docCachePath()); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return answers(t, s)
}

// List, Stats and LoadAll answer from the cache exactly what they answer
// reading every file: after a cold read, after edits in place, removals,
// additions, and with a damaged cache. The answers are checked against
// Filter and Summarize over LoadAll too.
func TestCachedReadsEqualCold(t *testing.T) {
	s, root := manyDocs(t, 300)
	want := cold(t, s)
	check := func(what string, want []any) {
		t.Helper()
		got := answers(t, s)
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("%s: answer %d differs from a cold read:\n%+v\n%+v", what, i, got[i], want[i])
			}
		}
	}
	check("cached", want)

	// The reference: Filter and Summarize over every record.
	all, allProblems, err := s.LoadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if problemPaths(allProblems) != ".milestones/active/link.yaml,.milestones/active/broken.yaml" {
		t.Fatalf("problems %q", problemPaths(allProblems))
	}
	for i, q := range loadQueries {
		if f := Filter(all, q); !reflect.DeepEqual(want[2*i], f) && !(len(f) == 0 && reflect.ValueOf(want[2*i]).Len() == 0) {
			t.Fatalf("query %+v: List %d records, Filter %d", q, reflect.ValueOf(want[2*i]).Len(), len(f))
		}
	}
	if sum := storage.Summarize(all, "2026-04-01"); !reflect.DeepEqual(want[2*len(loadQueries)], sum) {
		t.Fatalf("Stats %+v, Summarize %+v", want[2*len(loadQueries)], sum)
	}

	// The cache is what answers: a title planted in it is listed.
	data, err := os.ReadFile(s.docCachePath())
	if err != nil {
		t.Fatal(err)
	}
	// The title field, as encoded (its length first), not the source.
	title := "Milestone 7 Ébène ZANZIBAR0"
	field := append([]byte{byte(len(title))}, title...)
	if !bytes.Contains(data, field) {
		t.Fatal("no title field in the cache")
	}
	planted := bytes.Replace(data, field, append([]byte{byte(len(title))}, strings.Replace(title, "Milestone", "Qqqqqqqqq", 1)...), 1)
	if err := os.WriteFile(s.docCachePath(), planted, 0o666); err != nil {
		t.Fatal(err)
	}
	recs, _, err := s.List(context.Background(), storage.Query{All: true, Text: "qqqqqqqqq"})
	if err != nil || len(recs) != 1 || recs[0].Milestone.ID != "m007" {
		t.Fatalf("planted title not listed (the cache is not used): %d records, %v", len(recs), err)
	}

	active := filepath.Join(root, Dir, "active")
	edit := func(name, from, to string) {
		t.Helper()
		p := filepath.Join(active, name)
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, bytes.Replace(src, []byte(from), []byte(to), 1), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	edit("m007.yaml", "Milestone 7 ", "Milestone 7 ")    // rewritten as it was: new times
	edit("m000.yaml", "priority: low", "priority: high") // same size, in place
	edit("m001.yaml", "status: active", "status: blocked")
	if err := os.Remove(filepath.Join(active, "m002.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(active, "m0025.yaml"), []byte("title: Added zanzibar3\nstatus: blocked\npriority: low\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(active, "zz.yaml"), []byte("title: Added last\nstatus: planned\npriority: low\nlabels: [shared]\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	edited := answers(t, s)
	check("edited (cold)", cold(t, s))
	check("edited (cached)", edited)
	recs, _, _ = s.List(context.Background(), storage.Query{Statuses: []milestone.Status{milestone.Blocked}})
	got := map[string]bool{}
	for _, r := range recs {
		got[r.Milestone.ID] = true
	}
	if !got["m001"] || !got["m0025"] || got["m002"] {
		t.Fatalf("edits not seen in blocked: %v", got)
	}

	// Damaged caches are no cache.
	good, err := os.ReadFile(s.docCachePath())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{good[:len(good)-3], append(append([]byte{}, good...), 0x80), append([]byte(docCacheMagic), 0xff, 0xff)} {
		if err := os.WriteFile(s.docCachePath(), bad, 0o666); err != nil {
			t.Fatal(err)
		}
		check("damaged cache", edited)
	}
}

// Records kept by List do not share what the cache's decoder reuses:
// changing one record's labels or progress changes no other.
func TestListRecordsAreIndependent(t *testing.T) {
	s, _ := manyDocs(t, 100)
	cold(t, s)
	recs, _, err := s.List(context.Background(), storage.Query{All: true, Labels: []string{"shared"}})
	if err != nil || len(recs) < 10 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	before := fmt.Sprint(recs[1].Milestone.Labels, *recs[1].Milestone.Progress)
	recs[0].Milestone.Labels[0] = "changed"
	*recs[0].Milestone.Progress = -1
	if after := fmt.Sprint(recs[1].Milestone.Labels, *recs[1].Milestone.Progress); after != before {
		t.Fatalf("record 1 changed with record 0: %s, was %s", after, before)
	}
	// Writing into a Source changes no field of any record.
	title := recs[0].Milestone.Title
	for i := range recs[0].Source {
		recs[0].Source[i] = 'x'
	}
	if recs[0].Milestone.Title != title {
		t.Fatalf("title %q changed with the source", recs[0].Milestone.Title)
	}
}

// An entry of the cache is found when the cache's order is not Scan's
// (written by another order, or hand-made): it is then read again, never
// taken for another file's.
func TestDocCacheMatchNeedsOrder(t *testing.T) {
	s, _ := cacheStore(t, 10*time.Second)
	files, _, err := s.Scan()
	if err != nil {
		t.Fatal(err)
	}
	rev := append([]DocFile(nil), files...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	loadAll(t, s)
	c, offs := parseDocCache(s.readDocCache(), rev)
	if c == nil {
		t.Fatal("no cache")
	}
	found := 0
	for i, off := range offs {
		if off < 0 {
			continue
		}
		found++
		var h entryHeader
		c.header(off, &h)
		if string(h.path) != rev[i].Path {
			t.Fatalf("%s matched the entry of %s", rev[i].Path, h.path)
		}
	}
	if found == 0 || found == len(rev) {
		t.Fatalf("%d of %d found in reverse order", found, len(rev))
	}
	_, offs = parseDocCache(s.readDocCache(), files)
	for i, f := range files {
		if (offs[i] < 0) != (f.ID == "bad") { // bad.yaml does not decode: not cached
			t.Fatalf("in Scan's order, %s: offset %d", f.Path, offs[i])
		}
	}
}
