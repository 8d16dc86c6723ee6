package index

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// git runs the real git CLI in dir.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newRepo makes a git repository with the document folders.
func newRepo(t testing.TB) (string, *filestore.Store) {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	for _, f := range filestore.Folders {
		if err := os.MkdirAll(filepath.Join(dir, filestore.Dir, f), 0o777); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, filestore.Open(repo, filestore.Options{})
}

// writeFile writes a repository-relative file.
func writeFile(t testing.TB, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
}

// put writes m's canonical document where its status puts it.
func put(t testing.TB, dir string, m milestone.Milestone) string {
	t.Helper()
	rel := filestore.PathFor(m.ID, m.Status)
	writeFile(t, dir, rel, string(format.Encode(m)))
	return rel
}

// warnings collects warn lines.
type warnings struct {
	mu    sync.Mutex
	lines []string
}

func (w *warnings) warn(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, s)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.lines
	w.lines = nil
	return l
}

func indexPath(dir string) string { return filepath.Join(dir, filestore.Dir, "index.db") }

// openIndex opens the repository's index with a clock 10 s ahead, so that
// files written by the test are not racy (tests of the racy rule use the
// real clock).
func openIndex(t testing.TB, dir string) (*Index, *warnings) {
	t.Helper()
	w := &warnings{}
	ix, err := Open(context.Background(), indexPath(dir), w.warn)
	if err != nil {
		t.Fatal(err)
	}
	ix.tuning.now = func() time.Time { return time.Now().Add(10 * time.Second) }
	t.Cleanup(func() { ix.Close() })
	return ix, w
}

func refresh(t testing.TB, ix *Index, fs *filestore.Store) Report {
	t.Helper()
	rep, err := ix.Refresh(context.Background(), fs)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// ids lists the ids of records.
func ids(recs []storage.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Milestone.ID
	}
	return out
}

func problemPaths(ps []storage.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Path+": "+p.Err.Error())
	}
	sort.Strings(out)
	return out
}

// sameRecords compares records by their JSON object, source and path.
func sameRecords(t testing.TB, what string, got, want []storage.Record) {
	t.Helper()
	if g, w := strings.Join(ids(got), ","), strings.Join(ids(want), ","); g != w {
		t.Fatalf("%s: ids\n got %s\nwant %s", what, g, w)
	}
	for i := range got {
		gj, err1 := got[i].Milestone.JSON()
		wj, err2 := want[i].Milestone.JSON()
		if err1 != nil || err2 != nil || !bytes.Equal(gj, wj) {
			t.Fatalf("%s: %s: JSON\n got %s\nwant %s", what, want[i].Milestone.ID, gj, wj)
		}
		if !bytes.Equal(got[i].Source, want[i].Source) || got[i].Path != want[i].Path {
			t.Fatalf("%s: %s: source/path differ: %q %q", what, want[i].Milestone.ID, got[i].Path, want[i].Path)
		}
	}
}

var (
	words  = strings.Fields("alpha beta gamma delta release web api freeze security billing roadmap launch mobile backend frontend infra docs payments search onboarding growth analytics platform migration cloud storage Ünïcode ÉTÉ straße ui ux ab")
	owners = []string{"", "ana@example.com", "bob@example.com", "carol"}
	labels = []string{"release", "web", "api", "Q1", "infra", "x y"}
)

// randomMilestone makes a varied, valid milestone.
func randomMilestone(r *rand.Rand, id string) milestone.Milestone {
	text := func(n int) string {
		var b []string
		for i := 0; i < n; i++ {
			b = append(b, words[r.Intn(len(words))])
		}
		return strings.Join(b, " ")
	}
	m := milestone.Milestone{
		ID:       id,
		Title:    text(1 + r.Intn(4)),
		Status:   milestone.Statuses[r.Intn(len(milestone.Statuses))],
		Priority: milestone.Priorities[r.Intn(len(milestone.Priorities))],
		Owner:    owners[r.Intn(len(owners))],
	}
	if r.Intn(3) > 0 {
		m.Due = fmt.Sprintf("2026-%02d-%02d", 1+r.Intn(12), 1+r.Intn(28))
	}
	if r.Intn(2) == 0 {
		m.Start = "2026-01-01"
	}
	for _, l := range labels {
		if r.Intn(3) == 0 {
			m.Labels = append(m.Labels, l)
		}
	}
	if r.Intn(4) > 0 {
		m.Description = text(5+r.Intn(30)) + "\n"
	}
	if r.Intn(5) > 0 {
		m.CreatedAt = fmt.Sprintf("2026-%02d-%02dT%02d:00:00Z", 1+r.Intn(12), 1+r.Intn(28), r.Intn(24))
		m.UpdatedAt = m.CreatedAt
	}
	if r.Intn(4) == 0 {
		p := r.Intn(101)
		m.Progress = &p
	}
	if r.Intn(6) == 0 {
		m.Extra = []milestone.Field{{Key: "x-points", Value: r.Intn(10)}}
	}
	if m.Status.Closed() {
		m.ClosedAt = "2026-12-01T00:00:00Z"
	}
	return m
}

// threeActive makes a repository with the active documents a, b and c
// (titles "T a"...), its index refreshed over them, and title, which gives
// a document's title as the index has it (or the error's text).
func threeActive(t testing.TB) (string, *filestore.Store, *Index, func(id string) string) {
	t.Helper()
	dir, fs := newRepo(t)
	for _, id := range []string{"a", "b", "c"} {
		put(t, dir, milestone.Milestone{ID: id, Title: "T " + id, Status: milestone.Active, Priority: milestone.Low})
	}
	ix, _ := openIndex(t, dir)
	refresh(t, ix, fs)
	title := func(id string) string {
		r, err := ix.Get(ctx, id)
		if err != nil {
			return err.Error()
		}
		return r.Milestone.Title
	}
	return dir, fs, ix, title
}
