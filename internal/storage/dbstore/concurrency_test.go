package dbstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// The child process: DBSTORE_CHILD=addlabels makes the test binary open the
// store described by the environment, wait for the start signal and add
// its labels to milestone "shared", one Update each.
const childEnv = "DBSTORE_CHILD"

func childMain() int {
	switch os.Getenv(childEnv) {
	case "op":
		return childOp()
	case "import":
		return childImport()
	}
	cfg := Config{Type: os.Getenv("DBSTORE_TYPE"), URL: os.Getenv("DBSTORE_URL"), Path: os.Getenv("DBSTORE_PATH"),
		ProjectKey: "proc", PoolSize: 2}
	ctx := context.Background()
	s, err := Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 1
	}
	defer s.Close()
	dir := os.Getenv("DBSTORE_SYNC")
	os.WriteFile(filepath.Join(dir, "ready-"+strconv.Itoa(os.Getpid())), nil, 0o644)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "child: no start signal")
			return 1
		}
	}
	calls := 0
	for _, label := range strings.Split(os.Getenv("DBSTORE_LABELS"), ",") {
		_, err := s.Update(ctx, storage.UpdateOptions{Lock: []string{"shared"}}, func(tx storage.Tx) error {
			calls++
			r, err := tx.Get("shared")
			if err != nil {
				return err
			}
			m := r.Milestone.Clone()
			m.Labels = append(m.Labels, label)
			return tx.Put(m, fastSource(&m))
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "child update:", err)
			return 1
		}
	}
	fmt.Println(calls)
	return 0
}

func TestEightProcessesAddLabels(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	const procs, perProc = 8, 3
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "proc")
		base := milestone.Milestone{ID: "shared", Title: "Shared", Status: milestone.Active, Priority: milestone.High}
		create(t, s, storage.Record{Milestone: base, Source: fastSource(&base)})
		sync := t.TempDir()
		var cmds []*exec.Cmd
		var outs []*strings.Builder
		var want []string
		for p := 0; p < procs; p++ {
			var labels []string
			for k := 0; k < perProc; k++ {
				labels = append(labels, fmt.Sprintf("p%d-l%d", p, k))
			}
			want = append(want, labels...)
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"=addlabels", "DBSTORE_TYPE="+d.kind, "DBSTORE_URL="+d.url,
				"DBSTORE_PATH="+d.path, "DBSTORE_SYNC="+sync, "DBSTORE_LABELS="+strings.Join(labels, ","))
			out := &strings.Builder{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds, outs = append(cmds, cmd), append(outs, out)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			ready, _ := filepath.Glob(filepath.Join(sync, "ready-*"))
			if len(ready) == procs {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d children ready", len(ready))
			}
		}
		start := time.Now()
		os.WriteFile(filepath.Join(sync, "go"), nil, 0o644)
		calls := 0
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Errorf("child %d: %v\n%s", i, err, outs[i])
				continue
			}
			n, _ := strconv.Atoi(strings.TrimSpace(outs[i].String()))
			calls += n
		}
		r, v, err := s.get(ctx, s.db, "shared")
		if err != nil {
			t.Fatal(err)
		}
		got := slices.Clone(r.Milestone.Labels)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("labels = %v\nwant %v", got, want)
		}
		if v != 1+procs*perProc {
			t.Errorf("version %d, want %d", v, 1+procs*perProc)
		}
		if l, _, _ := s.List(ctx, storage.Query{Labels: []string{"p7-l2", "p0-l0"}}); len(l) != 1 {
			t.Errorf("label index after concurrent updates: %v", ids(l))
		}
		t.Logf("%s: %d processes x %d updates in %s, %d retries", d.kind, procs, perProc, time.Since(start).Round(time.Millisecond), calls-procs*perProc)
	})
}

func TestOptimisticConcurrencyGoroutines(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "occ")
		zero := 0
		base := milestone.Milestone{ID: "counter", Title: "Counter", Status: milestone.Active, Priority: milestone.Low, Progress: &zero}
		create(t, s, storage.Record{Milestone: base, Source: fastSource(&base)})
		const workers, each = 4, 25
		var calls atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			other := d.open(t, "occ") // separate pools, as separate processes would have
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					_, err := other.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
						calls.Add(1)
						r, err := tx.Get("counter")
						if err != nil {
							return err
						}
						m := r.Milestone.Clone()
						*m.Progress = (*m.Progress + 1) % 101
						return tx.Put(m, fastSource(&m))
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		r, v, _ := s.get(ctx, s.db, "counter")
		if v != 1+workers*each || *r.Milestone.Progress != workers*each {
			t.Errorf("version %d, counter %d, want %d (lost updates)", v, *r.Milestone.Progress, workers*each)
		}
		t.Logf("%s: %d updates, %d retries", d.kind, workers*each, calls.Load()-workers*each)
	})
}

// A writer that always changes the row behind fn's back: Update gives up
// after its bound with storage.ErrConflict (PostgreSQL only: SQLite write
// transactions are serialised by BEGIN IMMEDIATE, so they never conflict).
func TestConflictGivesUp(t *testing.T) {
	d := newTestDB(t, TypePostgreSQL)
	ctx := context.Background()
	s, other := d.open(t, "c"), d.open(t, "c")
	base := milestone.Milestone{ID: "x", Title: "X", Status: milestone.Active, Priority: milestone.Low}
	create(t, s, storage.Record{Milestone: base, Source: fastSource(&base)})
	calls := 0
	_, err := s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
		calls++
		r, err := tx.Get("x")
		if err != nil {
			return err
		}
		// The concurrent writer commits between our read and our write.
		if _, err := other.Update(ctx, storage.UpdateOptions{}, func(tx2 storage.Tx) error {
			return tx2.Put(r.Milestone, append(r.Source, '#'))
		}); err != nil {
			return err
		}
		return tx.Put(r.Milestone, r.Source)
	})
	if !errors.Is(err, storage.ErrConflict) || calls != maxAttempts {
		t.Fatalf("Update = %v after %d calls, want ErrConflict after %d", err, calls, maxAttempts)
	}
}

// Two writers that each read everything, see no "leader" and create one:
// with row versions alone both would commit (write skew); SERIALIZABLE
// makes one of them retry, see the other's leader and stand down.
// PostgreSQL only: SQLite's BEGIN IMMEDIATE never lets the second read
// before the first commits.
func TestNoWriteSkew(t *testing.T) {
	d := newTestDB(t, TypePostgreSQL)
	ctx := context.Background()
	stores := []*Store{d.open(t, "ws"), d.open(t, "ws")}
	read := []chan struct{}{make(chan struct{}), make(chan struct{})}
	errs := make(chan error, 2)
	for i, s := range stores {
		go func() {
			first := true
			_, err := s.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
				all, _, err := tx.All()
				if err != nil {
					return err
				}
				if first { // both read before either writes
					first = false
					close(read[i])
					select {
					case <-read[1-i]:
					case <-time.After(10 * time.Second):
						return errors.New("the other writer never read")
					}
				}
				for _, r := range all {
					if r.Milestone.HasLabel("leader") {
						return nil
					}
				}
				m := milestone.Milestone{ID: fmt.Sprint("leader-", i), Title: "Leader", Status: milestone.Active,
					Priority: milestone.High, Labels: []string{"leader"}}
				return tx.Create(m, fastSource(&m))
			})
			errs <- err
		}()
	}
	for range stores {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := stores[0].List(ctx, storage.Query{Labels: []string{"leader"}})
	if err != nil || len(got) != 1 {
		t.Errorf("leaders = %v, %v; want exactly one", ids(got), err)
	}
}
