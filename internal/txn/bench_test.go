package txn_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
	"github.com/git-milestone/git-milestone/internal/txn"
)

// benchRepo builds a repository whose HEAD has milestones files in
// .milestones/active plus others other tracked files, packed by
// fast-import (like a fresh clone), with the index and work tree checked out.
func benchRepo(b *testing.B, milestones, others int, path func(id string) string) string {
	b.Helper()
	dir := gittest.Init(b)
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(in)
	fmt.Fprintf(w, "commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\ndata 5\nseed\n")
	for i := 0; i < others; i++ {
		content := fmt.Sprintf("package d%03d\n\n// File %d of the code tree.\nfunc F%d() int { return %d }\n", i/100, i, i, i)
		fmt.Fprintf(w, "M 100644 inline src/d%03d/f%05d.go\ndata %d\n%s\n", i/100, i, len(content), content)
	}
	for i := 0; i < milestones; i++ {
		id := fmt.Sprintf("m-%05d", i)
		content := milestoneYAML(id)
		fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", path(id), len(content), content)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	gittest.Git(b, dir, "checkout", "-q", "-f", "main")
	return dir
}

func milestoneYAML(id string) string {
	return fmt.Sprintf("title: Milestone %s\nstatus: active\npriority: medium\nowner: ana@example.com\n"+
		"due: 2026-12-15\nlabels: [release, web]\nprogress: 40\ndescription: |\n  Some text about %s.\n"+
		"created_at: 2026-11-26T07:00:00Z\nupdated_at: 2026-11-26T07:00:00Z\n", id, id)
}

func benchmarkCreate(b *testing.B, milestones int, path func(id string) string) {
	dir := benchRepo(b, milestones, 20000, path)
	ctx := context.Background()
	i := 0
	steps := map[string]time.Duration{}
	var walls []time.Duration
	self0, kids0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		// A fresh Repo per commit, as each CLI process opens its own.
		t0 := time.Now()
		r, err := gitrepo.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		tx, err := txn.Begin(ctx, r, txn.Options{Trace: func(step string, d time.Duration) { steps[step] += d }})
		if err != nil {
			b.Fatal(err)
		}
		id := fmt.Sprintf("new-%06d", i)
		i++
		_, err = tx.Commit("milestone("+id+"): create\n\nMilestone-Id: "+id+"\n",
			[]txn.Change{{Path: path(id), Content: []byte(milestoneYAML(id))}})
		if err != nil {
			b.Fatal(err)
		}
		tx.Close()
		walls = append(walls, time.Since(t0))
	}
	b.StopTimer()
	self1, kids1 := cpuTime()
	b.ReportMetric(float64(self1-self0)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(kids1-kids0)/float64(b.N)/1e6, "git-cpu-ms/op")
	// The machine is shared: the median and the minimum say more than the mean.
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	b.ReportMetric(float64(walls[len(walls)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(walls[0])/1e6, "min-ms")
	for step, d := range steps { // mean time since Begin at the end of each step
		b.ReportMetric(float64(d)/float64(b.N)/1e6, step+"-ms")
	}
	if out := gittest.Git(b, dir, "status", "--porcelain", "--", ".milestones"); out != "" {
		b.Fatalf("status not clean: %s", out)
	}
	os.RemoveAll(filepath.Join(dir, ".git", "objects")) // speed up TempDir cleanup
}

// flat is the layout of SPEC section 2: .milestones/active/<id>.yaml.
func flat(id string) string { return ".milestones/active/" + id + ".yaml" }

// sharded spreads files over 256 directories by a hash of the id
// (.milestones/active/<2 hex>/<id>.yaml): each commit then rewrites a
// ~10 KB directory tree and a small shard instead of one big tree.
func sharded(id string) string {
	h := sha1.Sum([]byte(id))
	return fmt.Sprintf(".milestones/active/%02x/%s.yaml", h[0], id)
}

// BenchmarkCommitCreate100 .. 10k: one new milestone file committed in a
// repository with N milestones and 20,000 other tracked files.
func BenchmarkCommitCreate100(b *testing.B) { benchmarkCreate(b, 100, flat) }
func BenchmarkCommitCreate1k(b *testing.B)  { benchmarkCreate(b, 1000, flat) }

// BenchmarkCommitCreate10k has 10,000 milestones in one flat directory
// (a ~400 KB tree rewritten on every commit).
func BenchmarkCommitCreate10k(b *testing.B) { benchmarkCreate(b, 10000, flat) }

// BenchmarkCommitCreate10kSharded is the same with the sharded layout.
func BenchmarkCommitCreate10kSharded(b *testing.B) { benchmarkCreate(b, 10000, sharded) }

// cpuTime returns the user+system CPU time of this process and of its
// waited-for children (the git update-index runs), which stays meaningful
// when the machine is busy and wall time is not.
func cpuTime() (self, children time.Duration) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	children = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return self, children
}

// benchmarkBulk commits n new milestone files in ONE Commit (what
// `migrate --to file` does from a database), then removes them all in one
// Commit (`migrate --to database`), in a repository with 20,000 other
// tracked files. It reports the median wall time of each.
func benchmarkBulk(b *testing.B, n int, path func(id string) string) {
	dir := benchRepo(b, 0, 20000, path)
	ctx := context.Background()
	adds := make([]txn.Change, n)
	dels := make([]txn.Change, n)
	for i := range adds {
		id := fmt.Sprintf("m-%05d", i)
		adds[i] = txn.Change{Path: path(id), Content: []byte(milestoneYAML(id))}
		dels[i] = txn.Change{Path: path(id), Delete: true}
	}
	steps := map[string]time.Duration{}
	run := func(msg string, changes []txn.Change) time.Duration {
		t0 := time.Now()
		kind := "add-"
		if changes[0].Delete {
			kind = "del-"
		}
		r, err := gitrepo.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		tx, err := txn.Begin(ctx, r, txn.Options{Trace: func(step string, d time.Duration) { steps[kind+step] += d }})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Commit(msg, changes); err != nil {
			b.Fatal(err)
		}
		if err := tx.Close(); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	var addWalls, delWalls []time.Duration
	self0, kids0 := cpuTime()
	for b.Loop() {
		addWalls = append(addWalls, run("milestones: import\n", adds))
		if out := gittest.Git(b, dir, "status", "--porcelain", "--", ".milestones"); out != "" {
			b.Fatalf("status not clean after the import: %.200s", out)
		}
		delWalls = append(delWalls, run("milestones: move to the database\n", dels))
	}
	b.StopTimer()
	self1, kids1 := cpuTime()
	b.ReportMetric(float64(self1-self0)/float64(len(addWalls))/1e6, "cpu-ms/op")
	b.ReportMetric(float64(kids1-kids0)/float64(len(addWalls))/1e6, "git-cpu-ms/op")
	for _, m := range []struct {
		name  string
		walls []time.Duration
	}{{"add", addWalls}, {"del", delWalls}} {
		sort.Slice(m.walls, func(i, j int) bool { return m.walls[i] < m.walls[j] })
		b.ReportMetric(float64(m.walls[len(m.walls)/2])/1e6, m.name+"-p50-ms")
		b.ReportMetric(float64(m.walls[0])/1e6, m.name+"-min-ms")
	}
	for step, d := range steps { // mean time since Begin at the end of each step
		b.ReportMetric(float64(d)/float64(len(addWalls))/1e6, step+"-ms")
	}
	if out := gittest.Git(b, dir, "status", "--porcelain"); out != "" {
		b.Fatalf("status not clean: %.200s", out)
	}
	os.RemoveAll(filepath.Join(dir, ".git", "objects"))
}

// BenchmarkCommitBulk10k adds 10,000 milestone files in one commit, then
// removes them in one commit (ns/op is the pair).
func BenchmarkCommitBulk10k(b *testing.B) { benchmarkBulk(b, 10000, flat) }

// BenchmarkCommitBulk1k is the same with 1,000 files.
func BenchmarkCommitBulk1k(b *testing.B) { benchmarkBulk(b, 1000, flat) }
