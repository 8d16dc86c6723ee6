package gitrepo_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

func TestMain(m *testing.M) {
	cleanup := gittest.Isolate()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

var git = gittest.Git

func realDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOpen(t *testing.T) {
	main := gittest.Init(t)
	gittest.Commit(t, main, "init", map[string]string{"a/b/c.txt": "x\n"})
	wt := filepath.Join(realDir(t), "wt")
	git(t, main, "worktree", "add", "-q", "-b", "other", wt)
	sep := realDir(t)
	git(t, sep, "init", "-q", "--separate-git-dir", filepath.Join(sep, "store.git"), "work")
	bare := realDir(t)
	git(t, bare, "init", "-q", "--bare", "r.git")
	flagged := gittest.Init(t)
	git(t, flagged, "config", "core.bare", "true")

	cases := []struct {
		name    string
		dir     string
		wantErr error
	}{
		{"work tree root", main, nil},
		{"deep folder", filepath.Join(main, "a", "b"), nil},
		{"linked worktree", wt, nil},
		{"linked worktree folder", filepath.Join(wt, "a"), nil},
		{"separate git dir", filepath.Join(sep, "work"), nil},
		{"bare repository", filepath.Join(bare, "r.git"), gitrepo.ErrBare},
		{"inside .git", filepath.Join(main, ".git", "refs"), gitrepo.ErrBare},
		{"core.bare set", flagged, gitrepo.ErrBare},
		{"no repository", realDir(t), gitrepo.ErrNotARepo},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := gitrepo.Open(tc.dir)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(git(t, tc.dir, "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-dir", "--git-common-dir"), "\n")
			got := []string{r.WorkTree, r.GitDir, r.CommonDir}
			for i := range want {
				if filepath.Clean(got[i]) != filepath.Clean(want[i]) {
					t.Errorf("[WorkTree GitDir CommonDir] = %v, want %v", got, want)
					break
				}
			}
		})
	}
}

func TestHead(t *testing.T) {
	dir := gittest.Init(t)
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := r.Head()
	if err != nil || !h.Unborn || h.Ref != "refs/heads/main" || h.Hash != "" || h.Detached {
		t.Fatalf("unborn: %+v, %v", h, err)
	}
	c1 := gittest.Commit(t, dir, "one", map[string]string{"f": "1\n"})
	if h, _ = r.Head(); h.Hash != c1 || h.Unborn || h.Ref != "refs/heads/main" {
		t.Errorf("branch: %+v, want %s", h, c1)
	}
	git(t, dir, "pack-refs", "--all")
	if h, _ = r.Head(); h.Hash != c1 {
		t.Errorf("packed: %+v, want %s", h, c1)
	}
	git(t, dir, "checkout", "-q", "--detach")
	if h, _ = r.Head(); !h.Detached || h.Hash != c1 || h.Ref != "" {
		t.Errorf("detached: %+v", h)
	}
	git(t, dir, "checkout", "-q", "-b", "feature/x")
	if h, _ = r.Head(); h.Ref != "refs/heads/feature/x" || h.Hash != c1 {
		t.Errorf("new branch: %+v", h)
	}
	if id, err := r.ResolveRef("refs/heads/main"); err != nil || id != c1 {
		t.Errorf("ResolveRef(main) = %s, %v", id, err)
	}
	if id, err := r.ResolveRef("refs/heads/nope"); err != nil || id != "" {
		t.Errorf("ResolveRef(nope) = %q, %v", id, err)
	}
}

func TestReadFileTreeIDListTree(t *testing.T) {
	dir := gittest.Init(t)
	files := map[string]string{
		".milestones/active/a.yaml":    "title: A\n",
		".milestones/active/b.yaml":    "title: B\n",
		".milestones/completed/c.yaml": "title: C\n",
		".milestones/config/x.txt":     "file\n",
		"src/main.go":                  "package main\n",
		"README":                       "r\n",
	}
	c1 := gittest.Commit(t, dir, "one", files)
	git(t, dir, "tag", "-a", "-m", "v1", "v1")
	gittest.Commit(t, dir, "two", map[string]string{".milestones/active/a.yaml": "title: A2\n"})
	git(t, dir, "gc", "-q") // objects in a pack: read through go-git
	gittest.Commit(t, dir, "three", map[string]string{"README": "r3\n"})

	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, rev := range []string{"HEAD", "main", "HEAD~1", "HEAD~2", c1, c1[:10], "v1", "refs/heads/main"} {
		t.Run(rev, func(t *testing.T) {
			for p := range files {
				got, err := r.ReadFile(rev, p)
				want := git(t, dir, "cat-file", "-p", rev+":"+p) + "\n"
				if err != nil || string(got) != want {
					t.Errorf("ReadFile(%s, %s) = %q, %v; want %q", rev, p, got, err, want)
				}
			}
			for _, d := range []string{"", ".milestones", ".milestones/active", "src"} {
				got, err := r.TreeID(rev, d)
				if want := git(t, dir, "rev-parse", rev+"^{tree}:"+d); err != nil || got != want {
					t.Errorf("TreeID(%s, %q) = %s, %v; want %s", rev, d, got, err, want)
				}
			}
			list, err := r.ListTree(rev, ".milestones")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range list {
				got = append(got, formatEntry(e))
			}
			want := git(t, dir, "ls-tree", "-r", rev, "--", ".milestones")
			if strings.Join(got, "\n") != want {
				t.Errorf("ListTree(%s) =\n%s\nwant\n%s", rev, strings.Join(got, "\n"), want)
			}
		})
	}
	if _, err := r.ReadFile("HEAD", ".milestones/active/zz.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := r.ReadFile("HEAD", ".milestones/active"); err == nil {
		t.Errorf("reading a directory as a file succeeded")
	}
	if id, err := r.TreeID("HEAD", ".nothing"); err != nil || id != "" {
		t.Errorf("TreeID of a missing dir = %q, %v", id, err)
	}
	if list, err := r.ListTree("HEAD", ".nothing"); err != nil || len(list) != 0 {
		t.Errorf("ListTree of a missing dir = %v, %v", list, err)
	}
	if _, err := r.ReadFile("no-such-rev", "README"); err == nil {
		t.Errorf("unknown revision accepted")
	}
	// An unborn HEAD has no files and no trees.
	empty := gittest.Init(t)
	re, _ := gitrepo.Open(empty)
	if _, err := re.ReadFile("HEAD", "README"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("unborn ReadFile: %v", err)
	}
	if id, err := re.TreeID("HEAD", ""); err != nil || id != "" {
		t.Errorf("unborn TreeID = %q, %v", id, err)
	}
}

func formatEntry(e gitrepo.TreeEntry) string {
	typ := "blob"
	if e.Mode == gitrepo.ModeGitlink {
		typ = "commit"
	}
	return strings.Join([]string{octal(e.Mode), typ, e.Blob}, " ") + "\t" + e.Path
}

func octal(m uint32) string {
	s := ""
	for m > 0 {
		s = string(rune('0'+m%8)) + s
		m /= 8
	}
	return s
}
