package gitrepo_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

func TestResolveCommitAndReadCommit(t *testing.T) {
	dir := gittest.Init(t)
	c1 := gittest.Commit(t, dir, "first\n\nbody", map[string]string{"a.txt": "1\n"})
	c2 := gittest.Commit(t, dir, "second", map[string]string{"a.txt": "2\n"})
	git(t, dir, "tag", "-a", "-m", "annotated", "v1", c1)
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for rev, want := range map[string]string{"HEAD": c2, "main": c2, "HEAD~1": c1, "v1": c1, c2[:8]: c2, c1: c1, "refs/heads/main": c2} {
		got, err := repo.ResolveCommit(rev)
		if err != nil || got != want {
			t.Errorf("ResolveCommit(%q) = %q, %v; want %q", rev, got, err, want)
		}
	}
	for _, rev := range []string{"nope", "HEAD~5", "-x", "a b", strings.Repeat("0", 40)} {
		if _, err := repo.ResolveCommit(rev); !errors.Is(err, gitrepo.ErrUnknownRevision) {
			t.Errorf("ResolveCommit(%q): %v, want ErrUnknownRevision", rev, err)
		}
	}
	c, err := repo.ReadCommit(c1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject() != "first" || len(c.Parents) != 0 || c.Author.Name != "Tester" || c.Author.Email != "tester@example.com" || c.Tree == "" {
		t.Errorf("%+v", c)
	}
	if c, _ := repo.ReadCommit(c2); len(c.Parents) != 1 || c.Parents[0] != c1 {
		t.Errorf("parents %v", c.Parents)
	}
	// An unborn branch resolves to "".
	empty := gittest.Init(t)
	r2, _ := gitrepo.Open(empty)
	if id, err := r2.ResolveCommit("HEAD"); id != "" || err != nil {
		t.Errorf("unborn HEAD: %q %v", id, err)
	}
}

func TestMergeBase(t *testing.T) {
	dir := gittest.Init(t)
	base := gittest.Commit(t, dir, "base", map[string]string{"a": "1\n"})
	git(t, dir, "checkout", "-q", "-b", "side")
	side := gittest.Commit(t, dir, "side", map[string]string{"b": "1\n"})
	git(t, dir, "checkout", "-q", "main")
	main := gittest.Commit(t, dir, "main", map[string]string{"c": "1\n"})
	git(t, dir, "checkout", "-q", "--orphan", "lonely")
	lonely := gittest.Commit(t, dir, "lonely", map[string]string{"d": "1\n"})
	repo, _ := gitrepo.Open(dir)
	if mb, err := repo.MergeBase(main, side); err != nil || mb != base {
		t.Errorf("merge base %q %v, want %q", mb, err, base)
	}
	if mb, err := repo.MergeBase(main, lonely); err != nil || mb != "" {
		t.Errorf("unrelated: %q %v", mb, err)
	}
}

func TestPathLog(t *testing.T) {
	dir := gittest.Init(t)
	// Configuration that would change git log's output must not matter.
	for _, kv := range [][2]string{{"diff.noprefix", "true"}, {"diff.suppressBlankEmpty", "true"}, {"log.showRoot", "false"},
		{"diff.external", "false"}, {"color.ui", "always"}, {"diff.mnemonicPrefix", "true"}, {"log.showSignature", "true"}} {
		git(t, dir, "config", kv[0], kv[1])
	}
	p, q := ".milestones/active/x.yaml", ".milestones/completed/x.yaml"
	v1 := "title: X\n\ndescription: |\n  one\n\n  two"
	v2 := "title: X\n\ndescription: |\n  one\n\n  two\n-- dashes\n+plus\n\\ back\n"
	gittest.Commit(t, dir, "add", map[string]string{p: v1, "other": "o\n"})
	gittest.Commit(t, dir, "not ours", map[string]string{"other": "p\n"})
	gittest.Commit(t, dir, "edit", map[string]string{p: v2})
	os.MkdirAll(filepath.Join(dir, ".milestones/completed"), 0o777)
	git(t, dir, "mv", p, q)
	gittest.Commit(t, dir, "move", map[string]string{q: "title: X\nstatus: completed\n"})
	gittest.WriteFile(t, dir, q, "bin\x00ary\n")
	gittest.Commit(t, dir, "binary", map[string]string{q: "bin\x00ary\n"})
	git(t, dir, "rm", "-q", q)
	gittest.Commit(t, dir, "remove", nil)

	repo, _ := gitrepo.Open(dir)
	head, _ := repo.ResolveCommit("HEAD")
	commits, err := repo.PathLog(head, []string{p, q})
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, c := range commits {
		subjects = append(subjects, c.Subject())
	}
	if got := strings.Join(subjects, ","); got != "remove,binary,move,edit,add" {
		t.Fatalf("commits %s", got)
	}
	file := func(c gitrepo.PathCommit, path string) gitrepo.FileChange {
		for _, f := range c.Files {
			if f.Path == path {
				return f
			}
		}
		t.Fatalf("%s: no change of %s in %+v", c.Subject(), path, c.Files)
		return gitrepo.FileChange{}
	}
	add := file(commits[4], p)
	if add.Old != nil || string(add.New) != v1 || add.OldBlob != "" || add.NewBlob != gitrepo.NewBlob([]byte(v1)).ID() {
		t.Errorf("add: %+v", add)
	}
	edit := file(commits[3], p)
	if string(edit.Old) != v1 || string(edit.New) != v2 {
		t.Errorf("edit:\nold %q\nnew %q", edit.Old, edit.New)
	}
	if f := file(commits[2], p); string(f.Old) != v2 || f.New != nil {
		t.Errorf("move, old side: %+v", f)
	}
	if f := file(commits[2], q); f.Old != nil || string(f.New) != "title: X\nstatus: completed\n" {
		t.Errorf("move, new side: %+v", f)
	}
	if f := file(commits[1], q); string(f.New) != "bin\x00ary\n" {
		t.Errorf("binary: %q", f.New)
	}
	if f := file(commits[0], q); string(f.Old) != "bin\x00ary\n" || f.New != nil {
		t.Errorf("remove: %+v", f)
	}
	if c := commits[3]; c.Author.Name != "Tester" || c.Author.When.IsZero() || len(c.Parents) != 1 {
		t.Errorf("commit fields %+v", c.Commit)
	}
	if _, err := repo.PathLog("HEAD", []string{p}); err == nil {
		t.Error("PathLog accepts a symbolic start")
	}
}

func TestTreeLog(t *testing.T) {
	dir := gittest.Init(t)
	git(t, dir, "config", "diff.noprefix", "true")
	git(t, dir, "config", "core.quotePath", "true")
	a, b := ".milestones/active/a.yaml", ".milestones/completed/a.yaml"
	gittest.Commit(t, dir, "add", map[string]string{a: "title: A\n", ".milestones/active/notes.txt": "x\n",
		".milestones/config/storage-config.yaml": "storage: {}\n", "a.yaml": "outside\n", ".milestones/active/sp ace.yaml": "title: S\n",
		".milestones/active/\"q\".yaml": "title: Q\n"})
	gittest.Commit(t, dir, "outside only", map[string]string{"a.yaml": "still outside\n"})
	os.MkdirAll(filepath.Join(dir, ".milestones/completed"), 0o777)
	git(t, dir, "mv", a, b)
	gittest.Commit(t, dir, "close", map[string]string{b: "title: A\nstatus: completed\n"})

	repo, _ := gitrepo.Open(dir)
	head, _ := repo.ResolveCommit("HEAD")
	commits, err := repo.TreeLog(head, []string{".milestones/active", ".milestones/completed/"}, ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range commits {
		var files []string
		for _, f := range c.Files {
			files = append(files, f.Path)
		}
		got = append(got, c.Subject()+": "+strings.Join(files, " "))
	}
	// Oldest first; only documents under the folders; a name git quotes is left out.
	want := []string{"add: .milestones/active/a.yaml .milestones/active/sp ace.yaml",
		"close: .milestones/active/a.yaml .milestones/completed/a.yaml"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tree log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f := commits[1].Files[1]; f.Old != nil || string(f.New) != "title: A\nstatus: completed\n" {
		t.Errorf("close, new side: %+v", f)
	}
	if _, err := repo.TreeLog("HEAD", []string{".milestones/active"}, ".yaml"); err == nil {
		t.Error("TreeLog accepts a symbolic start")
	}
}
