package gitrepo_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestAlternates reads, from a clone that borrows its objects (git clone
// --shared, --reference; absolute and relative alternates paths), objects
// that only the borrowed database holds, packed and loose, the way git
// does: ReadObject, revisions, and the history walk.
func TestAlternates(t *testing.T) {
	src := gittest.Init(t)
	gittest.Commit(t, src, "one", map[string]string{".milestones/active/a.yaml": "title: A\n"})
	gittest.Commit(t, src, "two", map[string]string{".milestones/active/a.yaml": "title: A2\n"})
	git(t, src, "gc", "-q")
	loose := gittest.Commit(t, src, "three", map[string]string{".milestones/active/a.yaml": "title: A3\n"})
	for _, tc := range []struct {
		name     string
		relative bool
	}{{"absolute", false}, {"relative", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "clone")
			git(t, filepath.Dir(dst), "clone", "-q", "--shared", src, dst)
			alt := filepath.Join(dst, ".git", "objects", "info", "alternates")
			if tc.relative {
				rel, err := filepath.Rel(filepath.Join(dst, ".git", "objects"), filepath.Join(src, ".git", "objects"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(alt, []byte(rel+"\n"), 0o666); err != nil {
					t.Fatal(err)
				}
			}
			if n := strings.TrimSpace(git(t, dst, "count-objects")); !strings.HasPrefix(n, "0 objects") {
				t.Fatalf("the clone has objects of its own: %s", n)
			}
			r, err := gitrepo.Open(dst)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for _, id := range strings.Fields(git(t, src, "rev-list", "--objects", "--all")) {
				if len(id) != 40 {
					continue
				}
				o, err := r.ReadObject(id)
				if err != nil {
					t.Fatalf("read %s: %v", id, err)
				}
				if o.ID() != id {
					t.Fatalf("read %s: got %s", id, o.ID())
				}
			}
			if got, err := r.ResolveCommit("HEAD~1"); err != nil || got != strings.TrimSpace(git(t, src, "rev-parse", "HEAD~1")) {
				t.Fatalf("HEAD~1 = %s %v", got, err)
			}
			log, err := r.PathLog(loose, []string{".milestones/active/a.yaml"})
			if err != nil || len(log) != 3 {
				t.Fatalf("path log: %d commits, %v", len(log), err)
			}
		})
	}
}

// TestPackIndexV1 reads objects from a pack whose index has version 1 (as
// very old git wrote them, and `git index-pack --index-version=1` still
// does): neither our pack reader nor go-git's reads it, git does. A
// missing object is reported as missing.
func TestPackIndexV1(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "one", map[string]string{".milestones/active/a.yaml": "title: A\n"})
	gittest.Commit(t, dir, "two", map[string]string{".milestones/active/a.yaml": "title: A2\n"})
	git(t, dir, "gc", "-q")
	packs, err := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "pack-*.pack"))
	if err != nil || len(packs) != 1 {
		t.Fatalf("packs %v %v", packs, err)
	}
	idx := strings.TrimSuffix(packs[0], ".pack") + ".idx"
	os.Chmod(idx, 0o644)
	os.Remove(idx)
	git(t, dir, "index-pack", "--index-version=1", "-o", idx, packs[0])
	if b, err := os.ReadFile(idx); err != nil || len(b) < 4 || string(b[:4]) == "\xfftOc" {
		t.Fatalf("the index is not version 1 (%v)", err)
	}
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for _, id := range strings.Fields(git(t, dir, "rev-list", "--objects", "--all")) {
		if len(id) != 40 {
			continue
		}
		o, err := r.ReadObject(id)
		if err != nil || o.ID() != id {
			t.Fatalf("read %s: %v", id, err)
		}
		n++
	}
	if n < 6 {
		t.Fatalf("only %d objects", n)
	}
	if _, err := r.ReadObject(strings.Repeat("ab", 20)); !errors.Is(err, gitrepo.ErrObjectNotFound) {
		t.Fatalf("a missing object: %v", err)
	}
}

// TestAbbrevIDEnvAlternates: an abbreviated id unique in the repository's
// own objects but shared with an object of GIT_ALTERNATE_OBJECT_DIRECTORIES
// is ambiguous, as git says; it is not resolved to the local object.
func TestAbbrevIDEnvAlternates(t *testing.T) {
	src, dst := gittest.Init(t), gittest.Init(t)
	byPrefix := map[string]gitrepo.Object{}
	var mine, theirs gitrepo.Object
	for i := 0; ; i++ {
		o := gitrepo.NewBlob([]byte(fmt.Sprintf("blob %d\n", i)))
		if other, ok := byPrefix[o.ID()[:4]]; ok {
			mine, theirs = o, other
			break
		}
		byPrefix[o.ID()[:4]] = o
	}
	for dir, o := range map[string]gitrepo.Object{src: theirs, dst: mine} {
		r, err := gitrepo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.WriteObjects(o); err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	t.Setenv("GIT_ALTERNATE_OBJECT_DIRECTORIES", filepath.Join(src, ".git", "objects"))
	r, err := gitrepo.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	prefix := mine.ID()[:4]
	if id, ok, err := r.ResolveNative(prefix); ok {
		t.Fatalf("%s resolved here to %s, %v: it is ambiguous with the alternate's %s", prefix, id, err, theirs.ID())
	}
}
