package resolve_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
	"github.com/git-milestone/git-milestone/internal/resolve"
	"github.com/git-milestone/git-milestone/internal/safefs"
)

func TestMain(m *testing.M) {
	cleanup := gittest.Isolate()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

var git = gittest.Git

const base = "title: S\nstatus: planned\npriority: medium\ncreated_at: 2026-01-01T00:00:00Z\nupdated_at: 2026-01-01T00:00:00Z\n"

// conflicted makes a merge stop on .milestones/active/s.yaml: "ours"
// deletes it and writes the given files, "theirs" edits it.
func conflicted(t *testing.T, ours map[string]string) (string, *gitrepo.Repo) {
	t.Helper()
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "base", map[string]string{".milestones/active/s.yaml": base, ".milestones/active/.keep": ""})
	git(t, dir, "checkout", "-q", "-b", "theirs")
	gittest.Commit(t, dir, "edit", map[string]string{".milestones/active/s.yaml": strings.Replace(base, "medium", "high", 1) + "owner: ana\nprogress: 30\n"})
	git(t, dir, "checkout", "-q", "main")
	git(t, dir, "rm", "-q", ".milestones/active/s.yaml")
	gittest.Commit(t, dir, "move", ours)
	if _, err := gittest.Run(dir, nil, "merge", "--no-edit", "theirs"); err == nil {
		t.Fatal("the merge did not stop")
	}
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, r
}

func TestRunClosed(t *testing.T) {
	closed := "title: S\nstatus: completed\npriority: medium\ncreated_at: 2026-01-01T00:00:00Z\nupdated_at: 2026-01-02T00:00:00Z\nclosed_at: 2026-01-02T00:00:00Z\n"
	dir, r := conflicted(t, map[string]string{".milestones/completed/s.yaml": closed})
	if p, err := resolve.Pending(r); err != nil || len(p) != 1 || p[0] != ".milestones/active/s.yaml" {
		t.Fatalf("Pending = %v, %v", p, err)
	}
	out, err := resolve.Run(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Resolved) != 1 || len(out.Marked)+len(out.Left) != 0 || out.Resolved[0].Into != ".milestones/completed/s.yaml" {
		t.Fatalf("outcome %+v", out)
	}
	got := git(t, dir, "show", ":.milestones/completed/s.yaml")
	for _, want := range []string{"status: completed", "priority: high", "owner: ana", "progress: 30", "closed_at: 2026-01-02"} {
		if !strings.Contains(got, want) {
			t.Errorf("staged document lacks %q:\n%s", want, got)
		}
	}
	if st := git(t, dir, "status", "--porcelain"); st != "M  .milestones/completed/s.yaml" {
		t.Errorf("status:\n%s", st)
	}
	git(t, dir, "commit", "-q", "--no-edit")
}

func TestRunAmbiguousMoveIsLeft(t *testing.T) {
	// Two documents added by "ours" with the base's created_at: resolve
	// does not guess.
	a := "title: A\nstatus: active\npriority: low\ncreated_at: 2026-01-01T00:00:00Z\nupdated_at: 2026-02-01T00:00:00Z\nowner: x\nprogress: 5\n"
	b := "title: B\nstatus: blocked\npriority: critical\ncreated_at: 2026-01-01T00:00:00Z\nupdated_at: 2026-03-01T00:00:00Z\nowner: y\nprogress: 7\n"
	dir, r := conflicted(t, map[string]string{".milestones/active/a.yaml": a, ".milestones/active/b.yaml": b})
	out, err := resolve.Run(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Left) != 1 || out.Left[0].Stale != ".milestones/active/s.yaml" || len(out.Resolved) != 0 {
		t.Fatalf("outcome %+v", out)
	}
	if st := git(t, dir, "status", "--porcelain", "--", ".milestones/active/s.yaml"); !strings.HasPrefix(st, "UD") && !strings.HasPrefix(st, "DU") {
		t.Errorf("the conflict was touched: %q", st)
	}
}

func TestRunNothingInProgress(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "base", map[string]string{"f": "x\n"})
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resolve.Run(r); !errors.Is(err, resolve.ErrNoOperation) {
		t.Fatalf("err = %v, want ErrNoOperation", err)
	}
}

// TestRunNeverWritesThroughALink: the folder resolve writes into is a link
// (planted in the work tree during the merge): refused through safefs,
// nothing written where it points.
func TestRunNeverWritesThroughALink(t *testing.T) {
	closed := "title: S\nstatus: completed\npriority: medium\ncreated_at: 2026-01-01T00:00:00Z\nupdated_at: 2026-01-02T00:00:00Z\nclosed_at: 2026-01-02T00:00:00Z\n"
	dir, r := conflicted(t, map[string]string{".milestones/completed/s.yaml": closed})
	outside := t.TempDir()
	completed := filepath.Join(dir, ".milestones", "completed")
	if err := os.RemoveAll(completed); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, completed); err != nil {
		t.Fatal(err)
	}
	if _, err := resolve.Run(r); !errors.Is(err, safefs.ErrRefused) {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("written through the link: %v", ents)
	}
}
