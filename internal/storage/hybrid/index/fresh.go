package index

import (
	"context"

	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// TreeSum is the sum of the work tree's document files (their paths and
// stat data), computed in the background by StartTreeSum.
type TreeSum struct {
	done chan struct{}
	sum  digest
	ok   bool
}

// StartTreeSum starts summing the work tree's documents on other
// goroutines (GOMAXPROCS workers), so that opening the index and the
// query overlap it; ReadFresh waits for it.
func StartTreeSum(ctx context.Context, fs *filestore.Store) *TreeSum {
	return startTreeSum(ctx, fs, 0)
}

func startTreeSum(ctx context.Context, fs *filestore.Store, workers int) *TreeSum {
	t := &TreeSum{done: make(chan struct{})}
	go func() {
		sum, ok, err := workTreeSum(ctx, fs, workers)
		t.sum, t.ok = sum, ok && err == nil
		close(t.done)
	}()
	return t
}

func (t *TreeSum) wait() (digest, bool) {
	<-t.done
	return t.sum, t.ok
}

// ReadFresh runs read, a query of this index (List, Stats, Problems...),
// and returns once its answer is that of an index fresh with the work
// tree, as Refresh followed by read would give. tree, if not nil, is the
// work tree's sum started since the command began (StartTreeSum).
//
// The check and the query overlap: the work tree is summed (a listing and
// an fstatat per document, on other cores) while read runs on the index
// as it is. The answer stands when the sum equals the one the index
// recorded and no write to the index came between reading that record and
// the end of read (its generation is unchanged); racy entries are compared
// by content first, as Refresh does. Otherwise the answer is dropped and
// read runs again after a Refresh: a stale answer is never returned, and a
// stale index only costs the query twice.
func (ix *Index) ReadFresh(ctx context.Context, fs *filestore.Store, tree *TreeSum, read func() error) error {
	if ix.tuning.alwaysScan {
		return ix.refreshThen(ctx, fs, read)
	}
	if tree == nil || ix.tuning.workers != 0 {
		tree = startTreeSum(ctx, fs, ix.tuning.workers)
	}
	before, ok := ix.settledState(ctx, fs)
	if !ok {
		tree.wait() // not left running beside the refresh
		return ix.refreshThen(ctx, fs, read)
	}
	err := read()
	sum, ok := tree.wait()
	if err != nil || !ok || sum != before.sum {
		return ix.refreshThen(ctx, fs, read)
	}
	ix.mu.Lock()
	var gen int64
	err = ix.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'gen'`).Scan(&gen)
	ix.mu.Unlock()
	if err != nil || gen != before.gen {
		return ix.refreshThen(ctx, fs, read)
	}
	return nil
}

// settledState reads what the index records of the work tree, after
// comparing its racy entries by content (which may write: the state is
// read again then). ok is false where the full check must run.
func (ix *Index) settledState(ctx context.Context, fs *filestore.Store) (freshState, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	st, ok, err := ix.readFreshState(ctx)
	if err != nil || !ok || len(st.racy) == 0 {
		return st, ok && err == nil
	}
	rep, err := ix.refreshOnce(ctx, fs, st.racy, false, nil)
	if err != nil || rep.Changed() {
		return st, false
	}
	st, ok, err = ix.readFreshState(ctx)
	return st, ok && err == nil
}

func (ix *Index) refreshThen(ctx context.Context, fs *filestore.Store, read func() error) error {
	if _, err := ix.Refresh(ctx, fs); err != nil {
		return err
	}
	return read()
}
