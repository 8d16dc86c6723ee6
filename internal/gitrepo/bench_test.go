package gitrepo_test

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// packedRepo has n files in .milestones/active plus 20,000 others, all in
// one pack (as after a clone), HEAD on a loose ref.
func packedRepo(b *testing.B, n int) string {
	dir := gittest.Init(b)
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	in, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(in)
	fmt.Fprintf(w, "commit refs/heads/main\ncommitter B <b@example.com> 1700000000 +0000\ndata 4\nseed\n")
	for i := 0; i < 20000; i++ {
		c := fmt.Sprintf("package p\n// %d\n", i)
		fmt.Fprintf(w, "M 100644 inline src/d%03d/f%05d.go\ndata %d\n%s\n", i/100, i, len(c), c)
	}
	for i := 0; i < n; i++ {
		c := fmt.Sprintf("title: Milestone %d\nstatus: active\n", i)
		fmt.Fprintf(w, "M 100644 inline .milestones/active/m-%05d.yaml\ndata %d\n%s\n", i, len(c), c)
	}
	w.Flush()
	in.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkOpenReadFile is what `git milestone show` costs in git access:
// open the repository and read one milestone at HEAD from a pack.
func BenchmarkOpenReadFile10k(b *testing.B) {
	dir := packedRepo(b, 10000)
	for b.Loop() {
		r, err := gitrepo.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.ReadFile("HEAD", ".milestones/active/m-05000.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListTree10k lists .milestones at HEAD (10,000 entries, packed).
func BenchmarkListTree10k(b *testing.B) {
	dir := packedRepo(b, 10000)
	for b.Loop() {
		r, _ := gitrepo.Open(dir)
		list, err := r.ListTree("HEAD", ".milestones")
		if err != nil || len(list) != 10000 {
			b.Fatal(len(list), err)
		}
	}
}

// BenchmarkWriteCommitObjects writes what one commit of a milestone
// writes after its blob (three trees and the commit, loose), in a fresh
// process each time (a new Repo: no compressor is reused across commits).
func BenchmarkWriteCommitObjects(b *testing.B) {
	dir := gittest.Init(b)
	tree := make([]byte, 0, 40<<10)
	for i := 0; len(tree) < 40<<10; i++ {
		tree = append(tree, fmt.Sprintf("100644 m-%05d.yaml\x00%020d", i, i)...)
	}
	i := 0
	for b.Loop() {
		r, err := gitrepo.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		i++
		objs := []gitrepo.Object{
			{Type: "blob", Data: fmt.Appendf(append([]byte(nil), tree...), "%d", i)},
			{Type: "blob", Data: fmt.Appendf(nil, "tree a %d", i)},
			{Type: "blob", Data: fmt.Appendf(nil, "tree b %d", i)},
			{Type: "blob", Data: fmt.Appendf(nil, "commit %d", i)},
		}
		if _, err := r.WriteObjects(objs...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadPackedObjects reads 1,000 objects of one pack through one
// Repo, as a command reading many files does.
func BenchmarkReadPackedObjects(b *testing.B) {
	dir := packedRepo(b, 1000)
	out, err := exec.Command("git", "-C", dir, "rev-list", "--objects", "--all").Output()
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, l := range strings.Split(string(out), "\n") {
		if len(l) >= 40 {
			ids = append(ids, l[:40])
		}
		if len(ids) == 1000 {
			break
		}
	}
	r, err := gitrepo.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for b.Loop() {
		for _, id := range ids {
			if _, err := r.ReadObject(id); err != nil {
				b.Fatal(err)
			}
		}
	}
}
