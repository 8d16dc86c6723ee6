package gitrepo_test

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// renderLog prints PathLog's answer field by field, so two answers
// compare as text and a difference reads as one.
func renderLog(cs []gitrepo.PathCommit) string {
	var b strings.Builder
	for _, c := range cs {
		_, off := c.Author.When.Zone()
		fmt.Fprintf(&b, "commit %s tree %q parents %v\n  author %q <%q> %d %d %s\n  committer %q <%q> %d\n  message %q\n",
			c.ID, c.Tree, c.Parents, c.Author.Name, c.Author.Email, c.Author.When.Unix(), off, c.Author.When.Format("2006-01-02 15:04:05 -0700"),
			c.Committer.Name, c.Committer.Email, c.Committer.When.Unix(), c.Message)
		for _, f := range c.Files {
			fmt.Fprintf(&b, "  file %s %s..%s old=%v new=%v %q %q\n", f.Path, f.OldBlob, f.NewBlob, f.Old != nil, f.New != nil, f.Old, f.New)
		}
	}
	return b.String()
}

// fileState is a file of a generated commit.
type fileState struct {
	mode, content string
}

// randomHistory writes, with one git fast-import, a history of n commits
// on a few branches merged at random (treesame merges, merges that differ
// from every parent, octopus merges), whose commits add, edit, remove,
// move (active/ <-> completed/), re-add and chmod the files of paths,
// turn them into links, revert them to older content, or leave them
// alone; committer dates repeat and go backwards. It returns the id of a
// commit that merges every branch.
func randomHistory(t *testing.T, dir string, seed int64, n int) string {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	ids := []string{"x", "y"}
	pathsOf := func(id string) []string {
		return []string{".milestones/active/" + id + ".yaml", ".milestones/completed/" + id + ".yaml"}
	}
	contents := []string{"title: A\n", "title: B\nstatus: active\n", "no newline at end", "", "title: C\n\n\nbody\n", "bin\x00ary\n", "-- dashes\n+plus\n\\ back\n"}
	names := []string{"Tester", "  Spaced  Name  ", "Ünïcode Ñame", "A"}
	subjects := []string{"edit", "\n\nleading blank lines\n\nbody", "two line\nsubject  \n\nbody", "trailing \t \n", "single", "x\n \nbody after a blank-looking line"}
	type commit struct {
		mark  int
		files map[string]fileState
	}
	var b strings.Builder
	var all []commit
	heads := []int{}
	date := int64(1700000000)
	emit := func(parents []int, files map[string]fileState, msg string) int {
		mark := len(all) + 1
		date += int64(rng.Intn(5)) - 1 // ties and a step back now and then
		zone := []string{"+0000", "+0100", "-0530", "+1245"}[rng.Intn(4)]
		name := names[rng.Intn(len(names))]
		fmt.Fprintf(&b, "commit refs/heads/tmp\nmark :%d\nauthor %s <a%d@example.com> %d %s\ncommitter %s <c@example.com> %d %s\ndata %d\n%s\n",
			mark, name, rng.Intn(3), date+int64(rng.Intn(100)), zone, name, date, zone, len(msg), msg)
		for i, p := range parents {
			if i == 0 {
				fmt.Fprintf(&b, "from :%d\n", p)
			} else {
				fmt.Fprintf(&b, "merge :%d\n", p)
			}
		}
		b.WriteString("deleteall\n")
		paths := make([]string, 0, len(files))
		for p := range files {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			f := files[p]
			fmt.Fprintf(&b, "M %s inline %s\ndata %d\n%s\n", f.mode, p, len(f.content), f.content)
		}
		b.WriteString("\n")
		all = append(all, commit{mark, files})
		return mark
	}
	copyFiles := func(m map[string]fileState) map[string]fileState {
		out := make(map[string]fileState, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	root := emit(nil, map[string]fileState{"other.txt": {"100644", "o\n"}}, "root without the paths")
	heads = append(heads, root)
	for i := 0; i < n; i++ {
		if len(heads) > 1 && rng.Intn(4) == 0 {
			// A merge of two or three heads: per file, one parent's
			// version, or sometimes a version of its own.
			k := 2 + rng.Intn(min(2, len(heads)-1))
			rng.Shuffle(len(heads), func(a, b int) { heads[a], heads[b] = heads[b], heads[a] })
			parents := append([]int(nil), heads[:k]...)
			files := map[string]fileState{}
			seen := map[string]bool{}
			for _, p := range parents {
				for f := range all[p-1].files {
					seen[f] = true
				}
			}
			pick := rng.Intn(k + 1) // k: mixed
			names := make([]string, 0, len(seen))
			for f := range seen {
				names = append(names, f)
			}
			sort.Strings(names)
			for _, f := range names {
				from := pick
				if from == k {
					from = rng.Intn(k)
				}
				if v, ok := all[parents[from]-1].files[f]; ok {
					files[f] = v
				}
			}
			if rng.Intn(5) == 0 {
				files[pathsOf(ids[0])[0]] = fileState{"100644", fmt.Sprintf("merge %d\n", i)}
			}
			m := emit(parents, files, subjects[rng.Intn(len(subjects))])
			heads = append([]int{m}, heads[k:]...)
			continue
		}
		h := rng.Intn(len(heads))
		files := copyFiles(all[heads[h]-1].files)
		id := ids[rng.Intn(len(ids))]
		act, done := pathsOf(id)[0], pathsOf(id)[1]
		switch op := rng.Intn(10); op {
		case 0, 1, 2: // edit or add in active/
			files[act] = fileState{"100644", contents[rng.Intn(len(contents))] + fmt.Sprint(rng.Intn(3))}
		case 3: // move
			if v, ok := files[act]; ok {
				delete(files, act)
				files[done] = v
			} else if v, ok := files[done]; ok {
				delete(files, done)
				files[act] = v
			}
		case 4: // remove
			delete(files, act)
			delete(files, done)
		case 5: // chmod
			if v, ok := files[act]; ok {
				v.mode = map[string]string{"100644": "100755", "100755": "100644", "120000": "100644"}[v.mode]
				files[act] = v
			}
		case 6: // a link
			files[act] = fileState{"120000", "target"}
		case 7: // back to an older version
			old := all[rng.Intn(len(all))].files
			if v, ok := old[act]; ok {
				files[act] = v
			} else {
				delete(files, act)
			}
		case 8: // both folders at once
			files[act] = fileState{"100644", "both\n"}
			files[done] = fileState{"100644", contents[rng.Intn(len(contents))]}
		default: // not our paths
			files["other.txt"] = fileState{"100644", fmt.Sprint(i)}
		}
		if rng.Intn(6) == 0 && len(heads) < 4 {
			heads = append(heads, emit([]int{heads[h]}, files, subjects[rng.Intn(len(subjects))]))
		} else {
			heads[h] = emit([]int{heads[h]}, files, subjects[rng.Intn(len(subjects))])
		}
	}
	top := heads[0]
	if len(heads) > 1 {
		files := copyFiles(all[heads[0]-1].files)
		top = emit(heads, files, "final merge")
	}
	fmt.Fprintf(&b, "reset refs/heads/main\nfrom :%d\n\n", top)
	if _, err := gittest.RunInput(dir, nil, b.String(), "fast-import", "--quiet", "--done"); err != nil {
		if _, err2 := gittest.RunInput(dir, nil, b.String()+"done\n", "fast-import", "--quiet", "--done"); err2 != nil {
			t.Fatalf("fast-import: %v", err2)
		}
	}
	return gittest.Git(t, dir, "rev-parse", "main")
}

// TestPathLogWalkMatchesGit: our walk answers what git log answers, on
// random histories, for each milestone's pair of paths, one path, and
// three, from the tip and from commits inside the history; packed and
// loose.
func TestPathLogWalkMatchesGit(t *testing.T) {
	def := gitrepo.SetWalkCacheLimit(0)
	defer gitrepo.SetWalkCacheLimit(def)
	for seed := int64(1); seed <= 12; seed++ {
		dir := gittest.Init(t)
		top := randomHistory(t, dir, seed, 80)
		if seed%2 == 0 {
			gittest.Git(t, dir, "gc", "-q")
		}
		limit := def
		if seed%4 == 0 {
			// Objects dropped from the walk's cache at once, their
			// buffers reused: deltas rebuilt again from their bases.
			limit = 0
		}
		gitrepo.SetWalkCacheLimit(limit)
		repo, err := gitrepo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		starts := []string{top}
		for _, rev := range []string{"main~3", "main^2", "main~10^2"} {
			if id, err := repo.ResolveCommit(rev); err == nil && id != "" {
				starts = append(starts, id)
			}
		}
		pathSets := [][]string{
			{".milestones/active/x.yaml", ".milestones/completed/x.yaml"},
			{".milestones/active/y.yaml", ".milestones/completed/y.yaml"},
			{".milestones/active/x.yaml"},
			{".milestones/completed/y.yaml", ".milestones/active/x.yaml", ".milestones/active/y.yaml"},
			{".milestones/active/none.yaml"},
			{"other.txt"},
		}
		walked := 0
		for _, start := range starts {
			for _, paths := range pathSets {
				want, err := repo.PathLogGit(start, paths)
				if err != nil {
					t.Fatal(err)
				}
				got, err := repo.PathLogWalk(start, paths)
				if errors.Is(err, gitrepo.ErrWalkFallback) {
					continue
				}
				walked++
				if err != nil {
					t.Fatalf("seed %d %v: %v", seed, paths, err)
				}
				if g, w := renderLog(got), renderLog(want); g != w {
					t.Fatalf("seed %d, from %s, paths %v:\nwalk:\n%s\ngit:\n%s", seed, start[:7], paths, g, w)
				}
				if all, err := repo.PathLog(start, paths); err != nil || renderLog(all) != renderLog(want) {
					t.Fatalf("PathLog differs: %v", err)
				}
			}
		}
		if walked < len(starts)*len(pathSets)/2 {
			t.Errorf("seed %d: the walk answered %d of %d logs itself", seed, walked, len(starts)*len(pathSets))
		}
	}
}

// TestReadCommitAfterPathLog: the commits a walk showed, read again, are
// the commits an unused Repo reads.
func TestReadCommitAfterPathLog(t *testing.T) {
	dir := gittest.Init(t)
	top := randomHistory(t, dir, 7, 40)
	repo, _ := gitrepo.Open(dir)
	commits, err := repo.PathLog(top, []string{".milestones/active/x.yaml", ".milestones/completed/x.yaml"})
	if err != nil || len(commits) == 0 {
		t.Fatalf("%d commits, %v", len(commits), err)
	}
	for _, c := range commits {
		got, err := repo.ReadCommit(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		fresh, _ := gitrepo.Open(dir)
		want, err := fresh.ReadCommit(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Fatalf("ReadCommit after a walk:\n%+v\nwant\n%+v", got, want)
		}
	}
}

// TestPathLogFallsBackToGit: where our walk could answer otherwise than
// git (a replace ref, a folder at the path, glob characters), PathLog
// answers what git log answers.
func TestPathLogFallsBackToGit(t *testing.T) {
	dir := gittest.Init(t)
	p := ".milestones/active/x.yaml"
	c1 := gittest.Commit(t, dir, "one", map[string]string{p: "1\n"})
	c2 := gittest.Commit(t, dir, "two", map[string]string{p: "2\n"})
	gittest.Commit(t, dir, "three", map[string]string{p: "3\n"})
	repo, _ := gitrepo.Open(dir)
	if !repo.Walkable([]string{p}) || repo.Walkable([]string{".milestones/active/*.yaml"}) || repo.Walkable([]string{"a/../b"}) {
		t.Error("walkable")
	}
	// git replace: c2's history is c1's alone.
	gittest.Git(t, dir, "replace", c2, c1)
	if repo.Walkable([]string{p}) {
		t.Error("walkable with a replace ref")
	}
	head, _ := repo.ResolveCommit("HEAD")
	got, err := repo.PathLog(head, []string{p})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := repo.PathLogGit(head, []string{p})
	if renderLog(got) != renderLog(want) || len(got) != 2 {
		t.Errorf("with a replace ref:\n%s\nwant\n%s", renderLog(got), renderLog(want))
	}
	gittest.Git(t, dir, "replace", "-d", c2)
	// A folder where a file was: left to git, which lists the files in it.
	gittest.Git(t, dir, "rm", "-q", p)
	gittest.Commit(t, dir, "folder", map[string]string{p + "/inner": "i\n"})
	repo, _ = gitrepo.Open(dir)
	head, _ = repo.ResolveCommit("HEAD")
	if _, err := repo.PathLogWalk(head, []string{p}); !errors.Is(err, gitrepo.ErrWalkFallback) {
		t.Errorf("folder at the path: %v", err)
	}
	// Configuration git log honours and the walk does not.
	for _, kv := range [][2]string{{"diff.orderFile", "/dev/null"}, {"i18n.logOutputEncoding", "ISO-8859-1"}, {"log.follow", "true"}} {
		gittest.Git(t, dir, "config", kv[0], kv[1])
		if r, _ := gitrepo.Open(dir); r.Walkable([]string{p}) {
			t.Errorf("walkable with %s", kv[0])
		}
		gittest.Git(t, dir, "config", "--unset", kv[0])
	}
	if r, _ := gitrepo.Open(dir); !r.Walkable([]string{p}) {
		t.Error("not walkable once the configuration is gone")
	}
	t.Setenv("GIT_ICASE_PATHSPECS", "1")
	if repo.Walkable([]string{p}) {
		t.Error("walkable with case-insensitive pathspecs")
	}
	os.Unsetenv("GIT_ICASE_PATHSPECS")
	_, werr := repo.PathLog(head, []string{p})
	_, gerr := repo.PathLogGit(head, []string{p})
	if (werr == nil) != (gerr == nil) {
		t.Errorf("folder: PathLog %v, git %v", werr, gerr)
	}
}
