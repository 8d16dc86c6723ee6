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

// TestSetIndexStatEditedFile: a file edited after the caller wrote it and
// before SetIndexStat looks at it (the stat refresh runs after the
// commit, while the command goes on) does not get the entry's stat data:
// git would record it only for the content the entry names (`git add
// --refresh`, SetIndexStat's own fallback, does not), and with it git
// status and checkout would take the edited file for the committed one.
// The edit is seconds older than the index, so git trusts stat data.
func TestSetIndexStatEditedFile(t *testing.T) {
	for _, tc := range []struct{ name, edit string }{
		{"same size", "edited!!!\n"},
		{"other size", "edited, and longer\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := gittest.Init(t)
			gittest.Commit(t, dir, "init", map[string]string{"a.txt": "committed\n", "b.txt": "b\n"})
			r, err := gitrepo.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			index := filepath.Join(dir, ".git", "index")
			b := gitrepo.NewBlob([]byte("written\n"))
			if _, err := r.WriteObjects(b); err != nil {
				t.Fatal(err)
			}
			// What a commit leaves: entries without stat data, files written.
			ups := []gitrepo.IndexUpdate{{Path: "a.txt", Blob: b.ID()}, {Path: "b.txt", Blob: b.ID()}}
			if err := r.UpdateIndexFile(index, ups); err != nil {
				t.Fatal(err)
			}
			gittest.WriteFile(t, dir, "b.txt", "written\n")
			gittest.WriteFile(t, dir, "a.txt", tc.edit) // not what a.txt's entry names
			old := time.Now().Add(-10 * time.Second)
			for _, p := range []string{"a.txt", "b.txt"} {
				if err := os.Chtimes(filepath.Join(dir, p), old, old); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.SetIndexStat(index, []string{"a.txt", "b.txt"}); err != nil {
				t.Fatal(err)
			}
			if st := git(t, dir, "status", "--porcelain"); st != "MM a.txt\nM  b.txt" {
				t.Errorf("git status --porcelain = %q, want the edit of a.txt seen", st)
			}
			debug := git(t, dir, "ls-files", "--debug", "b.txt")
			if !strings.Contains(debug, "size: 8\t") {
				t.Errorf("b.txt's stat data not recorded:\n%s", debug)
			}
		})
	}
}

// TestSetIndexStatConvertedFile: a file the caller wrote with CRLF, as
// git's checkout would (core.autocrlf), is not the blob byte for byte:
// git decides, and records its stat data since its content converts to
// the blob.
func TestSetIndexStatConvertedFile(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "init", map[string]string{"a.txt": "committed\n"})
	git(t, dir, "config", "core.autocrlf", "true")
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(dir, ".git", "index")
	b := gitrepo.NewBlob([]byte("written\n"))
	if _, err := r.WriteObjects(b); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateIndexFile(index, []gitrepo.IndexUpdate{{Path: "a.txt", Blob: b.ID()}}); err != nil {
		t.Fatal(err)
	}
	gittest.WriteFile(t, dir, "a.txt", "written\r\n")
	old := time.Now().Add(-10 * time.Second)
	if err := os.Chtimes(filepath.Join(dir, "a.txt"), old, old); err != nil {
		t.Fatal(err)
	}
	if err := r.SetIndexStat(index, []string{"a.txt"}); err != nil {
		t.Fatal(err)
	}
	if debug := git(t, dir, "ls-files", "--debug", "a.txt"); !strings.Contains(debug, "size: 9\t") {
		t.Errorf("a.txt's stat data not recorded:\n%s", debug)
	}
	if st := git(t, dir, "status", "--porcelain"); st != "M  a.txt" {
		t.Errorf("git status --porcelain = %q", st)
	}
}
