package txn

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
)

// commitRun is the state of one Tx.Commit across its attempts (the branch
// may move under us and the commit is then rebuilt).
type commitRun struct {
	tx      *Tx
	chs     []change
	paths   []string
	message string // as the commit-msg hook and signoff left it

	author, committer gitrepo.Signature
	set               settings
	staged            map[string][]gitrepo.IndexEntry // the index entries of paths
	blobs             []gitrepo.Object

	job         *indexJob         // the running index update, nil once used
	jobModes    map[string]uint32 // the file modes job was started with
	inst        *installedIndex   // our index, once in place
	pending     []pendingFile     // work-tree files under temporary names
	prepModes   map[string]uint32 // the file modes pending was written with
	prepared    bool
	overlapped  bool          // Options.Overlap was started
	overlapDone chan struct{} // closed when it has returned
}

// load reads what every attempt needs: the identity, the commit settings
// (signing, signoff, hooks), and the index entries of the paths; and
// records the paths in index.lock before any work-tree file is written.
func (r *commitRun) load() error {
	tx := r.tx
	var err error
	if r.author, r.committer, err = tx.repo.Identity(tx.opts.Getenv); err != nil {
		return err
	}
	if r.set, err = tx.settings(); err != nil {
		return err
	}
	if r.set.signoff {
		r.message = withSignoff(r.message, r.committer)
	}
	r.paths = make([]string, len(r.chs))
	for i, c := range r.chs {
		r.paths[i] = c.path
	}
	tx.recordPaths(r.paths) // before any work-tree file is written
	if r.staged, err = tx.repo.IndexEntriesOf(tx.indexPath(), r.paths); err != nil {
		return err
	}
	for _, c := range r.chs {
		if !c.Delete {
			r.blobs = append(r.blobs, c.blob)
		}
	}
	return nil
}

// startOverlap starts Options.Overlap, once per Commit.
func (r *commitRun) startOverlap() {
	overlap := r.tx.opts.Overlap
	if overlap == nil || r.overlapped {
		return
	}
	r.overlapped = true
	r.overlapDone = make(chan struct{})
	go func() {
		defer close(r.overlapDone)
		overlap()
	}()
}

// joinOverlap waits for Options.Overlap, if it was started.
func (r *commitRun) joinOverlap() {
	if r.overlapDone != nil {
		<-r.overlapDone
	}
}

// restartIndexUpdate (re)starts the index update with these file modes.
func (r *commitRun) restartIndexUpdate(modes map[string]uint32) {
	r.discardIndexUpdate()
	r.job, r.jobModes = r.tx.startIndexUpdate(r.chs, modes), modes
}

// discardIndexUpdate drops an index update that was not installed.
func (r *commitRun) discardIndexUpdate() {
	if r.job != nil {
		r.job.discard()
		r.job = nil
	}
}

// fail undoes what a failed attempt left: the work-tree files under
// temporary names and our index (the index the user had is restored).
func (r *commitRun) fail(err error) (Result, error) {
	discardPending(r.tx.repo.WorkTree, r.pending)
	if r.inst != nil {
		if rerr := r.inst.rollback(); rerr != nil {
			err = fmt.Errorf("%w; restoring the index also failed: %v (run `git reset -q -- %s`)",
				err, rerr, strings.Join(r.paths, " "))
		} else {
			r.tx.record("settled\n")
		}
	}
	return Result{}, err
}

// attempt builds the commit on the current HEAD, puts our index in place
// (step 1) and moves the branch (step 2). done is false when the branch
// moved under us and the commit must be rebuilt.
func (r *commitRun) attempt(attempt int) (res Result, done bool, err error) {
	tx := r.tx
	if err := tx.ctx.Err(); err != nil {
		return Result{}, false, err
	}
	head, oldTree, err := tx.readHead()
	if err != nil {
		return Result{}, false, err
	}
	modes, err := r.checked(oldTree)
	if err != nil {
		return Result{}, false, err
	}
	if attempt == 1 {
		if err := r.storeBlobs(); err != nil {
			return Result{}, false, err
		}
	}
	res, objs, err := tx.buildCommit(head, oldTree, r.chs, modes, r.message, r.author, r.committer, r.set)
	if err != nil {
		return Result{}, false, err
	}
	// The trees and the commit are stored while the index is updated
	// (nothing names them until the branch moves).
	if _, err := tx.repo.WriteObjects(objs...); err != nil {
		return Result{}, false, err
	}
	r.startOverlap() // beside the index update and the work-tree fsyncs
	// Step 1 comes before the work-tree files are written and made
	// durable, not after: a plain `git commit` that read the index before
	// step 1 and takes index.lock after Close writes that old index back
	// (git's own race, see Commit), and the longer the lock is held after
	// step 1 the less likely that is.
	if err := r.installIndex(head, res.Commit); err != nil {
		return Result{}, false, err
	}
	if err := r.prepareWorkTree(modes); err != nil {
		return Result{}, false, err
	}
	if res.NoChange {
		return res, true, nil
	}
	err = r.moveBranch(head, res.Commit)
	if err == nil {
		res.Retries = attempt - 1
		tx.trace("ref")
		return res, true, nil
	}
	if !errors.Is(err, gitrepo.ErrRefChanged) || attempt >= maxAttempts {
		return Result{}, false, err
	}
	return res, false, nil
}

// readHead reads HEAD and its tree ("" when the branch is unborn).
func (tx *Tx) readHead() (gitrepo.Head, string, error) {
	head, err := tx.repo.Head()
	if err != nil {
		return head, "", err
	}
	oldTree := ""
	if !head.Unborn {
		if oldTree, err = tx.repo.CommitTree(head.Hash); err != nil {
			return head, "", fmt.Errorf("read HEAD commit: %w", err)
		}
	}
	return head, oldTree, nil
}

// checked runs tx.check against oldTree (trace step "checked") and returns
// the file modes; if they are not the ones the index update was started
// with, it is started again.
func (r *commitRun) checked(oldTree string) (map[string]uint32, error) {
	modes, err := r.tx.check(oldTree, r.chs, r.staged, r.inst != nil)
	if err != nil {
		return nil, err
	}
	r.tx.trace("checked")
	if !maps.Equal(r.jobModes, modes) {
		// An executable file, or the branch moved and changed a file
		// mode (rare): update the current index again.
		r.restartIndexUpdate(modes)
	}
	return modes, nil
}

// storeBlobs writes the blobs, before the index names them, and runs the
// pre-commit and commit-msg hooks if the commit runs hooks.
func (r *commitRun) storeBlobs() error {
	if _, err := r.tx.repo.WriteObjects(r.blobs...); err != nil {
		return err
	}
	if !r.set.runHooks {
		return nil
	}
	message, err := r.tx.runPreCommitHooks(r.job, r.message, r.author, r.committer)
	if err != nil {
		return err
	}
	r.message = message
	return nil
}

// prepareWorkTree writes the work-tree files under temporary names, again
// only if the file modes changed since the last attempt.
func (r *commitRun) prepareWorkTree(modes map[string]uint32) error {
	if r.prepared && maps.Equal(r.prepModes, modes) {
		return nil
	}
	discardPending(r.tx.repo.WorkTree, r.pending)
	r.pending = nil
	pending, err := r.tx.prepareWorkTree(r.chs, modes)
	if err != nil {
		return err
	}
	r.pending, r.prepared, r.prepModes = pending, true, modes
	return nil
}

// installIndex is step 1: once the index update has finished, the updated
// copy replaces the index (trace step "index"). Nothing is done when the
// update of this attempt's modes is already in place.
func (r *commitRun) installIndex(head gitrepo.Head, commit string) error {
	if r.job == nil {
		return nil
	}
	updated, err := r.job.wait()
	r.job = nil
	if err != nil {
		return err
	}
	ref := head.Ref
	if head.Detached {
		ref = "HEAD"
	}
	note := fmt.Sprintf("commit %s %s %s", ref, orDash(head.Hash), commit)
	next, err := r.tx.installIndex(updated, r.inst, note)
	if err != nil {
		return err
	}
	r.inst = next
	r.tx.trace("index")
	return nil
}

// moveBranch is step 2, once the trees and the commit are stored and our
// index is in place (trace step "objects"): it moves the branch, or the
// detached HEAD, from head to commit. It fails with gitrepo.ErrRefChanged
// if the branch moved.
func (r *commitRun) moveBranch(head gitrepo.Head, commit string) error {
	r.tx.trace("objects")
	u := gitrepo.RefUpdate{Name: head.Ref, Old: head.Hash, New: commit,
		Message: reflogMessage(r.message, head.Unborn), Committer: r.committer, LogHEAD: true}
	if head.Detached {
		u.Name, u.LogHEAD = "HEAD", false
	}
	return r.tx.moveRef(u)
}

// finish is step 3, once the branch has moved (or nothing changed): the
// work-tree files are renamed into place (trace step "worktree"), and the
// post-commit hook and git's maintenance are due on Close.
func (r *commitRun) finish(res Result) (Result, error) {
	tx := r.tx
	r.inst.done()
	tx.postCommit = r.set.runHooks && !res.NoChange
	tx.committed = tx.committed || !res.NoChange
	err := tx.finishWorkTree(r.chs, r.pending)
	if err == nil {
		tx.startRefreshStat(r.chs) // joined by the next Commit or Close
	}
	tx.record("settled\n")
	if err != nil {
		return res, fmt.Errorf("commit %s was made, but the work tree could not be updated: %w; "+
			"run `git checkout -- %s`", short(res.Commit), err, strings.Join(r.paths, " "))
	}
	tx.trace("worktree")
	return res, nil
}
