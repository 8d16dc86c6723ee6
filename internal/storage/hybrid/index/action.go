package index

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// Actions of a plan.
const (
	opAdd = iota + 1
	opUpdate
	opRemove
	opTouch
)

// action is one change to apply to the index.
type action struct {
	op   int
	path string
	e    entry   // the new entry (opAdd, opUpdate, opTouch)
	row  *docRow // the document (opAdd, opUpdate), nil if it is a problem
	err  error   // why the document cannot be indexed

	src      []byte // the content, once read
	wasRead  bool
	prepared bool // row or err is set (or nothing to parse)
}

// read reads the file (after its stat data was taken, so that a later
// write changes the stat data) and records its content hash.
func (a *action) read(fs *filestore.Store) {
	a.wasRead = true
	src, err := fs.ReadFile(a.path)
	if err != nil {
		a.err = fmt.Errorf("read %s: %w", a.path, err)
		return
	}
	a.src = src
	sum := sha256.Sum256(src)
	copy(a.e.hash[:], sum[:])
}

// prepare reads (if not yet) and parses the document.
func (a *action) prepare(fs *filestore.Store) {
	if a.prepared || a.op == opRemove || a.op == opTouch {
		a.prepared = true
		return
	}
	if !a.wasRead {
		a.read(fs)
	}
	if a.err == nil {
		m, err := format.Decode(a.path, a.src)
		if err == nil {
			a.row = newDocRow(m, a.src, a.path)
		}
		a.err = err
	}
	if a.err != nil {
		a.e.kind = kindBad
		a.row = nil
	}
	a.src = nil
	a.prepared = true
}

// prepareAll prepares the actions on workers goroutines, in order, and
// returns a function that waits until action i is prepared: apply can
// write the first documents while the next ones are being parsed.
//
// With window > 0 the parsers run at most window actions ahead of the
// waiter, which must then call wait once for each action, in order: only
// about window parsed documents are held at a time, whatever the number of
// actions (a rebuild of 100,000 documents stays in bounded memory). With
// window 0 every action may be prepared before the first wait.
func prepareAll(ctx context.Context, fs *filestore.Store, actions []*action, workers, window int) (wait func(i int)) {
	if workers <= 0 {
		workers = max(1, runtime.GOMAXPROCS(0)-1) // one core is left to SQLite
	}
	ready := make([]chan struct{}, len(actions))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	var slots chan struct{} // a token per action being prepared or waiting to be written
	if window > 0 {
		slots = make(chan struct{}, window)
	}
	var next atomic.Int64
	for w := 0; w < min(workers, len(actions)); w++ {
		go func() {
			for {
				if slots != nil {
					select {
					case slots <- struct{}{}:
					case <-ctx.Done():
						return
					}
				}
				i := int(next.Add(1) - 1)
				if i >= len(actions) {
					return
				}
				if ctx.Err() == nil {
					actions[i].prepare(fs)
				}
				close(ready[i])
			}
		}()
	}
	return func(i int) {
		<-ready[i]
		if slots != nil {
			<-slots
		}
	}
}

// parallel runs fn(0..n-1) on workers goroutines (0: GOMAXPROCS; inline
// when n is small).
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	return parallelEach(ctx, workers, n, func() (func(int) error, func()) { return fn, func() {} })
}

// parallelChunk is how many items a worker of parallelEach takes at once:
// one shared counter and one look at the context per chunk, not per item
// (both are cache lines the workers would otherwise pass back and forth).
const parallelChunk = 32

// parallelEach is parallel where each worker has its own state: start
// gives a worker its fn and what ends it (an own descriptor of a folder,
// say, so that two CPUs never share one).
func parallelEach(ctx context.Context, workers, n int, start func() (fn func(i int) error, done func())) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n/64+1)
	if workers <= 1 {
		fn, done := start()
		defer done()
		for i := 0; i < n; i++ {
			if err := fn(i); err != nil {
				return err
			}
		}
		return ctx.Err()
	}
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn, done := start()
			defer done()
			for {
				from := int(next.Add(parallelChunk) - parallelChunk)
				if from >= n || ctx.Err() != nil {
					return
				}
				for i := from; i < min(from+parallelChunk, n); i++ {
					if err := fn(i); err != nil {
						once.Do(func() { first = err })
						next.Store(int64(n))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
