// Package txn makes one milestone mutation one git commit that touches only
// the given paths, safely beside the user's own git work: our processes
// queue on a flock, .git/index.lock is held for the whole transaction (so a
// racing `git commit` cannot build from a stale index), objects are written
// directly, the branch moves with git's lock-file protocol (retrying on a
// race), the index entries of those paths are set by real git on a copy of
// the index, and the work-tree files are replaced atomically.
package txn

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/lock"
)

// ErrIndexLocked is wrapped by Begin's error when .git/index.lock stayed
// taken by another git process for the whole IndexLockTimeout.
var ErrIndexLocked = errors.New("git index is locked by another process")

// StagedError refuses a commit because the user has staged their own
// change of Path (the index differs from HEAD there), which our commit
// would overwrite.
type StagedError struct {
	Path string
}

func (e *StagedError) Error() string {
	return fmt.Sprintf("%s has staged changes that this commit would overwrite; "+
		"commit them, or unstage them with `git restore --staged -- %s`, and retry", e.Path, e.Path)
}

// Change is one file of a mutation.
type Change struct {
	Path    string // repository-relative, slash-separated
	Content []byte // the new content (ignored when Delete)
	Delete  bool   // remove the file
}

// Options tune a transaction. The zero value is usable.
type Options struct {
	// Getenv reads GIT_AUTHOR_*/GIT_COMMITTER_*/EMAIL, HOME and friends;
	// nil means os.Getenv.
	Getenv func(string) string
	// IndexLockTimeout is how long Begin waits for another git process's
	// .git/index.lock; default 10 s.
	IndexLockTimeout time.Duration
	// LockTimeout is how long Begin waits for other git-milestone processes
	// (the .git/milestone.lock flock); default 60 s.
	LockTimeout time.Duration
	// Warn receives warnings (a lock taken over); nil drops them.
	Warn func(string)
}

// Result describes a commit made by Tx.Commit.
type Result struct {
	Commit   string // the new commit id (the old tip if NoChange)
	Parent   string // its parent, "" for a root commit
	Ref      string // "refs/heads/main", "" when detached
	Branch   string // "main", "" when detached
	Detached bool   // committed on a detached HEAD, which was moved
	NoChange bool   // the tree already had this content: no commit was made
}

// Tx is a transaction: it holds the milestone flock and .git/index.lock
// from Begin to Close. It is not safe for concurrent use.
type Tx struct {
	ctx       context.Context
	repo      *gitrepo.Repo
	opts      Options
	release   func()
	indexLock *os.File // nil when not held
	lockPath  string
	closed    bool
}

// maxAttempts bounds the rebuild-and-retry loop when the branch moves
// under us (only git processes outside our flock can do that).
const maxAttempts = 20

// Begin starts a transaction: it waits for other git-milestone processes on
// the flock <CommonDir>/milestone.lock (honouring ctx), then creates
// <GitDir>/index.lock exclusively, retrying with backoff for up to
// IndexLockTimeout. If index.lock stays taken it fails with an error naming
// the file (wrapping ErrIndexLocked) before anything has changed.
func Begin(ctx context.Context, repo *gitrepo.Repo, opts Options) (*Tx, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.IndexLockTimeout <= 0 {
		opts.IndexLockTimeout = 10 * time.Second
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 60 * time.Second
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	release, err := lock.Acquire(ctx, filepath.Join(repo.CommonDir, "milestone.lock"), opts.LockTimeout, opts.Warn)
	if err != nil {
		return nil, fmt.Errorf("wait for other git-milestone processes: %w", err)
	}
	tx := &Tx{ctx: ctx, repo: repo, opts: opts, release: release,
		lockPath: filepath.Join(repo.GitDir, "index.lock")}
	if err := tx.lockIndex(); err != nil {
		release()
		return nil, err
	}
	return tx, nil
}

// lockIndex creates index.lock with O_EXCL, as git does, with backoff.
func (tx *Tx) lockIndex() error {
	deadline := time.Now().Add(tx.opts.IndexLockTimeout)
	delay := time.Millisecond
	for {
		f, err := os.OpenFile(tx.lockPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			tx.indexLock = f
			return nil
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create %s: %w", tx.lockPath, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: unable to create %s: file exists (waited %s). Another git process seems "+
				"to be running in this repository; if none is, remove that file and retry",
				ErrIndexLocked, tx.lockPath, tx.opts.IndexLockTimeout)
		}
		select {
		case <-tx.ctx.Done():
			return fmt.Errorf("wait for %s: %w", tx.lockPath, tx.ctx.Err())
		case <-time.After(delay):
		}
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

// change is a validated Change with its blob.
type change struct {
	Change
	path string
	blob gitrepo.Object
	id   string // "" when deleting
}

func prepare(changes []Change) ([]change, error) {
	if len(changes) == 0 {
		return nil, errors.New("commit: no changes")
	}
	out := make([]change, 0, len(changes))
	seen := map[string]bool{}
	for _, c := range changes {
		p, err := checkPath(c.Path)
		if err != nil {
			return nil, err
		}
		if seen[p] {
			return nil, fmt.Errorf("%s: changed twice in one commit", p)
		}
		seen[p] = true
		ch := change{Change: c, path: p}
		if !c.Delete {
			ch.blob = gitrepo.NewBlob(c.Content)
			ch.id = ch.blob.ID()
		}
		out = append(out, ch)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

// checkPath accepts a clean, relative, slash-separated path outside .git.
func checkPath(p string) (string, error) {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("invalid path %q", p)
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." || strings.EqualFold(c, ".git") {
			return "", fmt.Errorf("invalid path %q", p)
		}
	}
	return p, nil
}

// Commit records changes as one commit on the current branch (or on a
// detached HEAD, which then moves; or as the first commit of an unborn
// branch), with author and committer from the repository's identity and
// message untouched. It refuses with *StagedError if the user has staged
// their own change of one of the paths. After the branch has moved, the
// index entries of exactly these paths are set to the committed blobs and
// the work-tree files are replaced; everything else the user has staged or
// changed stays as it was. If the content equals the tip's, no commit is
// made (Result.NoChange) but the index and work tree are still synced.
func (tx *Tx) Commit(message string, changes []Change) (Result, error) {
	if tx.closed {
		return Result{}, errors.New("commit: transaction is closed")
	}
	chs, err := prepare(changes)
	if err != nil {
		return Result{}, err
	}
	for _, c := range chs {
		if err := checkNoSymlinkDirs(tx.repo.WorkTree, c.path); err != nil {
			return Result{}, err
		}
	}
	author, committer, err := tx.repo.Identity(tx.opts.Getenv)
	if err != nil {
		return Result{}, err
	}
	if tx.indexLock == nil { // a second commit in one transaction
		if err := tx.lockIndex(); err != nil {
			return Result{}, err
		}
	}
	indexPath := filepath.Join(tx.repo.GitDir, "index")
	indexData, err := os.ReadFile(indexPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Result{}, fmt.Errorf("read %s: %w", indexPath, err)
	}
	paths := make([]string, len(chs))
	for i, c := range chs {
		paths[i] = c.path
	}
	staged, err := tx.repo.IndexEntries(indexPath, indexData, paths)
	if err != nil {
		return Result{}, err
	}

	// git update-index runs on a copy of the index while we build and
	// store the commit: its result only depends on the blobs and modes.
	var job *indexJob
	defer func() {
		if job != nil {
			job.discard()
		}
	}()
	var blobs []gitrepo.Object
	for _, c := range chs {
		if !c.Delete {
			blobs = append(blobs, c.blob)
		}
	}
	var res Result
	var modes map[string]uint32
	for attempt := 1; ; attempt++ {
		if err := tx.ctx.Err(); err != nil {
			return Result{}, err
		}
		head, err := tx.repo.Head()
		if err != nil {
			return Result{}, err
		}
		oldTree := ""
		if !head.Unborn {
			if oldTree, err = tx.repo.CommitTree(head.Hash); err != nil {
				return Result{}, fmt.Errorf("read HEAD commit: %w", err)
			}
		}
		if modes, err = tx.check(oldTree, chs, staged); err != nil {
			return Result{}, err
		}
		if job == nil || !maps.Equal(job.modes, modes) {
			if job != nil {
				job.discard()
			}
			job = tx.startIndexUpdate(indexPath, chs, modes)
		}
		var retry bool
		res, retry, err = tx.commitOnce(head, oldTree, chs, modes, blobs, message, author, committer)
		if err == nil {
			break
		}
		if !retry || attempt >= maxAttempts {
			return Result{}, err
		}
		time.Sleep(time.Duration(attempt) * time.Millisecond)
	}

	// The branch has moved: from here on, finish the work tree and the
	// index even if one step fails, and report every failure.
	var errs []error
	if err := tx.writeWorkTree(chs, modes); err != nil {
		errs = append(errs, err)
	}
	newIndex, err := job.wait()
	job = nil
	if err != nil {
		errs = append(errs, err)
	} else if err := tx.installIndex(newIndex); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("commit %s was made, but: %w; run `git reset -q -- %s` and "+
			"`git checkout -- %s` to resync the index and work tree",
			short(res.Commit), errors.Join(errs...), strings.Join(paths, " "), strings.Join(paths, " "))
	}
	return res, nil
}

// check refuses paths the user has staged changes of, and returns the file
// mode each written path gets: its mode at HEAD if it is executable there,
// else a regular file.
func (tx *Tx) check(oldTree string, chs []change, staged map[string][]gitrepo.IndexEntry) (map[string]uint32, error) {
	modes := make(map[string]uint32, len(chs))
	for _, c := range chs {
		e, found, err := tx.repo.Lookup(oldTree, c.path)
		if err != nil {
			return nil, err
		}
		if isStaged(staged[c.path], e, found) {
			return nil, &StagedError{Path: c.path}
		}
		if !c.Delete {
			modes[c.path] = gitrepo.ModeFile
			if found && e.Mode == gitrepo.ModeExecutable {
				modes[c.path] = gitrepo.ModeExecutable
			}
		}
	}
	return modes, nil
}

// commitOnce builds the trees and the commit on head, stores every object
// and moves the ref. retry is true when the ref moved under us.
func (tx *Tx) commitOnce(head gitrepo.Head, oldTree string, chs []change, modes map[string]uint32,
	blobs []gitrepo.Object, message string, author, committer gitrepo.Signature) (res Result, retry bool, err error) {
	edits := make([]gitrepo.TreeEdit, len(chs))
	for i, c := range chs {
		edits[i] = gitrepo.TreeEdit{Path: c.path, Blob: c.id, Mode: modes[c.path]}
	}
	newTree, trees, err := tx.repo.EditTree(oldTree, edits)
	if err != nil {
		return Result{}, false, err
	}
	res = Result{Ref: head.Ref, Branch: strings.TrimPrefix(head.Ref, "refs/heads/"), Detached: head.Detached}
	if newTree == oldTree && !head.Unborn {
		if _, err := tx.repo.WriteObjects(blobs...); err != nil {
			return Result{}, false, err
		}
		res.Commit, res.Parent, res.NoChange = head.Hash, head.Hash, true
		return res, false, nil
	}
	var parents []string
	if !head.Unborn {
		parents = []string{head.Hash}
		res.Parent = head.Hash
	}
	commit := gitrepo.NewCommit(newTree, parents, author, committer, message)
	objs := append(append(append(make([]gitrepo.Object, 0, len(blobs)+len(trees)+1), blobs...), trees...), commit)
	ids, err := tx.repo.WriteObjects(objs...)
	if err != nil {
		return Result{}, false, err
	}
	res.Commit = ids[len(ids)-1]
	u := gitrepo.RefUpdate{Name: head.Ref, Old: head.Hash, New: res.Commit,
		Message: reflogMessage(message, head.Unborn), Committer: committer, LogHEAD: true}
	if head.Detached {
		u.Name, u.LogHEAD = "HEAD", false
	}
	if err := tx.repo.UpdateRef(u); err != nil {
		return Result{}, errors.Is(err, gitrepo.ErrRefChanged), err
	}
	return res, false, nil
}

// isStaged reports whether the index entries of a path differ from HEAD's
// entry e (found is false when HEAD has no such path).
func isStaged(idx []gitrepo.IndexEntry, e gitrepo.TreeEntry, found bool) bool {
	if len(idx) == 0 {
		return found // a staged deletion, if HEAD has it
	}
	if len(idx) > 1 || idx[0].Stage != 0 {
		return true // unresolved conflict
	}
	return !found || idx[0].Blob != e.Blob
}

// reflogMessage is what git commit writes: "commit: <subject>".
func reflogMessage(message string, initial bool) string {
	subject, _, _ := strings.Cut(strings.TrimLeft(message, "\n"), "\n")
	if initial {
		return "commit (initial): " + subject
	}
	return "commit: " + subject
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// indexJob is a `git update-index` running on a copy of the index.
type indexJob struct {
	modes map[string]uint32
	done  chan struct{}
	path  string // the updated copy
	err   error
}

// wait returns the path of the updated copy.
func (j *indexJob) wait() (string, error) {
	<-j.done
	return j.path, j.err
}

// discard removes the copy, if any.
func (j *indexJob) discard() {
	if p, err := j.wait(); err == nil {
		os.Remove(p)
	}
}

// startIndexUpdate makes a copy of the index beside it (a hard link: git
// replaces the file by renaming, so the original is never touched) and
// runs git update-index on it, setting the entries of the changed paths to
// their blobs (or removing them).
func (tx *Tx) startIndexUpdate(indexPath string, chs []change, modes map[string]uint32) *indexJob {
	j := &indexJob{modes: modes, done: make(chan struct{})}
	updates := make([]gitrepo.IndexUpdate, len(chs))
	for i, c := range chs {
		updates[i] = gitrepo.IndexUpdate{Path: c.path, Blob: c.id, Mode: modes[c.path]}
	}
	go func() {
		defer close(j.done)
		j.path, j.err = tx.updateIndexCopy(indexPath, updates)
	}()
	return j
}

func (tx *Tx) updateIndexCopy(indexPath string, updates []gitrepo.IndexUpdate) (string, error) {
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(tx.repo.GitDir, "milestone-index-"+hex.EncodeToString(rnd[:]))
	if err := os.Link(indexPath, tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		// No hard links here: copy the bytes.
		data, rerr := os.ReadFile(indexPath)
		if rerr != nil {
			return "", fmt.Errorf("copy index: %w", rerr)
		}
		if werr := os.WriteFile(tmp, data, 0o666); werr != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("copy index to %s: %w", tmp, werr)
		}
	} // else no index yet: git starts an empty one at tmp
	if err := tx.repo.UpdateIndexFile(tmp, updates); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// installIndex moves the updated copy over our index.lock and renames that
// to index, as git itself commits a lock file: index.lock exists without a
// gap until the new index is in place.
func (tx *Tx) installIndex(updated string) error {
	f := tx.indexLock
	tx.indexLock = nil
	f.Close()
	// Like git (core.fsync default), the index is not fsynced: it is
	// derived data, rebuilt from HEAD by `git reset` if ever lost.
	err := os.Rename(updated, tx.lockPath)
	if err == nil {
		err = os.Rename(tx.lockPath, filepath.Join(tx.repo.GitDir, "index"))
	}
	if err != nil {
		os.Remove(updated)
		os.Remove(tx.lockPath)
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// WriteWorkTree writes the changes to the work tree only (--no-commit):
// no object, ref or index is touched.
func (tx *Tx) WriteWorkTree(changes []Change) error {
	if tx.closed {
		return errors.New("write work tree: transaction is closed")
	}
	chs, err := prepare(changes)
	if err != nil {
		return err
	}
	return tx.writeWorkTree(chs, nil)
}

// Close releases index.lock (removing it unless a commit renamed it to
// index) and the milestone flock. It is safe to call more than once.
func (tx *Tx) Close() error {
	if tx.closed {
		return nil
	}
	tx.closed = true
	var err error
	if tx.indexLock != nil {
		tx.indexLock.Close()
		tx.indexLock = nil
		if rerr := os.Remove(tx.lockPath); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = fmt.Errorf("remove %s: %w", tx.lockPath, rerr)
		}
	}
	tx.release()
	return err
}
