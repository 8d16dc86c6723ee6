package semdiff

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// history commits with increasing dates so the log order is exact.
type history struct {
	t    testing.TB
	dir  string
	tick int
}

func (h *history) git(args ...string) string {
	h.t.Helper()
	date := fmt.Sprintf("@%d +0000", 1767225600+h.tick*60)
	out, err := gittest.Run(h.dir, []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}, args...)
	if err != nil {
		h.t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(out)
}

func (h *history) commit(msg string, files map[string]string) {
	h.t.Helper()
	for p, c := range files {
		gittest.WriteFile(h.t, h.dir, p, c)
		h.git("add", "--", p)
	}
	h.tick++
	h.git("commit", "-q", "--allow-empty", "-m", msg)
}

func beta(lines ...string) string {
	return strings.Join(append([]string{"title: Beta", "created_at: 2026-01-01T00:00:00Z"}, lines...), "\n") + "\n"
}

func TestLog(t *testing.T) {
	h := &history{t: t, dir: gittest.Init(t)}
	h.commit("readme", map[string]string{"README": "hi\n"})
	h.commit("create", map[string]string{act + "beta.yaml": beta(), act + "other.yaml": "title: Other\n"})
	h.commit("update", map[string]string{act + "beta.yaml": beta("priority: high")})
	h.commit("other only", map[string]string{act + "other.yaml": "title: Other\nowner: x\n"})
	os.MkdirAll(h.dir+"/"+done, 0o777)
	h.git("mv", act+"beta.yaml", done+"beta.yaml")
	h.commit("close", map[string]string{done + "beta.yaml": beta("priority: high", "status: completed", "closed_at: 2026-02-01T00:00:00Z")})
	h.git("mv", done+"beta.yaml", act+"beta.yaml")
	h.commit("reopen", map[string]string{act + "beta.yaml": beta("priority: high", "status: active")})
	h.git("mv", act+"beta.yaml", act+"launch.yaml")
	h.commit("mv beta launch", nil)
	// A side branch and main both edit launch; the merge joins them.
	h.git("checkout", "-q", "-b", "side")
	h.commit("side: title", map[string]string{act + "launch.yaml": "title: Launch\ncreated_at: 2026-01-01T00:00:00Z\npriority: high\nstatus: active\n"})
	h.git("checkout", "-q", "main")
	h.commit("main: readme", map[string]string{"README": "hello\n"})
	h.commit("main: owner", map[string]string{act + "launch.yaml": beta("priority: high", "status: active", "owner: bo")})
	h.tick++
	h.git("merge", "-q", "--no-edit", "side")
	// The merge conflicted? Resolve by taking both edits.
	if strings.Contains(h.git("status", "--porcelain"), "UU") {
		t.Fatal("unexpected conflict")
	}
	h.git("rm", "-q", act+"launch.yaml")
	h.commit("rm launch", nil)

	repo, err := gitrepo.Open(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	head := h.git("rev-parse", "HEAD")
	entries, err := Log(repo, head, "launch")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		s := e.Subject + "=" + string(e.Kind)
		if e.OldID != "" {
			s += "(" + e.OldID + ")"
		}
		got = append(got, s)
	}
	want := []string{
		"rm launch=removed",
		"Merge branch 'side'=modified", // differs from both parents, as in git log -- path
		"main: owner=modified",
		"side: title=modified",
		"mv beta launch=renamed(beta)",
		"reopen=reopened",
		"close=closed",
		"update=modified",
		"create=added",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	byKind := map[string]LogEntry{}
	for _, e := range entries {
		byKind[e.Subject] = e
	}
	if e := byKind["close"]; e.Path != done+"beta.yaml" || e.OldPath != act+"beta.yaml" || !hasChange(e.Changes, "status", "planned", "completed") {
		t.Errorf("close entry %+v", e)
	}
	if e := byKind["update"]; !hasChange(e.Changes, "priority", "medium", "high") || e.Author != "Tester" || e.Date.Unix() != 1767225600+3*60 {
		t.Errorf("update entry %+v", e)
	}
	if e := byKind["mv beta launch"]; !hasChange(e.Changes, "id", "beta", "launch") {
		t.Errorf("mv entry %+v", e)
	}
	// The milestone's earlier id has its own, shorter history.
	entries, err = Log(repo, head, "beta")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 5 || entries[0].Subject != "mv beta launch" || entries[0].Kind != Removed {
		t.Errorf("beta log: %+v", entries)
	}
	// An id that never existed.
	if entries, err := Log(repo, head, "nothing"); err != nil || len(entries) != 0 {
		t.Errorf("nothing: %v %v", entries, err)
	}
}

func TestLogNamesUndecodableVersions(t *testing.T) {
	h := &history{t: t, dir: gittest.Init(t)}
	h.commit("create", map[string]string{act + "a.yaml": "title: A\n"})
	h.commit("break", map[string]string{act + "a.yaml": "title: [A\n"})
	h.commit("fix", map[string]string{act + "a.yaml": "title: A2\n"})
	repo, _ := gitrepo.Open(h.dir)
	entries, err := Log(repo, h.git("rev-parse", "HEAD"), "a")
	if err != nil || len(entries) != 3 {
		t.Fatalf("%v %+v", err, entries)
	}
	for _, e := range entries[:2] {
		if !strings.Contains(e.Error, ".milestones/active/a.yaml:") {
			t.Errorf("%s: error %q", e.Subject, e.Error)
		}
	}
}

func hasChange(cs []Change, field string, old, new any) bool {
	for _, c := range cs {
		if c.Field == field && fmt.Sprint(c.Old) == fmt.Sprint(old) && fmt.Sprint(c.New) == fmt.Sprint(new) {
			return true
		}
	}
	return false
}

// fastImport builds history in one git process.
func fastImport(t testing.TB, dir string, stream []byte) {
	t.Helper()
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stream)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fast-import: %v\n%s", err, out)
	}
}

// benchDoc is a typical milestone document.
func benchDoc(i, version int) string {
	return fmt.Sprintf("title: Milestone %d of the roadmap\nstatus: active\npriority: high\nowner: owner%d@example.com\n"+
		"due: 2027-%02d-%02d\nlabels: [team%d, area%d]\nprogress: %d\ndescription: |\n  Work item %d: ship it.\n  Second line.\n"+
		"created_at: 2026-01-01T00:00:00Z\nupdated_at: 2026-01-01T00:%02d:00Z\n", i, i%37, i%12+1, version%28+1, i%10, i%7, version%101, i, version%60)
}

type streamWriter struct {
	bytes.Buffer
	n int
}

func (s *streamWriter) commit(files map[string]string, deletes ...string) {
	s.n++
	fmt.Fprintf(&s.Buffer, "commit refs/heads/main\nmark :%d\nauthor B <b@example.com> %d +0000\ncommitter B <b@example.com> %d +0000\n", s.n, 1767225600+s.n, 1767225600+s.n)
	msg := fmt.Sprintf("commit %d", s.n)
	fmt.Fprintf(&s.Buffer, "data %d\n%s\n", len(msg), msg)
	if s.n > 1 {
		fmt.Fprintf(&s.Buffer, "from :%d\n", s.n-1)
	}
	for _, d := range deletes {
		fmt.Fprintf(&s.Buffer, "D %s\n", d)
	}
	for p, c := range files {
		fmt.Fprintf(&s.Buffer, "M 100644 inline %s\ndata %d\n%s\n", p, len(c), c)
	}
}

// benchRepo has n milestones in one commit, then commits-1 commits that
// each change one milestone (milestone 0 every tenth commit).
func benchRepo(b *testing.B, n, commits int) (dir string) {
	dir = gittest.Init(b)
	var s streamWriter
	all := map[string]string{}
	for i := 0; i < n; i++ {
		all[fmt.Sprintf("%sm-%04d.yaml", act, i)] = benchDoc(i, 0)
	}
	s.commit(all)
	for c := 1; c < commits; c++ {
		i := c % n
		if c%10 == 0 {
			i = 0
		}
		s.commit(map[string]string{fmt.Sprintf("%sm-%04d.yaml", act, i): benchDoc(i, c)})
	}
	fastImport(b, dir, s.Bytes())
	return dir
}

// BenchmarkLog: `log` of one milestone over 1,000 commits in a repository
// of 1,000 milestones (fresh repository handle each time, as a process has).
func BenchmarkLog(b *testing.B) {
	dir := benchRepo(b, 1000, 1000)
	head := gittest.Git(b, dir, "rev-parse", "HEAD")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		repo, err := gitrepo.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		entries, err := Log(repo, head, "m-0000")
		if err != nil || len(entries) != 100 {
			b.Fatalf("%d entries, %v", len(entries), err)
		}
	}
}

// BenchmarkDiffRange: a range changing 100 of 1,000 milestones.
func BenchmarkDiffRange(b *testing.B) {
	dir := gittest.Init(b)
	var s streamWriter
	all := map[string]string{}
	for i := 0; i < 1000; i++ {
		all[fmt.Sprintf("%sm-%04d.yaml", act, i)] = benchDoc(i, 0)
	}
	s.commit(all)
	changed := map[string]string{}
	for i := 0; i < 1000; i += 10 {
		changed[fmt.Sprintf("%sm-%04d.yaml", act, i)] = benchDoc(i, 1)
	}
	s.commit(changed)
	fastImport(b, dir, s.Bytes())
	os.WriteFile(dir+"/.bench-ok", nil, 0o644)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		repo, err := gitrepo.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		a, err1 := repo.ResolveCommit("main~1")
		c, err2 := repo.ResolveCommit("main")
		if err1 != nil || err2 != nil {
			b.Fatal(err1, err2)
		}
		old, _ := TreeSnapshot(repo, a, "main~1")
		new, _ := TreeSnapshot(repo, c, "main")
		entries, problems := Compare(old, new)
		if len(entries) != 100 || len(problems) != 0 {
			b.Fatalf("%d entries, %v", len(entries), problems)
		}
		var out bytes.Buffer
		WriteJSON(&out, entries)
	}
}
