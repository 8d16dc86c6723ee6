// Package hybrid is the "hybrid" backend: the YAML documents under
// .milestones/ stay the store (writes go through package filestore, one
// git commit each) and the SQLite index .milestones/index.db answers the
// queries. The index is never trusted blindly: every query first makes it
// match the work tree, cheaply (see package index), so hand edits,
// checkouts, merges and stashes are seen without any hook. An index that
// cannot be used is repaired, and meanwhile the query is answered from the
// files, with a warning.
package hybrid

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
	"github.com/git-milestone/git-milestone/internal/storage/hybrid/index"
	"github.com/git-milestone/git-milestone/internal/txn"
)

// IndexFile is the index, relative to the work tree.
const IndexFile = filestore.Dir + "/index.db"

// Store is the hybrid backend.
type Store struct {
	fs   *filestore.Store
	warn func(string)

	// The index is opened on first use (show, an update's id resolution
	// and the reads of one document never need it).
	ixPath  string
	tree    safefs.Tree // the work tree: the index files are checked in it before SQLite opens them
	mu      sync.Mutex
	opened  bool
	ix      *index.Index // nil when it could not be opened (openErr)
	openErr error
	// checkpointing counts afterCommit's checkpoints still running;
	// Close waits for them.
	checkpointing sync.WaitGroup
	// ahead is the refresh prepared for the commit being made (nil: none),
	// guarded by mu.
	ahead   *index.PreparedRefresh
	aheadOf []string // its paths
}

var _ storage.Backend = (*Store)(nil)

// Open opens the hybrid store of repo's work tree. opts configure the file
// store that does the writes; its AfterCommit, if set, is still called,
// after the index has been refreshed for the written paths. warn (nil:
// none) receives one line when the index is rebuilt or cannot be used.
// Open fails only if the context is done: without a usable index the
// store answers from the files.
func Open(ctx context.Context, repo *gitrepo.Repo, opts filestore.Options, warn func(string)) (*Store, error) {
	if warn == nil {
		warn = func(string) {}
	}
	s := &Store{warn: warn}
	user := opts.AfterCommit
	opts.AfterCommit = func(changes []txn.Change) {
		s.afterCommit(changes)
		if user != nil {
			user(changes)
		}
	}
	// The index that afterCommit refreshes is opened, and what the
	// refresh reads first is read, while the commit waits for git.
	during := opts.DuringCommit
	opts.DuringCommit = func(changes []txn.Change) {
		s.prepareRefresh(changes)
		if during != nil {
			during(changes)
		}
	}
	s.fs = filestore.Open(repo, opts)
	s.tree = safefs.WorkTree(repo.WorkTree)
	s.ixPath = filepath.Join(repo.WorkTree, filepath.FromSlash(IndexFile))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// index opens the index on first use; nil (after one warning) when it
// cannot be opened, or when ctx is done (then the error is ctx's).
func (s *Store) index(ctx context.Context) (*index.Index, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.opened {
		// The index's folder (.milestones) must be real and the index
		// files regular: a link there is refused, never followed.
		err := s.tree.CheckSQLite(IndexFile)
		var ix *index.Index
		if err == nil {
			ix, err = index.Open(ctx, s.ixPath, s.warn)
		}
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr // not tried: try again next time
			}
			s.warn(fmt.Sprintf("%v; reading the milestone files instead", err))
		}
		s.opened, s.ix, s.openErr = true, ix, err
	}
	return s.ix, nil
}

// Name implements storage.Backend.
func (s *Store) Name() string { return "hybrid" }

// Close implements storage.Backend.
func (s *Store) Close() error {
	s.checkpointing.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ix != nil {
		return s.ix.Close()
	}
	return nil
}

// Index returns the index, for `index status|refresh|rebuild` and the git
// hooks (pass Files() to its methods), or why it could not be opened.
func (s *Store) Index() (*index.Index, error) {
	ix, err := s.index(context.Background())
	if err != nil {
		return nil, err
	}
	if ix == nil {
		return nil, s.openErr
	}
	return ix, nil
}

// Files returns the file store underneath (the store of record).
func (s *Store) Files() *filestore.Store { return s.fs }

// Update implements storage.Backend: the file store writes and commits;
// then the index is refreshed for exactly the paths written.
func (s *Store) Update(ctx context.Context, opts storage.UpdateOptions, fn func(tx storage.Tx) error) (storage.Result, error) {
	return s.fs.Update(ctx, opts, fn)
}

// changedPaths lists the paths of changes.
func changedPaths(changes []txn.Change) []string {
	paths := make([]string, len(changes))
	for i, c := range changes {
		paths[i] = c.Path
	}
	return paths
}

// prepareRefresh opens the index and reads ahead what afterCommit's
// refresh of changes reads first (see index.PrepareRefresh), while the
// commit of changes waits for git.
func (s *Store) prepareRefresh(changes []txn.Change) {
	ix, _ := s.index(context.Background())
	if ix == nil {
		return
	}
	paths := changedPaths(changes)
	ahead := ix.PrepareRefresh(context.Background(), paths)
	s.mu.Lock()
	s.ahead, s.aheadOf = ahead, paths
	s.mu.Unlock()
}

// afterCommit refreshes the index for the paths an update wrote. A
// failure is not the update's: the next query refreshes anyway.
func (s *Store) afterCommit(changes []txn.Change) {
	ix, _ := s.index(context.Background())
	if ix == nil {
		return
	}
	paths := changedPaths(changes)
	s.mu.Lock()
	ahead := s.ahead
	if !slices.Equal(s.aheadOf, paths) {
		ahead = nil // prepared for another commit
	}
	s.ahead, s.aheadOf = nil, nil
	s.mu.Unlock()
	var err error
	if ahead != nil {
		_, err = ahead.Run(context.Background(), s.fs)
	} else {
		_, err = ix.RefreshPaths(context.Background(), s.fs, paths)
	}
	if err != nil {
		s.warn(fmt.Sprintf("the index was not updated (%v); the next command will refresh it", err))
		return
	}
	// The checkpoint that closing the index would run (two fsyncs) runs
	// now, while the command finishes (releases its locks, appends to the
	// event log); a failure leaves it to Close, as before.
	s.checkpointing.Add(1)
	go func() {
		defer s.checkpointing.Done()
		ix.Checkpoint(context.Background())
	}()
}

// withIndex runs op on the index. It reports false when the caller must
// answer from the files instead: no index, or an index failure (after one
// repair attempt for a damaged file), which is then named in a warning.
// op returns only index failures; answers (not found, a document's
// problem) go through its closure.
func (s *Store) withIndex(ctx context.Context, op func(ix *index.Index) error) (bool, error) {
	ix, err := s.index(ctx)
	if err != nil {
		return false, err
	}
	if ix == nil {
		return false, nil
	}
	err = op(ix)
	if errors.Is(err, index.ErrCorrupt) {
		if rerr := ix.Reset(ctx, err); rerr == nil {
			err = op(ix)
		}
	}
	switch {
	case err == nil:
		return true, nil
	case ctx.Err() != nil:
		return false, ctx.Err()
	}
	var ie *index.Error
	if errors.As(err, &ie) {
		s.warn(fmt.Sprintf("%v; reading the milestone files instead", err))
		return false, nil
	}
	return false, err // the work tree's (unreadable folder, ...): the files would fail alike
}

// Get implements storage.Reader. The document is read from its file, the
// store of record (two lstat calls and one read, as fresh as it gets):
// the index would answer the same record only after checking that very
// file, at the cost of opening it.
func (s *Store) Get(ctx context.Context, id string) (storage.Record, error) {
	return s.fs.Get(ctx, id)
}

// Taken reports whether id is used by a milestone file (see
// filestore.Store.Taken): the work tree is the store of record.
func (s *Store) Taken(ctx context.Context, id string) (bool, error) {
	return s.fs.Taken(ctx, id)
}

// ResolveID resolves an id or unique id prefix as milestone.Resolve does
// over IDs; an exact id with a regular file costs two lstat calls (see
// filestore.Store.HasDocument), a prefix lists the ids through the index.
func (s *Store) ResolveID(ctx context.Context, prefix string) (string, error) {
	if s.fs.HasDocument(prefix) {
		return prefix, nil
	}
	ids, err := s.IDs(ctx)
	if err != nil {
		return "", err
	}
	return milestone.Resolve(ids, prefix)
}

// IDs implements storage.Reader. When neither folder changed since the
// index last listed them, this costs a few lstat calls.
func (s *Store) IDs(ctx context.Context) ([]string, error) {
	var ids []string
	ok, err := s.withIndex(ctx, func(ix *index.Index) error {
		if err := ix.RefreshNames(ctx, s.fs); err != nil {
			return err
		}
		var err error
		ids, err = ix.IDs(ctx)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return s.fs.IDs(ctx)
	}
	return ids, nil
}

// List implements storage.Reader, with the semantics of filestore.Filter;
// full-text results are ranked by bm25.
func (s *Store) List(ctx context.Context, q storage.Query) ([]storage.Record, []storage.Problem, error) {
	var recs []storage.Record
	var problems []storage.Problem
	tree := index.StartTreeSum(ctx, s.fs)
	ok, err := s.withIndex(ctx, func(ix *index.Index) error {
		return ix.ReadFresh(ctx, s.fs, tree, func() error {
			var err error
			recs, problems, err = ix.List(ctx, q)
			return err
		})
	})
	switch {
	case err != nil:
		return nil, nil, err
	case !ok:
		return s.fs.List(ctx, q)
	}
	return recs, problems, nil
}

// OpenCount implements storage.OpenCounter from the files, as file mode
// counts them: no freshness pass over the index (O(N) lstat), which the
// automatic backend check after every change must not pay.
func (s *Store) OpenCount(ctx context.Context) (int, error) {
	return s.fs.OpenCount(ctx)
}

// Stats computes storage.Summarize over every milestone (today is
// YYYY-MM-DD) in SQL, with the documents that could not be read.
func (s *Store) Stats(ctx context.Context, today string) (storage.Stats, []storage.Problem, error) {
	var st storage.Stats
	var problems []storage.Problem
	tree := index.StartTreeSum(ctx, s.fs)
	ok, err := s.withIndex(ctx, func(ix *index.Index) error {
		return ix.ReadFresh(ctx, s.fs, tree, func() error {
			var err error
			if st, err = ix.Stats(ctx, today); err != nil {
				return err
			}
			problems, err = ix.Problems(ctx)
			return err
		})
	})
	switch {
	case err != nil:
		return storage.Stats{}, nil, err
	case !ok:
		recs, problems, err := s.fs.List(ctx, storage.Query{All: true})
		if err != nil {
			return storage.Stats{}, nil, err
		}
		return storage.Summarize(recs, today), problems, nil
	}
	return st, problems, nil
}
