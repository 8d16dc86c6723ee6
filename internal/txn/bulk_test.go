package txn_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
	"github.com/git-milestone/git-milestone/internal/txn"
)

// TestBulkCommit commits hundreds of files in one Commit (the bulk paths:
// objects in one pack, work-tree files flushed by one syncfs, renames and
// removals on several goroutines) and checks the same guarantees as for
// one file: one commit with exactly those paths, the user's staged,
// unstaged and untracked work untouched, executable bits kept, status
// clean, fsck clean, nothing temporary left; then replaces half of them
// and removes the rest, emptied directories included.
func TestBulkCommit(t *testing.T) {
	const n = 300
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"README": "hello\n", ".milestones/active/exec.sh": "#!/bin/sh\n"})
	git(t, dir, "update-index", "--chmod=+x", ".milestones/active/exec.sh")
	git(t, dir, "commit", "-q", "-m", "chmod")
	os.Chmod(filepath.Join(dir, ".milestones/active/exec.sh"), 0o755)
	gittest.WriteFile(t, dir, "staged.txt", "staged\n")
	git(t, dir, "add", "staged.txt")
	gittest.WriteFile(t, dir, "README", "hello, edited\n")
	gittest.WriteFile(t, dir, "untracked.txt", "u\n")
	userStatus := git(t, dir, "status", "--porcelain", "--", ":!.milestones")

	path := func(i int) string {
		return fmt.Sprintf(".milestones/%s/m-%03d.yaml", []string{"active", "completed", "x/y"}[i%3], i)
	}
	var changes []txn.Change
	for i := 0; i < n; i++ {
		changes = append(changes, put(path(i), fmt.Sprintf("title: M %d\n", i)))
	}
	changes = append(changes, put(".milestones/active/exec.sh", "#!/bin/sh\necho bulk\n"))
	loose := func() int {
		l, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "??", "*"))
		return len(l)
	}
	looseBefore := loose()
	base := git(t, dir, "rev-parse", "HEAD")
	res := mustCommit(t, dir, "milestones: import\n", changes...)
	if got := git(t, dir, "rev-list", "--count", base+"..HEAD"); got != "1" || res.Parent != base {
		t.Fatalf("%s commits, result %+v", got, res)
	}
	changed := lines(git(t, dir, "diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD"))
	if len(changed) != n+1 {
		t.Errorf("%d paths changed, want %d", len(changed), n+1)
	}
	// The 301 blobs went into a pack: only the trees and the commit are loose.
	if added := loose() - looseBefore; added > 10 {
		t.Errorf("%d loose objects written (the blobs should be packed)", added)
	}
	if got := git(t, dir, "ls-tree", "HEAD", ".milestones/active/exec.sh"); !strings.HasPrefix(got, "100755 ") {
		t.Errorf("mode lost: %s", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, ".milestones/active/exec.sh")); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("work-tree file lost its executable bit: %v %v", fi.Mode(), err)
	}
	for _, i := range []int{0, 1, 2, n / 2, n - 1} {
		if b, err := os.ReadFile(filepath.Join(dir, path(i))); err != nil || string(b) != fmt.Sprintf("title: M %d\n", i) {
			t.Errorf("%s = %q, %v", path(i), b, err)
		}
	}
	check := func() {
		t.Helper()
		if got := git(t, dir, "status", "--porcelain", "--untracked-files=all", "--", ".milestones"); got != "" {
			t.Errorf("status of .milestones not clean:\n%.300s", got)
		}
		if got := git(t, dir, "status", "--porcelain", "--", ":!.milestones"); got != userStatus {
			t.Errorf("the user's status changed:\n%s\n---\n%s", userStatus, got)
		}
		if tmps, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "tmp_*")); len(tmps) != 0 {
			t.Errorf("temporary pack files left: %v", tmps)
		}
		fsck(t, dir)
	}
	check()

	// Replace half, remove the other half (all of x/y: the directories go).
	changes = changes[:0]
	for i := 0; i < n; i++ {
		if i%2 == 0 && i%3 != 2 {
			changes = append(changes, put(path(i), fmt.Sprintf("title: M %d\nprogress: 50\n", i)))
		} else {
			changes = append(changes, del(path(i)))
		}
	}
	mustCommit(t, dir, "milestones: half\n", changes...)
	if got := len(lines(git(t, dir, "ls-tree", "-r", "--name-only", "HEAD", ".milestones/"))); got != 1+n/3 {
		t.Errorf("%d files left in .milestones, want %d", got, 1+n/3)
	}
	if b, err := os.ReadFile(filepath.Join(dir, path(0))); err != nil || string(b) != "title: M 0\nprogress: 50\n" {
		t.Errorf("%s = %q, %v", path(0), b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".milestones/x")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("emptied directory .milestones/x left in the work tree: %v", err)
	}
	check()
}
