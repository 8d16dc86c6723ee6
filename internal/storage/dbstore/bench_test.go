package dbstore

// Benchmarks at DBSTORE_BENCH_N milestones (default 10,000):
//
//	MILESTONE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	  go test -run '^$' -bench . -benchtime 200x ./internal/storage/dbstore/
//	DBSTORE_BENCH_N=100000 ... (the same at 100,000)
//
// BenchmarkImport loads DBSTORE_IMPORT_N (default 100,000) into a fresh
// database per iteration: run it with -benchtime 1x. DBSTORE_IMPORT_DATA=repo
// loads the documents bench/run.sh's make_repo writes instead of the
// generator's (which have longer descriptions); DBSTORE_IMPORT_NEW=1 loads
// them with ImportNew (what migrate uses) instead of Import.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/pgtest"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

type benchStore struct {
	s    *Store
	cfg  Config
	recs []storage.Record
}

var benchStores = map[string]*benchStore{}

// benchDB creates a database that outlives one benchmark function (dropped
// by TestMain).
func benchDB(b *testing.B, kind string) Config {
	if kind == TypeSQLite {
		dir, err := os.MkdirTemp("", "dbstore-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchMu.Lock()
		benchCleanups = append(benchCleanups, func() { os.RemoveAll(dir) })
		benchMu.Unlock()
		return Config{Type: kind, Path: filepath.Join(dir, "enterprise.db"), ProjectKey: "bench"}
	}
	base := pgtest.BaseURL(b)
	name, err := pgtest.Create(base, "dbstore_bench")
	if err != nil {
		b.Fatal(err)
	}
	benchMu.Lock()
	benchCleanups = append(benchCleanups, func() {
		if err := pgtest.Drop(base, name); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	})
	benchMu.Unlock()
	return Config{Type: kind, URL: pgtest.WithDatabase(base, name), ProjectKey: "bench"}
}

// loaded returns a store holding benchN generated milestones, shared by the
// benchmarks of one run.
func loaded(b *testing.B, kind string) *benchStore {
	n := envInt("DBSTORE_BENCH_N", 10000)
	key := fmt.Sprintf("%s-%d", kind, n)
	if bs := benchStores[key]; bs != nil {
		return bs
	}
	if kind == TypePostgreSQL {
		pgtest.BaseURL(b)
	}
	cfg := benchDB(b, kind)
	ctx := context.Background()
	s, err := Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	recs := newGenerator(1).records(n)
	if err := s.Import(ctx, recs, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	bs := &benchStore{s: s, cfg: cfg, recs: recs}
	benchStores[key] = bs
	benchMu.Lock()
	benchCleanups = append([]func(){func() { s.Close() }}, benchCleanups...)
	benchMu.Unlock()
	return bs
}

func eachBenchDialect(b *testing.B, f func(b *testing.B, bs *benchStore)) {
	for _, kind := range []string{TypeSQLite, TypePostgreSQL} {
		b.Run(kind, func(b *testing.B) {
			bs := loaded(b, kind)
			b.ResetTimer()
			f(b, bs)
		})
	}
}

func BenchmarkGet(b *testing.B) {
	eachBenchDialect(b, func(b *testing.B, bs *benchStore) {
		ctx := context.Background()
		for i := 0; i < b.N; i++ {
			id := bs.recs[(i*7919)%len(bs.recs)].Milestone.ID
			if _, err := bs.s.Get(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpenGet is what one CLI process pays in the store: open
// (connect, schema check), one Get, close.
func BenchmarkOpenGet(b *testing.B) {
	eachBenchDialect(b, func(b *testing.B, bs *benchStore) {
		ctx := context.Background()
		for i := 0; i < b.N; i++ {
			s, err := Open(ctx, bs.cfg)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Get(ctx, bs.recs[(i*7919)%len(bs.recs)].Milestone.ID); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
}

func benchList(b *testing.B, q storage.Query) {
	eachBenchDialect(b, func(b *testing.B, bs *benchStore) {
		ctx := context.Background()
		total := 0
		for i := 0; i < b.N; i++ {
			recs, _, err := bs.s.List(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			total += len(recs)
		}
		b.ReportMetric(float64(total)/float64(b.N), "rows/op")
	})
}

func BenchmarkListStatusLimit50(b *testing.B) {
	benchList(b, storage.Query{Statuses: []milestone.Status{milestone.Blocked}, Limit: 50})
}

func BenchmarkListOpenAll(b *testing.B) { benchList(b, storage.Query{}) }

func BenchmarkListLabelOwner(b *testing.B) {
	benchList(b, storage.Query{All: true, Labels: []string{"web"}, Owner: "user3@example.com"})
}

// A word of the generated vocabulary: in about 4 % of the milestones.
func benchWord() string { return newGenerator(1).words[17] }

func BenchmarkSearch(b *testing.B) { benchList(b, storage.Query{Text: benchWord()}) }

func BenchmarkSearchLimit50(b *testing.B) { benchList(b, storage.Query{Text: benchWord(), Limit: 50}) }

func BenchmarkSearchTwoWords(b *testing.B) {
	g := newGenerator(1)
	benchList(b, storage.Query{Text: g.words[17] + " " + g.words[18], All: true})
}

func BenchmarkUpdate(b *testing.B) {
	eachBenchDialect(b, func(b *testing.B, bs *benchStore) {
		ctx := context.Background()
		for i := 0; i < b.N; i++ {
			id := bs.recs[(i*7919)%len(bs.recs)].Milestone.ID
			_, err := bs.s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
				r, err := tx.Get(id)
				if err != nil {
					return err
				}
				m := r.Milestone.Clone()
				p := i % 101
				m.Progress = &p
				return tx.Put(m, fastSource(&m))
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkImport(b *testing.B) {
	n := envInt("DBSTORE_IMPORT_N", 100000)
	recs := newGenerator(2).records(n)
	if os.Getenv("DBSTORE_IMPORT_DATA") == "repo" {
		recs = repoRecords(n)
	}
	for _, kind := range []string{TypeSQLite, TypePostgreSQL} {
		b.Run(fmt.Sprintf("%s-%d", kind, n), func(b *testing.B) {
			if kind == TypePostgreSQL {
				pgtest.BaseURL(b)
			}
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				cfg := benchDB(b, kind)
				s, err := Open(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				cpu0, pg0 := selfCPU(), postgresCPU()
				b.StartTimer()
				load := s.Import
				if os.Getenv("DBSTORE_IMPORT_NEW") == "1" {
					load = s.ImportNew
				}
				if err := load(context.Background(), recs, nil); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric((selfCPU() - cpu0).Seconds(), "go-cpu-s/op")
				if kind == TypePostgreSQL {
					b.ReportMetric((postgresCPU() - pg0).Seconds(), "pg-cpu-s/op")
				}
				s.Close()
				b.StartTimer()
			}
		})
	}
}

// repoRecords are the n milestones bench/run.sh's make_repo writes, with
// the same source text.
func repoRecords(n int) []storage.Record {
	st := []milestone.Status{milestone.Planned, milestone.Active, milestone.Blocked, milestone.Completed, milestone.Cancelled}
	pr := []milestone.Priority{milestone.Low, milestone.Medium, milestone.High, milestone.Critical}
	recs := make([]storage.Record, n)
	for i := 1; i <= n; i++ {
		word := "roadmap"
		if i%3 == 0 {
			word = "zanzibar"
		}
		p := i % 101
		m := milestone.Milestone{
			ID:          fmt.Sprintf("m-%05d", i),
			Title:       fmt.Sprintf("Milestone %d of the roadmap", i),
			Status:      st[i%5],
			Priority:    pr[i%4],
			Owner:       fmt.Sprintf("owner%d@example.com", i%37),
			Due:         fmt.Sprintf("2027-%02d-%02d", i%12+1, i%28+1),
			Labels:      []string{fmt.Sprintf("team%d", i%10), fmt.Sprintf("area%d", i%7)},
			Progress:    &p,
			Description: fmt.Sprintf("Work item %d: ship the %s feature.\nSecond line mentions keyword%d.\n", i, word, i%50),
			CreatedAt:   "2026-01-01T00:00:00Z",
			UpdatedAt:   "2026-01-01T00:00:00Z",
		}
		src := fmt.Sprintf("title: %s\nstatus: %s\npriority: %s\nowner: %s\ndue: %s\nlabels: [%s, %s]\nprogress: %d\n"+
			"description: |\n  Work item %d: ship the %s feature.\n  Second line mentions keyword%d.\ncreated_at: %s\nupdated_at: %s\n",
			m.Title, m.Status, m.Priority, m.Owner, m.Due, m.Labels[0], m.Labels[1], p, i, word, i%50, m.CreatedAt, m.UpdatedAt)
		recs[i-1] = storage.Record{Milestone: m, Source: []byte(src)}
	}
	return recs
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU sums the CPU time of the local postgres processes (Linux
// /proc; 0 elsewhere): with the machine shared, CPU is a steadier figure
// than wall time.
func postgresCPU() time.Duration {
	var ticks int64
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "(postgres") {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			ticks += u + st
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// childOp is one short-lived process doing one operation, as the CLI does:
// open, DBSTORE_OP (get, list, search or update) on DBSTORE_ARG, close.
func childOp() int {
	if os.Getenv("DBSTORE_OP") == "noop" {
		return 0
	}
	ctx := context.Background()
	cfg := Config{Type: os.Getenv("DBSTORE_TYPE"), URL: os.Getenv("DBSTORE_URL"), Path: os.Getenv("DBSTORE_PATH"),
		ProjectKey: "bench"}
	s, err := Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	arg := os.Getenv("DBSTORE_ARG")
	switch os.Getenv("DBSTORE_OP") {
	case "get":
		_, err = s.Get(ctx, arg)
	case "list":
		_, _, err = s.List(ctx, storage.Query{Statuses: []milestone.Status{milestone.Status(arg)}, Limit: 50})
	case "search":
		_, _, err = s.List(ctx, storage.Query{Text: arg})
	case "update":
		_, err = s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
			r, err := tx.Get(arg)
			if err != nil {
				return err
			}
			m := r.Milestone.Clone()
			m.Owner = "someone@example.com"
			return tx.Put(m, fastSource(&m))
		})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// BenchmarkProcess is the whole-process cost of one operation: start the
// (test) binary, open the store, do it, exit. The CLI adds its own
// start-up and output on top.
func BenchmarkProcess(b *testing.B) {
	for _, op := range []string{"noop", "get", "list", "search", "update"} {
		b.Run(op, func(b *testing.B) {
			eachBenchDialect(b, func(b *testing.B, bs *benchStore) {
				var times []time.Duration
				defer func() {
					slices.Sort(times)
					b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
				}()
				for i := 0; i < b.N; i++ {
					start := time.Now()
					arg := map[string]string{"get": bs.recs[(i*7919)%len(bs.recs)].Milestone.ID, "list": "blocked",
						"search": benchWord(), "update": bs.recs[(i*7919)%len(bs.recs)].Milestone.ID}[op]
					cmd := exec.Command(os.Args[0], "-test.run=^$")
					cmd.Env = append(os.Environ(), childEnv+"=op", "DBSTORE_OP="+op, "DBSTORE_ARG="+arg,
						"DBSTORE_TYPE="+bs.cfg.Type, "DBSTORE_URL="+bs.cfg.URL, "DBSTORE_PATH="+bs.cfg.Path)
					if out, err := cmd.CombinedOutput(); err != nil {
						b.Fatalf("%s: %v\n%s", op, err, out)
					}
					times = append(times, time.Since(start))
				}
			})
		})
	}
}
