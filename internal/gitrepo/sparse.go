package gitrepo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// SparseExcluded reports whether a sparse checkout leaves path (a
// repository-relative file or folder) out of the work tree while HEAD has
// it.
func (r *Repo) SparseExcluded(path string) (bool, error) {
	on, err := r.ConfigBool("core.sparseCheckout")
	if err != nil || !on {
		return false, err
	}
	if _, err := os.Lstat(filepath.Join(r.WorkTree, filepath.FromSlash(path))); !errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	head, err := r.Head()
	if err != nil || head.Unborn {
		return false, err
	}
	tree, err := r.CommitTree(head.Hash)
	if err != nil {
		return false, err
	}
	_, found, err := r.Lookup(tree, path)
	return found, err
}

// Snapshot writes the regular files under dir at rev into a new temporary
// folder (at the same relative paths) and returns a Repo of this
// repository whose work tree is that folder, for reading committed files
// where the work tree does not have them (a sparse checkout). It must not
// be used to commit. cleanup removes the folder.
func (r *Repo) Snapshot(rev, dir string) (snap *Repo, cleanup func(), err error) {
	entries, err := r.ListTree(rev, dir)
	if err != nil {
		return nil, nil, err
	}
	tmp, err := os.MkdirTemp("", "git-milestone-snapshot-")
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot %s:%s: %w", rev, dir, err)
	}
	cleanup = func() { os.RemoveAll(tmp) }
	for _, e := range entries {
		if e.Mode != ModeFile && e.Mode != ModeExecutable {
			continue // never a symbolic link
		}
		if _, err := cleanPath(e.Path); err != nil {
			continue // a hostile name ("..") in a crafted tree
		}
		o, err := r.ReadObject(e.Blob)
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("snapshot %s:%s: %w", rev, e.Path, err)
		}
		p := filepath.Join(tmp, filepath.FromSlash(e.Path))
		err = os.MkdirAll(filepath.Dir(p), 0o777)
		if err == nil {
			err = os.WriteFile(p, o.Data, 0o444)
		}
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("snapshot %s:%s: %w", rev, e.Path, err)
		}
	}
	snap = &Repo{WorkTree: tmp, GitDir: r.GitDir, CommonDir: r.CommonDir, IndexFile: r.IndexFile,
		ObjectDir: r.ObjectDir, getenv: r.getenv}
	return snap, cleanup, nil
}
