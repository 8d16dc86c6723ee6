package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The administration commands (backend, migrate, index, init, hooks,
// setup) called through their run functions, in-process, on a real git
// repository (newTestRepo in run_test.go).

// documents lists the milestone documents git tracks in r.
func (r *testRepo) documents() []string {
	var out []string
	for _, p := range strings.Fields(r.git("ls-files", ".milestones/active", ".milestones/completed")) {
		if strings.HasSuffix(p, ".yaml") {
			out = append(out, p)
		}
	}
	return out
}

func (r *testRepo) exists(rel string) bool {
	_, err := os.Lstat(filepath.Join(r.dir, filepath.FromSlash(rel)))
	return err == nil
}

// backendJSON runs backend --json and decodes its report.
func backendJSON(t *testing.T, r *testRepo) backendReport {
	t.Helper()
	env, out, _ := r.env()
	if err := runBackend(context.Background(), env, backendOptions{JSON: true}); err != nil {
		t.Fatal(err)
	}
	var rep backendReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("backend --json: %v\n%s", err, out)
	}
	return rep
}

func TestRunBackend(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "One")
	r.main("create", "Two")
	r.main("create", "Three")
	r.main("close", "three")

	rep := backendJSON(t, r)
	if rep.Current != "file" || rep.Configured != "auto" || rep.Recommended != "file" || rep.DatabaseType != "" {
		t.Errorf("backend --json: %+v", rep)
	}
	// Open milestones only; the one author of .milestones/ commits.
	if rep.Milestones != 2 || rep.Users != 1 {
		t.Errorf("figures: %d milestones, %d users; want 2 and 1", rep.Milestones, rep.Users)
	}
	if rep.Thresholds["milestones_file_to_hybrid"] != 25 || rep.Thresholds["users_hybrid_to_database"] != 20 || len(rep.Thresholds) != 4 {
		t.Errorf("thresholds: %v", rep.Thresholds)
	}
	if len(rep.Reasons) != 2 || rep.Reasons[0] != "2 open milestone(s) < 25 (file_to_hybrid)" {
		t.Errorf("reasons: %q", rep.Reasons)
	}

	env, out, _ := r.env()
	if err := runBackend(context.Background(), env, backendOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "current:     file\nconfigured:  auto\nrecommended: file\n") || strings.Contains(out.String(), "to switch") {
		t.Errorf("backend printed:\n%s", out)
	}
}

func TestRunMigrateRoundTrip(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Public beta", "--priority", "high")
	r.main("create", "Launch")
	docs := strings.Join(r.documents(), " ")
	ctx := context.Background()
	commits := func() int { return len(strings.Fields(r.git("rev-list", "HEAD"))) }
	before := commits()

	// The plan changes nothing.
	env, out, _ := r.env()
	if err := runMigrate(ctx, env, migrateOptions{To: "hybrid", DryRun: true, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var plan struct {
		From, To   string
		Milestones int
		Steps      []string
	}
	if err := json.Unmarshal(out.Bytes(), &plan); err != nil {
		t.Fatalf("migrate --dry-run --json: %v\n%s", err, out)
	}
	if plan.From != "file" || plan.To != "hybrid" || plan.Milestones != 2 || len(plan.Steps) != 4 {
		t.Errorf("plan: %+v", plan)
	}
	if commits() != before || r.exists(".milestones/index.db") {
		t.Error("the dry run changed something")
	}

	env, _, errOut := r.env()
	if err := runMigrate(ctx, env, migrateOptions{To: "hybrid"}); err != nil {
		t.Fatalf("migrate --to hybrid: %v\n%s", err, errOut)
	}
	if commits() != before+1 {
		t.Errorf("migrate --to hybrid made %d commits, want 1", commits()-before)
	}
	if msg := r.git("log", "-1", "--format=%s"); msg != "milestone: migrate to the hybrid backend\n" {
		t.Errorf("switch commit %q", msg)
	}
	if got := r.git("show", "HEAD:.milestones/config/storage-backend.txt"); got != "hybrid\n" {
		t.Errorf("HEAD's backend: %q", got)
	}
	if got := strings.Join(r.documents(), " "); got != docs {
		t.Errorf("tracked documents %q, want %q", got, docs)
	}
	if !r.exists(".milestones/index.db") {
		t.Error("no index after migrate --to hybrid")
	}
	for _, want := range []string{"backed up 2 milestone(s) to .milestones/backups/", "Migrated 2 milestone(s) from file to hybrid (commit ",
		"storage.backend is now hybrid: the automatic switch stays off until `git milestone backend auto`"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("migrate said %q, without %q", errOut, want)
		}
	}
	if rep := backendJSON(t, r); rep.Current != "hybrid" || rep.Configured != "hybrid" {
		t.Errorf("after the move: %+v", rep)
	}

	// Again: nothing to do.
	env, _, errOut = r.env()
	if err := runMigrate(ctx, env, migrateOptions{To: "hybrid"}); err != nil || !strings.Contains(errOut.String(), "already on the hybrid backend: nothing to do") {
		t.Errorf("second migrate --to hybrid: %v, %q", err, errOut)
	}

	env, _, errOut = r.env()
	if err := runMigrate(ctx, env, migrateOptions{To: "file"}); err != nil {
		t.Fatalf("migrate --to file: %v\n%s", err, errOut)
	}
	if log := r.git("log", "-2", "--format=%s"); log != "milestone: migrate to the file backend\nmilestone: migrate to the hybrid backend\n" {
		t.Errorf("git log:\n%s", log)
	}
	if got := r.git("show", "HEAD:.milestones/config/storage-backend.txt"); got != "file\n" {
		t.Errorf("HEAD's backend after the way back: %q", got)
	}
	if got := strings.Join(r.documents(), " "); got != docs {
		t.Errorf("tracked documents after the round trip %q, want %q", got, docs)
	}
	if r.exists(".milestones/index.db") {
		t.Error("the index is left after migrate --to file")
	}
	if status := r.git("status", "--porcelain"); status != "" {
		t.Errorf("work tree after the round trip:\n%s", status)
	}

	// backend auto ends the pin: one commit, the config says auto again.
	env, _, errOut = r.env()
	if err := runBackend(ctx, env, backendOptions{Auto: true}); err != nil {
		t.Fatal(err)
	}
	if cfg := r.git("show", "HEAD:.milestones/config/storage-config.yaml"); !strings.Contains(cfg, "backend: auto") {
		t.Errorf("backend auto committed:\n%s", cfg)
	}
	if !strings.Contains(errOut.String(), "storage.backend: auto (backend file; the automatic switch decides from now on)") {
		t.Errorf("backend auto said %q", errOut)
	}
}

func TestRunMigrateRefusals(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "One")
	ctx := context.Background()
	head := r.git("rev-parse", "HEAD")
	for _, c := range []struct {
		opts migrateOptions
		want string
	}{
		{migrateOptions{To: "tape"}, `--to "tape" is not one of file, hybrid, database`},
		{migrateOptions{To: "database", DatabaseType: "oracle"}, `--database-type "oracle" is not one of sqlite, postgresql`},
		{migrateOptions{To: "hybrid", NoBackup: true}, "--no-backup: the config asks for a backup"},
		{migrateOptions{To: "hybrid", JSON: true}, "--json goes with --dry-run"},
		// Leaving git is confirmed: without a terminal, --yes is required.
		{migrateOptions{To: "database", DatabaseType: "sqlite"}, "pass --yes to confirm"},
	} {
		env, _, _ := r.env()
		err := runMigrate(ctx, env, c.opts)
		if err == nil || ExitCode(err) != ExitRefused || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v (exit %d), want %q", c.opts, err, ExitCode(err), c.want)
		}
	}
	if r.git("rev-parse", "HEAD") != head || r.exists(".milestones/enterprise.db") {
		t.Error("a refused migration changed something")
	}
}

func TestRunIndex(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "One")
	r.main("create", "Two")
	ctx := context.Background()

	// The file backend keeps no index.
	env, _, _ := r.env()
	if err := runIndex(ctx, env, indexOptions{Op: "status"}); err == nil || !strings.Contains(err.Error(), "the index belongs to the hybrid backend; this repository uses file") {
		t.Errorf("index status on the file backend: %v", err)
	}

	r.main("migrate", "--to", "hybrid")
	status := func() map[string]any {
		t.Helper()
		env, out, _ := r.env()
		if err := runIndex(ctx, env, indexOptions{Op: "status", JSON: true}); err != nil {
			t.Fatal(err)
		}
		var st map[string]any
		if err := json.Unmarshal(out.Bytes(), &st); err != nil {
			t.Fatalf("index status --json: %v\n%s", err, out)
		}
		return st
	}
	if st := status(); st["fresh"] != true || st["milestones"] != 2.0 || !strings.HasSuffix(st["path"].(string), "/.milestones/index.db") {
		t.Errorf("after the migration: %v", st)
	}

	// A document written by hand: stale, with the file named.
	if err := os.WriteFile(filepath.Join(r.dir, ".milestones/active/three.yaml"), []byte("title: Three\nstatus: planned\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := status()
	if st["fresh"] != false || len(st["added"].([]any)) != 1 || st["added"].([]any)[0] != ".milestones/active/three.yaml" {
		t.Errorf("after a hand-written document: %v", st)
	}
	env, out, _ := r.env()
	if err := runIndex(ctx, env, indexOptions{Op: "status"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), ": stale (schema ") || !strings.Contains(out.String(), "  added    .milestones/active/three.yaml") {
		t.Errorf("index status printed:\n%s", out)
	}

	env, _, errOut := r.env()
	if err := runIndex(ctx, env, indexOptions{Op: "refresh"}); err != nil {
		t.Fatal(err)
	}
	if errOut.String() != "index refreshed: 1 added, 0 updated, 0 removed\n" {
		t.Errorf("index refresh said %q", errOut)
	}
	if st := status(); st["fresh"] != true || st["milestones"] != 3.0 {
		t.Errorf("after the refresh: %v", st)
	}

	// A rebuild from scratch, after the index was removed.
	if err := os.Remove(filepath.Join(r.dir, ".milestones/index.db")); err != nil {
		t.Fatal(err)
	}
	env, _, errOut = r.env()
	if err := runIndex(ctx, env, indexOptions{Op: "rebuild"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(errOut.String(), "index rebuilt: 3 milestone(s)\n") {
		t.Errorf("index rebuild said %q", errOut)
	}
	if st := status(); st["fresh"] != true || st["milestones"] != 3.0 {
		t.Errorf("after the rebuild: %v", st)
	}
}

func TestRunHooks(t *testing.T) {
	r := newTestRepo(t)
	ctx := context.Background()
	userHook := "#!/bin/sh\necho the user's own check\nexit 0\n"
	hookPath := filepath.Join(r.dir, ".git", "hooks", "pre-commit")
	if err := os.WriteFile(hookPath, []byte(userHook), 0o755); err != nil {
		t.Fatal(err)
	}
	r.git("config", "--unset-all", "merge.milestone.driver")

	env, out, _ := r.env()
	if err := runHooks(ctx, env, hooksOptions{Op: "install", JSON: true}); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Hooks []struct {
			Name, Action string
			UserHook     string `json:"user_hook"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("hooks install --json: %v\n%s", err, out)
	}
	chained := ""
	for _, h := range rep.Hooks {
		if h.Action != "installed" {
			t.Errorf("hook %s: %s", h.Name, h.Action)
		}
		if h.Name == "pre-commit" {
			chained = h.UserHook
		}
	}
	if len(rep.Hooks) < 4 || chained == "" {
		t.Fatalf("hooks install: %s", out)
	}
	if kept, err := os.ReadFile(chained); err != nil || string(kept) != userHook {
		t.Errorf("the user's hook kept as %s: %q, %v", chained, kept, err)
	}
	if ours, _ := os.ReadFile(hookPath); string(ours) == userHook {
		t.Error("pre-commit is still the user's hook after install")
	}
	// install also sets up the drivers.
	if got := r.git("config", "merge.milestone.driver"); got != "git-milestone merge-driver %O %A %B %P\n" {
		t.Errorf("merge.milestone.driver after hooks install: %q", got)
	}

	env, out, _ = r.env()
	err := runHooks(ctx, env, hooksOptions{Op: "status", JSON: true})
	var st struct {
		Hooks []struct {
			Name      string
			Installed bool
			UserHook  string `json:"user_hook"`
		}
	}
	if jerr := json.Unmarshal(out.Bytes(), &st); jerr != nil {
		t.Fatalf("hooks status --json: %v (%v)\n%s", jerr, err, out)
	}
	for _, h := range st.Hooks {
		if !h.Installed || (h.Name == "pre-commit") != (h.UserHook != "") {
			t.Errorf("status of %s: %+v", h.Name, h)
		}
	}
	// Without git-milestone on PATH the hooks cannot fire: status fails
	// (exit 1) and says so; with it, status passes.
	if _, lookErr := exec.LookPath("git-milestone"); (lookErr != nil) != (err != nil) {
		t.Errorf("hooks status: %v (git-milestone on PATH: %v)", err, lookErr == nil)
	}

	env, out, _ = r.env()
	if err := runHooks(ctx, env, hooksOptions{Op: "uninstall"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "pre-commit     restored") {
		t.Errorf("hooks uninstall printed:\n%s", out)
	}
	if got, err := os.ReadFile(hookPath); err != nil || string(got) != userHook {
		t.Errorf("pre-commit after uninstall: %q, %v; want the user's hook back", got, err)
	}
	if _, err := os.Lstat(chained); err == nil {
		t.Errorf("%s is left after uninstall", chained)
	}
	for _, name := range []string{"post-merge", "post-checkout", "post-rewrite"} {
		if _, err := os.Lstat(filepath.Join(r.dir, ".git", "hooks", name)); err == nil {
			t.Errorf("%s is left after uninstall", name)
		}
	}
}

func TestRunSetup(t *testing.T) {
	r := newTestRepo(t)
	ctx := context.Background()
	r.git("config", "--unset-all", "merge.milestone.driver")
	r.git("config", "--unset-all", "diff.milestone.textconv")

	env, _, errOut := r.env()
	if err := runSetup(ctx, env, setupOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := r.git("config", "--local", "merge.milestone.driver"); got != "git-milestone merge-driver %O %A %B %P\n" {
		t.Errorf("merge.milestone.driver: %q", got)
	}
	if got := r.git("config", "--local", "diff.milestone.textconv"); got != "git-milestone textconv\n" {
		t.Errorf("diff.milestone.textconv: %q", got)
	}
	if !strings.Contains(errOut.String(), "this clone is set up (backend file)") {
		t.Errorf("setup said %q", errOut)
	}
	// The file backend gets no hooks.
	if _, err := os.Lstat(filepath.Join(r.dir, ".git", "hooks", "post-merge")); err == nil {
		t.Error("setup installed hooks on the file backend")
	}

	env, _, errOut = r.env()
	if err := runSetup(ctx, env, setupOptions{Global: true}); err != nil {
		t.Fatal(err)
	}
	if got := r.git("config", "--global", "merge.milestone.driver"); got != "git-milestone merge-driver %O %A %B %P\n" {
		t.Errorf("global merge.milestone.driver: %q", got)
	}
	if !strings.Contains(errOut.String(), "set in your global git config") {
		t.Errorf("setup --global said %q", errOut)
	}
}

func TestRunInit(t *testing.T) {
	setTestEnv(t)
	r := newGitRepo(t, "repo")
	ctx := context.Background()

	env, _, _ := r.env()
	if err := runInit(ctx, env, initOptions{Backend: "tape"}); err == nil || ExitCode(err) != ExitRefused {
		t.Errorf("init --backend tape: %v", err)
	}

	env, out, errOut := r.env()
	if err := runInit(ctx, env, initOptions{Backend: "hybrid", Message: "set up milestones"}); err != nil {
		t.Fatalf("init --backend hybrid: %v\n%s", err, errOut)
	}
	if msg := r.git("log", "--format=%s"); msg != "set up milestones\n" {
		t.Errorf("git log: %q", msg)
	}
	files := r.git("ls-files")
	for _, want := range []string{".gitattributes", ".milestones/.gitignore", ".milestones/active/.keep", ".milestones/completed/.keep",
		".milestones/config/storage-backend.txt", ".milestones/config/storage-config.yaml"} {
		if !strings.Contains(files, want+"\n") {
			t.Errorf("init did not commit %s:\n%s", want, files)
		}
	}
	if got := r.git("show", "HEAD:.milestones/config/storage-backend.txt"); got != "hybrid\n" {
		t.Errorf("backend %q", got)
	}
	// A store with an index: it is built, and the hooks that keep it
	// fresh are installed.
	if !r.exists(".milestones/index.db") {
		t.Error("init --backend hybrid built no index")
	}
	if !strings.Contains(out.String(), "post-merge     installed") || !r.exists(".git/hooks/post-merge") {
		t.Errorf("init --backend hybrid installed no hooks:\n%s", out)
	}
	if got := r.git("config", "merge.milestone.driver"); got != "git-milestone merge-driver %O %A %B %P\n" {
		t.Errorf("merge.milestone.driver: %q", got)
	}

	// Again: this clone is set up, nothing is committed.
	env, _, errOut = r.env()
	if err := runInit(ctx, env, initOptions{Backend: "auto"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "already initialised in this repository (backend hybrid): setting up this clone") {
		t.Errorf("second init said %q", errOut)
	}
	if n := strings.Count(r.git("log", "--format=%s"), "\n"); n != 1 {
		t.Errorf("%d commits after a second init", n)
	}
}

func TestRunHook(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "One")
	ctx := context.Background()

	// pre-commit judges the staged document, not the work tree's.
	bad := filepath.Join(r.dir, ".milestones/active/bad.yaml")
	if err := os.WriteFile(bad, []byte("title: Bad\nstatus: nonsense\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.git("add", ".milestones/active/bad.yaml")
	if err := os.WriteFile(bad, []byte("title: Bad\nstatus: planned\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env, _, errOut := r.env()
	err := runHook(ctx, env, hookRunOptions{Name: "pre-commit"})
	if err == nil || !strings.Contains(errOut.String(), ".milestones/active/bad.yaml:2") || !strings.Contains(errOut.String(), "nonsense") {
		t.Errorf("pre-commit with an invalid staged document: %v\n%s", err, errOut)
	}
	r.git("add", ".milestones/active/bad.yaml")
	env, _, _ = r.env()
	if err := runHook(ctx, env, hookRunOptions{Name: "pre-commit"}); err != nil {
		t.Errorf("pre-commit with the document fixed: %v", err)
	}

	env, _, _ = r.env()
	if err := runHook(ctx, env, hookRunOptions{Name: "post-nothing"}); err == nil || !strings.Contains(err.Error(), `unknown hook "post-nothing"`) || ExitCode(err) != ExitRefused {
		t.Errorf("an unknown hook: %v", err)
	}
}
