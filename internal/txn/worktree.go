package txn

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	pathpkg "path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/safefs"
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

// syncEachBelow is the number of files up to which prepareWorkTree fsyncs
// each temporary file (~0.4 ms each); above it, it writes them all without
// fsync and then flushes the file system once (syncfs, ~0.1 s for 10,000
// files), where the platform allows.
const syncEachBelow = 32

// prepareWorkTree writes the new content of every changed file to a
// temporary file beside it and makes it durable (see syncEachBelow), so
// that finishWorkTree only has to rename. It never writes through a
// symbolic link: a symlinked directory on the way is refused. modes (may
// be nil) gives the committed file modes. On error nothing is left behind.
func (tx *Tx) prepareWorkTree(chs []change, modes map[string]uint32) ([]pendingFile, error) {
	root := tx.repo.WorkTree
	dirs := dirChecker{root: root}
	var pending []pendingFile
	var contents [][]byte
	var perms []os.FileMode
	for _, c := range chs {
		if err := dirs.check(c.path); err != nil {
			return nil, err
		}
		if c.Delete {
			continue
		}
		perm := os.FileMode(0o666)
		if modes[c.path] == gitrepo.ModeExecutable {
			perm = 0o777
		}
		pending = append(pending, pendingFile{final: filepath.Join(root, filepath.FromSlash(c.path))})
		if c.worktree != nil {
			contents = append(contents, c.worktree)
		} else {
			contents = append(contents, c.Content)
		}
		perms = append(perms, perm)
	}
	if len(pending) <= syncEachBelow {
		for i := range pending {
			tmp, err := writeTemp(pending[i].final, contents[i], perms[i], true)
			if err != nil {
				discardPending(root, pending[:i])
				return nil, fmt.Errorf("write %s: %w", pending[i].final, err)
			}
			pending[i].tmp = tmp
		}
		return pending, nil
	}
	// Many files: write them on a few goroutines without fsync, then
	// flush them all at once.
	errs := make([]error, len(pending))
	each(len(pending), func(i int) {
		pending[i].tmp, errs[i] = writeTemp(pending[i].final, contents[i], perms[i], !haveSyncFS)
		if errs[i] != nil {
			errs[i] = fmt.Errorf("write %s: %w", pending[i].final, errs[i])
		}
	})
	if err := firstErr(errs); err != nil {
		discardPending(root, pending)
		return nil, err
	}
	if haveSyncFS {
		if err := syncFS(root); err != nil {
			discardPending(root, pending)
			return nil, fmt.Errorf("flush the work tree's file system: %w", err)
		}
	}
	return pending, nil
}

// finishWorkTree renames the prepared files into place and removes the
// deleted ones, with the directories they leave empty. Many files are
// handled on a few goroutines: freeing a file's blocks (a replaced or
// deleted file) happens outside the directory lock, so it overlaps.
func (tx *Tx) finishWorkTree(chs []change, pending []pendingFile) error {
	root := tx.repo.WorkTree
	errs := make([]error, len(pending))
	var failed atomic.Bool
	each(len(pending), func(i int) {
		p := &pending[i]
		if failed.Load() {
			return // discarded below
		}
		if err := os.Rename(p.tmp, p.final); err != nil {
			errs[i] = fmt.Errorf("write %s: %w", p.final, err)
			failed.Store(true)
			return
		}
		p.tmp = ""
	})
	if failed.Load() {
		discardPending(root, pending)
	}
	var dels []string
	for _, c := range chs {
		if c.Delete {
			dels = append(dels, filepath.Join(root, filepath.FromSlash(c.path)))
		}
	}
	delErrs := make([]error, len(dels))
	each(len(dels), func(i int) {
		if err := os.Remove(dels[i]); err != nil && !errors.Is(err, os.ErrNotExist) {
			delErrs[i] = fmt.Errorf("remove %s: %w", dels[i], err)
		}
	})
	emptied := map[string]bool{}
	for i, abs := range dels {
		if delErrs[i] == nil {
			emptied[filepath.Dir(abs)] = true
		}
	}
	removeEmptyDirs(root, emptied)
	return firstErr(append(errs, delErrs...))
}

// firstErr returns the first error of errs, saying how many more there
// are (a full disk would otherwise give thousands of lines).
func firstErr(errs []error) error {
	var first error
	more := 0
	for _, err := range errs {
		switch {
		case err == nil:
		case first == nil:
			first = err
		default:
			more++
		}
	}
	if more > 0 {
		return fmt.Errorf("%w (and %d more errors)", first, more)
	}
	return first
}

// each runs f(0) .. f(n-1): in order when n is small, else on a few
// goroutines.
func each(n int, f func(i int)) {
	if n <= syncEachBelow {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	next := make(chan int, n)
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// discardPending removes prepared files that will not be used.
func discardPending(root string, pending []pendingFile) {
	emptied := map[string]bool{}
	for _, p := range pending {
		if p.tmp != "" {
			os.Remove(p.tmp)
			emptied[filepath.Dir(p.tmp)] = true
		}
	}
	removeEmptyDirs(root, emptied)
}

// removeEmptyDirs runs removeEmptyParents once per directory, after the
// files in them are gone (an rmdir that fails on a big directory costs a
// scan of its emptied blocks: once per file it would be quadratic).
func removeEmptyDirs(root string, dirs map[string]bool) {
	for dir := range dirs {
		removeEmptyParents(root, dir)
	}
}

// dirChecker runs checkNoSymlinkDirs once per directory.
type dirChecker struct {
	root string
	ok   map[string]bool
}

func (d *dirChecker) check(rel string) error {
	// The file itself is replaced by a rename (a link there is replaced,
	// never followed); anything else than a file or a link is refused.
	if fi, err := os.Lstat(filepath.Join(d.root, filepath.FromSlash(rel))); err == nil &&
		!fi.Mode().IsRegular() && fi.Mode()&os.ModeSymlink == 0 {
		return &safefs.RefusedError{Path: rel, What: safefs.Kind(fi.Mode()), Want: "a regular file"}
	}
	dir, _ := pathpkg.Split(rel)
	if d.ok[dir] {
		return nil
	}
	if err := checkNoSymlinkDirs(d.root, rel); err != nil {
		return err
	}
	if d.ok == nil {
		d.ok = map[string]bool{}
	}
	d.ok[dir] = true
	return nil
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
		if !fi.IsDir() {
			shown, _ := filepath.Rel(root, cur)
			return &safefs.RefusedError{Path: filepath.ToSlash(shown), What: safefs.Kind(fi.Mode()), Want: "a directory"}
		}
	}
	return nil
}

// writeTemp writes data to a new file beside path (creating directories),
// fsyncs it if fsync is set and returns its name. The file is created with
// perm minus the umask.
func writeTemp(path string, data []byte, perm os.FileMode, fsync bool) (string, error) {
	dir := filepath.Dir(path)
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, os.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o777); err == nil {
			f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		}
	}
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil && fsync {
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
