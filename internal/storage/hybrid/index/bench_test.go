package index

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// corpus writes n realistic documents: titles of 2-6 and descriptions of
// 20-60 words drawn (Zipf) from 3,000 pseudo-words, labels, owners, dates.
// It returns two search words: one in about 1% of the documents, one in
// most of them.
func corpus(b testing.TB, dir string, n int) (rare, common string) {
	r := rand.New(rand.NewSource(1))
	vocab := make([]string, 3000)
	for i := range vocab {
		w := make([]byte, 4+r.Intn(6))
		for j := range w {
			w[j] = byte('a' + r.Intn(26))
		}
		vocab[i] = string(w)
	}
	z := rand.NewZipf(r, 1.07, 2, uint64(len(vocab)-1))
	text := func(k int) string {
		ws := make([]string, k)
		for i := range ws {
			ws[i] = vocab[z.Uint64()]
		}
		return strings.Join(ws, " ")
	}
	for i := 0; i < n; i++ {
		m := milestone.Milestone{
			ID:          fmt.Sprintf("milestone-%05d", i),
			Title:       text(2 + r.Intn(5)),
			Status:      milestone.Statuses[r.Intn(len(milestone.Statuses))],
			Priority:    milestone.Priorities[r.Intn(len(milestone.Priorities))],
			Owner:       fmt.Sprintf("dev%d@example.com", r.Intn(20)),
			Due:         fmt.Sprintf("2026-%02d-%02d", 1+r.Intn(12), 1+r.Intn(28)),
			Labels:      []string{labels[r.Intn(len(labels))], labels[r.Intn(len(labels))]},
			Description: text(20+r.Intn(40)) + "\n",
			CreatedAt:   fmt.Sprintf("2026-%02d-%02dT10:00:00Z", 1+r.Intn(12), 1+r.Intn(28)),
			UpdatedAt:   "2026-12-01T10:00:00Z",
		}
		if m.Labels[0] == m.Labels[1] {
			m.Labels = m.Labels[:1]
		}
		writeFile(b, dir, filestore.PathFor(m.ID, m.Status), string(format.Encode(m)))
	}
	return vocab[400], vocab[2]
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU time per operation (all goroutines), which a
// loaded machine disturbs less than wall time, as "cpu-ms/op".
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

type fixture struct {
	dir          string
	fs           *filestore.Store
	ix           *Index
	rare, common string
}

func newFixture(b *testing.B, n int) *fixture {
	dir := b.TempDir()
	git(b, dir, "init", "-q")
	rare, common := corpus(b, dir, n)
	repo, err := gitrepo.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	fs := filestore.Open(repo, filestore.Options{})
	ix, _ := openIndex(b, dir) // clock 10 s ahead: the files count as old
	if _, err := ix.Refresh(ctx, fs); err != nil {
		b.Fatal(err)
	}
	if rep, err := ix.Refresh(ctx, fs); err != nil || rep.Changed() || rep.Rescanned {
		b.Fatalf("not fresh: %+v %v", rep, err)
	}
	return &fixture{dir: dir, fs: fs, ix: ix, rare: rare, common: common}
}

// BenchmarkIndex measures the index at 1,000 and 10,000 milestones:
//
//	go test -run '^$' -bench BenchmarkIndex -benchtime 15x ./internal/storage/hybrid/index/
//
// cpu-ms/op (CPU time of all goroutines, or of the child process) is less
// disturbed than ns/op on a shared machine.
func BenchmarkIndex(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			f := newFixture(b, n)
			benchIndex(b, f, n)
		})
	}
}

func benchIndex(b *testing.B, f *fixture, n int) {
	fresh := func(b *testing.B, t tuning) {
		saved := f.ix.tuning
		t.now = saved.now
		f.ix.tuning = t
		defer func() { f.ix.tuning = saved }()
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			if rep, err := f.ix.Refresh(ctx, f.fs); err != nil || rep.Changed() {
				b.Fatal(rep, err)
			}
		}
	}
	// The freshness check alone, on an unchanged tree, and its variants.
	b.Run("freshness", func(b *testing.B) { fresh(b, tuning{}) })
	b.Run("freshness-1-core", func(b *testing.B) { fresh(b, tuning{workers: 1}) })
	b.Run("freshness-readdir", func(b *testing.B) { fresh(b, tuning{alwaysScan: true}) })
	b.Run("freshness-readdir-1-core", func(b *testing.B) { fresh(b, tuning{alwaysScan: true, workers: 1}) })
	b.Run("refresh-1-changed", func(b *testing.B) {
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			rel := filestore.PathFor("milestone-00000", milestone.Active)
			os.Remove(filepath.Join(f.dir, filestore.PathFor("milestone-00000", milestone.Completed)))
			writeFile(b, f.dir, rel, fmt.Sprintf("title: Changed %d\nstatus: active\n", time.Now().UnixNano()))
			if rep, err := f.ix.Refresh(ctx, f.fs); err != nil || !rep.Changed() {
				b.Fatal(rep, err)
			}
		}
	})
	query := func(name string, q storage.Query, min int) {
		b.Run(name, func(b *testing.B) {
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				recs, _, err := f.ix.List(ctx, q)
				if err != nil || len(recs) < min {
					b.Fatal(len(recs), err)
				}
			}
		})
	}
	query("list-status", storage.Query{Statuses: []milestone.Status{milestone.Blocked}}, n/6)
	query("list-open-limit-50", storage.Query{Limit: 50, Sort: "due"}, 50)
	query("search-rare", storage.Query{Text: f.rare, All: true}, 1)
	query("search-common", storage.Query{Text: f.common, All: true}, n/3)
	query("search-common-limit-20", storage.Query{Text: f.common, All: true, Limit: 20}, 20)
	b.Run("get", func(b *testing.B) {
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			id := fmt.Sprintf("milestone-%05d", 1+i%(n-1))
			paths := []string{filestore.PathFor(id, milestone.Active), filestore.PathFor(id, milestone.Completed)}
			if _, err := f.ix.RefreshPaths(ctx, f.fs, paths); err != nil {
				b.Fatal(err)
			}
			if _, err := f.ix.Get(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ids", func(b *testing.B) {
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			if err := f.ix.RefreshNames(ctx, f.fs); err != nil {
				b.Fatal(err)
			}
			if ids, err := f.ix.IDs(ctx); err != nil || len(ids) != n {
				b.Fatal(len(ids), err)
			}
		}
	})
	b.Run("stats", func(b *testing.B) {
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			if st, err := f.ix.Stats(ctx, "2026-06-01"); err != nil || st.Total != n {
				b.Fatal(st.Total, err)
			}
		}
	})
	b.Run("rebuild", func(b *testing.B) {
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			if err := f.ix.Rebuild(ctx, f.fs, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Whole processes (this test binary re-executed: open the index,
	// check freshness, answer, exit), to compare with the CLI targets.
	for _, op := range []string{"list-status", "search", "get", "stats"} {
		b.Run("process-"+op, func(b *testing.B) {
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(os.Args[0], "-test.run=^TestBenchProcess$", "-test.count=1")
				cmd.Env = append(os.Environ(), "INDEX_BENCH_OP="+op, "INDEX_BENCH_DIR="+f.dir, "INDEX_BENCH_WORD="+f.rare)
				if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "OK") {
					b.Fatalf("%v\n%s", err, out)
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}

// TestBenchProcess is one whole-process query for BenchmarkIndex.
func TestBenchProcess(t *testing.T) {
	op := os.Getenv("INDEX_BENCH_OP")
	if op == "" {
		t.Skip("helper process for BenchmarkIndex")
	}
	dir := os.Getenv("INDEX_BENCH_DIR")
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	fs := filestore.Open(repo, filestore.Options{})
	ix, _ := openIndex(t, dir)
	switch op {
	case "get":
		id := "milestone-00007"
		_, err = ix.RefreshPaths(ctx, fs, []string{filestore.PathFor(id, milestone.Active), filestore.PathFor(id, milestone.Completed)})
		if err == nil {
			_, err = ix.Get(ctx, id)
		}
	default:
		if _, err = ix.Refresh(ctx, fs); err != nil {
			break
		}
		switch op {
		case "list-status":
			_, _, err = ix.List(ctx, storage.Query{Statuses: []milestone.Status{milestone.Blocked}})
		case "search":
			_, _, err = ix.List(ctx, storage.Query{Text: os.Getenv("INDEX_BENCH_WORD")})
		case "stats":
			_, err = ix.Stats(ctx, "2026-06-01")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("OK", time.Now().Format(time.RFC3339))
}
