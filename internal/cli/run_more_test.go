package cli

import (
	"context"
	"encoding/json"
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
