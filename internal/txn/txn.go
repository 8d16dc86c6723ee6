// Package txn makes one milestone mutation one git commit that touches only
// the given paths, safely beside the user's own git work: our processes
// queue on a flock; .git/index.lock is held for the whole transaction, so
// git's own index writers wait; objects are written directly; the index
// entries of those paths are set by real git on a copy of the index, which
// replaces the index before the branch moves (see Tx.Commit for why); the
// branch moves with git's lock-file protocol, retrying on a race; and the
// work-tree files are replaced atomically before index.lock is released.
package txn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/safefs"
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
	// Sign: SignByConfig (commit.gpgSign decides), SignNever, SignDefault,
	// or the key id to sign with (see Tx.Commit).
	Sign string
	// Signoff adds the committer's Signed-off-by trailer (format.signOff
	// true does too).
	Signoff bool
	// Overlap, if set, is called once per Commit, on another goroutine,
	// while the commit waits for the file system (the fsync of the new
	// work-tree files) and for git update-index (its slowest step, tens of
	// milliseconds on a big index): work the caller needs right after the
	// commit (opening the hybrid index) costs no time there. Commit
	// returns only once it has returned.
	Overlap func()
	// Trace, if set, receives the time since Begin at the end of each step
	// ("locked", "checked", "index", "objects", "reflock", "ref",
	// "worktree"), for
	// diagnostics and benchmarks.
	Trace func(step string, sinceBegin time.Duration)
}

// Result describes a commit made by Tx.Commit.
type Result struct {
	Commit   string // the new commit id (the old tip if NoChange)
	Parent   string // its parent, "" for a root commit
	Ref      string // "refs/heads/main", "" when detached
	Branch   string // "main", "" when detached
	Detached bool   // committed on a detached HEAD, which was moved
	NoChange bool   // the tree already had this content: no commit was made
	Retries  int    // times the commit was rebuilt because the branch moved
}

// Tx is a transaction: it holds the milestone flock and .git/index.lock
// from Begin to Close, so callers should Close as soon as the commit is
// made (git commands fail while index.lock exists). It is not safe for
// concurrent use.
type Tx struct {
	ctx       context.Context
	repo      *gitrepo.Repo
	opts      Options
	release   func()
	indexLock *os.File // nil when not held
	lockPath  string
	// recordBroken: a write to the index.lock record failed (see record).
	recordBroken bool
	start        time.Time
	closed       bool
	postCommit   bool // run the post-commit hook on Close
	committed    bool // a commit was made: start git's auto maintenance on Close
	// statDone is closed when the stat refresh of the last commit ends
	// (nil when none runs); statWarn then reports its failure.
	statDone chan struct{}
	statWarn func()
}

// maxAttempts bounds the rebuild-and-retry loop when the branch moves
// under us (only git processes outside our flock can do that).
const maxAttempts = 20

// Begin starts a transaction: it waits for other git-milestone processes on
// the flock <CommonDir>/milestone.lock (honouring ctx), then creates
// <index>.lock (<GitDir>/index.lock, or GIT_INDEX_FILE's) exclusively, retrying with backoff for up to
// IndexLockTimeout. If index.lock stays taken it fails with an error naming
// the file (wrapping ErrIndexLocked) before anything has changed. An
// index.lock left by a git-milestone process that died (killed, crashed) is
// recovered instead, with a warning through Options.Warn: what that process
// left half done is undone or completed first (see owner.go); a lock of
// git or of any live process is never touched.
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
	start := time.Now()
	release, err := lock.Acquire(ctx, safefs.New(repo.CommonDir, ""), "milestone.lock", opts.LockTimeout, opts.Warn)
	if err != nil {
		return nil, fmt.Errorf("wait for other git-milestone processes: %w", err)
	}
	tx := &Tx{ctx: ctx, repo: repo, opts: opts, release: release, start: start,
		lockPath: repo.IndexFile + ".lock"}
	if err := tx.lockIndex(); err != nil {
		release()
		return nil, err
	}
	tx.removeStaleTemps()
	tx.trace("locked")
	return tx, nil
}

func (tx *Tx) trace(step string) {
	if tx.opts.Trace != nil {
		tx.opts.Trace(step, time.Since(tx.start))
	}
}

// removeStaleTemps removes index copies left in the git directory by a
// transaction that crashed (ours are removed as we go).
func (tx *Tx) removeStaleTemps() {
	old, _ := filepath.Glob(filepath.Join(tx.tempDir(), "milestone-index-*"))
	tmps, _ := filepath.Glob(tx.lockPath + ".*.tmp") // createWithRecord's, of a killed process
	for _, p := range append(old, tmps...) {
		if fi, err := os.Stat(p); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.Remove(p)
		}
	}
}

// createWithRecord creates path exclusively (failing with os.ErrExist
// when it exists, as O_EXCL does) with rec already in it: the record is
// written to a temporary file first and hard-linked into place, so a
// process killed at any instant never leaves an empty index.lock, which
// could not be told from git's own and would block every later commit.
func createWithRecord(path, rec string) (*os.File, error) {
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC|syscallNoFollow, 0o666)
	if err != nil {
		return nil, err
	}
	if _, err = f.WriteString(rec); err == nil {
		err = os.Link(tmp, path)
	}
	os.Remove(tmp)
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// lockIndex creates index.lock with O_EXCL, as git does, with backoff, and
// writes our record into it; or takes over a stale one of ours.
func (tx *Tx) lockIndex() error {
	deadline := time.Now().Add(tx.opts.IndexLockTimeout)
	delay := time.Millisecond
	for {
		f, err := createWithRecord(tx.lockPath, thisProcess().record())
		if err == nil {
			tx.indexLock = f
			return nil
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create %s: %w", tx.lockPath, err)
		}
		if ok, err := tx.recoverStale(); err != nil {
			return err
		} else if ok {
			tx.record(thisProcess().record())
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: unable to create %s: file exists (waited %s)%s. Another git process seems "+
				"to be running in this repository; if none is, remove that file and retry",
				ErrIndexLocked, tx.lockPath, tx.opts.IndexLockTimeout, lockHolder(tx.lockPath))
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
	path     string
	blob     gitrepo.Object
	id       string // "" when deleting
	worktree []byte // the work-tree bytes when they differ from the blob (CRLF checkout)
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
			if isDocument(p) {
				ch.Content = canonicalEOL(c.Content)
			}
			ch.blob = gitrepo.NewBlob(ch.Content)
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
// their own change of one of the paths. The index entries of exactly these
// paths are set to the committed blobs and the work-tree files are
// replaced; everything else the user has staged or changed stays as it
// was. While git has stopped in a merge, rebase, cherry-pick, revert, am or
// bisect it refuses with *gitrepo.OperationError, before anything is
// written. If the content equals the tip's, no commit is made
// (Result.NoChange) but the index and work tree are still synced.
//
// The order of the steps is chosen against `git commit`, which reads HEAD,
// then reads the index WITHOUT the lock, then takes index.lock, writes what
// it read back to the index and releases the lock, and only then moves
// HEAD (a compare-and-swap from the HEAD it read). So:
//
//  1. the blobs are stored, then the index entries are updated (on a
//     copy, by gitrepo.UpdateIndexFile) and the copy replaces the index,
//     while index.lock is held (from Begin to Close); the trees and the
//     commit are stored meanwhile (nothing names them yet);
//  2. then, once the work-tree files are written and made durable under
//     temporary names, the branch moves;
//  3. then those files are renamed into place.
//
// A git commit that sees our new HEAD read HEAD before the index, so it
// also sees our index entries; one that read the old index (before step 1)
// had read the old HEAD too, and its compare-and-swap fails. The one case
// left is git's own race between its unlocked index read and its lock: a
// git commit that read the index before step 1 and stalled until after
// Close writes that stale index back (and then fails on HEAD); the longer
// index.lock is held after step 1 the less likely that is, hence the
// order. (Updating the index after the ref instead lost a milestone file
// about once in 200 commits under a racing `git commit` loop.) The files
// are in place before index.lock is released, so a `git commit -a` never
// stages their old content.
func (tx *Tx) Commit(message string, changes []Change) (Result, error) {
	tx.waitRefreshStat() // the index is read and replaced below
	chs, err := tx.precheck(changes)
	if err != nil {
		return Result{}, err
	}
	run := &commitRun{tx: tx, chs: chs, message: message}
	// git update-index (on a copy of the index) is the slowest step: start
	// it now, guessing that every file is a regular one; if HEAD says a
	// file is executable it is run again with the right modes.
	guess := make(map[string]uint32, len(chs))
	for _, c := range chs {
		if !c.Delete {
			guess[c.path] = gitrepo.ModeFile
		}
	}
	run.restartIndexUpdate(guess)
	defer run.discardIndexUpdate()
	defer run.joinOverlap()
	if err := run.load(); err != nil {
		return Result{}, err
	}
	for attempt := 1; ; attempt++ {
		res, done, err := run.attempt(attempt)
		if err != nil {
			return run.fail(err)
		}
		if done {
			return run.finish(res)
		}
		time.Sleep(time.Duration(attempt) * time.Millisecond)
	}
}

// precheck refuses a commit before anything is written: a closed
// transaction, a lost index.lock, a git operation in progress, bad paths,
// a linked folder on the way to a path, or line endings git would convert.
func (tx *Tx) precheck(changes []Change) ([]change, error) {
	if tx.closed {
		return nil, errors.New("commit: transaction is closed")
	}
	if tx.indexLock == nil {
		return nil, errors.New("commit: index.lock is not held")
	}
	if op, busy := tx.repo.InProgress(); busy {
		return nil, &gitrepo.OperationError{Op: op}
	}
	chs, err := prepare(changes)
	if err != nil {
		return nil, err
	}
	dirs := dirChecker{root: tx.repo.WorkTree}
	for _, c := range chs {
		if err := dirs.check(c.path); err != nil {
			return nil, err
		}
	}
	if err := tx.checkoutEOL(chs); err != nil {
		return nil, err
	}
	return chs, nil
}

// moveRef is gitrepo.UpdateRef with a trace point ("reflock") while
// <ref>.lock is held: a process killed there leaves it behind, and the
// next Begin recognises it as ours (see repairStale).
func (tx *Tx) moveRef(u gitrepo.RefUpdate) error {
	l, err := tx.repo.LockRef(u)
	if err != nil {
		return err
	}
	tx.trace("reflock")
	return l.Commit()
}

func (tx *Tx) indexPath() string { return tx.repo.IndexFile }

// tempDir holds our copies of the index: beside it, so renames stay in one
// file system.
func (tx *Tx) tempDir() string { return filepath.Dir(tx.repo.IndexFile) }

// check refuses paths the user has staged changes of, and returns the file
// mode each written path gets: its mode at HEAD if it is executable there,
// else a regular file. Once our own index is in place (ours), the staged
// test has been passed and is not repeated.
func (tx *Tx) check(oldTree string, chs []change, staged map[string][]gitrepo.IndexEntry, ours bool) (map[string]uint32, error) {
	paths := make([]string, len(chs))
	for i, c := range chs {
		paths[i] = c.path
	}
	entries, err := tx.repo.LookupPaths(oldTree, paths)
	if err != nil {
		return nil, err
	}
	modes := make(map[string]uint32, len(chs))
	for _, c := range chs {
		e, found := entries[c.path]
		if !ours && isStaged(staged[c.path], e, found) {
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

// buildCommit builds the trees and the commit object on head. If the tree
// does not change, the result is NoChange and no commit is built.
func (tx *Tx) buildCommit(head gitrepo.Head, oldTree string, chs []change, modes map[string]uint32,
	message string, author, committer gitrepo.Signature, set settings) (Result, []gitrepo.Object, error) {
	edits := make([]gitrepo.TreeEdit, len(chs))
	for i, c := range chs {
		edits[i] = gitrepo.TreeEdit{Path: c.path, Blob: c.id, Mode: modes[c.path]}
	}
	newTree, objs, err := tx.repo.EditTree(oldTree, edits)
	if err != nil {
		return Result{}, nil, err
	}
	res := Result{Ref: head.Ref, Branch: strings.TrimPrefix(head.Ref, "refs/heads/"), Detached: head.Detached}
	if newTree == oldTree && !head.Unborn {
		res.Commit, res.Parent, res.NoChange = head.Hash, head.Hash, true
		return res, nil, nil
	}
	var parents []string
	if !head.Unborn {
		parents = []string{head.Hash}
		res.Parent = head.Hash
	}
	if set.sign {
		// git makes and signs the commit object: the trees first.
		if _, err := tx.repo.WriteObjects(objs...); err != nil {
			return Result{}, nil, err
		}
		if res.Commit, err = tx.repo.SignedCommit(newTree, parents, author, committer, message, set.signKey); err != nil {
			return Result{}, nil, err
		}
		return res, nil, nil
	}
	commit := gitrepo.NewCommit(newTree, parents, author, committer, message)
	res.Commit = commit.ID()
	return res, append(objs, commit), nil
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
	return !found || idx[0].Blob != e.Blob || idx[0].Mode != e.Mode
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
	paths := make([]string, len(chs))
	for i, c := range chs {
		paths[i] = c.path
	}
	if err := tx.checkoutEOL(chs); err != nil {
		return err
	}
	tx.recordPaths(paths) // a successor removes our temporary files if we die
	return tx.writeWorkTree(chs, nil)
}

// Close releases index.lock (if still held) and the milestone flock. It is
// safe to call more than once.
func (tx *Tx) Close() error {
	if tx.closed {
		return nil
	}
	tx.closed = true
	tx.waitRefreshStat() // it writes the index: done before index.lock goes
	var err error
	if tx.indexLock != nil {
		// Remove the lock file only if it is still ours (someone may have
		// deleted it and another git process created its own).
		fi, ferr := tx.indexLock.Stat()
		cur, serr := os.Stat(tx.lockPath)
		tx.indexLock.Close()
		tx.indexLock = nil
		if ferr == nil && serr == nil && os.SameFile(fi, cur) {
			if rerr := os.Remove(tx.lockPath); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				err = fmt.Errorf("remove %s: %w", tx.lockPath, rerr)
			}
		}
	}
	tx.release()
	if tx.postCommit {
		tx.runPostCommitHook()
	}
	if tx.committed {
		tx.repo.AutoMaintenance()
	}
	return err
}
