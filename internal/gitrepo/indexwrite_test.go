package gitrepo_test

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// indexRepo is a repository for the index writer's tests: a commit of
// baseFiles, the index then reshaped by a case's setup.
type indexRepo struct {
	t   *testing.T
	dir string
	r   *gitrepo.Repo
}

var baseFiles = map[string]string{
	"README": "r\n", "a/b/c.txt": "c\n", "a/b/d.txt": "d\n", "a/e.txt": "e\n", "a-b.txt": "ab\n",
	"z.txt": "z\n",
}

func newIndexRepo(t *testing.T) *indexRepo {
	t.Helper()
	dir := gittest.Init(t)
	files := map[string]string{}
	for p, c := range baseFiles {
		files[p] = c
	}
	for i := 0; i < 12; i++ {
		files[fmt.Sprintf(".milestones/active/m-%03d.yaml", i)] = fmt.Sprintf("title: %d\n", i)
	}
	gittest.Commit(t, dir, "init", files)
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &indexRepo{t: t, dir: dir, r: r}
}

func (ir *indexRepo) git(args ...string) string { ir.t.Helper(); return git(ir.t, ir.dir, args...) }

// blob writes content as a blob and returns its id.
func (ir *indexRepo) blob(content string) string {
	ir.t.Helper()
	b := gitrepo.NewBlob([]byte(content))
	if _, err := ir.r.WriteObjects(b); err != nil {
		ir.t.Fatal(err)
	}
	return b.ID()
}

func (ir *indexRepo) index() string { return filepath.Join(ir.dir, ".git", "index") }

// twin gives two names of the index (hard links: git and the writer both
// replace the file they update, never write into it), or none when there
// is no index.
func (ir *indexRepo) twin(name string) string {
	ir.t.Helper()
	p := filepath.Join(ir.dir, ".git", name)
	os.Remove(p)
	if err := os.Link(ir.index(), p); err != nil && !errors.Is(err, os.ErrNotExist) {
		ir.t.Fatal(err)
	}
	return p
}

func readOrNil(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return b
}

// apply runs the updates with git alone on one copy of the index and with
// UpdateIndexFile (wantNative: the writer alone) on another, and requires
// the same result: the same bytes, or the same error. It returns the new
// index's bytes and the writer's own answer (nil, or an error wrapping
// ErrNeedGit).
func (ir *indexRepo) apply(ups []gitrepo.IndexUpdate, wantNative bool) ([]byte, error) {
	t := ir.t
	t.Helper()
	before := readOrNil(t, ir.index())
	gitCopy, ours, probe := ir.twin("index-git"), ir.twin("index-ours"), ir.twin("index-probe")
	gitErr := ir.r.UpdateIndexGit(gitCopy, ups)
	native := ir.r.WriteIndexUpdates(probe, ups)
	if native != nil && !errors.Is(native, gitrepo.ErrNeedGit) {
		t.Fatalf("writer failed: %v", native)
	}
	if wantNative && native != nil {
		t.Fatalf("writer left it to git: %v", native)
	}
	ourErr := ir.r.UpdateIndexFile(ours, ups)
	if (gitErr == nil) != (ourErr == nil) {
		t.Fatalf("git: %v; UpdateIndexFile: %v", gitErr, ourErr)
	}
	want, got := readOrNil(t, gitCopy), readOrNil(t, ours)
	if native == nil {
		if p := readOrNil(t, probe); !bytes.Equal(p, got) {
			t.Fatalf("the writer and UpdateIndexFile differ")
		}
	}
	if !bytes.Equal(got, want) {
		t.Errorf("index differs from git's (%d bytes, git's %d)\nours:\n%s\ngit's:\n%s", len(got), len(want),
			ir.lsFiles(ours), ir.lsFiles(gitCopy))
	}
	if after := readOrNil(t, ir.index()); !bytes.Equal(after, before) {
		t.Error("the original index changed")
	}
	for _, p := range []string{gitCopy, ours, probe} {
		os.Remove(p)
	}
	return got, native
}

// lsFiles describes an index file for a failure message.
func (ir *indexRepo) lsFiles(index string) string {
	env := []string{"GIT_INDEX_FILE=" + index}
	out, err := gittest.Run(ir.dir, env, "ls-files", "--stage", "--debug")
	res, _ := gittest.Run(ir.dir, env, "ls-files", "--resolve-undo")
	tree, terr := gittest.Run(ir.dir, env, "write-tree")
	return fmt.Sprintf("%s%v\nresolve-undo:\n%s\nwrite-tree: %s %v", out, err, res, tree, terr)
}

// indexShapes are the index formats and extensions the writer handles
// itself.
var indexShapes = []struct {
	name  string
	setup func(ir *indexRepo)
}{ // (a name starting "vN" says the version the setup must give)
	{"v2 with a valid cache tree", func(ir *indexRepo) { ir.git("write-tree") }},
	{"v2 with a partly invalid cache tree", func(ir *indexRepo) {
		gittest.WriteFile(ir.t, ir.dir, "a/b/c.txt", "changed\n")
		ir.git("add", "a/b/c.txt")
	}},
	{"v2 without cache tree", func(ir *indexRepo) {
		os.Remove(ir.index())
		ir.git("add", "-A")
	}},
	{"v3 with a skip-worktree entry elsewhere", func(ir *indexRepo) {
		ir.git("update-index", "--skip-worktree", ".milestones/active/m-009.yaml")
	}},
	{"v3 with an intent-to-add entry elsewhere", func(ir *indexRepo) {
		gittest.WriteFile(ir.t, ir.dir, "new.txt", "n\n")
		ir.git("add", "-N", "new.txt")
	}},
	{"v4 with cache tree", func(ir *indexRepo) { ir.git("update-index", "--index-version", "4") }},
	{"v4 without cache tree", func(ir *indexRepo) {
		os.Remove(ir.index())
		ir.git("add", "-A")
		ir.git("update-index", "--index-version", "4")
	}},
	{"v4 with a skip-worktree entry", func(ir *indexRepo) {
		ir.git("update-index", "--index-version", "4")
		ir.git("update-index", "--skip-worktree", ".milestones/active/m-009.yaml")
	}},
	{"resolve-undo records", func(ir *indexRepo) {
		ir.git("checkout", "-q", "-b", "side")
		gittest.Commit(ir.t, ir.dir, "side", map[string]string{".milestones/active/m-001.yaml": "side\n", "a/e.txt": "side\n"})
		ir.git("checkout", "-q", "main")
		gittest.Commit(ir.t, ir.dir, "main", map[string]string{".milestones/active/m-001.yaml": "main\n", "a/e.txt": "main\n"})
		gittest.Run(ir.dir, nil, "merge", "-q", "side") // conflicts, on purpose
		gittest.WriteFile(ir.t, ir.dir, ".milestones/active/m-001.yaml", "resolved\n")
		gittest.WriteFile(ir.t, ir.dir, "a/e.txt", "resolved\n")
		ir.git("add", ".milestones/active/m-001.yaml", "a/e.txt")
		if ir.git("ls-files", "--resolve-undo") == "" {
			ir.t.Fatal("no resolve-undo records")
		}
	}},
	{"threading extensions (EOIE, IEOT), dropped as git does", func(ir *indexRepo) {
		ir.git("-c", "index.threads=2", "-c", "index.recordEndOfIndexEntries=true",
			"-c", "index.recordOffsetTable=true", "update-index", "--force-write-index")
	}},
	{"v2 long paths", func(ir *indexRepo) { addLongPaths(ir) }},
	{"v4 long paths", func(ir *indexRepo) {
		addLongPaths(ir)
		ir.git("update-index", "--index-version", "4")
	}},
}

// longDir is a folder name of 4,200 bytes: paths under it are longer
// than the 12 bits of an entry's name length, and in a version 4 index
// they share prefixes longer than one varint byte holds.
var longDir = strings.Repeat(strings.Repeat("d", 199)+"/", 21)

// addLongPaths adds index entries (no files: the paths are too long for
// the file system) under longDir.
func addLongPaths(ir *indexRepo) {
	b := ir.blob("long\n")
	var in strings.Builder
	for _, n := range []string{"x/1.txt", "x/2.txt", "y.txt"} {
		fmt.Fprintf(&in, "100644 %s\t%s%s\x00", b, longDir, n)
	}
	if _, err := gittest.RunInput(ir.dir, nil, in.String(), "update-index", "-z", "--index-info"); err != nil {
		ir.t.Fatal(err)
	}
}

// indexOps are the update batches applied to every shape.
func indexOps(ir *indexRepo) []struct {
	name string
	ups  []gitrepo.IndexUpdate
} {
	nb, nb2 := ir.blob("new content\n"), ir.blob("other content\n")
	up := func(p, b string) gitrepo.IndexUpdate { return gitrepo.IndexUpdate{Path: p, Blob: b} }
	return []struct {
		name string
		ups  []gitrepo.IndexUpdate
	}{
		{"replace", []gitrepo.IndexUpdate{up(".milestones/active/m-003.yaml", nb)}},
		{"replace with the same blob", []gitrepo.IndexUpdate{up("a/e.txt", ir.blob("e\n"))}},
		{"insert", []gitrepo.IndexUpdate{up(".milestones/active/m-100.yaml", nb)}},
		{"insert in a new folder", []gitrepo.IndexUpdate{up("a/b/new/x.yaml", nb)}},
		{"remove", []gitrepo.IndexUpdate{up(".milestones/active/m-005.yaml", "")}},
		{"remove a path not in the index", []gitrepo.IndexUpdate{up("a/nothing.txt", "")}},
		{"move", []gitrepo.IndexUpdate{up(".milestones/active/m-006.yaml", ""), up(".milestones/done/m-006.yaml", nb)}},
		{"first entry", []gitrepo.IndexUpdate{up(".milestones/active/m-000.yaml", nb)}},
		{"before the first entry", []gitrepo.IndexUpdate{up(".aaa/first.txt", nb)}},
		{"remove the first entry", []gitrepo.IndexUpdate{up(".milestones/active/m-000.yaml", "")}},
		{"last entry", []gitrepo.IndexUpdate{up("z.txt", nb)}},
		{"after the last entry", []gitrepo.IndexUpdate{up("zz/last.txt", nb)}},
		{"remove the last entry", []gitrepo.IndexUpdate{up("z.txt", "")}},
		{"modes", []gitrepo.IndexUpdate{{Path: "exec.sh", Blob: nb, Mode: gitrepo.ModeExecutable},
			{Path: "link", Blob: nb2, Mode: gitrepo.ModeSymlink}, {Path: "sub", Blob: nb2, Mode: gitrepo.ModeGitlink},
			{Path: "a/e.txt", Blob: nb, Mode: gitrepo.ModeExecutable}}},
		{"file replaced by a folder", []gitrepo.IndexUpdate{up("z.txt", ""), up("z.txt/inside", nb)}},
		{"folder replaced by a file", []gitrepo.IndexUpdate{up("a/b/c.txt", ""), up("a/b/d.txt", ""), up("a/b", nb)}},
		{"many", []gitrepo.IndexUpdate{up(".milestones/active/m-001.yaml", nb), up(".milestones/active/m-002.yaml", ""),
			up(".milestones/active/m-011.yaml", nb2), up(".milestones/active/m-0115.yaml", nb), up("README", ""),
			up("a/b/c.txt", nb2), up("a-b.txt", nb), up("b/new.txt", nb), up(".milestones/done/m-002.yaml", nb)}},
		{"long paths", []gitrepo.IndexUpdate{up(longDir+"x/1.txt", nb), up(longDir+"x/2.txt", ""),
			up(longDir+"x/15.txt", nb2), up(longDir+"w.txt", nb), up(longDir[:2999]+"/short.txt", nb)}},
	}
}

// TestWriteIndexLikeGit is the writer's acid test: for every index shape
// and update batch, the index it writes is byte for byte the one `git
// update-index --index-info` writes.
func TestWriteIndexLikeGit(t *testing.T) {
	for _, shape := range indexShapes {
		t.Run(shape.name, func(t *testing.T) {
			ir := newIndexRepo(t)
			shape.setup(ir)
			if v := readOrNil(t, ir.index())[7]; shape.name[0] == 'v' && int(shape.name[1]-'0') != int(v) {
				t.Fatalf("index version %d", v)
			}
			for _, op := range indexOps(ir) {
				t.Run(op.name, func(t *testing.T) {
					ir.t = t
					got, _ := ir.apply(op.ups, true)
					// git reads it: the cache tree it keeps is right.
					env := []string{"GIT_INDEX_FILE=" + filepath.Join(ir.dir, ".git", "index-check")}
					os.WriteFile(filepath.Join(ir.dir, ".git", "index-check"), got, 0o666)
					if _, err := gittest.Run(ir.dir, env, "ls-files", "--stage"); err != nil {
						t.Errorf("git cannot read the index: %v", err)
					}
				})
			}
		})
	}
}

// TestWriteIndexSmallIndexes: a sole entry replaced and removed, an empty
// index filled, and no index at all (git makes it).
func TestWriteIndexSmallIndexes(t *testing.T) {
	t.Run("sole entry", func(t *testing.T) {
		dir := gittest.Init(t)
		gittest.Commit(t, dir, "one", map[string]string{"only.txt": "o\n"})
		r, _ := gitrepo.Open(dir)
		ir := &indexRepo{t: t, dir: dir, r: r}
		ir.apply([]gitrepo.IndexUpdate{{Path: "only.txt", Blob: ir.blob("x\n")}}, true)
		ir.apply([]gitrepo.IndexUpdate{{Path: "only.txt"}}, true)
		ir.apply([]gitrepo.IndexUpdate{{Path: "before.txt", Blob: ir.blob("x\n")}}, true)
	})
	t.Run("empty index", func(t *testing.T) {
		dir := gittest.Init(t)
		gittest.Commit(t, dir, "one", map[string]string{"only.txt": "o\n"})
		git(t, dir, "rm", "-q", "--cached", "only.txt")
		r, _ := gitrepo.Open(dir)
		ir := &indexRepo{t: t, dir: dir, r: r}
		if n := ir.git("ls-files"); n != "" {
			t.Fatalf("index not empty: %s", n)
		}
		ir.apply([]gitrepo.IndexUpdate{{Path: "a/new.txt", Blob: ir.blob("x\n")}}, true)
		ir.apply([]gitrepo.IndexUpdate{{Path: "a/new.txt"}}, true)
	})
	t.Run("no index yet", func(t *testing.T) {
		dir := gittest.Init(t)
		r, _ := gitrepo.Open(dir)
		ir := &indexRepo{t: t, dir: dir, r: r}
		got, err := ir.apply([]gitrepo.IndexUpdate{{Path: "a/new.txt", Blob: ir.blob("x\n")}}, false)
		if !errors.Is(err, gitrepo.ErrNeedGit) || len(got) == 0 {
			t.Fatalf("writer: %v, index of %d bytes; want git to make it", err, len(got))
		}
	})
	t.Run("removing a path not there leaves the file alone", func(t *testing.T) {
		dir := gittest.Init(t)
		gittest.WriteFile(t, dir, "f.txt", "f\n")
		git(t, dir, "add", "f.txt") // no cache tree
		r, _ := gitrepo.Open(dir)
		index := filepath.Join(dir, ".git", "index")
		before, _ := os.Stat(index)
		if err := r.WriteIndexUpdates(index, []gitrepo.IndexUpdate{{Path: "nothing.txt"}}); err != nil {
			t.Fatal(err)
		}
		if after, _ := os.Stat(index); !os.SameFile(before, after) {
			t.Error("index rewritten")
		}
	})
}

// TestWriteIndexRacy: an entry as new as the index whose file still
// matches is checked by the writer (it reads the file, as git does); one
// whose file changed without its stat data showing it makes git smudge
// it, which the writer leaves to git, as it does when an attribute could
// convert the file (a line-ending conversion does not change a file
// without CR).
func TestWriteIndexRacy(t *testing.T) {
	for _, tc := range []struct {
		name       string
		changed    bool
		attributes string
		native     bool
	}{
		{"unchanged", false, "", true},
		{"changed", true, "", false},
		{"unchanged, text=auto", false, "* text=auto\n", true},
		{"unchanged, a filter", false, "*.txt filter=x\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ir := newIndexRepo(t)
			ir.git("config", "core.trustctime", "false") // (the test cannot keep the ctime)
			if tc.attributes != "" {
				gittest.WriteFile(t, ir.dir, ".gitattributes", tc.attributes)
			}
			file := filepath.Join(ir.dir, "a", "e.txt")
			gittest.WriteFile(t, ir.dir, "a/e.txt", "same\n")
			ir.git("add", "a/e.txt")
			fi, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			if tc.changed {
				gittest.WriteFile(t, ir.dir, "a/e.txt", "diff\n") // same size
			}
			when := fi.ModTime().Truncate(time.Second)
			os.Chtimes(file, when, fi.ModTime())
			os.Chtimes(ir.index(), when, when) // the entry is racy
			got, err := ir.apply([]gitrepo.IndexUpdate{{Path: "z.txt", Blob: ir.blob("new\n")}}, tc.native)
			if tc.native == errors.Is(err, gitrepo.ErrNeedGit) {
				t.Fatalf("writer: %v", err)
			}
			p := filepath.Join(ir.dir, ".git", "index-check")
			os.WriteFile(p, got, 0o666)
			debug, _ := gittest.Run(ir.dir, []string{"GIT_INDEX_FILE=" + p}, "ls-files", "--debug", "a/e.txt")
			if smudged := strings.Contains(debug, "size: 0\t"); smudged != tc.changed {
				t.Errorf("smudged = %v:\n%s", smudged, debug)
			}
		})
	}
}

// TestWriteIndexLock: the writer takes the index's lock as git does; a
// lock already there makes it fail as git fails, and stays.
func TestWriteIndexLock(t *testing.T) {
	ir := newIndexRepo(t)
	ups := []gitrepo.IndexUpdate{{Path: "z.txt", Blob: ir.blob("new\n")}}
	if err := ir.r.UpdateIndexFile(ir.index(), ups); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ir.index() + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock left behind: %v", err)
	}
	if st := ir.git("status", "--porcelain", "z.txt"); st != "MM z.txt" {
		t.Errorf("status %q", st)
	}
	os.WriteFile(ir.index()+".lock", []byte("someone's\n"), 0o666)
	before := readOrNil(t, ir.index())
	err := ir.r.UpdateIndexFile(ir.index(), []gitrepo.IndexUpdate{{Path: "z.txt"}})
	if err == nil || !strings.Contains(err.Error(), "index.lock") {
		t.Fatalf("err = %v, want git's index.lock error", err)
	}
	if b := readOrNil(t, ir.index()+".lock"); string(b) != "someone's\n" {
		t.Errorf("the lock was touched: %q", b)
	}
	if !bytes.Equal(readOrNil(t, ir.index()), before) {
		t.Error("index changed")
	}
}

// TestWriteIndexZeroChecksum: an index whose checksum is zeros
// (index.skipHash) gets zeros again; the rest is git's.
func TestWriteIndexZeroChecksum(t *testing.T) {
	ir := newIndexRepo(t)
	data, err := os.ReadFile(ir.index())
	if err != nil {
		t.Fatal(err)
	}
	copy(data[len(data)-sha1.Size:], make([]byte, sha1.Size))
	if err := os.WriteFile(ir.index(), data, 0o666); err != nil {
		t.Fatal(err)
	}
	ups := []gitrepo.IndexUpdate{{Path: "a/e.txt", Blob: ir.blob("x\n")}}
	gitCopy, ours := ir.twin("index-git"), ir.twin("index-ours")
	if err := ir.r.UpdateIndexGit(gitCopy, ups); err != nil {
		t.Fatal(err)
	}
	if err := ir.r.WriteIndexUpdates(ours, ups); err != nil {
		t.Fatal(err)
	}
	want, got := readOrNil(t, gitCopy), readOrNil(t, ours)
	body := len(got) - sha1.Size
	if !bytes.Equal(got[:body], want[:len(want)-sha1.Size]) || !bytes.Equal(got[body:], make([]byte, sha1.Size)) {
		t.Errorf("ours:\n%s\ngit's:\n%s", ir.lsFiles(ours), ir.lsFiles(gitCopy))
	}
}

// TestWriteIndexFallsBack: for every index, setting or update the writer
// does not reproduce itself, it says so (ErrNeedGit) and UpdateIndexFile
// gives git's result.
func TestWriteIndexFallsBack(t *testing.T) {
	up := func(p, b string) []gitrepo.IndexUpdate { return []gitrepo.IndexUpdate{{Path: p, Blob: b}} }
	m3 := ".milestones/active/m-003.yaml"
	conflict := func(ir *indexRepo) {
		ir.git("checkout", "-q", "-b", "side")
		gittest.Commit(ir.t, ir.dir, "side", map[string]string{m3: "side\n"})
		ir.git("checkout", "-q", "main")
		gittest.Commit(ir.t, ir.dir, "main", map[string]string{m3: "main\n"})
		gittest.Run(ir.dir, nil, "merge", "-q", "side") // conflicts, on purpose
	}
	config := func(kv ...string) func(ir *indexRepo) {
		return func(ir *indexRepo) {
			for i := 0; i < len(kv); i += 2 {
				ir.git("config", kv[i], kv[i+1])
			}
		}
	}
	cases := []struct {
		name  string
		setup func(ir *indexRepo)
		ups   func(ir *indexRepo, blob string) []gitrepo.IndexUpdate
	}{
		{"split index", func(ir *indexRepo) { ir.git("update-index", "--split-index") }, nil},
		{"sparse index", func(ir *indexRepo) {
			ir.git("sparse-checkout", "init", "--cone", "--sparse-index")
			ir.git("sparse-checkout", "set", ".milestones")
		}, nil},
		{"sparse index, index.sparse unset since", func(ir *indexRepo) {
			ir.git("sparse-checkout", "init", "--cone", "--sparse-index")
			ir.git("sparse-checkout", "set", ".milestones")
			ir.git("config", "--worktree", "--unset", "index.sparse")
		}, nil},
		{"untracked cache", func(ir *indexRepo) {
			ir.git("update-index", "--untracked-cache")
			ir.git("status", "--porcelain")
		}, nil},
		{"fsmonitor extension", func(ir *indexRepo) { gittest.Run(ir.dir, nil, "update-index", "--fsmonitor") }, nil},
		{"unknown extension", addExtension("ZZZZ"), nil},
		{"unknown mandatory extension", addExtension("zzzz"), nil},
		{"not an index", func(ir *indexRepo) { os.WriteFile(ir.index(), []byte("not an index file at all, no"), 0o666) }, nil},
		{"conflict at the path", conflict, nil},
		{"conflict stage written", nil, func(ir *indexRepo, b string) []gitrepo.IndexUpdate {
			return []gitrepo.IndexUpdate{{Path: m3, Blob: b, Stage: 2}}
		}},
		{"skip-worktree at the path", func(ir *indexRepo) { ir.git("update-index", "--skip-worktree", m3) }, nil},
		{"intent-to-add at the path", func(ir *indexRepo) {
			gittest.WriteFile(ir.t, ir.dir, "new.txt", "n\n")
			ir.git("add", "-N", "new.txt")
		}, func(ir *indexRepo, b string) []gitrepo.IndexUpdate { return up("new.txt", b) }},
		{"assume-valid at the path", func(ir *indexRepo) { ir.git("update-index", "--assume-unchanged", m3) }, nil},
		{"file under a file", nil, func(ir *indexRepo, b string) []gitrepo.IndexUpdate { return up("z.txt/inside", b) }},
		{"file over a folder", nil, func(ir *indexRepo, b string) []gitrepo.IndexUpdate { return up("a/b", b) }},
		{"file and folder in one batch", nil, func(ir *indexRepo, b string) []gitrepo.IndexUpdate {
			return []gitrepo.IndexUpdate{{Path: "q", Blob: b}, {Path: "q/r", Blob: b}}
		}},
		{"same path twice", nil, func(ir *indexRepo, b string) []gitrepo.IndexUpdate {
			return []gitrepo.IndexUpdate{{Path: m3, Blob: b}, {Path: m3}}
		}},
		{"path git ignores", nil, func(ir *indexRepo, b string) []gitrepo.IndexUpdate {
			return []gitrepo.IndexUpdate{{Path: ".git/x", Blob: b}, {Path: "a/.GIT/y", Blob: b}, {Path: "a//b", Blob: b},
				{Path: "a/./c", Blob: b}, {Path: "git~1/d", Blob: b}}
		}},
		{"mode git rewrites", nil, func(ir *indexRepo, b string) []gitrepo.IndexUpdate {
			return []gitrepo.IndexUpdate{{Path: m3, Blob: b, Mode: 0o100664}}
		}},
		{"null object id", nil, func(ir *indexRepo, b string) []gitrepo.IndexUpdate { return up(m3, gitrepo.ZeroID) }},
		{"core.splitIndex", config("core.splitIndex", "true"), nil},
		{"core.untrackedCache", config("core.untrackedCache", "true"), nil},
		{"feature.manyFiles", config("feature.manyFiles", "true"), nil},
		{"index.threads", config("index.threads", "true"), nil},
		{"index.recordEndOfIndexEntries", config("index.recordEndOfIndexEntries", "true"), nil},
		{"core.sharedRepository", config("core.sharedRepository", "group"), nil},
		{"index.skipHash against the checksum", config("index.skipHash", "true"), nil},
		{"config include", func(ir *indexRepo) {
			p := filepath.Join(ir.dir, ".git", "more.config")
			os.WriteFile(p, []byte("[core]\n\tsplitIndex = true\n"), 0o666)
			ir.git("config", "include.path", p)
		}, nil},
		{"post-index-change hook", func(ir *indexRepo) {
			hook := filepath.Join(ir.dir, ".git", "hooks", "post-index-change")
			os.MkdirAll(filepath.Dir(hook), 0o777)
			os.WriteFile(hook, []byte("#!/bin/sh\nexit 0\n"), 0o777)
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ir := newIndexRepo(t)
			if tc.setup != nil {
				tc.setup(ir)
			}
			r, err := gitrepo.Open(ir.dir) // the configuration as set up
			if err != nil {
				t.Fatal(err)
			}
			ir.r = r
			b := ir.blob("new content\n")
			ups := up(m3, b)
			if tc.ups != nil {
				ups = tc.ups(ir, b)
			}
			if _, err := ir.apply(ups, false); !errors.Is(err, gitrepo.ErrNeedGit) {
				t.Fatalf("the writer did not leave it to git: %v", err)
			} else {
				t.Log(err)
			}
		})
	}
}

// addExtension returns a setup appending an extension sig (4 bytes of
// data) to the index, with a right checksum.
func addExtension(sig string) func(ir *indexRepo) {
	return func(ir *indexRepo) {
		data, err := os.ReadFile(ir.index())
		if err != nil {
			ir.t.Fatal(err)
		}
		data = append(data[:len(data)-sha1.Size:len(data)-sha1.Size], sig+"\x00\x00\x00\x04data"...)
		sum := sha1.Sum(data)
		if err := os.WriteFile(ir.index(), append(data, sum[:]...), 0o666); err != nil {
			ir.t.Fatal(err)
		}
	}
}
