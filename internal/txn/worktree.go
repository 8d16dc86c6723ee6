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

// writeWorkTree replaces each file atomically (temporary file beside it,
// fsync, rename) or removes it and the directories it leaves empty. It never
// writes through a symbolic link: a symlinked directory on the way is
// refused. modes (may be nil) gives the committed file modes.
func (tx *Tx) writeWorkTree(chs []change, modes map[string]uint32) error {
	root := tx.repo.WorkTree
	var errs []error
	for _, c := range chs {
		abs := filepath.Join(root, filepath.FromSlash(c.path))
		if err := checkNoSymlinkDirs(root, c.path); err != nil {
			errs = append(errs, err)
			continue
		}
		if c.Delete {
			if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove %s: %w", c.path, err))
				continue
			}
			removeEmptyParents(root, filepath.Dir(abs))
			continue
		}
		perm := os.FileMode(0o666)
		if modes[c.path] == gitrepo.ModeExecutable {
			perm = 0o777
		}
		if err := writeFileAtomic(abs, c.Content, perm); err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", c.path, err))
			continue
		}
	}
	return errors.Join(errs...)
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
			return nil // created by MkdirAll below
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

// writeFileAtomic writes data to a new file beside path, fsyncs it and
// renames it over path. The file is created with perm minus the umask.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
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
