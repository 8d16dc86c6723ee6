package txn_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
	"github.com/git-milestone/git-milestone/internal/txn"
)

// killedChanges is what the child of TestKilledTransactionRecovered
// commits: an update, a deletion, a creation, and 40 files in a new
// directory (more than the one-fsync-per-file limit, so the bulk path).
func killedChanges() []txn.Change {
	ch := []txn.Change{
		put(".milestones/active/a.yaml", "title: A2\n"),
		del(".milestones/active/b.yaml"),
		put(".milestones/active/c.yaml", "title: C\n"),
	}
	for i := 0; i < 40; i++ {
		ch = append(ch, put(fmt.Sprintf(".milestones/new/n%02d.yaml", i), fmt.Sprintf("title: N%d\n", i)))
	}
	return ch
}

// killWorker is the child process: it starts a transaction in
// TXN_WORKER_DIR, commits killedChanges, and at the end of step
// TXN_TEST_KILLPOINT says "ready" and waits to be killed.
func killWorker() error {
	dir, point := os.Getenv("TXN_WORKER_DIR"), os.Getenv("TXN_TEST_KILLPOINT")
	r, err := gitrepo.Open(dir)
	if err != nil {
		return err
	}
	stop := func(step string, _ time.Duration) {
		if step == point {
			fmt.Println("ready")
			select {}
		}
	}
	tx, err := txn.Begin(context.Background(), r, txn.Options{Trace: stop})
	if err != nil {
		return err
	}
	if _, err := tx.Commit("killed\n", killedChanges()); err != nil {
		return err
	}
	select {} // "worktree" stops above; nothing should get here
}

// startKilled runs a child that stops at step, then SIGKILLs it; it
// returns the child's pid.
func startKilled(t *testing.T, dir, step string) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "TXN_TEST_KILLPOINT="+step, "TXN_WORKER_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not reach %q: %q %v", step, line, err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	return cmd.Process.Pid
}

// TestKilledTransactionRecovered kills (SIGKILL) a transaction at each step
// and checks that the next Begin recovers the index.lock it left, with one
// warning, and leaves the repository as if the commit had either not been
// tried (killed before the branch moved: the user's index comes back byte
// for byte, the work tree is untouched) or fully made (killed after:
// the work tree is brought to the commit); the user's own staged,
// unstaged and untracked work stays as it was, and fsck is clean.
func TestKilledTransactionRecovered(t *testing.T) {
	for _, tc := range []struct {
		step     string
		landed   bool
		dropCopy bool // remove the copy of the user's index the child kept
	}{
		{"locked", false, false},  // after Begin
		{"index", false, false},   // our index in place, work-tree temp files written
		{"index", false, true},    // same, and the index cannot be restored from its copy
		{"objects", false, false}, // the commit object written, the branch not moved
		{"reflock", false, false}, // <branch>.lock written with the new id, not yet renamed
		{"ref", true, false},      // the branch moved, the work tree not yet updated
		{"worktree", true, false}, // all done but Close
	} {
		name := tc.step
		if tc.dropCopy {
			name += "-no-copy"
		}
		t.Run(name, func(t *testing.T) {
			dir := gittest.Init(t)
			base := gittest.Commit(t, dir, "init", map[string]string{
				"README": "r\n", ".milestones/active/a.yaml": "title: A\n", ".milestones/active/b.yaml": "title: B\n"})
			gittest.WriteFile(t, dir, "staged.txt", "s\n")
			git(t, dir, "add", "staged.txt")
			gittest.WriteFile(t, dir, "README", "r, edited\n")
			gittest.WriteFile(t, dir, "untracked.txt", "u\n")
			files := []string{".milestones/active/a.yaml", ".milestones/active/b.yaml", ".milestones/active/c.yaml"}
			before := snapshot(t, dir, files...)
			userStatus := git(t, dir, "status", "--porcelain", "--", ":!.milestones")

			stagedBefore := git(t, dir, "ls-files", "-s")
			pid := startKilled(t, dir, tc.step)
			if tc.dropCopy {
				copies, _ := filepath.Glob(filepath.Join(dir, ".git", "milestone-index-orig-*"))
				if len(copies) != 1 {
					t.Fatalf("copies of the index: %v", copies)
				}
				os.Remove(copies[0])
			}
			lockPath := filepath.Join(dir, ".git", "index.lock")
			if _, err := os.Stat(lockPath); err != nil {
				t.Fatalf("the killed child left no index.lock: %v", err)
			}
			if _, err := gittest.Run(dir, nil, "add", "--", "untracked.txt"); err == nil ||
				!strings.Contains(err.Error(), "index.lock") {
				t.Fatalf("git is not blocked by the stale lock: %v", err)
			}

			// Begin must adopt the stale lock: waiting it out would end in
			// a lock timeout error after IndexLockTimeout.
			var warnings []string
			tx, err := txn.Begin(context.Background(), open(t, dir), txn.Options{
				IndexLockTimeout: 5 * time.Second, Warn: func(s string) { warnings = append(warnings, s) }})
			if err != nil {
				t.Fatalf("Begin after the kill: %v", err)
			}
			if err := tx.Close(); err != nil {
				t.Fatal(err)
			}
			// (The milestone flock, released by the kernel, warns too.)
			var about []string
			for _, w := range warnings {
				if strings.Contains(w, "index.lock") {
					about = append(about, w)
				}
			}
			if len(about) != 1 || !strings.Contains(about[0], "stale") || !strings.Contains(about[0], strconv.Itoa(pid)) {
				t.Fatalf("warnings = %q, want one about the stale index.lock of pid %d", warnings, pid)
			}
			t.Log(about[0])

			head := git(t, dir, "rev-parse", "HEAD")
			if tc.landed {
				if git(t, dir, "log", "-1", "--format=%s %P") != "killed "+base {
					t.Fatalf("HEAD %s is not the killed child's commit", head)
				}
				for p, want := range map[string]string{".milestones/active/a.yaml": "title: A2\n",
					".milestones/active/c.yaml": "title: C\n", ".milestones/new/n07.yaml": "title: N7\n"} {
					if b, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(b) != want {
						t.Errorf("%s = %q, %v; want %q", p, b, err, want)
					}
				}
				if _, err := os.Stat(filepath.Join(dir, ".milestones/active/b.yaml")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("deleted file still in the work tree: %v", err)
				}
				if got := git(t, dir, "status", "--porcelain", "--untracked-files=all", "--", ".milestones"); got != "" {
					t.Errorf("status of .milestones not clean:\n%s", got)
				}
				if got := git(t, dir, "status", "--porcelain", "--", ":!.milestones"); got != userStatus {
					t.Errorf("the user's status changed:\n%s\n---\n%s", userStatus, got)
				}
			} else {
				if head != base {
					t.Fatalf("HEAD moved to %s", head)
				}
				if tc.dropCopy { // the entries are back, not the bytes (stat data)
					git(t, dir, "status") // refreshes the index, as the snapshot does
					before.index = ""
					if b, err := os.ReadFile(filepath.Join(dir, ".git", "index")); err == nil {
						before.index = string(b)
					}
					if got := git(t, dir, "ls-files", "-s"); got != stagedBefore {
						t.Errorf("index entries not restored:\n%s\n---\n%s", stagedBefore, got)
					}
				}
				sameState(t, dir, before) // index byte for byte, status, files
				if _, err := os.Stat(filepath.Join(dir, ".milestones/new")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("directory of temporary files left: %v", err)
				}
			}
			tmps, _ := filepath.Glob(filepath.Join(dir, ".milestones", "*", ".*.tmp-*"))
			copies, _ := filepath.Glob(filepath.Join(dir, ".git", "milestone-index-*"))
			if len(tmps)+len(copies) != 0 {
				t.Errorf("temporary files left: %v %v", tmps, copies)
			}
			fsck(t, dir)
			// And the repository works as usual.
			mustCommit(t, dir, "after\n", put(".milestones/active/d.yaml", "title: D\n"))
			if got := git(t, dir, "status", "--porcelain", "--", ".milestones"); got != "" {
				t.Errorf("status of .milestones after the next commit:\n%s", got)
			}
		})
	}
}

// TestForeignIndexLockNotRecovered: an index.lock that is not a stale one
// of ours is waited for and refused after the timeout, never removed: git's
// own (held by a real `git commit` waiting for its editor, or by a live
// process), one of ours whose process lives, or one we cannot judge.
func TestForeignIndexLockNotRecovered(t *testing.T) {
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	live := txn.ThisHostOwner(sleeper.Process.Pid)
	gone := txn.ThisHostOwner(dead.Process.Pid)
	if live.Start == "" {
		t.Log("no /proc start times here: the reused-pid case is not checked")
	}
	other := func(o txn.TestOwner, f func(*txn.TestOwner)) txn.TestOwner { f(&o); return o }

	for _, tc := range []struct {
		name    string
		content string
		stale   bool
	}{
		{"empty", "", false},
		{"git's", "DIRC\x00\x00\x00\x02", false},
		{"ours, process alive", live.Record(), false},
		{"ours, other host", other(gone, func(o *txn.TestOwner) { o.Host = "elsewhere" }).Record(), false},
		{"ours, other pid namespace", other(gone, func(o *txn.TestOwner) { o.PidNS = "pid:[1]" }).Record(), false},
		{"ours, torn", gone.Record() + "commit refs/heads/main", false},
		{"ours, unknown line", gone.Record() + "frobnicate 1\n", false},
		{"ours, process gone", gone.Record(), true},
		{"ours, before a reboot", other(live, func(o *txn.TestOwner) { o.Boot = "another-boot" }).Record(), live.Boot != ""},
		{"ours, pid reused", other(live, func(o *txn.TestOwner) { o.Start = "1" }).Record(), live.Start != ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := gittest.Init(t)
			gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
			lockPath := filepath.Join(dir, ".git", "index.lock")
			if err := os.WriteFile(lockPath, []byte(tc.content), 0o666); err != nil {
				t.Fatal(err)
			}
			var warnings []string
			tx, err := txn.Begin(context.Background(), open(t, dir), txn.Options{
				IndexLockTimeout: 200 * time.Millisecond, Warn: func(s string) { warnings = append(warnings, s) }})
			if !tc.stale {
				if !errors.Is(err, txn.ErrIndexLocked) {
					t.Fatalf("err = %v, want ErrIndexLocked", err)
				}
				if ours := strings.HasPrefix(tc.content, "git-milestone") && !strings.Contains(tc.name, "torn") &&
					!strings.Contains(tc.name, "unknown"); ours != strings.Contains(err.Error(), "held by git-milestone process") {
					t.Errorf("error does not say (only) whose lock it is: %v", err)
				}
				if b, err := os.ReadFile(lockPath); err != nil || string(b) != tc.content {
					t.Fatalf("the lock was touched: %q, %v", b, err)
				}
				if len(warnings) != 0 {
					t.Errorf("warnings: %q", warnings)
				}
				return
			}
			if err != nil {
				t.Fatalf("a stale lock was not recovered: %v", err)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "stale") {
				t.Errorf("warnings = %q", warnings)
			}
			tx.Close()
			if _, err := os.Stat(lockPath); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("index.lock left after Close: %v", err)
			}
		})
	}

	t.Run("git commit -a waiting for its editor", func(t *testing.T) {
		dir := gittest.Init(t)
		gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
		gittest.WriteFile(t, dir, "README", "r2\n")
		gitCommit := exec.Command("git", "commit", "-a") // holds index.lock until the editor returns
		gitCommit.Dir = dir
		gitCommit.Env = append(os.Environ(), "GIT_EDITOR=sleep 60; true")
		if err := gitCommit.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { gitCommit.Process.Signal(syscall.SIGTERM); gitCommit.Wait() }()
		lockPath := filepath.Join(dir, ".git", "index.lock")
		for i := 0; ; i++ {
			if _, err := os.Stat(lockPath); err == nil {
				break
			}
			if i == 500 {
				t.Fatal("git commit never took index.lock")
			}
			time.Sleep(10 * time.Millisecond)
		}
		_, err := txn.Begin(context.Background(), open(t, dir), txn.Options{IndexLockTimeout: 300 * time.Millisecond})
		if !errors.Is(err, txn.ErrIndexLocked) {
			t.Fatalf("err = %v, want ErrIndexLocked", err)
		}
		if _, err := os.Stat(lockPath); err != nil {
			t.Fatalf("git's index.lock was removed: %v", err)
		}
	})
}

// TestKilledWhileHEADLocked: killed while moving a detached HEAD, the child
// leaves HEAD.lock; the next commit recognises it as ours and succeeds.
func TestKilledWhileHEADLocked(t *testing.T) {
	dir := gittest.Init(t)
	base := gittest.Commit(t, dir, "init", map[string]string{".milestones/active/a.yaml": "title: A\n"})
	git(t, dir, "checkout", "-q", "--detach")
	startKilled(t, dir, "reflock")
	if _, err := os.Stat(filepath.Join(dir, ".git", "HEAD.lock")); err != nil {
		t.Fatalf("the killed child left no HEAD.lock: %v", err)
	}
	res := mustCommit(t, dir, "after\n", put(".milestones/active/a.yaml", "title: A3\n"))
	if res.Parent != base || !res.Detached {
		t.Fatalf("commit %+v, want a detached commit on %s", res, base)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git", "HEAD.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("HEAD.lock still there: %v", err)
	}
	if got := git(t, dir, "rev-parse", "HEAD"); got != res.Commit {
		t.Fatalf("HEAD %s, want %s", got, res.Commit)
	}
	fsck(t, dir)
}
