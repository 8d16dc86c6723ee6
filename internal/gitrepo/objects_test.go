package gitrepo_test

import (
	"bytes"
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

func TestWriteObjectsMatchGit(t *testing.T) {
	dir := gittest.Init(t)
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	contents := []string{"", "hello\n", strings.Repeat("milestone ", 10000), "\x00binary\xff"}
	var objs []gitrepo.Object
	for _, c := range contents {
		objs = append(objs, gitrepo.NewBlob([]byte(c)))
	}
	objs = append(objs, objs[1]) // a duplicate is written once
	ids, err := r.WriteObjects(objs...)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range contents {
		p := filepath.Join(t.TempDir(), "f")
		os.WriteFile(p, []byte(c), 0o666)
		if want := git(t, dir, "hash-object", p); ids[i] != want {
			t.Errorf("id of %q = %s, git says %s", c[:min(len(c), 10)], ids[i], want)
		}
		if got, _ := gittest.Run(dir, nil, "cat-file", "blob", ids[i]); got != c {
			t.Errorf("git reads back %d bytes, want %d", len(got), len(c))
		}
		fi, err := os.Stat(filepath.Join(dir, ".git", "objects", ids[i][:2], ids[i][2:]))
		if err != nil || fi.Mode().Perm()&0o222 != 0 {
			t.Errorf("loose object %s: %v, mode %v (want read-only)", ids[i], err, fi.Mode())
		}
	}
	if ids[len(ids)-1] != ids[1] {
		t.Errorf("duplicate got another id")
	}
	// Writing again is a no-op, and nothing temporary is left.
	if _, err := r.WriteObjects(objs...); err != nil {
		t.Fatal(err)
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "*", "tmp_obj_*"))
	if len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
	if o, err := r.ReadObject(ids[2]); err != nil || string(o.Data) != contents[2] || o.Type != "blob" {
		t.Errorf("ReadObject: %v", err)
	}
}

// TestEditTreeMatchesGit applies random edits to a tree with EditTree and
// checks every resulting tree id against what git's own write-tree builds
// from the same files; names are chosen to exercise git's ordering
// ("a" vs "a.b" vs "a/" vs "a-b" vs "a0").
func TestEditTreeMatchesGit(t *testing.T) {
	dir := gittest.Init(t)
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"a", "a.b", "a-b", "a0", "ab", "b", "a b", "é", "Z", ".milestones"}
	rng := rand.New(rand.NewSource(1))
	randPath := func() string {
		depth := 1 + rng.Intn(3)
		parts := make([]string, depth)
		for i := range parts {
			parts[i] = names[rng.Intn(len(names))]
		}
		return strings.Join(parts, "/")
	}
	files := map[string]string{} // path -> blob id
	root := ""
	for round := 0; round < 40; round++ {
		var edits []gitrepo.TreeEdit
		seen := map[string]bool{}
		var blobs []gitrepo.Object
		for i := 0; i < 1+rng.Intn(5); i++ {
			var p string
			if len(files) > 0 && rng.Intn(3) == 0 { // delete an existing file
				keys := make([]string, 0, len(files))
				for k := range files {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				p = keys[rng.Intn(len(keys))]
				if conflicts(p, seen) {
					continue
				}
				seen[p] = true
				edits = append(edits, gitrepo.TreeEdit{Path: p})
				continue
			}
			p = randPath()
			if conflicts(p, seen) || clashesWith(p, files) {
				continue
			}
			seen[p] = true
			b := gitrepo.NewBlob([]byte(fmt.Sprintf("%s %d\n", p, round)))
			blobs = append(blobs, b)
			edits = append(edits, gitrepo.TreeEdit{Path: p, Blob: b.ID()})
		}
		newRoot, trees, err := r.EditTree(root, edits)
		if err != nil {
			t.Fatalf("round %d: %v (edits %v)", round, err, edits)
		}
		if _, err := r.WriteObjects(append(blobs, trees...)...); err != nil {
			t.Fatal(err)
		}
		for _, e := range edits {
			if e.Blob == "" {
				delete(files, e.Path)
			} else {
				files[e.Path] = e.Blob
			}
		}
		if want := gitTree(t, dir, files); newRoot != want {
			t.Fatalf("round %d: EditTree gives %s, git write-tree gives %s\nedits %v", round, newRoot, want, edits)
		}
		root = newRoot
	}
	if out, err := gittest.Run(dir, nil, "fsck", "--strict", "--no-dangling"); err != nil {
		t.Fatalf("fsck: %v %s", err, out)
	}
}

// conflicts reports whether p, or a parent or child of it, is already in
// this round's edits.
func conflicts(p string, seen map[string]bool) bool {
	for q := range seen {
		if q == p || strings.HasPrefix(q, p+"/") || strings.HasPrefix(p, q+"/") {
			return true
		}
	}
	return false
}

// clashesWith reports whether adding p would put a file where a directory
// is, or the reverse.
func clashesWith(p string, files map[string]string) bool {
	for q := range files {
		if strings.HasPrefix(q, p+"/") || strings.HasPrefix(p, q+"/") {
			return true
		}
	}
	return false
}

// gitTree has git build the tree of files (path -> blob) in a scratch index.
func gitTree(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	idx := filepath.Join(t.TempDir(), "index")
	var in strings.Builder
	for p, id := range files {
		fmt.Fprintf(&in, "100644 %s\t%s\n", id, p)
	}
	env := []string{"GIT_INDEX_FILE=" + idx}
	if in.Len() > 0 {
		if _, err := gittest.RunInput(dir, env, in.String(), "update-index", "--add", "--index-info"); err != nil {
			t.Fatal(err)
		}
	}
	out, err := gittest.Run(dir, env, "write-tree")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func TestEditTreeRefusals(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"file": "f\n", "dir/x": "x\n"})
	r, _ := gitrepo.Open(dir)
	root := git(t, dir, "rev-parse", "HEAD^{tree}")
	blob := gitrepo.NewBlob([]byte("new\n")).ID()
	cases := []struct {
		name  string
		edits []gitrepo.TreeEdit
		want  string
	}{
		{"file over dir", []gitrepo.TreeEdit{{Path: "dir", Blob: blob}}, "is a directory"},
		{"dir over file", []gitrepo.TreeEdit{{Path: "file/x", Blob: blob}}, "not a directory"},
		{"dot-git", []gitrepo.TreeEdit{{Path: ".git/config", Blob: blob}}, "invalid path"},
		{"dot-dot", []gitrepo.TreeEdit{{Path: "a/../b", Blob: blob}}, "invalid path"},
		{"twice", []gitrepo.TreeEdit{{Path: "a", Blob: blob}, {Path: "a"}}, "twice"},
		{"file and dir", []gitrepo.TreeEdit{{Path: "a", Blob: blob}, {Path: "a/b", Blob: blob}}, "both a file and a directory"},
		{"bad id", []gitrepo.TreeEdit{{Path: "a", Blob: "xyz"}}, "invalid blob id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := r.EditTree(root, tc.edits)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// Removing everything gives the empty tree; removing a missing path is a no-op.
	id, _, err := r.EditTree(root, []gitrepo.TreeEdit{{Path: "file"}, {Path: "dir/x"}, {Path: "nope"}})
	if err != nil || id != "4b825dc642cb6eb9a060e54bf8d69288fbee4904" {
		t.Errorf("empty tree = %s, %v", id, err)
	}
	// Executable mode is kept unless a mode is given.
	git(t, dir, "update-index", "--chmod=+x", "file")
	git(t, dir, "commit", "-q", "-m", "x")
	root = git(t, dir, "rev-parse", "HEAD^{tree}")
	edits := []gitrepo.TreeEdit{{Path: "file", Blob: blob}}
	id, objs, err := r.EditTree(root, edits)
	if err != nil || edits[0].Mode != gitrepo.ModeExecutable {
		t.Fatalf("mode = %o, %v", edits[0].Mode, err)
	}
	r.WriteObjects(objs...)
	if got := git(t, dir, "ls-tree", id, "file"); !strings.HasPrefix(got, "100755 blob "+blob) {
		t.Errorf("ls-tree = %s", got)
	}
}

// TestWriteBigObjectsStored: objects above storeAbove are written as
// stored zlib streams that git reads back byte for byte, and fsck agrees.
func TestWriteBigObjectsStored(t *testing.T) {
	dir := gittest.Init(t)
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("title: a milestone of the roadmap\n"), 9000) // ~300 KB, several blocks
	ids, err := r.WriteObjects(gitrepo.NewBlob(big), gitrepo.NewBlob([]byte("small\n")))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := gittest.Run(dir, nil, "cat-file", "blob", ids[0]); err != nil || got != string(big) {
		t.Errorf("git reads back %d bytes, want %d (%v)", len(got), len(big), err)
	}
	if o, err := r.ReadObject(ids[0]); err != nil || !bytes.Equal(o.Data, big) {
		t.Errorf("ReadObject: %d bytes, %v", len(o.Data), err)
	}
	if out, err := gittest.Run(dir, nil, "fsck", "--strict"); err != nil {
		t.Errorf("fsck: %v\n%s", err, out)
	}
}
