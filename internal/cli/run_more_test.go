package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
