package gitrepo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestIndexEntriesLikeLsFiles reads entries from indexes in every format
// git writes and compares them with `git ls-files -s`.
func TestIndexEntriesLikeLsFiles(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{"v2", func(t *testing.T, dir string) {}},
		{"v3 with intent-to-add", func(t *testing.T, dir string) {
			gittest.WriteFile(t, dir, ".milestones/active/ita.yaml", "x\n")
			git(t, dir, "add", "-N", ".milestones/active/ita.yaml")
		}},
		{"v4", func(t *testing.T, dir string) { git(t, dir, "update-index", "--index-version", "4") }},
		{"v4 with paths sharing 128+ bytes", func(t *testing.T, dir string) {
			// (git's varint for the bytes a path drops takes two bytes)
			b := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD:README"))
			in := fmt.Sprintf("100644 %s\t%s1.txt\x00100644 %s\t%s2.txt\x00100644 %s\tzz.txt\x00",
				b, longDir, b, longDir[:300]+"/", b)
			if _, err := gittest.RunInput(dir, nil, in, "update-index", "-z", "--index-info"); err != nil {
				t.Fatal(err)
			}
			git(t, dir, "update-index", "--index-version", "4")
		}},
		{"split index", func(t *testing.T, dir string) {
			git(t, dir, "update-index", "--split-index")
			gittest.WriteFile(t, dir, ".milestones/active/m-003.yaml", "changed\n")
			git(t, dir, "add", ".milestones/active/m-003.yaml")
		}},
		{"conflict", func(t *testing.T, dir string) {
			git(t, dir, "checkout", "-q", "-b", "side")
			gittest.Commit(t, dir, "side", map[string]string{".milestones/active/m-001.yaml": "side\n"})
			git(t, dir, "checkout", "-q", "main")
			gittest.Commit(t, dir, "main", map[string]string{".milestones/active/m-001.yaml": "main\n"})
			gittest.Run(dir, nil, "merge", "-q", "side") // conflicts, on purpose
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := gittest.Init(t)
			files := map[string]string{"README": "r\n", "a/b/c.txt": "c\n"}
			for i := 0; i < 12; i++ {
				files[fmt.Sprintf(".milestones/active/m-%03d.yaml", i)] = fmt.Sprintf("title: %d\n", i)
			}
			gittest.Commit(t, dir, "init", files)
			tc.setup(t, dir)
			want := map[string][]string{}
			for _, l := range strings.Split(git(t, dir, "ls-files", "-s"), "\n") {
				meta, path, _ := strings.Cut(l, "\t")
				want[path] = append(want[path], meta)
			}
			paths := []string{"README", ".milestones/active/m-001.yaml", ".milestones/active/m-003.yaml",
				".milestones/active/ita.yaml", ".milestones/active/absent.yaml", "a/b/c.txt",
				longDir + "1.txt", longDir[:300] + "/2.txt", "zz.txt"}
			r, _ := gitrepo.Open(dir)
			indexFile := filepath.Join(dir, ".git", "index")
			data, err := os.ReadFile(indexFile)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.IndexEntries(indexFile, data, paths)
			if err != nil {
				t.Fatal(err)
			}
			mapped, err := r.IndexEntriesOf(indexFile, paths)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(mapped, got) {
				t.Errorf("IndexEntriesOf (mapped) = %v, IndexEntries = %v", mapped, got)
			}
			for _, p := range paths {
				var g []string
				for _, e := range got[p] {
					g = append(g, fmt.Sprintf("%o %s %d", e.Mode, e.Blob, e.Stage))
				}
				sort.Strings(g)
				w := want[p]
				sort.Strings(w)
				if strings.Join(g, ",") != strings.Join(w, ",") {
					t.Errorf("%s: got %v, git says %v", p, g, w)
				}
			}
		})
	}
}

// TestIndexEntriesOfNoIndex: a repository without an index file (nothing
// added yet) has no entries, and no error.
func TestIndexEntriesOfNoIndex(t *testing.T) {
	dir := gittest.Init(t)
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.IndexEntriesOf(filepath.Join(dir, ".git", "index"), []string{"a.txt"})
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want no entries and no error", got, err)
	}
}
