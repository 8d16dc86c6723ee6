package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testRepo is a real git repository in a temporary directory, set up for
// git-milestone, whose commands the tests call as functions: nothing here
// starts git-milestone as a process.
type testRepo struct {
	t   *testing.T
	dir string
	now time.Time // the clock; each command line run by main moves it an hour on
}

// newTestRepo runs git init and then git-milestone's init in-process.
func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	setTestEnv(t)
	r := newGitRepo(t, "repo")
	r.main("init")
	return r
}

// setTestEnv gives the test a home of its own, no system git config and
// the test identity.
func setTestEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_AUTHOR_NAME", "Ana Tester")
	t.Setenv("GIT_AUTHOR_EMAIL", "ana@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "Ana Tester")
	t.Setenv("GIT_COMMITTER_EMAIL", "ana@example.com")
}

// newGitRepo runs git init in a new folder named name (nothing of
// git-milestone's yet).
func newGitRepo(t *testing.T, name string) *testRepo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("git", "init", "-q", "-b", "main", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	return &testRepo{t: t, dir: dir, now: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
}

// env is an Env on r with fresh buffers for its output.
func (r *testRepo) env() (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	now := r.now
	return &Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errOut,
		Getenv: os.Getenv,
		Dir:    r.dir,
		Now:    func() time.Time { return now },
	}, &out, &errOut
}

// main runs a whole command line in-process (for set-up steps whose
// commands have no run function yet) and fails the test on an error.
func (r *testRepo) main(args ...string) string {
	r.t.Helper()
	r.now = r.now.Add(time.Hour)
	env, out, errOut := r.env()
	if code := Main(append([]string{"git-milestone"}, args...), *env); code != ExitOK {
		r.t.Fatalf("git milestone %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out.String()
}

// git runs the real git CLI in r and returns its output.
func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestRunShow(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Public beta", "--priority", "high", "--due", "2026-12-15")
	r.main("create", "Launch")
	ctx := context.Background()

	env, out, _ := r.env()
	if err := runShow(ctx, env, showOptions{IDs: []string{"public-beta"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Public beta") || !strings.Contains(out.String(), "2026-12-15") {
		t.Errorf("show printed:\n%s", out)
	}

	env, out, _ = r.env()
	if err := runShow(ctx, env, showOptions{IDs: []string{"public-beta", "launch"}, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	if len(got) != 2 || got[0]["id"] != "public-beta" || got[1]["id"] != "launch" || got[0]["priority"] != "high" {
		t.Errorf("show --json of two ids: %v", got)
	}

	env, out, _ = r.env()
	if err := runShow(ctx, env, showOptions{IDs: []string{"launch"}, YAML: true}); err != nil {
		t.Fatal(err)
	}
	if file := r.git("show", "HEAD:.milestones/active/launch.yaml"); out.String() != file {
		t.Errorf("show --yaml printed\n%s\nthe committed file is\n%s", out, file)
	}

	env, _, _ = r.env()
	if err := runShow(ctx, env, showOptions{IDs: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("show of an unknown id: %v", err)
	}
}

func TestRunStats(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Old", "--priority", "high", "--due", "2026-11-01")
	r.main("create", "New")
	ctx := context.Background()

	env, out, _ := r.env()
	if err := runStats(ctx, env, statsOptions{JSON: true}); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Total      int            `json:"total"`
		ByPriority map[string]int `json:"by_priority"`
		Overdue    int            `json:"overdue"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, out)
	}
	if st.Total != 2 || st.ByPriority["high"] != 1 || st.Overdue != 1 {
		t.Errorf("stats --json: %+v\n%s", st, out)
	}

	env, out, _ = r.env()
	if err := runStats(ctx, env, statsOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"total      2\n", "overdue    1\n", "oldest     old  Old"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stats lacks %q:\n%s", want, out)
		}
	}
}

func TestRunEvents(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "One")
	r.main("create", "Two")
	ctx := context.Background()

	env, out, _ := r.env()
	if err := runEvents(ctx, env, eventsOptions{Tail: 1, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var evs []map[string]any
	if err := json.Unmarshal(out.Bytes(), &evs); err != nil {
		t.Fatalf("events --json: %v\n%s", err, out)
	}
	if len(evs) != 1 {
		t.Errorf("events --tail 1: %v", evs)
	}

	env, out, _ = r.env()
	if err := runEvents(ctx, env, eventsOptions{JSON: true}); err != nil {
		t.Fatal(err)
	}
	evs = nil
	if err := json.Unmarshal(out.Bytes(), &evs); err != nil {
		t.Fatalf("events --json: %v\n%s", err, out)
	}
	var created []any
	for _, e := range evs {
		if e["event"] != "performance_metric" {
			created = append(created, e["milestone_id"])
		}
	}
	if len(created) < 2 || created[len(created)-2] != "one" || created[len(created)-1] != "two" {
		t.Errorf("events: the milestones of the last events are %v, want ... one two\n%s", created, out)
	}

	env, out, _ = r.env()
	if err := runEvents(ctx, env, eventsOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), " one") || !strings.Contains(out.String(), " two") {
		t.Errorf("events lacks the creations:\n%s", out)
	}
}

// listIDs runs list (or search, with text) and returns the ids it prints.
func listIDs(t *testing.T, r *testRepo, opts listOptions) []string {
	t.Helper()
	env, out, _ := r.env()
	opts.JSON = true
	if err := runList(context.Background(), env, opts); err != nil {
		t.Fatalf("list %+v: %v", opts, err)
	}
	var recs []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out.Bytes(), &recs); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	ids := []string{}
	for _, rec := range recs {
		ids = append(ids, rec.ID)
	}
	return ids
}

func TestRunListAndSearch(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Public beta", "--priority", "high", "--due", "2026-12-15", "--label", "release")
	r.main("create", "Café opening", "--priority", "low", "--due", "2026-11-20")
	r.main("create", "Old thing")
	r.main("close", "old-thing")

	tests := []struct {
		name string
		opts listOptions
		want []string
	}{
		{"open by default", listOptions{}, []string{"cafe-opening", "public-beta"}},
		{"all", listOptions{Query: queryOptions{All: true}}, []string{"cafe-opening", "old-thing", "public-beta"}},
		{"priority list", listOptions{Query: queryOptions{Priorities: []string{"high,critical"}}}, []string{"public-beta"}},
		{"label", listOptions{Query: queryOptions{Labels: []string{"release"}}}, []string{"public-beta"}},
		{"overdue", listOptions{Query: queryOptions{Overdue: true}}, []string{"cafe-opening"}},
		{"due before", listOptions{Query: queryOptions{DueBefore: "2026-12-01"}}, []string{"cafe-opening"}},
		{"sort and limit", listOptions{Query: queryOptions{Sort: "priority", Limit: 1}}, []string{"public-beta"}},
		{"search folds accents", listOptions{Text: "cafe", Query: queryOptions{All: true}}, []string{"cafe-opening"}},
		{"search every word", listOptions{Text: "public release", Query: queryOptions{All: true}}, []string{"public-beta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listIDs(t, r, tt.opts)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	env, out, _ := r.env()
	if err := runList(context.Background(), env, listOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "public-beta") || strings.Contains(out.String(), "old-thing") {
		t.Errorf("list table:\n%s", out)
	}

	env, _, _ = r.env()
	err := runList(context.Background(), env, listOptions{Query: queryOptions{Statuses: []string{"nonsense"}}})
	if err == nil || ExitCode(err) != ExitRefused || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("list --status nonsense: %v (exit %d)", err, ExitCode(err))
	}
}

// showJSON returns the milestone id as show --json prints it.
func showJSON(t *testing.T, r *testRepo, id string) map[string]any {
	t.Helper()
	env, out, _ := r.env()
	if err := runShow(context.Background(), env, showOptions{IDs: []string{id}, JSON: true}); err != nil {
		t.Fatalf("show %s: %v", id, err)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	return m
}

func TestRunCreateUpdateCloseReopen(t *testing.T) {
	r := newTestRepo(t)
	ctx := context.Background()
	commits := func() int { return len(strings.Fields(r.git("rev-list", "HEAD"))) }
	before := commits()

	env, out, errOut := r.env()
	err := runCreate(ctx, env, createOptions{Title: "Public beta", SetTitle: true,
		Edits: &fieldEdits{text: map[string]string{"priority": "high", "due": "2026-12-15"}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "public-beta\n" || !strings.Contains(errOut.String(), "Created public-beta") {
		t.Errorf("create printed %q, %q", out, errOut)
	}
	if got := commits(); got != before+1 {
		t.Errorf("create made %d commits, want 1", got-before)
	}
	if msg := r.git("log", "-1", "--format=%s"); msg != "milestone(public-beta): create Public beta\n" {
		t.Errorf("commit message %q", msg)
	}
	if m := showJSON(t, r, "public-beta"); m["priority"] != "high" || m["due"] != "2026-12-15" || m["status"] != "planned" {
		t.Errorf("created: %v", m)
	}

	env, _, _ = r.env()
	err = runCreate(ctx, env, createOptions{Title: "Again", SetTitle: true, ID: "public-beta"})
	if err == nil || ExitCode(err) != ExitRefused || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("create of an existing id: %v", err)
	}

	env, _, _ = r.env()
	err = runUpdate(ctx, env, mutateOptions{IDs: []string{"public"}}, &fieldEdits{text: map[string]string{"status": "active"}})
	if err != nil {
		t.Fatal(err)
	}
	if m := showJSON(t, r, "public-beta"); m["status"] != "active" || m["priority"] != "high" {
		t.Errorf("updated by prefix: %v", m)
	}

	env, out, _ = r.env()
	if err := runClose(ctx, env, mutateOptions{IDs: []string{"public-beta"}, JSON: true, Message: "ship it"}, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"status":"cancelled"`) {
		t.Errorf("close --cancelled --json printed %s", out)
	}
	if msg := r.git("log", "-1", "--format=%s"); msg != "ship it\n" {
		t.Errorf("close -m: commit message %q", msg)
	}
	r.git("cat-file", "-e", "HEAD:.milestones/completed/public-beta.yaml")

	env, _, _ = r.env()
	if err := runClose(ctx, env, mutateOptions{IDs: []string{"public-beta"}}, true); err == nil || !strings.Contains(err.Error(), "already cancelled") {
		t.Errorf("closing twice: %v", err)
	}

	head := r.git("rev-parse", "HEAD")
	env, _, _ = r.env()
	if err := runReopen(ctx, env, mutateOptions{IDs: []string{"public-beta"}, NoCommit: true}); err != nil {
		t.Fatal(err)
	}
	if r.git("rev-parse", "HEAD") != head {
		t.Error("reopen --no-commit made a commit")
	}
	if m := showJSON(t, r, "public-beta"); m["status"] != "active" || m["closed_at"] != nil {
		t.Errorf("reopened: %v", m)
	}
}

func TestRunRmAndMv(t *testing.T) {
	r := newTestRepo(t)
	ctx := context.Background()
	r.main("create", "Base")
	r.main("create", "Top", "--depends-on", "base")
	r.main("create", "Gone")

	env, out, _ := r.env()
	if err := runMv(ctx, env, mvOptions{Old: "bas", New: "core"}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "core\n" {
		t.Errorf("mv printed %q", out)
	}
	if deps := showJSON(t, r, "top")["depends_on"]; len(deps.([]any)) != 1 || deps.([]any)[0] != "core" {
		t.Errorf("mv did not rewrite top's depends_on: %v", deps)
	}
	if files := r.git("ls-tree", "-r", "--name-only", "HEAD", ".milestones/active"); strings.Contains(files, "base.yaml") || !strings.Contains(files, "core.yaml") {
		t.Errorf("after mv the tree holds:\n%s", files)
	}

	env, _, _ = r.env()
	if err := runMv(ctx, env, mvOptions{Old: "core", New: "Not An Id"}); err == nil || ExitCode(err) != ExitRefused {
		t.Errorf("mv to a bad id: %v", err)
	}

	env, _, _ = r.env()
	err := runRm(ctx, env, rmOptions{mutateOptions: mutateOptions{IDs: []string{"core"}}})
	if err == nil || ExitCode(err) != ExitRefused || !strings.Contains(err.Error(), "top (depends on core)") {
		t.Errorf("rm of a milestone others depend on: %v", err)
	}

	env, out, _ = r.env()
	if err := runRm(ctx, env, rmOptions{mutateOptions: mutateOptions{IDs: []string{"core", "gone"}, JSON: true}, Force: true}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Removed []string         `json:"removed"`
		Updated []map[string]any `json:"updated"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("rm --json: %v\n%s", err, out)
	}
	if strings.Join(got.Removed, " ") != "core gone" || len(got.Updated) != 1 || got.Updated[0]["id"] != "top" {
		t.Errorf("rm --force --json: %s", out)
	}
	if ids := listIDs(t, r, listOptions{Query: queryOptions{All: true}}); strings.Join(ids, " ") != "top" {
		t.Errorf("after rm the milestones are %v", ids)
	}
	if deps := showJSON(t, r, "top")["depends_on"]; len(deps.([]any)) != 0 {
		t.Errorf("rm --force left top's depends_on: %v", deps)
	}
}

func TestRunFsck(t *testing.T) {
	r := newTestRepo(t)
	ctx := context.Background()
	r.main("create", "Fine")

	env, out, _ := r.env()
	if err := runFsck(ctx, env, fsckOptions{JSON: true}); err != nil {
		t.Fatalf("fsck of a sound repository: %v\n%s", err, out)
	}
	var report struct {
		OK         bool     `json:"ok"`
		Milestones int      `json:"milestones"`
		Problems   []string `json:"problems"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("fsck --json: %v\n%s", err, out)
	}
	if !report.OK || report.Milestones != 1 || len(report.Problems) != 0 {
		t.Errorf("fsck --json: %s", out)
	}

	bad := filepath.Join(r.dir, ".milestones", "active", "broken.yaml")
	if err := os.WriteFile(bad, []byte("id: broken\ntitle: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env, out, errOut := r.env()
	err := runFsck(ctx, env, fsckOptions{})
	if err == nil || ExitCode(err) != ExitFailed {
		t.Errorf("fsck with a broken document: %v (exit %d)", err, ExitCode(err))
	}
	if !strings.Contains(out.String(), "broken.yaml") || !strings.Contains(errOut.String(), "1 problem(s)") {
		t.Errorf("fsck printed %q and %q", out, errOut)
	}
}

func TestRunDiff(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Beta", "--due", "2026-12-15")
	r.main("update", "beta", "--due", "2026-12-20", "--no-commit")

	env, out, _ := r.env()
	if err := runDiff(env, diffOptions{Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var entries []struct {
		ID      string `json:"id"`
		Kind    string `json:"kind"`
		Changes []struct {
			Field string `json:"field"`
			Old   any    `json:"old"`
			New   any    `json:"new"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(out.Bytes(), &entries); err != nil {
		t.Fatalf("diff --json: %v\n%s", err, out)
	}
	found := false
	for _, e := range entries {
		for _, ch := range e.Changes {
			if e.ID == "beta" && e.Kind == "modified" && ch.Field == "due" && ch.Old == "2026-12-15" && ch.New == "2026-12-20" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("diff of the work tree lacks beta's due change: %s", out)
	}

	env, out, _ = r.env()
	if err := runDiff(env, diffOptions{Rev: "HEAD~1..HEAD", Format: "text"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "beta") {
		t.Errorf("diff HEAD~1..HEAD (the creation) printed:\n%s", out)
	}

	env, _, _ = r.env()
	if err := runDiff(env, diffOptions{Format: "html"}); err == nil || ExitCode(err) != ExitRefused {
		t.Errorf("diff --format html: %v", err)
	}
}

func TestRunLog(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Beta", "--due", "2026-12-15")
	r.main("update", "beta", "--due", "2026-12-20")
	r.main("create", "Other")

	logOf := func(opts logOptions) []map[string]any {
		t.Helper()
		env, out, _ := r.env()
		opts.JSON = true
		if err := runLog(env, opts); err != nil {
			t.Fatalf("log %+v: %v", opts, err)
		}
		var entries []map[string]any
		if err := json.Unmarshal(out.Bytes(), &entries); err != nil {
			t.Fatalf("log --json: %v\n%s", err, out)
		}
		return entries
	}
	beta := logOf(logOptions{ID: "bet", OneID: true})
	if len(beta) != 2 || beta[0]["kind"] != "modified" || beta[1]["kind"] != "added" {
		t.Errorf("log beta: %v", beta)
	}
	if all := logOf(logOptions{}); len(all) != 3 || all[0]["id"] != "other" {
		t.Errorf("log of the repository: %v", all)
	}
	if one := logOf(logOptions{MaxCount: 1, MaxCountSet: true}); len(one) != 1 {
		t.Errorf("log -n 1: %v", one)
	}
	if none := logOf(logOptions{Author: "nobody"}); len(none) != 0 {
		t.Errorf("log --author nobody: %v", none)
	}

	env, _, _ := r.env()
	if err := runLog(env, logOptions{MaxCount: -1}); err == nil || ExitCode(err) != ExitRefused {
		t.Errorf("log -n -1: %v", err)
	}
}
