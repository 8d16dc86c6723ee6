package txn_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestCommitRunsAutoGC: after a commit, git gc --auto runs as after git
// commit (detached): with a small gc.auto the history gets packed.
func TestCommitRunsAutoGC(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
	for i, found := 0, 0; found < 3; i++ { // loose objects where git samples
		data := fmt.Sprintf("sample %d\n", i)
		if strings.HasPrefix(gitrepo.NewBlob([]byte(data)).ID(), "17") {
			if _, err := gittest.RunInput(dir, nil, data, "hash-object", "-w", "--stdin"); err != nil {
				t.Fatal(err)
			}
			found++
		}
	}
	git(t, dir, "config", "gc.auto", "20")
	res := mustCommit(t, dir, "m\n", put(".milestones/active/a.yaml", "title: A\n"))
	deadline := time.Now().Add(2 * time.Minute)
	for {
		packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.idx"))
		if len(packs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no git gc --auto after the commit")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// the commit is in the pack, and the repository is sound
	waitNoGC(t, dir)
	if got := git(t, dir, "cat-file", "-t", res.Commit); got != "commit" {
		t.Fatalf("commit %s: %s", res.Commit, got)
	}
	fsck(t, dir)
}

// waitNoGC waits until no gc holds the repository (gc.pid gone).
func waitNoGC(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := gittest.Run(dir, nil, "rev-parse", "--git-path", "gc.pid"); err == nil {
			if matches, _ := filepath.Glob(filepath.Join(dir, ".git", "gc.pid")); len(matches) == 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("gc still running")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
