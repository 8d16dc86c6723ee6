package gitrepo_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestOpenEnv checks discovery against git's own answers, variable by
// variable, run from a folder outside the repository.
func TestOpenEnv(t *testing.T) {
	repo := gittest.Init(t)
	c1 := gittest.Commit(t, repo, "one", map[string]string{"a/f.txt": "x\n"})
	elsewhere := realDir(t)
	wt := filepath.Join(realDir(t), "wt")
	git(t, repo, "worktree", "add", "-q", "-b", "other", wt)
	worktreeGitDir := git(t, wt, "rev-parse", "--path-format=absolute", "--git-dir")
	altObjects := filepath.Join(realDir(t), "objects")
	if err := os.MkdirAll(altObjects, 0o777); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name                     string
		dir                      string
		env                      map[string]string
		workTree, gitDir, common string
		index, objects           string
	}{
		{name: "GIT_DIR and GIT_WORK_TREE, relative", dir: elsewhere,
			env:      map[string]string{"GIT_DIR": rel(t, elsewhere, filepath.Join(repo, ".git")), "GIT_WORK_TREE": rel(t, elsewhere, repo)},
			workTree: repo, gitDir: filepath.Join(repo, ".git"), common: filepath.Join(repo, ".git")},
		{name: "GIT_DIR alone: the current folder is the work tree", dir: elsewhere,
			env:      map[string]string{"GIT_DIR": filepath.Join(repo, ".git")},
			workTree: elsewhere, gitDir: filepath.Join(repo, ".git"), common: filepath.Join(repo, ".git")},
		{name: "GIT_WORK_TREE with a discovered git dir", dir: filepath.Join(repo, "a"),
			env:      map[string]string{"GIT_WORK_TREE": elsewhere},
			workTree: elsewhere, gitDir: filepath.Join(repo, ".git"), common: filepath.Join(repo, ".git")},
		{name: "linked worktree by GIT_DIR", dir: elsewhere,
			env:      map[string]string{"GIT_DIR": worktreeGitDir, "GIT_WORK_TREE": wt},
			workTree: wt, gitDir: worktreeGitDir, common: filepath.Join(repo, ".git")},
		{name: "relative GIT_INDEX_FILE from a subfolder: from the top, as git", dir: filepath.Join(repo, "a"),
			env:      map[string]string{"GIT_INDEX_FILE": "sub-index"},
			workTree: repo, gitDir: filepath.Join(repo, ".git"), common: filepath.Join(repo, ".git"),
			index: filepath.Join(repo, "sub-index")},
		{name: "relative GIT_INDEX_FILE outside the work tree: from here", dir: elsewhere,
			env:      map[string]string{"GIT_DIR": filepath.Join(repo, ".git"), "GIT_WORK_TREE": repo, "GIT_INDEX_FILE": "out-index"},
			workTree: repo, gitDir: filepath.Join(repo, ".git"), common: filepath.Join(repo, ".git"),
			index: filepath.Join(elsewhere, "out-index")},
		{name: "GIT_INDEX_FILE and GIT_OBJECT_DIRECTORY", dir: repo,
			env:      map[string]string{"GIT_INDEX_FILE": "alt-index", "GIT_OBJECT_DIRECTORY": altObjects},
			workTree: repo, gitDir: filepath.Join(repo, ".git"), common: filepath.Join(repo, ".git"),
			index: filepath.Join(repo, "alt-index"), objects: altObjects},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := gitrepo.OpenEnv(tc.dir, func(k string) string {
				if v, ok := tc.env[k]; ok {
					return v
				}
				return os.Getenv(k)
			})
			if err != nil {
				t.Fatal(err)
			}
			if tc.index == "" {
				tc.index = filepath.Join(tc.gitDir, "index")
			}
			if tc.objects == "" {
				tc.objects = filepath.Join(tc.common, "objects")
			}
			got := []string{r.WorkTree, r.GitDir, r.CommonDir, r.IndexFile, r.ObjectDir}
			want := []string{tc.workTree, tc.gitDir, tc.common, tc.index, tc.objects}
			for i := range want {
				if got[i] != filepath.Clean(want[i]) {
					t.Errorf("[WorkTree GitDir CommonDir IndexFile ObjectDir] = %q, want %q", got, want)
					break
				}
			}
			// git agrees, given the same variables.
			var env []string
			for k, v := range tc.env {
				env = append(env, k+"="+v)
			}
			out, err := gittest.Run(tc.dir, env, "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-dir", "--git-common-dir")
			if err != nil {
				t.Fatal(err)
			}
			wantGit := filepath.Clean(r.WorkTree) + "\n" + r.GitDir + "\n" + r.CommonDir + "\n"
			if out != wantGit {
				t.Errorf("git rev-parse says %q, we say %q", out, wantGit)
			}
			if _, ok := tc.env["GIT_INDEX_FILE"]; ok && tc.objects == filepath.Join(tc.common, "objects") {
				// git writes the index where we say it is.
				if _, err := gittest.Run(tc.dir, env, "read-tree", "HEAD"); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(r.IndexFile); err != nil {
					t.Errorf("git wrote the index elsewhere than %s: %v", r.IndexFile, err)
				}
			}
			if tc.objects == filepath.Join(tc.common, "objects") {
				if h, err := r.ResolveRef("refs/heads/main"); err != nil || h != c1 {
					t.Errorf("main = %s, %v; want %s", h, err, c1)
				}
			}
		})
	}
	t.Run("GIT_DIR that is not a repository", func(t *testing.T) {
		_, err := gitrepo.OpenEnv(repo, func(k string) string {
			if k == "GIT_DIR" {
				return elsewhere
			}
			return os.Getenv(k)
		})
		if err == nil {
			t.Fatal("opened a folder that is no repository")
		}
	})
}

func rel(t *testing.T, base, target string) string {
	t.Helper()
	r, err := filepath.Rel(base, target)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
