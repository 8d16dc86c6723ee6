package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/pgtest"
)

// The run functions of the commands converted after those of run_test.go,
// called in-process on a real git repository (testRepo), their effects
// checked with the real git CLI.

func TestRunHistory(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Public beta", "--id", "beta", "--due", "2026-12-15")
	r.main("create", "Other", "--id", "other")
	r.main("update", "beta", "--due", "2027-01-10")
	r.main("mv", "beta", "launch")
	ctx := context.Background()

	env, out, _ := r.env()
	if err := runHistory(ctx, env, historyOptions{ID: "beta", OneID: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"launch  Public beta  (formerly beta)\n", "2026-12-15 → 2027-01-10  (slipped 26 days)", "slipped once, 26 days in all"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("history beta lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "other") {
		t.Errorf("history beta shows another milestone:\n%s", out)
	}

	env, out, _ = r.env()
	if err := runHistory(ctx, env, historyOptions{JSON: true}); err != nil {
		t.Fatal(err)
	}
	var all []struct {
		ID        string   `json:"id"`
		FormerIDs []string `json:"former_ids"`
		Changes   []struct {
			Field  string `json:"field"`
			Commit string `json:"commit"`
		} `json:"changes"`
		Totals struct {
			Slips    int `json:"slips"`
			SlipDays int `json:"slip_days"`
		} `json:"totals"`
	}
	if err := json.Unmarshal(out.Bytes(), &all); err != nil {
		t.Fatalf("history --json: %v\n%s", err, out)
	}
	byID := map[string]int{}
	for i, m := range all {
		byID[m.ID] = i
	}
	i, ok := byID["launch"]
	if _, other := byID["other"]; !ok || !other || len(all) != 2 {
		t.Fatalf("history --json of the repository: %s", out)
	}
	launch := all[i]
	if strings.Join(launch.FormerIDs, " ") != "beta" || launch.Totals.Slips != 1 || launch.Totals.SlipDays != 26 {
		t.Errorf("history --json, launch: %+v", launch)
	}
	// Each change names a real commit of the repository.
	for _, c := range launch.Changes {
		r.git("cat-file", "-e", c.Commit+"^{commit}")
	}

	env, out, _ = r.env()
	if err := runHistory(ctx, env, historyOptions{Since: "2999-01-01"}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "No changes of due date or status in history.\n" {
		t.Errorf("history --since in the future printed %q", out)
	}

	env, _, _ = r.env()
	if err := runHistory(ctx, env, historyOptions{Since: "last year"}); err == nil || ExitCode(err) != ExitRefused {
		t.Errorf("history --since 'last year': %v", err)
	}
	env, _, _ = r.env()
	if err := runHistory(ctx, env, historyOptions{ID: "nope", OneID: true}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("history of an unknown id: %v", err)
	}
}

func TestRunGraph(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Database", "--id", "db", "--due", "2026-11-01")
	r.main("create", "API freeze", "--id", "api", "--due", "2026-12-20")
	r.main("create", "Public beta", "--id", "beta", "--due", "2026-12-15", "--depends-on", "api", "--depends-on", "db")
	r.main("close", "db")
	ctx := context.Background()

	env, out, _ := r.env()
	if err := runGraph(ctx, env, graphOptions{Format: "dot"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"digraph milestones {", `"api" -> "beta";`, `"db" -> "beta" [style=dashed, color=gray];`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("graph (DOT) lacks %q:\n%s", want, out)
		}
	}

	env, out, _ = r.env()
	if err := runGraph(ctx, env, graphOptions{Format: "mermaid"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "flowchart LR\n") || !strings.Contains(out.String(), "API freeze") {
		t.Errorf("graph --format mermaid:\n%s", out)
	}

	env, out, _ = r.env()
	if err := runGraph(ctx, env, graphOptions{Format: "dot", JSON: true}); err != nil {
		t.Fatal(err)
	}
	var g struct {
		Nodes []struct {
			ID     string `json:"id"`
			Closed bool   `json:"closed"`
		} `json:"nodes"`
		Edges []struct {
			From, To string
			Closed   bool `json:"closed"`
		} `json:"edges"`
	}
	if err := json.Unmarshal(out.Bytes(), &g); err != nil {
		t.Fatalf("graph --json: %v\n%s", err, out)
	}
	edges := map[string]bool{}
	for _, e := range g.Edges {
		edges[e.From+"->"+e.To] = e.Closed
	}
	if closed, ok := edges["db->beta"]; len(g.Edges) != 2 || !ok || !closed || edges["api->beta"] {
		t.Errorf("graph --json edges: %+v", g.Edges)
	}

	env, out, _ = r.env()
	if err := runGraph(ctx, env, graphOptions{Format: "dot", CriticalPath: "bet", CriticalPathSet: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "Critical path to beta (finishes 2026-12-20): AT RISK\n") ||
		!strings.Contains(out.String(), "AT RISK: due after beta (2026-12-15)") {
		t.Errorf("graph --critical-path bet:\n%s", out)
	}

	env, _, _ = r.env()
	if err := runGraph(ctx, env, graphOptions{Format: "svg"}); err == nil || ExitCode(err) != ExitRefused {
		t.Errorf("graph --format svg: %v", err)
	}
	env, _, _ = r.env()
	if err := runGraph(ctx, env, graphOptions{Format: "dot", CriticalPathSet: true}); err == nil || ExitCode(err) != ExitRefused {
		t.Errorf("graph --critical-path '': %v", err)
	}
}

// exported runs export with opts and returns what it printed.
func exported(t *testing.T, r *testRepo, opts exportOptions) string {
	t.Helper()
	env, out, _ := r.env()
	if err := runExport(context.Background(), env, opts); err != nil {
		t.Fatalf("export %+v: %v", opts, err)
	}
	return out.String()
}

func TestRunExportAndImport(t *testing.T) {
	src := newTestRepo(t)
	src.main("create", "Public beta, \"quoted\"", "--id", "beta", "--priority", "high", "--label", "web",
		"--due", "2026-12-15", "--description", "Line one: # not a comment")
	src.main("create", "API freeze", "--id", "api", "--status", "active")
	src.main("update", "beta", "--depends-on", "api", "--progress", "40", "--set", "x-team=core")
	src.main("close", "api")
	ctx := context.Background()

	all := exported(t, src, exportOptions{Format: "json"})
	if list := listJSON(t, src); all != list {
		t.Errorf("export --format json differs from list --all --json:\n%s\n%s", all, list)
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(all), &recs); err != nil || len(recs) != 2 || recs[0]["id"] != "api" || recs[1]["x-team"] != "core" {
		t.Fatalf("export --format json: %v\n%s", err, all)
	}

	// The round trip: import --from json into another repository, in one
	// commit, gives the same export back.
	file := filepath.Join(t.TempDir(), "all.json")
	if err := os.WriteFile(file, []byte(all), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := newTestRepo(t)
	head := strings.TrimSpace(dst.git("rev-parse", "HEAD"))
	env, out, errOut := dst.env()
	if err := runImport(ctx, env, importOptions{From: "json", Arg: file, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "create    entry 2 (id beta) -> .milestones/active/beta.yaml\n") || !strings.Contains(errOut.String(), "Dry run, nothing written. json: 2 created") {
		t.Errorf("import --dry-run printed %q and %q", out, errOut)
	}
	if strings.TrimSpace(dst.git("rev-parse", "HEAD")) != head {
		t.Error("import --dry-run made a commit")
	}
	env, _, errOut = dst.env()
	if err := runImport(ctx, env, importOptions{From: "json", Arg: file}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "Imported json: 2 created, 0 updated, 0 unchanged (commit ") {
		t.Errorf("import printed %q", errOut)
	}
	if n := dst.git("rev-list", "--count", head+"..HEAD"); n != "1\n" {
		t.Errorf("import made %s commits, want 1", n)
	}
	if msg := dst.git("log", "-1", "--format=%s"); msg != "milestone: import from json (2 created, 0 updated)\n" {
		t.Errorf("import commit message %q", msg)
	}
	dst.git("cat-file", "-e", "HEAD:.milestones/completed/api.yaml")
	if back := exported(t, dst, exportOptions{Format: "json"}); back != all {
		t.Errorf("export after import differs:\n%s\nwant\n%s", back, all)
	}

	// From stdin, again: nothing to do.
	env, _, errOut = dst.env()
	env.Stdin = strings.NewReader(all)
	if err := runImport(ctx, env, importOptions{From: "json", Arg: "-", JSON: false}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "Nothing to import (json: 0 created, 0 updated, 2 unchanged)") {
		t.Errorf("second import printed %q", errOut)
	}
	env, _, _ = dst.env()
	env.Stdin = strings.NewReader("[{")
	if err := runImport(ctx, env, importOptions{From: "json", Arg: "-"}); err == nil || ExitCode(err) != ExitRefused {
		t.Errorf("import of broken JSON: %v", err)
	}
	env, _, _ = dst.env()
	if err := runImport(ctx, env, importOptions{From: "trello", Arg: file}); err == nil || ExitCode(err) != ExitRefused || !strings.Contains(err.Error(), "trello") {
		t.Errorf("import --from trello: %v", err)
	}

	csv := exported(t, src, exportOptions{Format: "csv"})
	if !strings.HasPrefix(csv, "id,title,status,priority,") || !strings.Contains(csv, "\r\nbeta,\"Public beta, \"\"quoted\"\"\",planned,high,") {
		t.Errorf("export --format csv:\n%s", csv)
	}
	var bodies []map[string]any
	if err := json.Unmarshal([]byte(exported(t, src, exportOptions{To: "github"})), &bodies); err != nil || len(bodies) != 2 || bodies[1]["x_id"] != "beta" {
		t.Errorf("export --to github: %v %v", err, bodies)
	}

	env, out, errOut = src.env()
	if err := runExport(ctx, env, exportOptions{Format: "markdown", Output: "roadmap.md"}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(src.dir, "roadmap.md"))
	if err != nil || out.Len() != 0 || errOut.String() != "Exported 2 milestone(s) to roadmap.md\n" || !bytes.Contains(md, []byte("| beta |")) {
		t.Errorf("export -o roadmap.md: %v, stdout %q, stderr %q, file:\n%s", err, out, errOut, md)
	}

	for _, bad := range []exportOptions{{}, {Format: "csv", To: "github"}, {Format: "pdf"}, {To: "jira"}} {
		env, _, _ := src.env()
		if err := runExport(ctx, env, bad); err == nil || ExitCode(err) != ExitRefused {
			t.Errorf("export %+v: %v", bad, err)
		}
	}
}

// listJSON is list --all --json.
func listJSON(t *testing.T, r *testRepo) string {
	t.Helper()
	env, out, _ := r.env()
	if err := runList(context.Background(), env, listOptions{Query: queryOptions{All: true}, JSON: true}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestRunReport(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "API freeze", "--id", "api", "--status", "active", "--due", "2026-12-20")
	r.main("create", "Beta <script>", "--id", "beta", "--due", "2026-12-15", "--depends-on", "api")
	r.main("update", "beta", "--due", "2026-12-18")
	ctx := context.Background()

	env, out, _ := r.env()
	if err := runReport(ctx, env, reportOptions{HTML: true}); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	for _, want := range []string{"<title>Roadmap: repo</title>", "Beta &lt;script&gt;", `class="bar atrisk"`} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("report holds a script element")
	}

	env, out, errOut := r.env()
	if err := runReport(ctx, env, reportOptions{HTML: true, Output: "roadmap.html", Title: "Q4 & more"}); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(r.dir, "roadmap.html"))
	if err != nil || out.Len() != 0 || errOut.String() != "wrote roadmap.html\n" || !bytes.Contains(file, []byte("<title>Roadmap: Q4 &amp; more</title>")) {
		t.Errorf("report -o roadmap.html --title: %v, stdout %q, stderr %q", err, out, errOut)
	}

	env, _, _ = r.env()
	if err := runReport(ctx, env, reportOptions{}); err == nil || ExitCode(err) != ExitRefused || !strings.Contains(err.Error(), "--html") {
		t.Errorf("report without --html: %v", err)
	}
}

// The roll-ups need a database in PostgreSQL mode: outside one they are refused.
func TestRunRollupRefused(t *testing.T) {
	r := newTestRepo(t)
	ctx := context.Background()
	env, _, _ := r.env()
	err := runRollupList(ctx, env, listOptions{}, rollupOptions{AllProjects: true})
	if err == nil || ExitCode(err) != ExitRefused || !strings.Contains(err.Error(), "uses the file backend") {
		t.Errorf("list --all-projects in file mode: %v", err)
	}
	env, _, _ = r.env()
	err = runRollupStats(ctx, env, statsOptions{}, rollupOptions{Projects: []string{"web"}, ProjectSet: true})
	if err == nil || ExitCode(err) != ExitRefused || !strings.Contains(err.Error(), "add --all-projects") {
		t.Errorf("stats --project without --all-projects: %v", err)
	}
	env, _, _ = r.env()
	err = runReport(ctx, env, reportOptions{HTML: true, Rollup: rollupOptions{AllProjects: true}})
	if err == nil || ExitCode(err) != ExitRefused {
		t.Errorf("report --all-projects in file mode: %v", err)
	}
}

// newPostgresRepo is a repository named name (with a root commit: the
// project key) in PostgreSQL database mode on the database DATABASE_URL
// names, in the environment setTestEnv sets up.
func newPostgresRepo(t *testing.T, name string) *testRepo {
	t.Helper()
	r := newGitRepo(t, name)
	r.git("commit", "-q", "--allow-empty", "-m", name+" root")
	r.main("init", "--backend", "database", "--database-type", "postgresql")
	return r
}

func TestRunRollupPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t, "gm_rollup")
	setTestEnv(t)
	t.Setenv("DATABASE_URL", url)
	web := newPostgresRepo(t, "web")
	cfg := filepath.Join(web.dir, ".milestones", "config", "storage-config.yaml")
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("project:\n  name: Web shop\n")
	f.Close()
	web.git("config", "user.email", "ana@example.com")
	web.main("create", "Public beta", "--id", "beta", "--due", "2026-11-20", "--priority", "low", "--owner", "ana@example.com")
	web.main("create", "Checkout", "--id", "checkout", "--due", "2027-01-10", "--priority", "high", "--depends-on", "beta")
	mobile := newPostgresRepo(t, "mobile")
	mobile.main("create", "App store beta", "--id", "beta", "--priority", "critical")
	mobile.main("create", "Push", "--id", "push", "--owner", "bo@example.com")
	mobile.main("close", "push")
	ctx := context.Background()

	type row struct {
		ID      string `json:"id"`
		Project struct {
			Key  string `json:"key"`
			Name string `json:"name"`
		} `json:"project"`
	}
	rollup := func(opts listOptions, sel rollupOptions) []string {
		t.Helper()
		env, out, _ := web.env()
		opts.JSON = true
		if err := runRollupList(ctx, env, opts, sel); err != nil {
			t.Fatalf("list --all-projects %+v: %v", opts, err)
		}
		var rows []row
		if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
			t.Fatalf("list --all-projects --json: %v\n%s", err, out)
		}
		var got []string
		for _, r := range rows {
			if len(r.Project.Key) != 40 {
				t.Errorf("row %s: project key %q", r.ID, r.Project.Key)
			}
			got = append(got, r.Project.Name+":"+r.ID)
		}
		return got
	}
	all := rollupOptions{AllProjects: true}
	tests := []struct {
		name string
		opts listOptions
		sel  rollupOptions
		want string
	}{
		{"open ones", listOptions{}, all, "mobile:beta Web shop:beta Web shop:checkout"},
		{"all", listOptions{Query: queryOptions{All: true}}, all, "mobile:beta mobile:push Web shop:beta Web shop:checkout"},
		{"one project by name", listOptions{}, rollupOptions{AllProjects: true, Projects: []string{"WEB SHOP"}, ProjectSet: true}, "Web shop:beta Web shop:checkout"},
		{"blocked", listOptions{Blocked: true}, all, "Web shop:checkout"},
		{"limit over all", listOptions{Query: queryOptions{Limit: 2}}, all, "mobile:beta Web shop:beta"},
		{"search", listOptions{Text: "beta", Query: queryOptions{All: true}}, all, "mobile:beta Web shop:beta"},
		// As in runList: @me is the git user.email, a reversed key or
		// several keys are sorted here (the database sorts by one key).
		{"owner @me", listOptions{Query: queryOptions{Owner: "@me", All: true}}, all, "Web shop:beta"},
		{"reversed sort", listOptions{Query: queryOptions{Sort: "-priority"}}, all, "mobile:beta Web shop:beta Web shop:checkout"},
		{"two keys", listOptions{Query: queryOptions{Sort: "priority,due", All: true}}, all, "mobile:beta mobile:push Web shop:checkout Web shop:beta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(rollup(tt.opts, tt.sel), " "); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}

	env, out, _ := web.env()
	if err := runRollupList(ctx, env, listOptions{}, all); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Web shop\tcheckout\t") || !strings.Contains(out.String(), "mobile\tbeta\t") {
		t.Errorf("list --all-projects (piped):\n%s", out)
	}

	env, out, _ = web.env()
	if err := runRollupStats(ctx, env, statsOptions{JSON: true}, all); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Total    int            `json:"total"`
		ByStatus map[string]int `json:"by_status"`
		Overdue  int            `json:"overdue"`
		Projects []struct {
			Project struct {
				Name string `json:"name"`
			} `json:"project"`
			Total int `json:"total"`
		} `json:"projects"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("stats --all-projects --json: %v\n%s", err, out)
	}
	if st.Total != 4 || st.ByStatus["completed"] != 1 || st.Overdue != 1 || len(st.Projects) != 2 || st.Projects[1].Project.Name != "Web shop" || st.Projects[1].Total != 2 {
		t.Errorf("stats --all-projects --json: %+v", st)
	}
	env, out, _ = web.env()
	if err := runRollupStats(ctx, env, statsOptions{}, all); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "2 projects, 4 milestones, 1 overdue\n") {
		t.Errorf("stats --all-projects:\n%s", out)
	}

	env, out, _ = mobile.env()
	if err := runReport(ctx, env, reportOptions{HTML: true, Rollup: all}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h2>Web shop", "<h2>mobile", "Checkout", "App store beta"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report --all-projects lacks %q", want)
		}
	}
}

// editorScript writes a shell script for GIT_EDITOR and returns the
// command that runs it (the editor gets the file as $1).
func editorScript(t *testing.T, body string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "editor.sh")
	if err := os.WriteFile(file, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return "sh " + file
}

// withEditor makes env's GIT_EDITOR editor, the rest of the environment
// as it is.
func withEditor(env *Env, editor string) *Env {
	env.Getenv = func(k string) string {
		if k == "GIT_EDITOR" {
			return editor
		}
		return os.Getenv(k)
	}
	return env
}

func TestRunEdit(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Public beta", "--id", "beta")
	ctx := context.Background()
	head := func() string { return strings.TrimSpace(r.git("rev-parse", "HEAD")) }

	before := head()
	env, _, errOut := r.env()
	if err := runEdit(ctx, withEditor(env, "true"), editOptions{ID: "beta"}); err != nil {
		t.Fatal(err)
	}
	if errOut.String() != "beta: no changes\n" || head() != before {
		t.Errorf("edit with an editor that saves nothing: %q, HEAD moved: %v", errOut, head() != before)
	}

	// The first save is invalid: the problem is shown above the text and
	// the editor opens again; the second save is committed.
	calls := filepath.Join(t.TempDir(), "calls")
	editor := editorScript(t, `echo x >> `+calls+`
if [ $(wc -l < `+calls+`) -eq 1 ]; then
  sed -i 's/^status: .*/status: nonsense/' "$1"
else
  grep -q '^# git-milestone: .*status "nonsense"' "$1" || exit 3
  sed -i 's/^status: .*/status: completed/' "$1"
  echo 'owner: edited@example.com' >> "$1"
fi
`)
	env, _, errOut = r.env()
	if err := runEdit(ctx, withEditor(env, editor), editOptions{ID: "bet"}); err != nil {
		t.Fatalf("edit: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut.String(), "re-opening the editor") || !strings.Contains(errOut.String(), "beta: edited (commit ") {
		t.Errorf("edit printed %q", errOut)
	}
	if msg := r.git("log", "-1", "--format=%s"); msg != "milestone(beta): edit\n" {
		t.Errorf("edit commit message %q", msg)
	}
	if m := showJSON(t, r, "beta"); m["owner"] != "edited@example.com" || m["status"] != "completed" || m["closed_at"] == nil {
		t.Errorf("edited: %v", m)
	}
	r.git("cat-file", "-e", "HEAD:.milestones/completed/beta.yaml")

	// Saving the same invalid text twice gives up: nothing written, the
	// text kept under .git/, exit 2.
	before = head()
	env, _, _ = r.env()
	err := runEdit(ctx, withEditor(env, editorScript(t, `sed -i 's/^priority: .*/priority: urgent/' "$1"`)), editOptions{ID: "beta", NoCommit: true})
	kept := filepath.Join(r.dir, ".git", "MILESTONE_EDIT-beta.yaml")
	if err == nil || ExitCode(err) != ExitRefused || !strings.Contains(err.Error(), kept) {
		t.Errorf("edit given up: %v", err)
	}
	if text, rerr := os.ReadFile(kept); rerr != nil || !bytes.Contains(text, []byte("priority: urgent")) {
		t.Errorf("the given-up text: %v\n%s", rerr, text)
	}
	if head() != before || r.git("status", "--porcelain") != "" {
		t.Error("a given-up edit changed the repository")
	}
}

// The editor runs on the process's own stdout (flushed first), not on a
// pipe into the output buffer: on a terminal it must see the terminal.
func TestEditorGetsTheRealStdout(t *testing.T) {
	if _, err := os.Readlink("/proc/self/fd/1"); err != nil {
		t.Skipf("no /proc/self/fd here: %v", err)
	}
	r := newTestRepo(t)
	r.main("create", "Beta", "--id", "beta")
	seen := filepath.Join(t.TempDir(), "fd1")
	stdout, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	env, _, errOut := r.env()
	env.Stdout = stdout
	withEditor(env, editorScript(t, `fd=$(readlink /proc/$$/fd/1); echo "$fd" > `+seen+`; echo 'owner: bo@example.com' >> "$1"`))
	if code := Main([]string{"git-milestone", "edit", "beta"}, *env); code != ExitOK {
		t.Fatalf("edit: exit %d\n%s", code, errOut)
	}
	got, err := os.ReadFile(seen)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != stdout.Name() {
		t.Errorf("the editor's stdout is %s, want the command's own (%s)", got, stdout.Name())
	}
}

func TestRunTextconv(t *testing.T) {
	r := newTestRepo(t)
	// A document written by hand: a comment, keys out of order, a flow list.
	doc := "# the beta\ndue: 2027-01-10\nlabels: [web, \"a, b\"]\ntitle: 'Public beta'\nstatus: planned\npriority: medium\n" +
		"created_at: 2026-12-01T09:00:00Z\nupdated_at: 2026-12-01T09:00:00Z\n"
	if err := os.WriteFile(filepath.Join(r.dir, ".milestones", "active", "beta.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	env, out, _ := r.env()
	if err := runTextconv(ctx, env, textconvOptions{File: ".milestones/active/beta.yaml"}); err != nil {
		t.Fatal(err)
	}
	want := "title: Public beta\nstatus: planned\npriority: medium\ndue: 2027-01-10\nlabels:\n  - web\n  - a, b\n" +
		"created_at: 2026-12-01T09:00:00Z\nupdated_at: 2026-12-01T09:00:00Z\n"
	if out.String() != want {
		t.Errorf("textconv of a document:\n%s\nwant\n%s", out, want)
	}

	garbage := filepath.Join(t.TempDir(), "garbage.yaml")
	if err := os.WriteFile(garbage, []byte("title: Broken\nstatus: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env, out, _ = r.env()
	if err := runTextconv(ctx, env, textconvOptions{File: garbage}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "# git-milestone: not a valid milestone document") || !strings.HasSuffix(out.String(), "\ntitle: Broken\nstatus: [unclosed\n") {
		t.Errorf("textconv of garbage:\n%s", out)
	}

	env, _, _ = r.env()
	if err := runTextconv(ctx, env, textconvOptions{File: "missing.yaml"}); err == nil || err.Error() != "textconv: open missing.yaml: no such file or directory" {
		t.Errorf("textconv of a missing file: %v", err)
	}
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRunMergeDriver(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Public beta", "--id", "beta", "--due", "2026-12-15")
	base := r.git("show", "HEAD:.milestones/active/beta.yaml")
	// The three versions as git hands them over: files in the work tree
	// named relative to it.
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ours := strings.Replace(base, "priority: medium", "priority: high", 1)
	theirs := strings.Replace(base, "due: 2026-12-15", "due: 2027-01-10", 1) + "owner: bo@example.com\n"
	write(".base", base)
	write(".ours", ours)
	write(".theirs", theirs)
	ctx := context.Background()
	opts := mergeDriverOptions{Base: ".base", Ours: ".ours", Theirs: ".theirs", Path: ".milestones/active/beta.yaml"}

	env, out, errOut := r.env()
	if err := runMergeDriver(ctx, env, opts); err != nil {
		t.Fatalf("a clean merge: %v\n%s", err, errOut)
	}
	merged := string(mustRead(t, filepath.Join(r.dir, ".ours")))
	for _, want := range []string{"priority: high\n", "due: 2027-01-10\n", "owner: bo@example.com\n"} {
		if !strings.Contains(merged, want) {
			t.Errorf("the merge lacks %q:\n%s", want, merged)
		}
	}
	if out.Len() != 0 || errOut.Len() != 0 {
		t.Errorf("a clean merge printed %q and %q", out, errOut)
	}
	if fi, err := os.Stat(filepath.Join(r.dir, ".ours")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the result's mode: %v %v", fi.Mode(), err)
	}

	// Both sides change the title: a conflict, left between markers, exit 1.
	write(".ours", strings.Replace(base, "title: Public beta", "title: Launch party", 1))
	write(".theirs", strings.Replace(base, "title: Public beta", "title: Launch docs", 1))
	env, _, errOut = r.env()
	err := runMergeDriver(ctx, env, mergeDriverOptions{Base: ".base", Ours: ".ours", Theirs: ".theirs", Path: opts.Path, MarkerSize: 9})
	if err == nil || ExitCode(err) != ExitFailed {
		t.Errorf("a conflicting merge: %v (exit %d)", err, ExitCode(err))
	}
	if !strings.Contains(errOut.String(), "git-milestone: conflict in .milestones/active/beta.yaml: title") {
		t.Errorf("a conflicting merge printed %q", errOut)
	}
	conflicted := string(mustRead(t, filepath.Join(r.dir, ".ours")))
	if !strings.Contains(conflicted, "<<<<<<<<< ours\n") || !strings.Contains(conflicted, "title: Launch docs") {
		t.Errorf("the conflicted result (marker size 9):\n%s", conflicted)
	}

	env, _, _ = r.env()
	if err := runMergeDriver(ctx, env, mergeDriverOptions{Base: ".gone", Ours: ".ours", Theirs: ".theirs", Path: opts.Path}); err == nil ||
		err.Error() != "merge-driver .milestones/active/beta.yaml: open .gone: no such file or directory" {
		t.Errorf("a missing version: %v", err)
	}
}

func TestRunResolve(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "S", "--id", "s")
	r.git("tag", "base")
	r.git("checkout", "-q", "-b", "close")
	r.main("close", "s")
	r.git("checkout", "-q", "-b", "edit", "base")
	r.main("update", "s", "--priority", "high", "--owner", "ana")
	r.git("checkout", "-q", "close")
	ctx := context.Background()

	env, _, _ := r.env()
	if err := runResolve(ctx, env, resolveOptions{}); err == nil || !strings.Contains(err.Error(), "nothing to resolve") {
		t.Errorf("resolve with no merge stopped: %v", err)
	}

	cmd := exec.Command("git", "merge", "--no-edit", "edit")
	cmd.Dir = r.dir
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "CONFLICT (modify/delete)") {
		t.Fatalf("the merge did not stop on a modify/delete conflict: %v\n%s", err, out)
	}
	env, out, _ := r.env()
	if err := runResolve(ctx, env, resolveOptions{JSON: true}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Operation string `json:"operation"`
		Resolved  []struct {
			Path string `json:"path"`
			Into string `json:"into"`
		} `json:"resolved"`
		Conflicts []any `json:"conflicts"`
		Left      []any `json:"left"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("resolve --json: %v\n%s", err, out)
	}
	if got.Operation != "merge" || len(got.Resolved) != 1 || got.Resolved[0].Path != ".milestones/active/s.yaml" ||
		got.Resolved[0].Into != ".milestones/completed/s.yaml" || len(got.Conflicts)+len(got.Left) != 0 {
		t.Errorf("resolve --json: %s", out)
	}
	if st := r.git("status", "--porcelain"); st != "M  .milestones/completed/s.yaml\n" {
		t.Errorf("after resolve git status is:\n%s", st)
	}
	r.git("commit", "-q", "--no-edit")
	if m := showJSON(t, r, "s"); m["status"] != "completed" || m["priority"] != "high" || m["owner"] != "ana" {
		t.Errorf("after the merge: %v", m)
	}
}

func TestRunCompletion(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Public beta", "--id", "beta")
	ctx := context.Background()
	for _, sh := range []struct{ shell, loads string }{{"bash", "-F _git_milestone_direct git-milestone"}, {"zsh", "compdef"}, {"fish", "complete -c git-milestone"}} {
		env, out, _ := r.env()
		if err := runCompletion(ctx, env, completionOptions{Shell: sh.shell}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "git-milestone __complete --") || !strings.Contains(out.String(), sh.loads) {
			t.Errorf("completion %s:\n%s", sh.shell, out)
		}
	}
	env, _, _ := r.env()
	if err := runCompletion(ctx, env, completionOptions{Shell: "tcsh"}); err == nil || ExitCode(err) != ExitRefused {
		t.Errorf("completion tcsh: %v", err)
	}

	// What the scripts ask: the candidates for the last word, from the
	// command definitions and the ids in the work tree.
	complete := func(words ...string) string {
		t.Helper()
		env, out, _ := r.env()
		if err := runComplete(ctx, env, completeOptions{Words: append([]string{"--"}, words...)}); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	for _, tt := range []struct {
		words []string
		want  string
	}{
		{[]string{"hi"}, "history\n"},
		{[]string{"graph", "--f"}, "--format\n"},
		{[]string{"update", "beta", "--priority", ""}, "critical\nhigh\nlow\nmedium\n"},
		{[]string{"show", "b"}, "beta\n"},
		{[]string{"completion", ""}, "bash\nfish\nzsh\n"},
		{[]string{"list", "--sort=-d"}, "--sort=-due\n"},
	} {
		if got := complete(tt.words...); got != tt.want {
			t.Errorf("__complete %q: %q, want %q", tt.words, got, tt.want)
		}
	}
	if all := complete(""); !strings.Contains(all, "\nedit\n") || !strings.Contains(all, "\nmigrate\n") || strings.Contains(all, "merge-driver") {
		t.Errorf("__complete '': the commands, hidden ones left out:\n%s", all)
	}
}

func TestRunMan(t *testing.T) {
	r := newTestRepo(t)
	env, out, _ := r.env()
	if err := runMan(context.Background(), env, manOptions{}); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	if !strings.HasPrefix(page, `.TH GIT\-MILESTONE 1 "" "git-milestone `) {
		t.Errorf("the man page starts with %q", page[:min(len(page), 80)])
	}
	for _, want := range []string{".SH NAME\n", ".SH SYNOPSIS\n", ".SH OPTIONS\n", ".SH COMMANDS\n", ".SH EXIT STATUS\n", ".SH ENVIRONMENT\n",
		`.SS "git milestone edit ID"`, `\fB\-\-critical\-path\fR \fICRITICAL_PATH\fR`, `\fB\-\-help\fR, \fB\-h\fR`, `.SS "git milestone hooks install"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the man page lacks %q", want)
		}
	}
	if strings.Contains(page, "merge-driver") || strings.Contains(page, "__complete") {
		t.Error("the man page documents a hidden command")
	}
}

func TestRunVersion(t *testing.T) {
	r := newTestRepo(t)
	ctx := context.Background()
	env, out, _ := r.env()
	if err := runVersion(ctx, env, versionOptions{JSON: true}); err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(out.Bytes(), &fields); err != nil {
		t.Fatalf("version --json: %v\n%s", err, out)
	}
	for _, k := range []string{"version", "commit", "modified", "build_date", "go_version", "platform"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("version --json lacks %q: %s", k, out)
		}
	}
	if fields["go_version"] != runtime.Version() || fields["platform"] != runtime.GOOS+"/"+runtime.GOARCH || fields["version"] == "" {
		t.Errorf("version --json: %s", out)
	}
	env, out, _ = r.env()
	if err := runVersion(ctx, env, versionOptions{}); err != nil {
		t.Fatal(err)
	}
	if line := out.String(); !strings.HasPrefix(line, "git-milestone ") || !strings.HasSuffix(line, " "+runtime.GOOS+"/"+runtime.GOARCH+"\n") || strings.Count(line, "\n") != 1 {
		t.Errorf("version printed %q", line)
	}
}

// writesCounter counts the writes made to it.
type writesCounter struct {
	bytes.Buffer
	writes int
}

func (w *writesCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// Run by Main, the commands write their output through the stdout buffer:
// one write per screenful (outputBuffer), not one per line.
func TestConvertedCommandsWriteThroughTheBuffer(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Init a", "--id", "init-a")
	r.main("create", "Init b", "--id", "init-b")
	r.main("create", "Init c", "--id", "init-c")
	for i := range 60 {
		r.main("create", "Milestone number "+strings.Repeat("x", i%7), "--id", "m"+string(rune('a'+i/26))+string(rune('a'+i%26)),
			"--due", "2026-12-15", "--depends-on", "init-"+string(rune('a'+i%3)))
	}
	for _, args := range [][]string{
		{"graph"}, {"graph", "--format", "mermaid"}, {"graph", "--json"}, {"export", "--format", "csv"}, {"export", "--format", "markdown"},
		{"history"}, {"man"}, {"completion", "bash"}, {"__complete", "--", ""}, {"textconv", ".milestones/active/maa.yaml"},
		{"report", "--html"},
	} {
		env, _, errOut := r.env()
		var out writesCounter
		env.Stdout = &out
		if code := Main(append([]string{"git-milestone"}, args...), *env); code != ExitOK {
			t.Fatalf("%s: exit %d\n%s", args, code, errOut)
		}
		t.Logf("%s: %d bytes, %d writes", args, out.Len(), out.writes)
		if max := out.Len()/outputBuffer + 1; out.writes > max || out.Len() == 0 {
			t.Errorf("%s: %d bytes in %d writes, want at most %d", args, out.Len(), out.writes, max)
		}
	}
}
