package gitrepo_test

import (
	"bytes"
	"crypto/sha1"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestSetIndexStat: entries written without stat data get exactly the stat
// data `git update-index --refresh` records, for every index format, and
// git reads the result as a valid, clean index.
func TestSetIndexStat(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup []string // git config lines, or commands
	}{
		{"v2", []string{"update-index --index-version 2"}},
		{"v3 with intent-to-add", []string{"update-index --index-version 3", "add -N itа.txt"}},
		{"v4", []string{"update-index --index-version 4"}},
		{"split index", []string{"update-index --split-index"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := gittest.Init(t)
			gittest.Commit(t, dir, "one", map[string]string{"keep.txt": "k\n", "a/x.yaml": "old\n"})
			gittest.WriteFile(t, dir, "itа.txt", "intent\n")
			for _, c := range tc.setup {
				git(t, dir, strings.Fields(c)...)
			}
			r, err := gitrepo.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			files := map[string]string{"a/x.yaml": "new\n", "a/y.yaml": "added\n"}
			var ups []gitrepo.IndexUpdate
			var paths []string
			for p, c := range files {
				b := gitrepo.NewBlob([]byte(c))
				if _, err := r.WriteObjects(b); err != nil {
					t.Fatal(err)
				}
				gittest.WriteFile(t, dir, p, c)
				ups = append(ups, gitrepo.IndexUpdate{Path: p, Blob: b.ID()})
				paths = append(paths, p)
			}
			index := filepath.Join(dir, ".git", "index")
			if err := r.UpdateIndexFile(index, ups); err != nil {
				t.Fatal(err)
			}
			if err := r.SetIndexStat(index, paths); err != nil {
				t.Fatal(err)
			}
			// The trailing checksum is right (git verifies it only in fsck).
			data, err := os.ReadFile(index)
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha1.Sum(data[:len(data)-sha1.Size]); !bytes.Equal(sum[:], data[len(data)-sha1.Size:]) {
				t.Errorf("index checksum %x, want %x", data[len(data)-sha1.Size:], sum)
			}
			// (the in-memory flags ls-files --debug shows are not stat data)
			noFlags := func(s string) string { return regexp.MustCompile(`flags: \w+`).ReplaceAllString(s, "") }
			ours := noFlags(git(t, dir, "ls-files", "--debug", "--", "a"))
			if strings.Contains(ours, "mtime: 0:0") {
				t.Fatalf("no stat data:\n%s", ours)
			}
			// git agrees: refreshing changes nothing for those entries.
			git(t, dir, "update-index", "-q", "--really-refresh")
			if theirs := noFlags(git(t, dir, "ls-files", "--debug", "--", "a")); theirs != ours {
				t.Errorf("stat data differs from git's:\nours:\n%s\ngit's:\n%s", ours, theirs)
			}
			if st := git(t, dir, "status", "--porcelain", "--", "a"); st != "M  a/x.yaml\nA  a/y.yaml" {
				t.Errorf("status:\n%s", st)
			}
			if _, err := os.Stat(index + ".stat-tmp"); err == nil {
				t.Error("temporary index left behind")
			}
		})
	}
}

// TestSetIndexStatRacy: rewriting the index makes it newer than a racily
// clean entry whose file changed after it was staged (same second, same
// size); git's own writes smudge such an entry (size 0) so the change is
// not lost, and so must SetIndexStat (by leaving it to git).
func TestSetIndexStatRacy(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "one", map[string]string{"keep.txt": "k\n", "a/x.yaml": "old\n"})
	git(t, dir, "config", "core.trustctime", "false") // (the test cannot keep the ctime)
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	gittest.WriteFile(t, dir, "a/x.yaml", "new\n")
	b := gitrepo.NewBlob([]byte("new\n"))
	if _, err := r.WriteObjects(b); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(dir, ".git", "index")
	if err := r.UpdateIndexFile(index, []gitrepo.IndexUpdate{{Path: "a/x.yaml", Blob: b.ID()}}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "keep.txt")
	gittest.WriteFile(t, dir, "keep.txt", "same\n")
	git(t, dir, "add", "keep.txt")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	gittest.WriteFile(t, dir, "keep.txt", "diff\n") // same size, not staged
	when := fi.ModTime().Truncate(time.Second)
	os.Chtimes(file, when, fi.ModTime())
	os.Chtimes(index, when, when) // the entry is racy
	if err := r.SetIndexStat(index, []string{"a/x.yaml"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(when.Add(2 * time.Second))) // no longer racy: only its size tells
	os.Chtimes(index, time.Now(), time.Now())
	if st := git(t, dir, "status", "--porcelain"); st != "M  a/x.yaml\nMM keep.txt" {
		t.Errorf("status:\n%s\n%s", st, git(t, dir, "ls-files", "--debug", "keep.txt"))
	}
}
