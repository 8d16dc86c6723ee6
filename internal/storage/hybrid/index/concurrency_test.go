package index

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// TestConcurrentProcesses runs several real processes (this test binary,
// re-executed) that edit their own documents and refresh, query and
// rebuild one index at once, starting with no index at all, while another
// deletes the index file now and then. None may fail (no "database is
// locked"), and each must always see its own last edit.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir, fs := newRepo(t)
	r := rand.New(rand.NewSource(9))
	for i := 0; i < 200; i++ {
		put(t, dir, randomMilestone(r, fmt.Sprintf("base-%03d", i)))
	}
	const workers = 4
	dur := 3 * time.Second
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, workers+1)
	errs := make([]error, workers+1)
	for k := 0; k <= workers; k++ {
		role := "worker"
		if k == workers {
			role = "vandal"
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "INDEX_HELPER="+role, "INDEX_HELPER_DIR="+dir,
			"INDEX_HELPER_K="+strconv.Itoa(k), "INDEX_HELPER_DUR="+dur.String())
		cmd.Stdout, cmd.Stderr = &outs[k], &outs[k]
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			errs[k] = cmd.Run()
		}(k)
	}
	wg.Wait()
	total := 0
	for k := range errs {
		out := outs[k].String()
		if errs[k] != nil || strings.Contains(out, "locked") {
			t.Errorf("process %d: %v\n%s", k, errs[k], out)
		}
		if n := strings.Count(out, "ITER"); k < workers {
			total += n
		}
	}
	t.Logf("%d iterations by %d processes in %v", total, workers, dur)
	if testing.Verbose() {
		t.Log(outs[0].String())
	}
	if total < workers*5 {
		t.Errorf("only %d iterations", total)
	}
	// The index ends up exact.
	ix, _ := openIndex(t, dir)
	refresh(t, ix, fs)
	got, _, err := ix.List(ctx, storage.Query{All: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := fs.List(ctx, storage.Query{All: true})
	sameRecords(t, "after the processes", got, want)
}

// TestHelperProcess is one process of TestConcurrentProcesses.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv("INDEX_HELPER")
	if role == "" {
		t.Skip("helper process for TestConcurrentProcesses")
	}
	dir := os.Getenv("INDEX_HELPER_DIR")
	k, _ := strconv.Atoi(os.Getenv("INDEX_HELPER_K"))
	dur, _ := time.ParseDuration(os.Getenv("INDEX_HELPER_DUR"))
	deadline := time.Now().Add(dur)
	fail := func(format string, args ...any) {
		fmt.Printf("process %d: "+format+"\n", append([]any{k}, args...)...)
		os.Exit(1)
	}
	if role == "vandal" {
		for time.Now().Before(deadline) {
			time.Sleep(700 * time.Millisecond)
			os.Remove(indexPath(dir))
		}
		return
	}
	repo, err := gitrepo.Open(dir)
	if err != nil {
		fail("%v", err)
	}
	fs := filestore.Open(repo, filestore.Options{})
	r := rand.New(rand.NewSource(int64(k)))
	for i := 0; time.Now().Before(deadline); i++ {
		start := time.Now()
		w := &warnings{}
		ix, err := Open(ctx, indexPath(dir), w.warn)
		if err != nil {
			fail("open: %v", err)
		}
		id := fmt.Sprintf("w%d-%d", k, i%4)
		marker := fmt.Sprintf("mk%dx%d", k, i)
		m := randomMilestone(r, id)
		m.Title = "Edit " + marker
		for _, st := range []milestone.Status{milestone.Active, milestone.Completed} {
			if st.Folder() != m.Status.Folder() {
				os.Remove(filepath.Join(dir, filestore.PathFor(id, st)))
			}
		}
		put(t, dir, m)
		switch i % 5 {
		case 3:
			if err := ix.Rebuild(ctx, fs, nil); err != nil {
				fail("rebuild: %v", err)
			}
		case 1:
			// A hook or a commit: only the written path.
			if _, err := ix.RefreshPaths(ctx, fs, []string{filestore.PathFor(id, m.Status)}); err != nil {
				fail("refresh paths: %v", err)
			}
		}
		var recs []storage.Record
		search := func() error {
			var err error
			recs, _, err = ix.List(ctx, storage.Query{Text: marker, All: true})
			return err
		}
		if i%2 == 0 {
			// The query overlapping its freshness check, as commands run it.
			err = ix.ReadFresh(ctx, fs, StartTreeSum(ctx, fs), search)
		} else if _, err = ix.Refresh(ctx, fs); err == nil {
			err = search()
		}
		if err != nil || len(recs) != 1 || recs[0].Milestone.ID != id {
			fail("search %s: %v %v", marker, ids(recs), err)
		}
		got, err := ix.Get(ctx, id)
		if err != nil || got.Milestone.Title != m.Title {
			fail("get %s: %q %v (want %q)", id, got.Milestone.Title, err, m.Title)
		}
		if _, _, err := ix.List(ctx, storage.Query{Statuses: []milestone.Status{milestone.Active}}); err != nil {
			fail("list: %v", err)
		}
		ix.Close()
		for _, l := range w.take() {
			fmt.Printf("process %d: warning: %s\n", k, l)
		}
		fmt.Printf("ITER %v\n", time.Since(start))
	}
}
