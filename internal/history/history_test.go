package history

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
)

// testRepo is a real git repository in a temporary folder, changed with
// the git CLI at pinned dates.
type testRepo struct {
	t   *testing.T
	dir string
	day int // commits are made on 2026-11-01 + day
}

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	when := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC).AddDate(0, 0, r.day).Format(time.RFC3339)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir,
		"GIT_AUTHOR_NAME=Ana Tester", "GIT_AUTHOR_EMAIL=ana@example.com",
		"GIT_COMMITTER_NAME=Ana Tester", "GIT_COMMITTER_EMAIL=ana@example.com",
		"GIT_AUTHOR_DATE="+when, "GIT_COMMITTER_DATE="+when)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *testRepo) write(path, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) remove(path string) {
	r.t.Helper()
	if err := os.Remove(filepath.Join(r.dir, filepath.FromSlash(path))); err != nil {
		r.t.Fatal(err)
	}
}

// commit stages everything and commits it one day after the last commit.
func (r *testRepo) commit(msg string) {
	r.t.Helper()
	r.day++
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
}

func doc(title, status, due string) string {
	s := "title: " + title + "\nstatus: " + status + "\n"
	if due != "" {
		s += "due: " + due + "\n"
	}
	return s + "created_at: 2026-11-01T00:00:00Z\n"
}

func (r *testRepo) mine() *History {
	r.t.Helper()
	repo, err := gitrepo.Open(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	head, err := repo.ResolveCommit("HEAD")
	if err != nil {
		r.t.Fatal(err)
	}
	h, err := Mine(repo, head)
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

func find(t *testing.T, h *History, id string) *Milestone {
	t.Helper()
	for _, m := range h.Milestones {
		if m.Known(id) {
			return m
		}
	}
	t.Fatalf("no history for %s in %+v", id, h.Milestones)
	return nil
}

func str(p *string) string {
	if p == nil {
		return "∅"
	}
	return *p
}

// summary renders changes as "field old>new" for comparison.
func summary(m *Milestone) []string {
	var s []string
	for _, c := range m.Changes {
		s = append(s, c.ID+" "+c.Field+" "+str(c.Old)+">"+str(c.New))
	}
	return s
}

func TestMineFollowsMovesRenamesAndMerges(t *testing.T) {
	r := newTestRepo(t)
	r.write(".milestones/active/beta.yaml", doc("Public beta", "planned", "2026-12-15"))
	r.write(".milestones/active/other.yaml", doc("Other", "active", ""))
	r.write("README", "not a milestone\n")
	r.commit("create beta and other")
	r.write(".milestones/active/beta.yaml", doc("Public beta", "planned", "2027-01-10"))
	r.commit("beta slips")
	r.write(".milestones/active/beta.yaml", doc("Public beta", "active", "2027-01-05"))
	r.commit("beta pulled in, active")
	// close: the file moves to completed/
	r.remove(".milestones/active/beta.yaml")
	r.write(".milestones/completed/beta.yaml", doc("Public beta", "completed", "2027-01-05"))
	r.commit("close beta")
	r.remove(".milestones/completed/beta.yaml")
	r.write(".milestones/active/beta.yaml", doc("Public beta", "active", "2027-01-05"))
	r.commit("reopen beta")
	// rename beta -> launch, content unchanged
	r.git("mv", ".milestones/active/beta.yaml", ".milestones/active/launch.yaml")
	r.commit("mv beta launch")
	// a branch slips launch; main changes other meanwhile; merge
	r.git("checkout", "-q", "-b", "side")
	r.write(".milestones/active/launch.yaml", doc("Public beta", "active", "2027-01-20"))
	r.commit("launch slips on a branch")
	r.git("checkout", "-q", "main")
	r.write(".milestones/active/other.yaml", doc("Other", "blocked", "2027-02-01"))
	r.commit("other blocked")
	r.day++
	r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
	r.git("rm", "-q", ".milestones/active/other.yaml")
	r.commit("rm other")

	h := r.mine()
	if len(h.Problems) > 0 {
		t.Fatalf("problems: %v", h.Problems)
	}
	if len(h.Milestones) != 2 {
		t.Fatalf("want 2 milestones, got %d: %+v", len(h.Milestones), h.Milestones)
	}
	launch := find(t, h, "beta")
	if launch.ID != "launch" || len(launch.FormerIDs) != 1 || launch.FormerIDs[0] != "beta" || launch.Removed {
		t.Errorf("launch: id %s, former %v, removed %v", launch.ID, launch.FormerIDs, launch.Removed)
	}
	want := []string{
		"beta status ∅>planned", "beta due ∅>2026-12-15",
		"beta due 2026-12-15>2027-01-10",
		"beta status planned>active", "beta due 2027-01-10>2027-01-05",
		"beta status active>completed",
		"beta status completed>active",
		"launch due 2027-01-05>2027-01-20", // once: the merge replays it
	}
	if got := summary(launch); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("launch changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	tot := Total(launch.Changes)
	if tot.Slips != 2 || tot.SlipDays != 26+15 || tot.PullIns != 1 || tot.PullInDays != 5 || tot.StatusChanges != 4 || tot.DueChanges != 4 {
		t.Errorf("launch totals %+v", tot)
	}
	slip := launch.Changes[len(launch.Changes)-1]
	if slip.Subject != "launch slips on a branch" || slip.Author != "Ana Tester" || slip.Email != "ana@example.com" || len(slip.Commit) != 40 {
		t.Errorf("branch slip attributed to %+v", slip)
	}
	if got := slip.Date.UTC().Format(time.DateOnly); got != "2026-11-08" {
		t.Errorf("branch slip date %s", got)
	}

	other := find(t, h, "other")
	if !other.Removed || str(other.Status) != "∅" {
		t.Errorf("other: removed %v status %s", other.Removed, str(other.Status))
	}
	wantOther := []string{"other status ∅>active", "other status active>blocked", "other due ∅>2027-02-01", "other status blocked>∅"}
	if got := summary(other); strings.Join(got, "\n") != strings.Join(wantOther, "\n") {
		t.Errorf("other changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantOther, "\n"))
	}

	// --since keeps the later changes and totals them.
	since := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	f := h.Filter(func(m *Milestone) bool { return m.Known("launch") }, since)
	if len(f.Milestones) != 1 {
		t.Fatalf("filter: %d milestones", len(f.Milestones))
	}
	if got := summary(f.Milestones[0]); len(got) != 3 || got[0] != "beta status active>completed" {
		t.Errorf("since: %v", got)
	}
	if tt := f.Milestones[0].Totals; tt.Slips != 1 || tt.SlipDays != 15 || tt.StatusChanges != 2 {
		t.Errorf("since totals %+v", tt)
	}

	// Burn-up: two open at the start; beta closed on day 4, reopened on
	// day 5; other removed on the last day.
	pts := h.BurnUp()
	got := make([]string, len(pts))
	for i, p := range pts {
		got[i] = p.Date + " " + strconv.Itoa(p.Open) + "/" + strconv.Itoa(p.Closed)
	}
	wantPts := []string{"2026-11-02 2/0", "2026-11-05 1/1", "2026-11-06 2/0", "2026-11-11 1/0"}
	if strings.Join(got, ",") != strings.Join(wantPts, ",") {
		t.Errorf("burn-up %v, want %v", got, wantPts)
	}
}

func TestMineEmptyAndBrokenDocuments(t *testing.T) {
	r := newTestRepo(t)
	h := r.mineUnborn()
	if len(h.Milestones) != 0 {
		t.Fatalf("unborn: %+v", h.Milestones)
	}
	r.write(".milestones/active/a.yaml", doc("A", "planned", "2026-12-01"))
	r.commit("a")
	r.write(".milestones/active/a.yaml", "title: A\nstatus: [broken\n")
	r.commit("break a")
	r.write(".milestones/active/a.yaml", doc("A", "planned", "2026-12-03"))
	r.commit("fix a")
	h = r.mine()
	if len(h.Problems) == 0 || !strings.Contains(strings.Join(h.Problems, "\n"), ".milestones/active/a.yaml") {
		t.Errorf("the broken version is not named: %v", h.Problems)
	}
	a := find(t, h, "a")
	if got := summary(a); len(got) != 3 || got[2] != "a due 2026-12-01>2026-12-03" || str(a.Due) != "2026-12-03" {
		// the history resumes after the broken version
		t.Errorf("a: %v due %s", summary(a), str(a.Due))
	}
}

func (r *testRepo) mineUnborn() *History {
	r.t.Helper()
	repo, err := gitrepo.Open(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	h, err := Mine(repo, "")
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}
