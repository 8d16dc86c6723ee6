package githooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/hooks"
)

const userMarkerHook = `#!/bin/sh
# the user's own pre-commit: leaves a marker next to itself's repo root
echo "ran $# $(basename "$0")" >> user-hook-ran
exit 0
`

const userRefusingHook = `#!/bin/sh
echo "user hook says no" >&2
exit 1
`

func TestInstallChainsUserHookAndUninstallRestoresIt(t *testing.T) {
	dir := newRepo(t)
	log := hookLog(t)
	o := discover(t, dir)
	userPath := filepath.Join(o.CommonDir, "hooks", "pre-commit")
	writeFile(t, userPath, userMarkerHook, 0o751)
	before, err := os.Lstat(userPath)
	if err != nil {
		t.Fatal(err)
	}

	rep, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Manager != nil {
		t.Fatalf("manager detected: %+v", rep.Manager)
	}
	if rep.Dir != filepath.Join(o.CommonDir, "hooks") {
		t.Errorf("Dir = %s", rep.Dir)
	}
	got := map[string]HookChange{}
	for _, h := range rep.Hooks {
		got[h.Name] = h
	}
	if h := got["pre-commit"]; h.Action != Installed || h.UserHook != userPath+hooks.UserSuffix {
		t.Errorf("pre-commit: %+v", h)
	}
	if h := got["post-merge"]; h.Action != Installed || h.UserHook != "" {
		t.Errorf("post-merge: %+v", h)
	}

	if err := commit(t, dir, "a.txt", "a\n"); err != nil {
		t.Fatalf("commit refused: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "user-hook-ran")); err != nil || string(b) != "ran 0 pre-commit.user-milestone\n" {
		t.Errorf("user hook marker: %q, %v", b, err)
	}
	if l := log(); len(l) != 1 || l[0] != "pre-commit []" {
		t.Errorf("git-milestone calls: %q", l)
	}

	urep, err := Uninstall(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range urep.Hooks {
		want := Removed
		if h.Name == "pre-commit" {
			want = Restored
		}
		if h.Action != want {
			t.Errorf("uninstall %s: %s, want %s", h.Name, h.Action, want)
		}
	}
	after, err := os.Lstat(userPath)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(userPath); string(b) != userMarkerHook {
		t.Errorf("restored hook differs: %q", b)
	}
	if after.Mode() != before.Mode() || !os.SameFile(before, after) {
		t.Errorf("restored hook: mode %v (was %v), same file %v", after.Mode(), before.Mode(), os.SameFile(before, after))
	}
	es, _ := os.ReadDir(filepath.Join(o.CommonDir, "hooks"))
	for _, e := range es {
		if strings.Contains(e.Name(), "milestone") || (!strings.HasSuffix(e.Name(), ".sample") && e.Name() != "pre-commit") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestUserHookVerdictKept(t *testing.T) {
	dir := newRepo(t)
	log := hookLog(t)
	o := discover(t, dir)
	userPath := filepath.Join(o.CommonDir, "hooks", "pre-commit")
	writeFile(t, userPath, userRefusingHook, 0o755)
	head := git(t, dir, "rev-parse", "HEAD")
	check := func(stage string) {
		t.Helper()
		err := commit(t, dir, "b.txt", stage+"\n")
		if err == nil || !strings.Contains(err.Error(), "user hook says no") {
			t.Errorf("%s: commit not refused by the user hook: %v", stage, err)
		}
		if h := git(t, dir, "rev-parse", "HEAD"); h != head {
			t.Errorf("%s: HEAD moved", stage)
		}
	}
	check("before install")
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	check("installed")
	if l := log(); l != nil {
		t.Errorf("git-milestone ran after the user's refusal: %q", l)
	}
	if _, err := Uninstall(o); err != nil {
		t.Fatal(err)
	}
	check("uninstalled")
	if b, _ := os.ReadFile(userPath); string(b) != userRefusingHook {
		t.Errorf("restored hook differs: %q", b)
	}
}

func TestInstallIdempotent(t *testing.T) {
	dir := newRepo(t)
	o := discover(t, dir)
	hooksDir := filepath.Join(o.CommonDir, "hooks")
	writeFile(t, filepath.Join(hooksDir, "post-merge"), "#!/bin/sh\nexit 0\n", 0o700)
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	once := snapshot(t, hooksDir)
	rep, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range rep.Hooks {
		if h.Action != Unchanged {
			t.Errorf("second install %s: %s", h.Name, h.Action)
		}
	}
	if twice := snapshot(t, hooksDir); twice != once {
		t.Errorf("second install changed the folder:\n%s\n---\n%s", once, twice)
	}
	// An outdated or non-executable script of ours is updated in place,
	// keeping the chained user hook.
	writeFile(t, filepath.Join(hooksDir, "post-merge"), "#!/bin/sh\n"+hooks.Marker+" (old)\n", 0o644)
	rep, err = Install(o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Hooks[1].Name != "post-merge" || rep.Hooks[1].Action != Updated || rep.Hooks[1].UserHook == "" {
		t.Errorf("update: %+v", rep.Hooks[1])
	}
	if again := snapshot(t, hooksDir); again != once {
		t.Errorf("update did not restore the installed state:\n%s\n---\n%s", once, again)
	}
	// Uninstall twice: the second does nothing.
	if _, err := Uninstall(o); err != nil {
		t.Fatal(err)
	}
	un := snapshot(t, hooksDir)
	rep, err = Uninstall(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range rep.Hooks {
		if h.Action != Absent && !(h.Name == "post-merge" && h.Action == Kept) {
			t.Errorf("second uninstall %s: %s", h.Name, h.Action)
		}
	}
	if snapshot(t, hooksDir) != un {
		t.Errorf("second uninstall changed the folder")
	}
}

func TestInstallRefusesAmbiguousChain(t *testing.T) {
	dir := newRepo(t)
	o := discover(t, dir)
	hooksDir := filepath.Join(o.CommonDir, "hooks")
	writeFile(t, filepath.Join(hooksDir, "pre-commit"), "#!/bin/sh\necho new\n", 0o755)
	writeFile(t, filepath.Join(hooksDir, "pre-commit"+hooks.UserSuffix), "#!/bin/sh\necho old\n", 0o755)
	before := snapshot(t, hooksDir)
	_, err := Install(o)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("Install: %v, want a refusal", err)
	}
	after := snapshot(t, hooksDir)
	// pre-commit is first: nothing of the user's was touched.
	for _, name := range []string{"pre-commit", "pre-commit" + hooks.UserSuffix} {
		if !strings.Contains(after, name+" ") || !strings.Contains(before, name+" ") {
			t.Errorf("%s lost", name)
		}
	}
	if before != after {
		t.Errorf("refused install changed the folder:\n%s\n---\n%s", before, after)
	}
	st, err := Status(o)
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(st, filepath.Join(hooksDir, "pre-commit")+" is not git-milestone's hook (another program replaced it)") {
		t.Errorf("status problems: %q", st.Problems)
	}
}

func TestHooksPath(t *testing.T) {
	tests := []struct {
		name      string
		hooksPath func(t *testing.T, repo string) string // the core.hooksPath value
		wantDir   func(repo, value string) string
		warn      string
	}{
		{name: "relative", hooksPath: func(*testing.T, string) string { return ".githooks" },
			wantDir: func(repo, _ string) string { return filepath.Join(repo, ".githooks") }, warn: "inside the work tree"},
		{name: "relative into git dir", hooksPath: func(*testing.T, string) string { return ".git/custom-hooks" },
			wantDir: func(repo, _ string) string { return filepath.Join(repo, ".git", "custom-hooks") }},
		{name: "absolute outside", hooksPath: func(t *testing.T, _ string) string {
			d := filepath.Join(t.TempDir(), "shared-hooks")
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			return d
		}, wantDir: func(_, v string) string { return v }, warn: "outside this repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newRepo(t)
			log := hookLog(t)
			value := tt.hooksPath(t, dir)
			git(t, dir, "config", "core.hooksPath", value)
			o := discover(t, dir)
			want := tt.wantDir(dir, value)
			if got, _, _ := HooksDir(o); realish(got) != realish(want) {
				t.Fatalf("HooksDir = %s, want %s", got, want)
			}
			// The raw configured value resolves the same way.
			raw := o
			raw.HooksPath = value
			if got, fromConfig, _ := HooksDir(raw); realish(got) != realish(want) || !fromConfig {
				t.Errorf("HooksDir(raw %q) = %s, %v", value, got, fromConfig)
			}
			rep, err := Install(raw)
			if err != nil {
				t.Fatal(err)
			}
			if realish(rep.Dir) != realish(want) {
				t.Errorf("installed in %s, want %s", rep.Dir, want)
			}
			if tt.warn != "" && !strings.Contains(strings.Join(rep.Warnings, "\n"), tt.warn) {
				t.Errorf("warnings %q lack %q", rep.Warnings, tt.warn)
			}
			if _, err := os.Stat(filepath.Join(o.CommonDir, "hooks", "pre-commit")); err == nil {
				t.Errorf("installed into .git/hooks too")
			}
			if err := commit(t, dir, "c.txt", "c\n"); err != nil {
				t.Fatal(err)
			}
			if l := log(); len(l) != 1 || l[0] != "pre-commit []" {
				t.Errorf("git-milestone calls: %q", l)
			}
			st, err := Status(o)
			if err != nil {
				t.Fatal(err)
			}
			if !st.OK() || !st.FromConfig {
				t.Errorf("status: %+v", st)
			}
			for _, h := range st.Hooks {
				if !h.Fires {
					t.Errorf("%s does not fire", h.Name)
				}
			}
		})
	}
}

func TestHooksPathMissingFolder(t *testing.T) {
	dir := newRepo(t)
	stranded := filepath.Join(t.TempDir(), "moved-away", "hooks")
	git(t, dir, "config", "core.hooksPath", stranded)
	o := discover(t, dir)
	st, err := Status(o)
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(st, "core.hooksPath points at "+stranded+", a folder that does not exist") {
		t.Errorf("status problems: %q", st.Problems)
	}
	if _, err := Install(o); err == nil || !strings.Contains(err.Error(), "missing folder") {
		t.Errorf("Install into a stranded core.hooksPath: %v", err)
	}
	if _, err := os.Stat(stranded); err == nil {
		t.Errorf("Install recreated the stranded folder")
	}

	// A missing relative folder is the repository's own: Install creates it.
	git(t, dir, "config", "core.hooksPath", "tools/hooks")
	o = discover(t, dir)
	st, err = Status(o)
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(st, filepath.Join(dir, "tools", "hooks")+", a folder that does not exist") {
		t.Errorf("status problems: %q", st.Problems)
	}
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	if st, _ := Status(o); !st.OK() {
		t.Errorf("after install: %q", st.Problems)
	}
}

func TestLinkedWorktree(t *testing.T) {
	dir := newRepo(t)
	log := hookLog(t)
	wt := filepath.Join(t.TempDir(), "wt")
	git(t, dir, "worktree", "add", "-q", "-b", "feature", wt)
	ow := discover(t, wt)
	om := discover(t, dir)
	if ow.CommonDir != om.CommonDir || ow.GitDir == om.GitDir || ow.WorkTree != realish(wt) {
		t.Fatalf("worktree options %+v, main %+v", ow, om)
	}
	// Installed from the linked worktree: the hooks go to the common dir.
	rep, err := Install(ow)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Dir != filepath.Join(om.CommonDir, "hooks") {
		t.Errorf("installed in %s", rep.Dir)
	}
	if err := commit(t, wt, "w.txt", "w\n"); err != nil {
		t.Fatal(err)
	}
	if err := commit(t, dir, "m.txt", "m\n"); err != nil {
		t.Fatal(err)
	}
	if l := log(); len(l) != 2 || l[0] != "pre-commit []" || l[1] != "pre-commit []" {
		t.Errorf("git-milestone calls: %q", l)
	}
	// The staged-document check works from the linked worktree.
	err = commit(t, wt, ".milestones/completed/x.yaml", "title: X\nstatus: active\n")
	if err == nil || !strings.Contains(err.Error(), ".milestones/completed/x.yaml:2:9: status \"active\" belongs in .milestones/active/") {
		t.Errorf("invalid document committed from the worktree: %v", err)
	}
	git(t, wt, "reset", "-q", "--hard")
	for _, o := range []Options{ow, om} {
		st, err := Status(o)
		if err != nil {
			t.Fatal(err)
		}
		if !st.OK() {
			t.Errorf("status from %s: %q", o.WorkTree, st.Problems)
		}
	}
	// A checkout in the worktree fires post-checkout with git's arguments.
	old := git(t, wt, "rev-parse", "HEAD")
	git(t, wt, "checkout", "-q", "-b", "other", "HEAD~1")
	l := log()
	if want := "post-checkout [" + old + " " + git(t, wt, "rev-parse", "HEAD") + " 1]"; l[len(l)-1] != want {
		t.Errorf("last call %q, want %q", l[len(l)-1], want)
	}
}

func TestPostRewriteGetsStdinWithUserHook(t *testing.T) {
	dir := newRepo(t)
	log := hookLog(t)
	o := discover(t, dir)
	writeFile(t, filepath.Join(o.CommonDir, "hooks", "post-rewrite"), "#!/bin/sh\ncat > user-rewrite-input\n", 0o755)
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	old := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "commit", "-q", "--amend", "-m", "amended")
	now := git(t, dir, "rev-parse", "HEAD")
	want := old + " " + now + "\n"
	if b, err := os.ReadFile(filepath.Join(dir, "user-rewrite-input")); err != nil || string(b) != want {
		t.Errorf("user hook stdin %q, %v; want %q", b, err, want)
	}
	if l := log(); len(l) != 2 || l[1] != "post-rewrite [amend] stdin=\""+old+" "+now+"\\n\"" {
		t.Errorf("git-milestone calls: %q", l)
	}
}

func TestBinaryMissingNeverBlocksGit(t *testing.T) {
	dir := newRepo(t)
	o := discover(t, dir)
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", basePath)
	writeFile(t, filepath.Join(dir, ".milestones", "active", "bad.yaml"), "status: nonsense\n", 0o644)
	git(t, dir, "add", ".")
	if _, err := gitErrOut(dir, nil, "commit", "-q", "-m", "no binary"); err != nil {
		t.Errorf("commit failed without git-milestone on PATH: %v", err)
	}
	git(t, dir, "checkout", "-q", "-b", "x")
	st, err := Status(o)
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(st, "git-milestone is not on PATH") {
		t.Errorf("status problems: %q", st.Problems)
	}
	rep, err := Install(o)
	if err != nil || !strings.Contains(strings.Join(rep.Warnings, "\n"), "not on PATH") {
		t.Errorf("install warnings %q, %v", rep.Warnings, err)
	}
}

func hasProblem(st StatusReport, sub string) bool {
	for _, p := range st.Problems {
		if strings.Contains(p, sub) {
			return true
		}
	}
	return false
}
