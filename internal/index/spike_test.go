package index

import (
	"os"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestSpikeList(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	corpus(t, dir, 10000)
	repo, _ := gitrepo.Open(dir)
	fs := filestore.Open(repo, filestore.Options{})
	ix, _ := openIndex(t, dir)
	ix.Refresh(ctx, fs)
	f, _ := os.Create("/tmp/list.prof")
	pprof.StartCPUProfile(f)
	c0, w0 := cpuNow(), time.Now()
	n := 0
	for i := 0; i < 20; i++ {
		recs, _, _ := ix.List(ctx, storage.Query{Statuses: []milestone.Status{milestone.Blocked}})
		n = len(recs)
	}
	t.Logf("list %d cpu %v wall %v", n, (cpuNow()-c0)/20, time.Since(w0)/20)
	pprof.StopCPUProfile()
}
