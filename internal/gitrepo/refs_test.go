package gitrepo_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

func readLog(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ".git", "logs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReflogLikeGit moves the same ref the same way with git update-ref and
// with UpdateRef (same committer, same time) and compares the reflog lines
// byte for byte.
func TestReflogLikeGit(t *testing.T) {
	when := time.Date(2026, 11, 26, 7, 0, 0, 0, time.FixedZone("", -(3*3600+30*60)))
	env := []string{"GIT_COMMITTER_NAME=Ana Lima", "GIT_COMMITTER_EMAIL=ana@example.com",
		"GIT_COMMITTER_DATE=" + when.Format(time.RFC3339)}
	var logs [2]string
	for i := range logs {
		dir := gittest.Init(t)
		c1 := gittest.Commit(t, dir, "one", map[string]string{"f": "1\n"})
		git(t, dir, "commit", "-q", "--allow-empty", "-m", "two")
		c2 := git(t, dir, "rev-parse", "HEAD")
		os.Remove(filepath.Join(dir, ".git", "logs", "refs", "heads", "main"))
		os.Remove(filepath.Join(dir, ".git", "logs", "HEAD"))
		msg := "commit: milestone(x):   many   spaces"
		if i == 0 {
			if _, err := gittest.Run(dir, env, "update-ref", "-m", msg, "refs/heads/main", c1, c2); err != nil {
				t.Fatal(err)
			}
		} else {
			r, _ := gitrepo.Open(dir)
			err := r.UpdateRef(gitrepo.RefUpdate{Name: "refs/heads/main", Old: c2, New: c1, Message: msg,
				Committer: gitrepo.Signature{Name: "Ana Lima", Email: "ana@example.com", When: when}, LogHEAD: true})
			if err != nil {
				t.Fatal(err)
			}
			if head := readLog(t, dir, "HEAD"); head != readLog(t, dir, "refs/heads/main") {
				t.Errorf("logs/HEAD = %q, want the branch's entry", head)
			}
		}
		// Same line, modulo the commit ids of the two repositories.
		l := readLog(t, dir, "refs/heads/main")
		logs[i] = strings.NewReplacer(c1, "C1", c2, "C2").Replace(l)
		if got := git(t, dir, "rev-parse", "main"); got != c1 {
			t.Errorf("main = %s, want %s", got, c1)
		}
	}
	if logs[0] != logs[1] {
		t.Errorf("reflog differs from git's:\ngit: %q\nours: %q", logs[0], logs[1])
	}
}

func TestUpdateRefCompareAndSwap(t *testing.T) {
	dir := gittest.Init(t)
	c1 := gittest.Commit(t, dir, "one", map[string]string{"f": "1\n"})
	c2 := gittest.Commit(t, dir, "two", map[string]string{"f": "2\n"})
	r, _ := gitrepo.Open(dir)
	sig := gitrepo.Signature{Name: "T", Email: "t@example.com", When: time.Now()}
	lock := filepath.Join(dir, ".git", "refs", "heads", "main.lock")

	// Wrong old value: refused, nothing changed, no lock left.
	err := r.UpdateRef(gitrepo.RefUpdate{Name: "refs/heads/main", Old: c1, New: c1, Committer: sig})
	if !errors.Is(err, gitrepo.ErrRefChanged) {
		t.Fatalf("err = %v, want ErrRefChanged", err)
	}
	if got := git(t, dir, "rev-parse", "main"); got != c2 {
		t.Errorf("main moved to %s", got)
	}
	if _, err := os.Stat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock left behind")
	}
	// Creating requires absence (also when only packed).
	git(t, dir, "pack-refs", "--all")
	err = r.UpdateRef(gitrepo.RefUpdate{Name: "refs/heads/main", Old: "", New: c1, Committer: sig})
	if !errors.Is(err, gitrepo.ErrRefChanged) {
		t.Errorf("create over a packed ref: err = %v", err)
	}
	if err := r.UpdateRef(gitrepo.RefUpdate{Name: "refs/heads/new/branch", New: c1, Committer: sig}); err != nil {
		t.Errorf("create: %v", err)
	}
	if got := git(t, dir, "rev-parse", "new/branch"); got != c1 {
		t.Errorf("new/branch = %s", got)
	}
	// Packed old value.
	if err := r.UpdateRef(gitrepo.RefUpdate{Name: "refs/heads/main", Old: c2, New: c1, Committer: sig}); err != nil {
		t.Errorf("update from packed: %v", err)
	}
	// Someone else's lock: wait, then fail naming it.
	os.WriteFile(lock, nil, 0o666)
	start := time.Now()
	err = r.UpdateRef(gitrepo.RefUpdate{Name: "refs/heads/main", Old: c1, New: c2, Committer: sig})
	if err == nil || !strings.Contains(err.Error(), lock) || time.Since(start) < 500*time.Millisecond {
		t.Errorf("err = %v after %v, want a wait and the lock path", err, time.Since(start))
	}
	if _, err := os.Stat(lock); err != nil {
		t.Errorf("someone else's lock removed")
	}
	os.Remove(lock)
	// A lock that goes away in time is waited for.
	os.WriteFile(lock, nil, 0o666)
	go func() { time.Sleep(100 * time.Millisecond); os.Remove(lock) }()
	if err := r.UpdateRef(gitrepo.RefUpdate{Name: "refs/heads/main", Old: c1, New: c2, Committer: sig}); err != nil {
		t.Errorf("after the lock went away: %v", err)
	}
	if out, err := gittest.Run(dir, nil, "fsck", "--strict", "--no-dangling"); err != nil {
		t.Errorf("fsck: %v %s", err, out)
	}
}

func TestReflogHonoursLogAllRefUpdates(t *testing.T) {
	dir := gittest.Init(t)
	c1 := gittest.Commit(t, dir, "one", map[string]string{"f": "1\n"})
	git(t, dir, "config", "core.logAllRefUpdates", "false")
	r, _ := gitrepo.Open(dir)
	sig := gitrepo.Signature{Name: "T", Email: "t@example.com", When: time.Now()}
	if err := r.UpdateRef(gitrepo.RefUpdate{Name: "refs/heads/side", New: c1, Committer: sig, Message: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git", "logs", "refs", "heads", "side")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reflog created although core.logAllRefUpdates=false")
	}
	// An existing log is still appended to, as git does.
	before := readLog(t, dir, "refs/heads/main")
	c2 := gittest.Commit(t, dir, "two", map[string]string{"f": "2\n"})
	mid := readLog(t, dir, "refs/heads/main")
	if err := r.UpdateRef(gitrepo.RefUpdate{Name: "refs/heads/main", Old: c2, New: c1, Committer: sig, Message: "m"}); err != nil {
		t.Fatal(err)
	}
	if after := readLog(t, dir, "refs/heads/main"); len(after) <= len(mid) || len(mid) <= len(before) {
		t.Errorf("existing reflog not appended")
	}
}

func TestRemoveStaleRefLock(t *testing.T) {
	dir := gittest.Init(t)
	c1 := gittest.Commit(t, dir, "one", map[string]string{"f": "1\n"})
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, ".git", "refs", "heads", "main.lock")
	ours := strings.Repeat("ab", 20)
	for _, tc := range []struct {
		name, content string
		removed       bool
	}{
		{"ours", ours + "\n", true},
		{"empty, never written", "", true},
		{"someone else's", c1 + "\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(lock, []byte(tc.content), 0o666); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(lock)
			removed, err := r.RemoveStaleRefLock("refs/heads/main", ours)
			if err != nil || removed != tc.removed {
				t.Fatalf("removed = %v, %v; want %v", removed, err, tc.removed)
			}
			_, err = os.Stat(lock)
			if exists := err == nil; exists == tc.removed {
				t.Fatalf("lock exists = %v after removed = %v", exists, removed)
			}
		})
	}
}
