package githooks

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/format"
)

const validDoc = "title: Public beta\nstatus: active\npriority: high\n"

func TestCheckStaged(t *testing.T) {
	type file struct {
		path, content string
		stage         bool // git add it (otherwise only in the work tree)
	}
	tests := []struct {
		name    string
		base    []file // committed first
		files   []file
		unborn  bool // no commit before
		want    []string
		wantDoc []string // StagedDocuments paths
	}{
		{name: "nothing staged"},
		{name: "valid", files: []file{{".milestones/active/beta.yaml", validDoc, true}},
			wantDoc: []string{".milestones/active/beta.yaml"}},
		{name: "status nonsense", files: []file{{".milestones/active/beta.yaml", "title: Beta\nstatus: nonsense\n", true}},
			want:    []string{`.milestones/active/beta.yaml:2:9: status "nonsense" is not one of`},
			wantDoc: []string{".milestones/active/beta.yaml"}},
		{name: "unborn branch", unborn: true, files: []file{{".milestones/active/beta.yaml", "title: Beta\nstatus: nonsense\n", true}},
			want: []string{`.milestones/active/beta.yaml:2:9: status "nonsense"`}},
		{name: "staged blob, not the work tree", files: []file{
			{".milestones/active/a.yaml", "title: A\nstatus: nonsense\n", true},
			{".milestones/active/a.yaml", validDoc, false}, // fixed in the work tree but not staged
			{".milestones/active/b.yaml", validDoc, true},
			{".milestones/active/b.yaml", "title: [broken\n", false}, // broken in the work tree only
		}, want: []string{`.milestones/active/a.yaml:2:9: status "nonsense"`}},
		{name: "unstaged files are ignored", files: []file{{".milestones/active/new.yaml", "status: nonsense\n", false}}},
		{name: "modified", base: []file{{".milestones/active/beta.yaml", validDoc, true}},
			files: []file{{".milestones/active/beta.yaml", validDoc + "progress: 400\n", true}},
			want:  []string{".milestones/active/beta.yaml:4:11: "}},
		{name: "status disagrees with folder", files: []file{
			{".milestones/active/done.yaml", "title: Done\n# closed\nstatus:   completed\n", true},
			{".milestones/completed/open.yaml", "title: Open\n", true},
		}, want: []string{
			`.milestones/active/done.yaml:3:11: status "completed" belongs in .milestones/completed/, not .milestones/active/`,
			`.milestones/completed/open.yaml:1:1: no status (so "planned") belongs in .milestones/active/, not .milestones/completed/`,
		}},
		{name: "id in both folders, other one committed", base: []file{{".milestones/completed/beta.yaml", "title: B\nstatus: completed\n", true}},
			files: []file{{".milestones/active/beta.yaml", validDoc, true}},
			want:  []string{`.milestones/active/beta.yaml: id "beta" is also used by .milestones/completed/beta.yaml`}},
		{name: "id in both folders, both staged: reported once", files: []file{
			{".milestones/active/beta.yaml", validDoc, true},
			{".milestones/completed/beta.yaml", "title: B\nstatus: cancelled\n", true},
		}, want: []string{`.milestones/active/beta.yaml: id "beta" is also used by .milestones/completed/beta.yaml`}},
		{name: "reopen by git mv is fine", base: []file{{".milestones/completed/beta.yaml", "title: B\nstatus: completed\n", true}},
			files: []file{{".milestones/active/beta.yaml", validDoc, true}, {".milestones/completed/beta.yaml", "", true}}},
		{name: "bad ids", files: []file{
			{".milestones/active/Bad_ID.yaml", validDoc, true},
			{".milestones/active/new\nline.yaml", validDoc, true},
			{".milestones/active/ok.yaml", validDoc, true},
			{".milestones/completed/ok.yaml", "title: B\nstatus: completed\n", true},
		}, want: []string{
			".milestones/active/Bad_ID.yaml: invalid id",
			".milestones/active/new\nline.yaml: invalid id",
			`.milestones/active/ok.yaml: id "ok" is also used by .milestones/completed/ok.yaml`,
		}},
		{name: "conflict markers", files: []file{{".milestones/active/c.yaml", "title: C\n<<<<<<< HEAD\nstatus: active\n=======\nstatus: blocked\n>>>>>>> x\n", true}},
			want: []string{".milestones/active/c.yaml:2:1: unresolved merge conflict marker"}},
		{name: "yml is named", files: []file{{".milestones/completed/old.yml", "title: Old\nstatus: completed\n", true}},
			want: []string{".milestones/completed/old.yml: a milestone file name must end in .yaml"}},
		{name: "other files are not documents", files: []file{
			{".milestones/active/.gitkeep", "\n", true},
			{".milestones/active/notes.txt", "whatever", true},
			{".milestones/active/sub/x.yaml", "status: nonsense\n", true},
			{".milestones/config/storage-config.yaml", "nonsense: [", true},
			{"elsewhere/active/x.yaml", "status: nonsense\n", true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dir string
			if tt.unborn {
				dir = filepath.Join(t.TempDir(), "repo")
				git(t, t.TempDir(), "init", "-q", dir)
			} else {
				dir = newRepo(t)
			}
			apply := func(fs []file) {
				for _, f := range fs {
					p := filepath.Join(dir, filepath.FromSlash(f.path))
					if f.content == "" {
						git(t, dir, "rm", "-q", "--", f.path)
						continue
					}
					writeFile(t, p, f.content, 0o644)
					if f.stage {
						git(t, dir, "add", "--", f.path)
					}
				}
			}
			if len(tt.base) > 0 {
				apply(tt.base)
				git(t, dir, "commit", "-q", "-m", "base")
			}
			apply(tt.files)
			problems, err := CheckStaged(t.Context(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != len(tt.want) {
				t.Fatalf("problems %q, want %d: %q", problems, len(tt.want), tt.want)
			}
			for i, p := range problems {
				var fe *format.Error
				if !errors.As(p, &fe) {
					t.Errorf("problem %d is %T, not *format.Error", i, p)
				}
				if !strings.HasPrefix(p.Error(), tt.want[i]) {
					t.Errorf("problem %d = %q, want prefix %q", i, p, tt.want[i])
				}
			}
			if tt.wantDoc != nil {
				docs, err := StagedDocuments(t.Context(), dir)
				if err != nil {
					t.Fatal(err)
				}
				var paths []string
				for _, d := range docs {
					paths = append(paths, d.Path)
					if b, _ := gitErrOut(dir, nil, "cat-file", "blob", d.Blob); b != strings.TrimSpace(string(d.Src)) {
						t.Errorf("%s: Src is not the staged blob", d.Path)
					}
				}
				if !reflect.DeepEqual(paths, tt.wantDoc) {
					t.Errorf("documents %q, want %q", paths, tt.wantDoc)
				}
			}
		})
	}
}

// git commit -a stages through a temporary index (GIT_INDEX_FILE): the hook
// sees what is committed, not .git/index.
func TestCommitRefusedEndToEnd(t *testing.T) {
	dir := newRepo(t)
	o := discover(t, dir)
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	path := ".milestones/active/beta.yaml"
	if err := commit(t, dir, path, validDoc); err != nil {
		t.Fatal(err)
	}
	head := git(t, dir, "rev-parse", "HEAD")
	err := commit(t, dir, path, "title: Beta\nstatus: nonsense\n")
	if err == nil || !strings.Contains(err.Error(), path+`:2:9: status "nonsense" is not one of`) {
		t.Fatalf("commit: %v", err)
	}
	git(t, dir, "reset", "-q", "--hard")
	writeFile(t, filepath.Join(dir, path), "title: Beta\nstatus: nonsense\n", 0o644)
	_, err = gitErrOut(dir, nil, "commit", "-q", "-a", "-m", "all")
	if err == nil || !strings.Contains(err.Error(), path+":2:9:") {
		t.Fatalf("commit -a: %v", err)
	}
	_, err = gitErrOut(dir, nil, "commit", "-q", "-m", "only", "--", path)
	if err == nil || !strings.Contains(err.Error(), path+":2:9:") {
		t.Fatalf("commit PATH: %v", err)
	}
	if h := git(t, dir, "rev-parse", "HEAD"); h != head {
		t.Errorf("HEAD moved")
	}
	writeFile(t, filepath.Join(dir, path), validDoc+"owner: ana\n", 0o644)
	if _, err := gitErrOut(dir, nil, "commit", "-q", "-a", "-m", "fixed"); err != nil {
		t.Fatalf("valid commit -a refused: %v", err)
	}
}

func TestChangedPathsAndHookRange(t *testing.T) {
	dir := newRepo(t)
	log := hookLog(t)
	o := discover(t, dir)
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"a", "b", "c"} {
		writeFile(t, filepath.Join(dir, ".milestones", "active", f+".yaml"), "title: "+f+"\n", 0o644)
	}
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "three")
	base := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "checkout", "-q", "-b", "side")
	writeFile(t, filepath.Join(dir, ".milestones", "active", "a.yaml"), "title: a2\n", 0o644)
	writeFile(t, filepath.Join(dir, ".milestones", "completed", "d.yaml"), "title: d\nstatus: completed\n", 0o644)
	writeFile(t, filepath.Join(dir, "other.txt"), "x\n", 0o644)
	git(t, dir, "rm", "-q", ".milestones/active/b.yaml")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "side")
	side := git(t, dir, "rev-parse", "HEAD")

	ops := func(cs []Change) string {
		var s []string
		for _, c := range cs {
			s = append(s, string(c.Op)+" "+c.Path)
		}
		return strings.Join(s, ", ")
	}
	want := "M .milestones/active/a.yaml, D .milestones/active/b.yaml, A .milestones/completed/d.yaml"
	cs, err := ChangedPaths(t.Context(), dir, base, side)
	if err != nil {
		t.Fatal(err)
	}
	if got := ops(cs); got != want {
		t.Errorf("ChangedPaths = %s, want %s", got, want)
	}
	if cs[1].NewBlob != zeroID || cs[2].OldBlob != zeroID || len(cs[0].NewBlob) != 40 {
		t.Errorf("blobs: %+v", cs)
	}
	if cs, err := ChangedPaths(t.Context(), dir, "", base); err != nil || ops(cs) != "A .milestones/active/a.yaml, A .milestones/active/b.yaml, A .milestones/active/c.yaml" {
		t.Errorf("from nothing: %s, %v", ops(cs), err)
	}
	if cs, err := ChangedPaths(t.Context(), dir, side, side); err != nil || cs != nil {
		t.Errorf("same commit: %v, %v", cs, err)
	}

	// The ranges the hooks see, from git's own calls (logged by the stand-in).
	last := func() []string {
		l := log()
		f := strings.Fields(strings.Trim(strings.SplitN(l[len(l)-1], " [", 2)[1], "]"))
		return f
	}
	git(t, dir, "checkout", "-q", "main")
	r, ok := HookRange(o.GitDir, "post-checkout", last(), nil)
	if !ok || r != (Range{side, base}) {
		t.Errorf("post-checkout range %v %v", r, ok)
	}
	git(t, dir, "merge", "-q", "--ff-only", "side")
	r, ok = HookRange(o.GitDir, "post-merge", last(), nil)
	if !ok || r != (Range{base, "HEAD"}) {
		t.Errorf("post-merge range %v %v", r, ok)
	}
	if cs, _ := ChangedPaths(t.Context(), dir, r.From, r.To); ops(cs) != want {
		t.Errorf("post-merge changes %s", ops(cs))
	}
	git(t, dir, "checkout", "-q", "--", "other.txt") // a file checkout: no range
	if _, ok := HookRange(o.GitDir, "post-checkout", last(), nil); ok {
		t.Errorf("file checkout gave a range")
	}
	git(t, dir, "commit", "-q", "--amend", "-m", "amended")
	amended := git(t, dir, "rev-parse", "HEAD")
	l := log()
	_, in, _ := strings.Cut(l[len(l)-1], "stdin=")
	r, ok = HookRange(o.GitDir, "post-rewrite", []string{"amend"}, []byte(strings.ReplaceAll(strings.Trim(in, `"`), `\n`, "\n")))
	if !ok || r != (Range{side, amended}) {
		t.Errorf("post-rewrite range %v %v (stdin %s)", r, ok, in)
	}
	if _, ok := HookRange(o.GitDir, "post-merge", []string{"1"}, nil); ok {
		t.Errorf("squash merge gave a range")
	}
	if r, ok := HookRange(o.GitDir, "post-checkout", []string{zeroID, side, "1"}, nil); !ok || r.From != zeroID {
		t.Errorf("clone checkout %v %v", r, ok)
	}
}

// benchRepo makes a repository with n committed milestones and one staged change.
func benchRepo(b *testing.B, n int) string {
	b.Helper()
	dir := newRepo(b)
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, ".milestones", "active", fmt.Sprintf("m-%05d.yaml", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("title: Milestone %d\nstatus: active\nlabels: [a, b]\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	git(b, dir, "add", ".")
	git(b, dir, "commit", "-q", "-m", "many")
	writeFile(b, filepath.Join(dir, ".milestones", "active", "m-00042.yaml"), validDoc+"owner: ana\n", 0o644)
	git(b, dir, "add", ".")
	return dir
}

// cpuMeter reports the CPU time (this process and its children) per
// operation as "cpu-ms/op": on a shared, loaded machine wall time measures
// the queue for the CPU, CPU time measures the work.
func cpuMeter(b *testing.B) func() {
	cpu := func() time.Duration {
		var self, kids syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
		_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
		tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
		return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64(cpu()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

func BenchmarkCheckStaged(b *testing.B) {
	dir := benchRepo(b, 1000)
	defer cpuMeter(b)()
	for b.Loop() {
		problems, err := CheckStaged(b.Context(), dir)
		if err != nil || len(problems) != 0 {
			b.Fatal(problems, err)
		}
	}
}

// BenchmarkPreCommitHook runs the installed pre-commit script as git does
// (by path, from the work tree root): sh, the git-milestone stand-in
// (CheckStaged), its two git commands.
func BenchmarkPreCommitHook(b *testing.B) {
	dir := benchRepo(b, 1000)
	o := discover(b, dir)
	if _, err := Install(o); err != nil {
		b.Fatal(err)
	}
	hook := filepath.Join(o.CommonDir, "hooks", "pre-commit")
	defer cpuMeter(b)()
	for b.Loop() {
		cmd := exec.Command(hook)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatal(string(out), err)
		}
	}
}
