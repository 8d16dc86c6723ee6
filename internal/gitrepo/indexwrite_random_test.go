package gitrepo_test

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestWriteIndexRandomLikeGit: random small work trees (names chosen to
// sort around '/': "a", "a-b", "a.b", "a0", "ab"), index versions 2 and 4
// with and without a cache tree, skip-worktree, assume-unchanged and
// intent-to-add entries, racily clean entries whose file changed or is
// gone, and random batches of inserts, replacements and removals
// (folder/file conflicts and repeated paths included): UpdateIndexFile
// must give git's bytes every time (apply), and the writer must do a
// good share of them itself. The seed is fixed: a failure is repeatable.
func TestWriteIndexRandomLikeGit(t *testing.T) {
	comps := []string{"a", "b", "a-b", "a.b", "a0", "ab", "c"}
	rnd := rand.New(rand.NewSource(20261203))
	randPath := func() string {
		p := make([]string, 1+rnd.Intn(3))
		for i := range p {
			p[i] = comps[rnd.Intn(len(comps))]
		}
		return strings.Join(p, "/")
	}
	const rounds = 40
	native := 0
	for round := 0; round < rounds; round++ {
		files := map[string]string{}
		var paths []string
	add:
		for i := 0; i < 8; i++ {
			p := randPath()
			for _, q := range paths {
				if q == p || strings.HasPrefix(q, p+"/") || strings.HasPrefix(p, q+"/") {
					continue add
				}
			}
			files[p] = fmt.Sprintf("%d\n", i)
			paths = append(paths, p)
		}
		sort.Strings(paths)
		dir := gittest.Init(t)
		gittest.Commit(t, dir, "init", files)
		r, err := gitrepo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		ir := &indexRepo{t: t, dir: dir, r: r}
		if rnd.Intn(2) == 0 {
			os.Remove(ir.index())
			ir.git("add", "-A") // no cache tree
		}
		if rnd.Intn(2) == 0 {
			ir.git("update-index", "--index-version", "4")
		}
		if rnd.Intn(2) == 0 {
			ir.git("write-tree")
		}
		for k := 0; k < 2; k++ {
			q := paths[rnd.Intn(len(paths))]
			switch rnd.Intn(6) {
			case 0:
				ir.git("update-index", "--skip-worktree", q)
			case 1:
				ir.git("update-index", "--assume-unchanged", q)
			case 2:
				np := fmt.Sprintf("n%d/%s", k, randPath())
				gittest.WriteFile(t, dir, np, "ita\n")
				ir.git("add", "-N", np)
			case 3: // same size, same second: git smudges the entry
				gittest.WriteFile(t, dir, q, "X"+files[q][1:])
			case 4:
				os.Remove(filepath.Join(dir, q))
			}
		}
		ups := make([]gitrepo.IndexUpdate, 1+rnd.Intn(4))
		for i := range ups {
			ups[i].Path = randPath()
			if rnd.Intn(3) > 0 {
				ups[i].Blob = ir.blob(fmt.Sprintf("n%d\n", rnd.Intn(3)))
			}
		}
		_, err = ir.apply(ups, false)
		if err == nil {
			native++
		} else if !errors.Is(err, gitrepo.ErrNeedGit) {
			t.Fatal(err)
		}
		if t.Failed() {
			t.Fatalf("round %d: files %v, updates %+v", round, paths, ups)
		}
	}
	if native < rounds/5 {
		t.Errorf("the writer did %d of %d batches itself", native, rounds)
	}
	t.Logf("the writer did %d of %d batches itself", native, rounds)
}
