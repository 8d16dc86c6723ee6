package txn

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
)

// pendingFile is a work-tree file already written and fsynced under a
// temporary name beside its final one.
type pendingFile struct{ tmp, final string }

// writeWorkTree replaces each file atomically or removes it (and the
// directories it leaves empty).
func (tx *Tx) writeWorkTree(chs []change, modes map[string]uint32) error {
	pending, err := tx.prepareWorkTree(chs, modes)
	if err != nil {
		return err
	}
	return tx.finishWorkTree(chs, pending)
}

// prepareWorkTree writes the new content of every changed file to a
// temporary file beside it and fsyncs it, so that finishWorkTree only has
// to rename. It never writes through a symbolic link: a symlinked
// directory on the way is refused. modes (may be nil) gives the committed
// file modes. On error nothing is left behind.
func (tx *Tx) prepareWorkTree(chs []change, modes map[string]uint32) ([]pendingFile, error) {
	root := tx.repo.WorkTree
	var pending []pendingFile
	for _, c := range chs {
		if err := checkNoSymlinkDirs(root, c.path); err != nil {
			discardPending(root, pending)
			return nil, err
		}
		if c.Delete {
			continue
		}
		perm := os.FileMode(0o666)
		if modes[c.path] == gitrepo.ModeExecutable {
			perm = 0o777
		}
		final := filepath.Join(root, filepath.FromSlash(c.path))
		tmp, err := writeTemp(final, c.Content, perm)
		if err != nil {
			discardPending(root, pending)
			return nil, fmt.Errorf("write %s: %w", c.path, err)
		}
		pending = append(pending, pendingFile{tmp: tmp, final: final})
	}
	return pending, nil
}

// finishWorkTree renames the prepared files into place and removes the
// deleted ones, with the directories they leave empty.
func (tx *Tx) finishWorkTree(chs []change, pending []pendingFile) error {
	root := tx.repo.WorkTree
	var errs []error
	for i, p := range pending {
		if err := os.Rename(p.tmp, p.final); err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", p.final, err))
			discardPending(root, pending[i:])
			break
		}
	}
	for _, c := range chs {
		if !c.Delete {
			continue
		}
		abs := filepath.Join(root, filepath.FromSlash(c.path))
		if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove %s: %w", c.path, err))
			continue
		}
		removeEmptyParents(root, filepath.Dir(abs))
	}
	return errors.Join(errs...)
}

// discardPending removes prepared files that will not be used.
func discardPending(root string, pending []pendingFile) {
	for _, p := range pending {
		os.Remove(p.tmp)
		removeEmptyParents(root, filepath.Dir(p.tmp))
	}
}

// checkNoSymlinkDirs refuses a path whose existing parent directories
// (below root) include a symbolic link or a non-directory.
func checkNoSymlinkDirs(root, rel string) error {
	parts := strings.Split(rel, "/")
	cur := root
	for _, p := range parts[:len(parts)-1] {
		cur = filepath.Join(cur, p)
		fi, err := os.Lstat(cur)
		if errors.Is(err, os.ErrNotExist) {
			return nil // created when the file is written
		}
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s: %s is a symbolic link; refusing to write through it", rel, cur)
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s: %s is not a directory", rel, cur)
		}
	}
	return nil
}

// writeTemp writes data to a new file beside path (creating directories),
// fsyncs it and returns its name. The file is created with perm minus the
// umask.
func writeTemp(path string, data []byte, perm os.FileMode) (string, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", err
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// removeEmptyParents removes dir and its parents while they are empty,
// stopping at root.
func removeEmptyParents(root, dir string) {
	for dir != root && strings.HasPrefix(dir, root+string(filepath.Separator)) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}
