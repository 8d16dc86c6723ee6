package txn_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestConcurrentProcesses runs 8 worker processes (this test binary, see
// TestMain) committing to one branch while a user loop runs plain
// `git add f && git commit` beside them, retrying on index.lock as a user
// would. Nothing may be lost on either side. TXN_STRESS_N sets the commits
// per worker (default 8).
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	const workers = 8
	n := 8
	if s := os.Getenv("TXN_STRESS_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	var done atomic.Bool
	var headRaces atomic.Int64
	var userCommits []string
	var userWG sync.WaitGroup
	userWG.Add(1)
	go func() { // the user
		defer userWG.Done()
		for i := 0; !done.Load() || len(userCommits) < 3; i++ {
			f := fmt.Sprintf("u%d.txt", len(userCommits))
			gittest.WriteFile(t, dir, f, fmt.Sprintf("user %d\n", i))
			if !retry(&headRaces, dir, "add", f) || !retry(&headRaces, dir, "commit", "-q", "-m", "user "+f) {
				t.Errorf("user commit of %s kept failing", f)
				return
			}
			userCommits = append(userCommits, f)
			time.Sleep(5 * time.Millisecond)
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	var retries atomic.Int64
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), "TXN_TEST_WORKER="+strconv.Itoa(w), "TXN_WORKER_DIR="+dir, "TXN_WORKER_N="+strconv.Itoa(n))
			out, err := cmd.Output()
			if r, cerr := strconv.Atoi(strings.TrimSpace(string(out))); cerr == nil {
				retries.Add(int64(r))
			}
			if err != nil {
				if ee, ok := err.(*exec.ExitError); ok {
					out = append(out, ee.Stderr...)
				}
				errs[w] = fmt.Errorf("worker %d: %v\n%s", w, err, out)
			}
		}()
	}
	wg.Wait()
	done.Store(true)
	userWG.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	t.Logf("%d milestone commits from %d processes and %d user commits in %v; "+
		"%d rebuilds after a user commit moved the branch, %d user commits refused because we moved it",
		workers*n, workers, len(userCommits), time.Since(start), retries.Load(), headRaces.Load())

	// Every commit landed, on one line of history.
	if got, want := git(t, dir, "rev-list", "--count", "HEAD"), strconv.Itoa(1+workers*n+len(userCommits)); got != want {
		t.Errorf("%s commits, want %s", got, want)
	}
	if got := git(t, dir, "rev-list", "--merges", "HEAD"); got != "" {
		t.Errorf("merges in history: %s", got)
	}
	// Every file is present at the tip.
	tip := map[string]bool{}
	for _, p := range lines(git(t, dir, "ls-tree", "-r", "--name-only", "HEAD")) {
		tip[p] = true
	}
	for w := 0; w < workers; w++ {
		for i := 0; i < n; i++ {
			if p := fmt.Sprintf(".milestones/active/w%d-%d.yaml", w, i); !tip[p] {
				t.Errorf("%s missing at the tip", p)
			}
		}
	}
	for _, f := range userCommits {
		if !tip[f] {
			t.Errorf("user file %s missing at the tip", f)
		}
	}
	// Every value the branch ever had is still reachable.
	reachable := map[string]bool{}
	for _, c := range lines(git(t, dir, "rev-list", "HEAD")) {
		reachable[c] = true
	}
	reflog := lines(git(t, dir, "reflog", "show", "--format=%H", "refs/heads/main"))
	if len(reflog) != 1+workers*n+len(userCommits) {
		t.Errorf("reflog has %d entries, want %d", len(reflog), 1+workers*n+len(userCommits))
	}
	for _, c := range reflog {
		if !reachable[c] {
			t.Errorf("reflog value %s is not reachable from HEAD", c)
		}
	}
	if got := git(t, dir, "status", "--porcelain"); got != "" {
		t.Errorf("status = %q", got)
	}
	fsck(t, dir)
}

// retry runs a git command until it succeeds, as a user does when git
// says index.lock exists; false after 30 s of failures.
func retry(headRaces *atomic.Int64, dir string, args ...string) bool {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := gittest.Run(dir, nil, args...)
		if err == nil {
			return true
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "lock") {
			fmt.Fprintf(os.Stderr, "git %v: %v\n", args, err)
			return false
		}
		if strings.Contains(err.Error(), "cannot lock ref 'HEAD'") {
			headRaces.Add(1) // our commit moved HEAD after this one read it
		}
		time.Sleep(2 * time.Millisecond)
	}
}
