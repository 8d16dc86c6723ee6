package gitrepo_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestResolveRevisions compares ResolveCommit and TreeID with git
// rev-parse for the revision syntax people use, with objects both packed
// and loose, and checks that the common syntax is answered without
// running git.
func TestResolveRevisions(t *testing.T) {
	dir := gittest.Init(t)
	c1 := gittest.Commit(t, dir, "one", map[string]string{"a": "1\n"})
	git(t, dir, "tag", "-a", "-m", "v1", "v1", c1)
	git(t, dir, "tag", "-a", "-m", "tag of a tag", "vv", "v1")
	git(t, dir, "branch", "side")
	gittest.Commit(t, dir, "two", map[string]string{"a": "2\n"})
	git(t, dir, "tag", "lw")
	git(t, dir, "checkout", "-q", "side")
	gittest.Commit(t, dir, "side", map[string]string{"b": "1\n"})
	git(t, dir, "checkout", "-q", "main")
	git(t, dir, "merge", "-q", "--no-edit", "side")
	git(t, dir, "gc", "-q") // what is above is packed, what follows loose
	c3 := gittest.Commit(t, dir, "three", map[string]string{"a": "3\n"})
	git(t, dir, "update-ref", "refs/remotes/origin/main", "lw")
	git(t, dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
	git(t, dir, "update-ref", "ORIG_HEAD", c1)
	git(t, dir, "branch", "cafe", c1)

	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	native := []string{
		"HEAD", "@", "main", "refs/heads/main", "HEAD~1", "HEAD~2", "HEAD~3", "HEAD^", "HEAD^^",
		"HEAD~1^2", "HEAD~1^2~1", "HEAD^1^2^", "main~0", "HEAD^0", "HEAD~", "HEAD~~",
		"v1", "v1~0", "v1^{}", "v1^{commit}", "vv", "vv^{}", "lw", "lw~1",
		"origin/main", "origin", "remotes/origin/main", "refs/remotes/origin/main", "ORIG_HEAD", "cafe",
		c1[:7], c1[:9], c3[:8], c3[:13],
	}
	for _, rev := range native {
		want := git(t, dir, "rev-parse", "--verify", "--end-of-options", rev+"^{commit}")
		got, err := r.ResolveCommit(rev)
		if err != nil || got != want {
			t.Errorf("ResolveCommit(%q) = %q, %v; want %q", rev, got, err, want)
		}
		if _, ok, err := r.ResolveNative(rev); !ok || err != nil {
			t.Errorf("%q was not resolved natively (ok %v, err %v)", rev, ok, err)
		}
	}
	// Other syntax is git's to resolve, with the same answer.
	for _, rev := range []string{"main@{0}", "HEAD@{1}", "HEAD^{/one}", "v1^{tag}~0"} {
		if _, ok, _ := r.ResolveNative(rev); ok {
			t.Errorf("%q resolved natively: git should decide", rev)
		}
		want := git(t, dir, "rev-parse", "--verify", "--end-of-options", rev+"^{commit}")
		if got, err := r.ResolveCommit(rev); err != nil || got != want {
			t.Errorf("ResolveCommit(%q) = %q, %v; want %q", rev, got, err, want)
		}
	}
	for _, rev := range []string{"HEAD", "HEAD^{tree}", "v1", "v1^{tree}", "vv^{}", "HEAD~1^2", c1[:7]} {
		want := git(t, dir, "rev-parse", "--verify", "--end-of-options", rev+"^{tree}")
		if got, err := r.TreeID(rev, ""); err != nil || got != want {
			t.Errorf("TreeID(%q) = %q, %v; want %q", rev, got, err, want)
		}
	}
	// A blob is no tree-ish: the error names the revision.
	if got, err := r.TreeID("HEAD:a", ""); err == nil || !strings.Contains(err.Error(), `HEAD:a: `) || !strings.Contains(err.Error(), "is a blob, not a tree") {
		t.Errorf("TreeID(HEAD:a) = %q, %v; want an error naming HEAD:a and the blob", got, err)
	}
	for _, rev := range []string{"HEAD~9", "HEAD^3", c1 + "^", "v1~1", "nope", "nope~1", "HEAD^{tree}~1", "v1^{blob}", "main^{nothing}"} {
		if got, err := r.ResolveCommit(rev); !errors.Is(err, gitrepo.ErrUnknownRevision) {
			t.Errorf("ResolveCommit(%q) = %q, %v; want ErrUnknownRevision", rev, got, err)
		}
	}
}
