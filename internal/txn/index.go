package txn

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
)

// indexJob is a `git update-index` running on a copy of the index.
type indexJob struct {
	done chan struct{}
	path string // the updated copy
	err  error
}

// wait returns the path of the updated copy.
func (j *indexJob) wait() (string, error) {
	<-j.done
	return j.path, j.err
}

// discard waits for the job and removes its copy.
func (j *indexJob) discard() {
	if p, err := j.wait(); err == nil {
		os.Remove(p)
	}
}

// tempPath returns a fresh path in the git directory.
func (tx *Tx) tempPath(prefix string) string {
	var rnd [8]byte
	rand.Read(rnd[:])
	return filepath.Join(tx.tempDir(), prefix+hex.EncodeToString(rnd[:]))
}

// startIndexUpdate makes a copy of the current index beside it (a hard
// link: git replaces the file by renaming, so the index itself is never
// touched) and runs git update-index on the copy, setting the entries of
// the changed paths to their blobs (or removing them).
func (tx *Tx) startIndexUpdate(chs []change, modes map[string]uint32) *indexJob {
	j := &indexJob{done: make(chan struct{})}
	updates := make([]gitrepo.IndexUpdate, len(chs))
	for i, c := range chs {
		updates[i] = gitrepo.IndexUpdate{Path: c.path, Blob: c.id, Mode: modes[c.path]}
	}
	go func() {
		defer close(j.done)
		j.path, j.err = tx.updateIndexCopy(updates)
	}()
	return j
}

func (tx *Tx) updateIndexCopy(updates []gitrepo.IndexUpdate) (string, error) {
	tmp := tx.tempPath("milestone-index-")
	if err := os.Link(tx.indexPath(), tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		// No hard links here: copy the bytes.
		data, rerr := os.ReadFile(tx.indexPath())
		if rerr != nil {
			return "", fmt.Errorf("copy index: %w", rerr)
		}
		if werr := os.WriteFile(tmp, data, 0o666); werr != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("copy index to %s: %w", tmp, werr)
		}
	} // else: no index yet, git starts an empty one at tmp
	if err := tx.repo.UpdateIndexFile(tmp, updates); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// installedIndex is our index in place, with the way back.
type installedIndex struct {
	indexPath string
	orig      string // hard link to the user's index as it was; "" if there was none
}

// installIndex renames the updated copy over the index (index.lock stays
// held), keeping a link to the user's index for rollback (prev's, if one
// of ours is already in place). Before the rename it adds note ("commit
// <ref> <old> <new>") and the name of that link to the index.lock record,
// so that a successor can roll back or forward if we die.
func (tx *Tx) installIndex(updated string, prev *installedIndex, note string) (*installedIndex, error) {
	in := &installedIndex{indexPath: tx.indexPath()}
	if prev != nil {
		in.orig = prev.orig
	} else {
		in.orig = tx.tempPath("milestone-index-orig-")
		if err := os.Link(in.indexPath, in.orig); errors.Is(err, os.ErrNotExist) {
			in.orig = ""
		} else if err != nil {
			data, rerr := os.ReadFile(in.indexPath)
			if rerr == nil {
				rerr = os.WriteFile(in.orig, data, 0o666)
			}
			if rerr != nil {
				os.Remove(updated)
				return nil, fmt.Errorf("keep a copy of the index: %w", rerr)
			}
		}
	}
	origName := "-"
	if in.orig != "" {
		origName = filepath.Base(in.orig)
	}
	tx.record(note + " " + origName + "\n")
	// Like git (core.fsync default), the index is not fsynced: it is
	// derived data, rebuilt from HEAD by `git reset` if ever lost.
	if err := os.Rename(updated, in.indexPath); err != nil {
		os.Remove(updated)
		if prev == nil && in.orig != "" {
			os.Remove(in.orig)
		}
		return nil, fmt.Errorf("write index: %w", err)
	}
	return in, nil
}

// rollback puts the previous index back.
func (in *installedIndex) rollback() error {
	if in.orig == "" {
		return os.Remove(in.indexPath)
	}
	return os.Rename(in.orig, in.indexPath)
}

// done drops the rollback copy.
func (in *installedIndex) done() {
	if in != nil && in.orig != "" {
		os.Remove(in.orig)
	}
}

// startRefreshStat gives the index entries of the written files their real
// stat data (a new index renamed over it while index.lock is still held),
// so git sees them clean without re-hashing and sparse checkout can remove
// them. It runs while the caller goes on (the index of a big work tree
// costs milliseconds to rewrite, which the caller's own work after the
// commit, such as refreshing the hybrid index, overlaps); waitRefreshStat
// joins it, and the next Commit and Close call that before they touch the
// index or release index.lock. A failure is only a warning: the commit is
// made and git would re-hash those files anyway.
func (tx *Tx) startRefreshStat(chs []change) {
	var paths []string
	for _, c := range chs {
		if !c.Delete {
			paths = append(paths, c.path)
		}
	}
	if len(paths) == 0 {
		return
	}
	done := make(chan struct{})
	tx.statDone = done
	var err error
	go func() {
		defer close(done)
		err = tx.repo.SetIndexStat(tx.indexPath(), paths)
	}()
	tx.statWarn = func() {
		if err != nil {
			tx.opts.Warn(fmt.Sprintf("could not record the stat data of the written files in the index: %v", err))
		}
	}
}

// waitRefreshStat waits for the stat refresh started by the last Commit,
// if any, and passes on its warning.
func (tx *Tx) waitRefreshStat() {
	if tx.statDone == nil {
		return
	}
	<-tx.statDone
	tx.statDone = nil
	tx.statWarn()
}
