package opener

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/txn"
)

// CommitOptions tune a tool commit.
type CommitOptions struct {
	Getenv func(string) string // commit identity; nil means os.Getenv
	Warn   func(string)        // a lock taken over; nil drops it
	// Sign and Signoff are as in storage.UpdateOptions.
	Sign    string
	Signoff bool
}

// Begin starts a tool commit in repo (file modes): it takes the
// repository's locks, held until Close.
func Begin(ctx context.Context, repo *gitrepo.Repo, opts CommitOptions) (storage.Committer, error) {
	tx, err := txn.Begin(ctx, repo, txn.Options{Getenv: opts.Getenv, Warn: opts.Warn, Sign: opts.Sign, Signoff: opts.Signoff})
	if err != nil {
		return nil, err
	}
	return committer{tx}, nil
}

// Commit makes one tool commit of changes: Begin, Commit, Close.
func Commit(ctx context.Context, repo *gitrepo.Repo, opts CommitOptions, message string, changes []storage.Change) (storage.Result, error) {
	c, err := Begin(ctx, repo, opts)
	if err != nil {
		return storage.Result{}, err
	}
	defer c.Close()
	return c.Commit(message, changes)
}

type committer struct{ tx *txn.Tx }

func (c committer) Commit(message string, changes []storage.Change) (storage.Result, error) {
	tc := make([]txn.Change, len(changes))
	for i, ch := range changes {
		tc[i] = txn.Change(ch)
	}
	r, err := c.tx.Commit(message, tc)
	return storage.Result{Commit: r.Commit, Branch: r.Branch, Detached: r.Detached}, err
}

func (c committer) Close() error { return c.tx.Close() }

// RecoverInterruptedCommit finishes or undoes a tool commit whose process
// died (kill -9) while it held .git/index.lock, before anything reads the
// work tree: a switch commit killed between moving the branch and
// renaming the files would otherwise leave storage-backend.txt and the
// YAML files disagreeing with HEAD. It only acts when index.lock exists and
// was left by a git-milestone process that is gone (the transaction's
// recovery); a lock held by git or a live process is left alone, without
// waiting.
func RecoverInterruptedCommit(ctx context.Context, repo *gitrepo.Repo, getenv func(string) string, warn func(string)) {
	if _, err := os.Lstat(filepath.Join(repo.GitDir, "index.lock")); err != nil {
		return
	}
	tx, err := txn.Begin(ctx, repo, txn.Options{Getenv: getenv, Warn: warn,
		IndexLockTimeout: time.Millisecond, LockTimeout: time.Millisecond})
	if err != nil {
		return // someone else's lock, or a live transaction: not ours to touch
	}
	tx.Close()
}
