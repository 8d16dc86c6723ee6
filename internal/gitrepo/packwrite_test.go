package gitrepo_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestWriteObjectsPacksBulk writes many objects in one call (a bulk
// import): they land in one pack whose .idx is byte-identical to the one
// `git index-pack` builds from it, git reads every object back, fsck is
// clean once a commit names them, and writing them again adds nothing.
func TestWriteObjectsPacksBulk(t *testing.T) {
	for _, n := range []int{65, 300} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			dir := gittest.Init(t)
			r, err := gitrepo.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var (
				objs  []gitrepo.Object
				edits []gitrepo.TreeEdit
			)
			for i := 0; i < n-2; i++ {
				var content string
				switch i {
				case 0:
					content = "" // empty blob
				case 1:
					content = strings.Repeat("x", 70<<10) // above storeAbove: stored uncompressed
				case 2:
					content = strings.Repeat("milestone text ", 3000) // size needs 3 header bytes
				default:
					content = fmt.Sprintf("title: M %d\nstatus: active\n", i)
				}
				b := gitrepo.NewBlob([]byte(content))
				objs = append(objs, b)
				edits = append(edits, gitrepo.TreeEdit{Path: fmt.Sprintf(".milestones/active/m-%04d.yaml", i), Blob: b.ID()})
			}
			root, trees, err := r.EditTree("", edits)
			if err != nil {
				t.Fatal(err)
			}
			if len(trees) != 3 {
				t.Fatalf("%d trees", len(trees))
			}
			sig := gitrepo.Signature{Name: "T", Email: "t@example.com", When: time.Unix(1700000000, 0)}
			commit := gitrepo.NewCommit(root, nil, sig, sig, "bulk\n")
			objs = append(objs, trees[0], commit) // n objects so far; trees[1:] below
			objs = append(objs, objs[3])          // a duplicate
			objs = append(objs, trees[1:]...)
			ids, err := r.WriteObjects(objs...)
			if err != nil {
				t.Fatal(err)
			}
			packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "pack-*.pack"))
			idxs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "pack-*.idx"))
			if len(packs) != 1 || len(idxs) != 1 {
				t.Fatalf("packs %v, indexes %v", packs, idxs)
			}
			if loose, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "??", "*")); len(loose) != 0 {
				t.Errorf("%d loose objects written too", len(loose))
			}
			for _, p := range []string{packs[0], idxs[0]} {
				if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o222 != 0 {
					t.Errorf("%s: %v, mode %v (want read-only)", p, err, fi.Mode())
				}
			}
			// git's own index of our pack is byte for byte ours.
			gitIdx := filepath.Join(t.TempDir(), "git.idx")
			git(t, dir, "index-pack", "-o", gitIdx, packs[0])
			ours, _ := os.ReadFile(idxs[0])
			theirs, _ := os.ReadFile(gitIdx)
			if !bytes.Equal(ours, theirs) {
				t.Errorf(".idx differs from git index-pack's (%d vs %d bytes)", len(ours), len(theirs))
			}
			// The pack is named after its checksum, as git names packs.
			pack, _ := os.ReadFile(packs[0])
			if name := filepath.Base(packs[0]); name != fmt.Sprintf("pack-%x.pack", pack[len(pack)-20:]) {
				t.Errorf("pack name %s is not its checksum", name)
			}
			verify := git(t, dir, "verify-pack", "-v", idxs[0])
			if !strings.Contains(verify, fmt.Sprintf("non delta: %d objects", len(ids)-1)) {
				t.Errorf("verify-pack -v:\n%s", lastLines(verify, 3))
			}
			want := catFileBatch(t, dir, ids)
			for i, id := range ids {
				if want[i].typ != objs[i].Type || want[i].data != string(objs[i].Data) {
					t.Fatalf("git reads %s as %s (%d bytes), want %s (%d bytes)",
						id, want[i].typ, len(want[i].data), objs[i].Type, len(objs[i].Data))
				}
				o, err := r.ReadObject(id)
				if err != nil || o.Type != objs[i].Type || !bytes.Equal(o.Data, objs[i].Data) {
					t.Fatalf("ReadObject(%s): %v", id, err)
				}
			}
			git(t, dir, "update-ref", "refs/heads/main", commit.ID())
			if out, err := gittest.Run(dir, nil, "fsck", "--strict", "--no-dangling", "--no-progress"); err != nil || out != "" {
				t.Fatalf("fsck: %v\n%s", err, out)
			}
			// Again: everything is packed already, so nothing is written.
			if _, err := r.WriteObjects(objs...); err != nil {
				t.Fatal(err)
			}
			after, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*"))
			if len(after) != 2 {
				t.Errorf("pack directory after a second write: %v", after)
			}
			// A bulk write of new objects mixed with packed ones packs
			// only the new ones; a few new ones are written loose.
			more := append([]gitrepo.Object(nil), objs...)
			for i := 0; i < 3; i++ {
				more = append(more, gitrepo.NewBlob([]byte(fmt.Sprintf("new %d\n", i))))
			}
			if _, err := r.WriteObjects(more...); err != nil {
				t.Fatal(err)
			}
			if loose, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "??", "*")); len(loose) != 3 {
				t.Errorf("%d loose objects, want the 3 new ones", len(loose))
			}
		})
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// TestLookupPathsLikeLookup compares the batched lookup with one Lookup per
// path, over files, directories, missing paths and paths under a file.
func TestLookupPathsLikeLookup(t *testing.T) {
	dir := gittest.Init(t)
	files := map[string]string{
		"README":                       "r\n",
		"a/b/c.yaml":                   "c\n",
		"a/b/d.yaml":                   "d\n",
		"a/e":                          "e\n",
		".milestones/active/x.yaml":    "x\n",
		".milestones/active/y.yaml":    "y\n",
		".milestones/archive/old.yaml": "o\n",
	}
	gittest.Commit(t, dir, "init", files)
	if out, err := exec.Command("chmod", "+x", filepath.Join(dir, "a/e")).CombinedOutput(); err != nil {
		t.Fatal(err, string(out))
	}
	git(t, dir, "add", "a/e")
	git(t, dir, "commit", "-q", "-m", "exec")
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tree := git(t, dir, "rev-parse", "HEAD^{tree}")
	paths := []string{"README", "a", "a/b", "a/b/c.yaml", "a/b/d.yaml", "a/b/zz.yaml", "a/e", "a/e/f",
		"missing/x", ".milestones/active/x.yaml", ".milestones/active/y.yaml", ".milestones/active/new.yaml",
		".milestones/archive/old.yaml", ".milestones", "nope"}
	for _, root := range []string{tree, ""} {
		got, err := r.LookupPaths(root, paths)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, p := range paths {
			e, ok, err := r.Lookup(root, p)
			if err != nil {
				t.Fatal(err)
			}
			g, gok := got[p]
			if ok != gok || g != e {
				t.Errorf("tree %q, %s: LookupPaths %v %+v, Lookup %v %+v", root, p, gok, g, ok, e)
			}
			if ok {
				found++
			}
		}
		if len(got) != found {
			t.Errorf("tree %q: %d results, %d found", root, len(got), found)
		}
		if root != "" && (found != 10 || got["a/e"].Mode != gitrepo.ModeExecutable || got["a/b"].Mode != gitrepo.ModeTree) {
			t.Errorf("found %d, a/e mode %o, a/b mode %o", found, got["a/e"].Mode, got["a/b"].Mode)
		}
	}
}
