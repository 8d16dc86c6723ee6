package txn_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
	"github.com/git-milestone/git-milestone/internal/txn"
)

var git = gittest.Git

func open(t testing.TB, dir string) *gitrepo.Repo {
	t.Helper()
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// commit runs one whole transaction.
func commit(t testing.TB, dir, msg string, changes ...txn.Change) (txn.Result, error) {
	t.Helper()
	tx, err := txn.Begin(context.Background(), open(t, dir), txn.Options{IndexLockTimeout: 2 * time.Second})
	if err != nil {
		return txn.Result{}, err
	}
	defer func() {
		if err := tx.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	return tx.Commit(msg, changes)
}

func mustCommit(t testing.TB, dir, msg string, changes ...txn.Change) txn.Result {
	t.Helper()
	res, err := commit(t, dir, msg, changes...)
	if err != nil {
		t.Fatalf("commit %q: %v", msg, err)
	}
	return res
}

func put(path, content string) txn.Change { return txn.Change{Path: path, Content: []byte(content)} }
func del(path string) txn.Change          { return txn.Change{Path: path, Delete: true} }

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func fsck(t testing.TB, dir string) {
	t.Helper()
	if out, err := gittest.Run(dir, nil, "fsck", "--strict", "--no-dangling", "--no-progress"); err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("git fsck --strict --no-dangling: %v\n%s", err, out)
	}
}

// state is what must not change when a transaction is refused.
type state struct {
	head, index, status string
	files               map[string]string
}

func snapshot(t testing.TB, dir string, files ...string) state {
	t.Helper()
	head, _ := gittest.Run(dir, nil, "rev-parse", "--verify", "-q", "HEAD^{commit}")
	s := state{
		head:   head,
		status: git(t, dir, "status", "--porcelain=v1", "--untracked-files=all"),
		files:  map[string]string{},
	}
	if b, err := os.ReadFile(filepath.Join(dir, ".git", "index")); err == nil {
		s.index = string(b)
	}
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		s.files[f] = string(b)
	}
	return s
}

func sameState(t testing.TB, dir string, before state) {
	t.Helper()
	var names []string
	for f := range before.files {
		names = append(names, f)
	}
	after := snapshot(t, dir, names...)
	if after.head != before.head {
		t.Errorf("HEAD moved: %s -> %s", before.head, after.head)
	}
	if after.index != before.index {
		t.Errorf("index changed")
	}
	if after.status != before.status {
		t.Errorf("status changed:\n%s\n---\n%s", before.status, after.status)
	}
	for f, c := range before.files {
		if after.files[f] != c {
			t.Errorf("%s changed: %q -> %q", f, c, after.files[f])
		}
	}
	for _, l := range []string{"index.lock", "refs/heads/main.lock", "HEAD.lock"} {
		if _, err := os.Stat(filepath.Join(dir, ".git", l)); err == nil {
			t.Errorf(".git/%s left behind", l)
		}
	}
}

// lastReflog returns the newest entry of a reflog file as fields.
func lastReflog(t testing.TB, dir, name string) (old, new, ident, msg string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ".git", "logs", name))
	if err != nil {
		t.Fatalf("reflog %s: %v", name, err)
	}
	ls := lines(strings.TrimRight(string(b), "\n"))
	last := ls[len(ls)-1]
	head, msg, ok := strings.Cut(last, "\t")
	f := strings.SplitN(head, " ", 3)
	if !ok || len(f) != 3 {
		t.Fatalf("reflog %s: malformed line %q", name, last)
	}
	return f[0], f[1], f[2], msg
}

func TestCommitKeepsUserWork(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"README": "hello\n", "src/main.go": "package main\n"})
	// The user's own work in progress: a staged new file and an unstaged edit.
	gittest.WriteFile(t, dir, "staged.txt", "staged\n")
	git(t, dir, "add", "staged.txt")
	gittest.WriteFile(t, dir, "README", "hello, edited\n")
	gittest.WriteFile(t, dir, "untracked.txt", "u\n")

	const (
		active    = ".milestones/active/beta.yaml"
		completed = ".milestones/completed/beta.yaml"
	)
	steps := []struct {
		name    string
		changes []txn.Change
		paths   []string // the commit's changed paths, as git lists them
		present map[string]string
	}{
		{"create", []txn.Change{put(active, "title: Beta\nstatus: active\n")}, []string{active},
			map[string]string{active: "title: Beta\nstatus: active\n"}},
		{"update", []txn.Change{put(active, "title: Beta\nstatus: active\nprogress: 40\n")}, []string{active},
			map[string]string{active: "title: Beta\nstatus: active\nprogress: 40\n"}},
		{"close", []txn.Change{del(active), put(completed, "title: Beta\nstatus: completed\nprogress: 40\n")},
			[]string{active, completed}, map[string]string{completed: "title: Beta\nstatus: completed\nprogress: 40\n"}},
	}
	var commits []string
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := git(t, dir, "rev-parse", "HEAD")
			msg := "milestone(beta): " + st.name + "\n\nMilestone-Id: beta\n"
			res := mustCommit(t, dir, msg, st.changes...)
			commits = append(commits, res.Commit)
			if res.Parent != before || res.Branch != "main" || res.Ref != "refs/heads/main" || res.Detached || res.NoChange {
				t.Errorf("result = %+v, want parent %s on main", res, before)
			}
			if got := git(t, dir, "rev-parse", "HEAD"); got != res.Commit {
				t.Fatalf("HEAD = %s, want %s", got, res.Commit)
			}
			if n := git(t, dir, "rev-list", "--count", before+"..HEAD"); n != "1" {
				t.Errorf("%s new commits, want 1", n)
			}
			changed := lines(git(t, dir, "diff-tree", "--no-commit-id", "--name-only", "-r", "--no-renames", "HEAD"))
			sort.Strings(changed)
			if strings.Join(changed, ",") != strings.Join(st.paths, ",") {
				t.Errorf("changed paths = %v, want %v", changed, st.paths)
			}
			if got := git(t, dir, "cat-file", "commit", "HEAD"); !strings.HasSuffix(got, "\n\n"+strings.TrimSuffix(msg, "\n")) {
				t.Errorf("message not kept verbatim:\n%s", got)
			}
			if got := git(t, dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>"); got != "Tester <tester@example.com>|Tester <tester@example.com>" {
				t.Errorf("author|committer = %s", got)
			}
			if got := git(t, dir, "diff", "--cached", "--name-only"); got != "staged.txt" {
				t.Errorf("staged = %q, want staged.txt", got)
			}
			if got := git(t, dir, "diff", "--name-only"); got != "README" {
				t.Errorf("unstaged = %q, want README", got)
			}
			if got := git(t, dir, "status", "--porcelain", "--", ".milestones"); got != "" {
				t.Errorf("status of .milestones not clean:\n%s", got)
			}
			if got := git(t, dir, "status", "--porcelain", "--", "untracked.txt"); got != "?? untracked.txt" {
				t.Errorf("untracked file: %q", got)
			}
			for p, c := range st.present {
				if b, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(b) != c {
					t.Errorf("work tree %s = %q, %v; want %q", p, b, err, c)
				}
			}
			if st.name == "close" {
				if _, err := os.Stat(filepath.Join(dir, active)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s still in the work tree", active)
				}
				if _, err := os.Stat(filepath.Join(dir, ".milestones", "active")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("empty .milestones/active left in the work tree")
				}
			}
			fsck(t, dir)
			for _, log := range []string{"refs/heads/main", "HEAD"} {
				old, new, ident, m := lastReflog(t, dir, log)
				if old != before || new != res.Commit || m != "commit: milestone(beta): "+st.name ||
					!strings.HasPrefix(ident, "Tester <tester@example.com> ") {
					t.Errorf("logs/%s last entry = %s %s %s\t%s", log, old, new, ident, m)
				}
			}
			if got := git(t, dir, "reflog", "-1", "--format=%H %gs", "main"); got != res.Commit+" commit: milestone(beta): "+st.name {
				t.Errorf("git reflog main = %q", got)
			}
		})
	}
	// History follows the file across the move.
	got := lines(git(t, dir, "log", "--follow", "--format=%H", "--", completed))
	want := []string{commits[2], commits[1], commits[0]}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("git log --follow = %v, want %v", got, want)
	}
}

func TestStagedEditIsRefused(t *testing.T) {
	const path = ".milestones/active/a.yaml"
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{"staged edit", func(t *testing.T, dir string) {
			gittest.WriteFile(t, dir, path, "title: user edit\n")
			git(t, dir, "add", path)
		}},
		{"staged deletion", func(t *testing.T, dir string) {
			git(t, dir, "rm", "-q", "--cached", path)
		}},
		{"staged edit, split index", func(t *testing.T, dir string) {
			git(t, dir, "update-index", "--split-index")
			gittest.WriteFile(t, dir, path, "title: user edit\n")
			git(t, dir, "add", path)
		}},
		{"intent to add a new file", func(t *testing.T, dir string) {
			gittest.WriteFile(t, dir, ".milestones/active/new.yaml", "title: new\n")
			git(t, dir, "add", "-N", ".milestones/active/new.yaml")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := gittest.Init(t)
			gittest.Commit(t, dir, "init", map[string]string{path: "title: A\n"})
			tc.setup(t, dir)
			before := snapshot(t, dir, path, ".milestones/active/new.yaml")
			_, err := commit(t, dir, "milestone(a): update\n", put(path, "title: ours\n"), put(".milestones/active/new.yaml", "title: ours\n"))
			var se *txn.StagedError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *StagedError", err)
			}
			if !strings.Contains(err.Error(), se.Path) || !strings.Contains(err.Error(), "git restore --staged") {
				t.Errorf("message does not name the file and the way out: %v", err)
			}
			sameState(t, dir, before)
		})
	}
}

func TestUnbornBranchGetsFirstCommit(t *testing.T) {
	for _, withIndex := range []bool{false, true} {
		t.Run(map[bool]string{false: "no index", true: "index with a staged file"}[withIndex], func(t *testing.T) {
			dir := gittest.Init(t)
			if withIndex {
				gittest.WriteFile(t, dir, "staged.txt", "s\n")
				git(t, dir, "add", "staged.txt")
			}
			res := mustCommit(t, dir, "milestone: init\n", put(".milestones/config/storage-backend.txt", "file\n"))
			if res.Parent != "" || res.Branch != "main" {
				t.Errorf("result = %+v", res)
			}
			if got := git(t, dir, "rev-list", "--parents", "HEAD"); got != res.Commit {
				t.Errorf("rev-list --parents = %q, want one root commit %s", got, res.Commit)
			}
			if got := git(t, dir, "ls-tree", "-r", "--name-only", "HEAD"); got != ".milestones/config/storage-backend.txt" {
				t.Errorf("tree = %q", got)
			}
			want := "A  staged.txt"
			if !withIndex {
				want = ""
			}
			if got := git(t, dir, "status", "--porcelain"); got != want {
				t.Errorf("status = %q, want %q", got, want)
			}
			old, _, _, msg := lastReflog(t, dir, "refs/heads/main")
			if old != gitrepo.ZeroID || msg != "commit (initial): milestone: init" {
				t.Errorf("reflog = %s %q", old, msg)
			}
			fsck(t, dir)
		})
	}
}

func TestDetachedHEAD(t *testing.T) {
	dir := gittest.Init(t)
	base := gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
	git(t, dir, "checkout", "-q", "--detach")
	res := mustCommit(t, dir, "milestone(x): create\n", put(".milestones/active/x.yaml", "title: X\n"))
	if !res.Detached || res.Branch != "" || res.Parent != base {
		t.Errorf("result = %+v", res)
	}
	if got := git(t, dir, "rev-parse", "HEAD"); got != res.Commit {
		t.Errorf("HEAD = %s, want %s", got, res.Commit)
	}
	if got := git(t, dir, "rev-parse", "main"); got != base {
		t.Errorf("main moved to %s", got)
	}
	if got, _ := gittest.Run(dir, nil, "symbolic-ref", "-q", "HEAD"); got != "" {
		t.Errorf("HEAD became symbolic: %s", got)
	}
	if _, new, _, _ := lastReflog(t, dir, "HEAD"); new != res.Commit {
		t.Errorf("logs/HEAD does not record %s", res.Commit)
	}
	if got := git(t, dir, "status", "--porcelain"); got != "" {
		t.Errorf("status = %q", got)
	}
	fsck(t, dir)
}

func TestPackedRefIsTheOldValue(t *testing.T) {
	dir := gittest.Init(t)
	base := gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
	git(t, dir, "pack-refs", "--all")
	if _, err := os.Stat(filepath.Join(dir, ".git", "refs", "heads", "main")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("pack-refs left a loose ref")
	}
	res := mustCommit(t, dir, "milestone(x): create\n", put(".milestones/active/x.yaml", "title: X\n"))
	if res.Parent != base {
		t.Errorf("parent = %s, want %s", res.Parent, base)
	}
	if got := git(t, dir, "rev-parse", "main"); got != res.Commit {
		t.Errorf("main = %s, want %s", got, res.Commit)
	}
	// A second commit reads the loose ref that now shadows the packed one.
	res2 := mustCommit(t, dir, "milestone(y): create\n", put(".milestones/active/y.yaml", "title: Y\n"))
	if res2.Parent != res.Commit {
		t.Errorf("second parent = %s, want %s", res2.Parent, res.Commit)
	}
	fsck(t, dir)
}

// indexExtensions lists the extension signatures of an index file and its
// version.
func indexExtensions(t testing.TB, path string) (uint32, []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	version := binary.BigEndian.Uint32(b[4:8])
	// Find the end of the entries with git itself: ask for the extension
	// list by scanning backwards is not possible, so walk forward.
	count := int(binary.BigEndian.Uint32(b[8:12]))
	pos, prevLen := 12, 0
	_ = prevLen
	for i := 0; i < count; i++ {
		flags := binary.BigEndian.Uint16(b[pos+60 : pos+62])
		nameAt := 62
		if flags&0x4000 != 0 {
			nameAt += 2
		}
		if version == 4 {
			_, n := binary.Uvarint(b[pos+nameAt:])
			nul := bytes.IndexByte(b[pos+nameAt+n:], 0)
			pos += nameAt + n + nul + 1
		} else {
			nul := bytes.IndexByte(b[pos+nameAt:], 0)
			pos += (nameAt + nul + 8) &^ 7
		}
	}
	var exts []string
	for pos+8 <= len(b)-20 {
		exts = append(exts, string(b[pos:pos+4]))
		pos += 8 + int(binary.BigEndian.Uint32(b[pos+4:pos+8]))
	}
	return version, exts
}

func TestIndexExtensionsSurvive(t *testing.T) {
	cases := []struct {
		name  string
		setup []string // git commands
		want  []string // extensions that must still be there
		ver   uint32
	}{
		{"cache tree", nil, nil, 2},
		{"split index + untracked cache", []string{"update-index --split-index --untracked-cache"}, []string{"link", "UNTR"}, 2},
		{"index v4 + untracked cache", []string{"update-index --index-version 4 --untracked-cache"}, []string{"UNTR"}, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := gittest.Init(t)
			gittest.Commit(t, dir, "init", map[string]string{"README": "r\n", "src/a.go": "package a\n", ".milestones/active/old.yaml": "title: Old\n"})
			for _, c := range tc.setup {
				git(t, dir, strings.Fields(c)...)
			}
			gittest.WriteFile(t, dir, "staged.txt", "s\n")
			git(t, dir, "add", "staged.txt")
			gittest.WriteFile(t, dir, "untracked.txt", "u\n")
			git(t, dir, "status", "--porcelain") // fills the untracked cache
			_, before := indexExtensions(t, filepath.Join(dir, ".git", "index"))
			for _, w := range tc.want {
				if !contains(before, w) {
					t.Fatalf("setup: index lacks %s (has %v)", w, before)
				}
			}
			mustCommit(t, dir, "milestone(x): create\n", put(".milestones/active/x.yaml", "title: X\n"), del(".milestones/active/old.yaml"))
			ver, after := indexExtensions(t, filepath.Join(dir, ".git", "index"))
			if ver != tc.ver {
				t.Errorf("index version %d, want %d", ver, tc.ver)
			}
			for _, w := range tc.want {
				if !contains(after, w) {
					t.Errorf("index lost %s: %v -> %v", w, before, after)
				}
			}
			if got := git(t, dir, "status", "--porcelain"); got != "A  staged.txt\n?? untracked.txt" {
				t.Errorf("status = %q", got)
			}
			if got := git(t, dir, "ls-files", "--", ".milestones"); got != ".milestones/active/x.yaml" {
				t.Errorf("ls-files .milestones = %q", got)
			}
			fsck(t, dir)
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestNoIdentity(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main") // no user.name / user.email anywhere
	gittest.WriteFile(t, dir, "README", "r\n")
	git(t, dir, "add", "README")
	before := snapshot(t, dir, ".milestones/active/x.yaml")
	_, err := commit(t, dir, "milestone(x): create\n", put(".milestones/active/x.yaml", "title: X\n"))
	if !errors.Is(err, gitrepo.ErrNoIdentity) {
		t.Fatalf("err = %v, want ErrNoIdentity", err)
	}
	if !strings.Contains(err.Error(), `git config --global user.email "you@example.com"`) {
		t.Errorf("message does not say how to fix it: %v", err)
	}
	sameState(t, dir, before)
}

func TestIndexLockHeldElsewhere(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
	lockPath := filepath.Join(dir, ".git", "index.lock")
	if err := os.WriteFile(lockPath, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	os.Remove(lockPath) // snapshot runs git status, which needs the lock
	before := snapshot(t, dir)
	os.WriteFile(lockPath, nil, 0o666)
	r := open(t, dir)
	start := time.Now()
	_, err := txn.Begin(context.Background(), r, txn.Options{IndexLockTimeout: 300 * time.Millisecond})
	if !errors.Is(err, txn.ErrIndexLocked) || !strings.Contains(err.Error(), lockPath) {
		t.Fatalf("err = %v, want ErrIndexLocked naming %s", err, lockPath)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("gave up after %v, before the timeout", d)
	}
	if _, err := os.Stat(lockPath); err != nil {
		t.Errorf("someone else's index.lock was removed: %v", err)
	}
	os.Remove(lockPath)
	sameState(t, dir, before)
	// The milestone flock was released: the next transaction proceeds.
	mustCommit(t, dir, "milestone(x): create\n", put(".milestones/active/x.yaml", "title: X\n"))
}

func TestIndexLockReleasedLater(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
	lockPath := filepath.Join(dir, ".git", "index.lock")
	os.WriteFile(lockPath, nil, 0o666)
	go func() {
		time.Sleep(150 * time.Millisecond)
		os.Remove(lockPath)
	}()
	mustCommit(t, dir, "milestone(x): create\n", put(".milestones/active/x.yaml", "title: X\n"))
}

func TestNoCommitWritesWorkTreeOnly(t *testing.T) {
	dir := gittest.Init(t)
	base := gittest.Commit(t, dir, "init", map[string]string{".milestones/active/a.yaml": "title: A\n"})
	tx, err := txn.Begin(context.Background(), open(t, dir), txn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = tx.WriteWorkTree([]txn.Change{put(".milestones/active/b.yaml", "title: B\n"), del(".milestones/active/a.yaml")})
	tx.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := git(t, dir, "rev-parse", "HEAD"); got != base {
		t.Errorf("HEAD moved")
	}
	if got := git(t, dir, "status", "--porcelain", "--untracked-files=all"); got != " D .milestones/active/a.yaml\n?? .milestones/active/b.yaml" {
		t.Errorf("status = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git", "index.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("index.lock left behind")
	}
}

func TestNoChangeMakesNoCommit(t *testing.T) {
	dir := gittest.Init(t)
	base := gittest.Commit(t, dir, "init", map[string]string{".milestones/active/a.yaml": "title: A\n"})
	gittest.WriteFile(t, dir, ".milestones/active/a.yaml", "title: user edit\n") // unstaged
	res := mustCommit(t, dir, "milestone(a): update\n", put(".milestones/active/a.yaml", "title: A\n"))
	if !res.NoChange || res.Commit != base {
		t.Errorf("result = %+v, want NoChange at %s", res, base)
	}
	if got := git(t, dir, "status", "--porcelain"); got != "" {
		t.Errorf("status = %q", got)
	}
}

func TestExecutableBitAndEmptyDirs(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"tools/run.sh": "#!/bin/sh\n", "a/b/c/only.txt": "x\n", "keep.txt": "k\n"})
	git(t, dir, "update-index", "--chmod=+x", "tools/run.sh")
	git(t, dir, "commit", "-q", "-m", "chmod")
	os.Chmod(filepath.Join(dir, "tools/run.sh"), 0o755)
	mustCommit(t, dir, "update\n", put("tools/run.sh", "#!/bin/sh\necho hi\n"), del("a/b/c/only.txt"))
	if got := git(t, dir, "ls-tree", "HEAD", "tools/run.sh"); !strings.HasPrefix(got, "100755 ") {
		t.Errorf("mode lost: %s", got)
	}
	if got := git(t, dir, "ls-tree", "-r", "--name-only", "HEAD"); got != "keep.txt\ntools/run.sh" {
		t.Errorf("tree = %q (empty dirs must vanish)", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty directories left in the work tree")
	}
	if got := git(t, dir, "status", "--porcelain"); got != "" {
		t.Errorf("status = %q", got)
	}
	fsck(t, dir)
}

func TestRefusedInputChangesNothing(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"README": "r\n", "file": "f\n"})
	outside := t.TempDir()
	os.MkdirAll(filepath.Join(dir, ".milestones"), 0o777)
	if err := os.Symlink(outside, filepath.Join(dir, ".milestones", "active")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		changes []txn.Change
		want    string
	}{
		{"no changes", nil, "no changes"},
		{"parent dir", []txn.Change{put("../x.yaml", "x")}, "invalid path"},
		{"absolute", []txn.Change{put("/etc/x.yaml", "x")}, "invalid path"},
		{"inside .git", []txn.Change{put(".git/config", "x")}, "invalid path"},
		{"dot segment", []txn.Change{put(".milestones/./a.yaml", "x")}, "invalid path"},
		{"twice", []txn.Change{put("a.yaml", "x"), del("a.yaml")}, "twice"},
		{"through a symlink", []txn.Change{put(".milestones/active/x.yaml", "x")}, "symbolic link"},
		{"file over directory", []txn.Change{put("file/x.yaml", "x")}, "not a directory"},
	}
	before := snapshot(t, dir)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := commit(t, dir, "m\n", tc.changes...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			sameState(t, dir, before)
		})
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("wrote outside the repository: %v", entries)
	}
}

func TestLinkedWorktree(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
	wt := filepath.Join(t.TempDir(), "wt")
	git(t, dir, "worktree", "add", "-q", "-b", "feature", wt)
	res := mustCommit(t, filepath.Join(wt), "milestone(x): create\n", put(".milestones/active/x.yaml", "title: X\n"))
	if res.Branch != "feature" {
		t.Errorf("branch = %q", res.Branch)
	}
	if got := git(t, dir, "rev-parse", "feature"); got != res.Commit {
		t.Errorf("feature = %s, want %s", got, res.Commit)
	}
	if got := git(t, wt, "status", "--porcelain"); got != "" {
		t.Errorf("worktree status = %q", got)
	}
	if got := git(t, dir, "status", "--porcelain"); got != "" {
		t.Errorf("main worktree status = %q", got)
	}
	if _, new, _, _ := lastReflog(t, dir, "refs/heads/feature"); new != res.Commit {
		t.Errorf("reflog of feature lacks the commit")
	}
	fsck(t, dir)
}

func TestTwoCommitsInOneTransaction(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
	tx, err := txn.Begin(context.Background(), open(t, dir), txn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	r1, err := tx.Commit("one\n", []txn.Change{put("a.yaml", "a\n")})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := tx.Commit("two\n", []txn.Change{put("b.yaml", "b\n")})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Parent != r1.Commit {
		t.Errorf("second commit's parent = %s, want %s", r2.Parent, r1.Commit)
	}
	tx.Close()
	if got := git(t, dir, "status", "--porcelain"); got != "" {
		t.Errorf("status = %q", got)
	}
}

func TestCancelledWhileQueued(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
	r := open(t, dir)
	tx, err := txn.Begin(context.Background(), r, txn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = txn.Begin(ctx, r, txn.Options{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

// TestRefLockedElsewhereRollsBack makes the branch update fail after our
// index is in place: the user's index must come back byte for byte.
func TestRefLockedElsewhereRollsBack(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"README": "r\n", ".milestones/active/a.yaml": "title: A\n"})
	gittest.WriteFile(t, dir, "staged.txt", "s\n")
	git(t, dir, "add", "staged.txt")
	before := snapshot(t, dir, ".milestones/active/a.yaml", ".milestones/active/b.yaml")
	refLock := filepath.Join(dir, ".git", "refs", "heads", "main.lock")
	os.WriteFile(refLock, nil, 0o666)
	_, err := commit(t, dir, "milestone(b): create\n", put(".milestones/active/b.yaml", "title: B\n"), put(".milestones/active/a.yaml", "title: A2\n"))
	if err == nil || !strings.Contains(err.Error(), refLock) {
		t.Fatalf("err = %v, want one naming %s", err, refLock)
	}
	os.Remove(refLock)
	sameState(t, dir, before)
	left, _ := filepath.Glob(filepath.Join(dir, ".git", "milestone-index-*"))
	tmps, _ := filepath.Glob(filepath.Join(dir, ".milestones", "active", ".*.tmp-*"))
	if len(left)+len(tmps) != 0 {
		t.Errorf("temporary files left: %v %v", left, tmps)
	}
}

// TestIndexNeverBehindHEAD checks, at every step of a transaction, the
// invariant that protects a racing `git commit` (which reads HEAD, then the
// index without the lock): whenever HEAD already has our commit, the index
// already has our entry.
func TestIndexNeverBehindHEAD(t *testing.T) {
	dir := gittest.Init(t)
	base := gittest.Commit(t, dir, "init", map[string]string{"README": "r\n"})
	const path = ".milestones/active/x.yaml"
	blob := gitrepo.NewBlob([]byte("title: X\n")).ID()
	var steps []string
	check := func(step string, _ time.Duration) {
		steps = append(steps, step)
		head := git(t, dir, "rev-parse", "HEAD")
		idx := git(t, dir, "ls-files", "-s", "--", path)
		if head != base && !strings.Contains(idx, blob) {
			t.Errorf("after %q HEAD has our commit but the index does not have our entry (%q)", step, idx)
		}
	}
	tx, err := txn.Begin(context.Background(), open(t, dir), txn.Options{Trace: check})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit("milestone(x): create\n", []txn.Change{put(path, "title: X\n")}); err != nil {
		t.Fatal(err)
	}
	check("before close", 0)
	// A `git commit -a` waiting for index.lock must find our file content.
	if b, err := os.ReadFile(filepath.Join(dir, path)); err != nil || string(b) != "title: X\n" {
		t.Errorf("work tree not written before index.lock is released: %q %v", b, err)
	}
	tx.Close()
	if got := strings.Join(steps, ","); got != "locked,checked,index,objects,reflock,ref,worktree,before close" {
		t.Errorf("steps = %s", got)
	}
}
