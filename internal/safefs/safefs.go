// Package safefs is the one door to the files of a folder whose content is
// untrusted (the repository's .milestones/, which arrives by clone): every
// path is resolved beneath the folder, and no symbolic link is followed on
// any component. Anything that is not a regular file where a file is
// expected, or not a directory where a directory is expected, is refused
// with an error naming the path.
//
// Each operation opens an os.Root on the folder (so even a link swapped in
// during the operation cannot lead outside it) and checks every component
// with Lstat before acting (so a link is refused, not followed). What
// remains is a race inside the folder: a local process (not repository
// content, which is static) that swaps a checked directory for a link
// between the check and the act can redirect the act to another path
// inside the same folder (the work tree, for WorkTree), never outside it.
package safefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrRefused is wrapped by every *RefusedError.
var ErrRefused = errors.New("refused")

// RefusedError says that a path is not what it must be (a link, a fifo, a
// file where a directory is expected...).
type RefusedError struct {
	Path string // as shown to people
	What string // "a symbolic link", "a named pipe", ...
	Want string // "a regular file" or "a directory"
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s is %s, not %s: refused (git-milestone never follows a link or opens a special file there)", e.Path, e.What, e.Want)
}

// Unwrap makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Unwrap() error { return ErrRefused }

// Tree is a folder whose content is untrusted. Paths given to its methods
// are relative to Dir (slash or OS separators); ".." and absolute paths
// are refused.
type Tree struct {
	Dir  string // absolute path of the folder
	Name string // how messages name the folder (e.g. ".milestones"); Dir when empty
}

// New returns the tree at dir, named name in messages.
func New(dir, name string) Tree { return Tree{Dir: dir, Name: name} }

// WorkTree is the tree of a repository's work tree, for paths such as
// ".milestones/locks/x.lock": messages name them as given, and every
// component is checked, ".milestones" included. The work tree itself is
// the user's choice and is trusted.
func WorkTree(dir string) Tree { return Tree{Dir: dir, Name: "."} }

// Path is the absolute path of rel.
func (t Tree) Path(rel string) string { return filepath.Join(t.Dir, filepath.FromSlash(rel)) }

// Show is how messages name rel.
func (t Tree) Show(rel string) string {
	name := t.Name
	if name == "." && rel != "" && rel != "." {
		return filepath.ToSlash(rel)
	}
	if name == "" {
		name = t.Dir
	}
	if rel == "" || rel == "." {
		return name
	}
	return filepath.ToSlash(filepath.Join(name, filepath.FromSlash(rel)))
}

// Kind names what a file mode is, for messages.
func Kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	}
	return "a special file"
}

func (t Tree) refuse(rel string, m fs.FileMode, want string) error {
	return &RefusedError{Path: t.Show(rel), What: Kind(m), Want: want}
}

// clean checks and normalises rel to slash form without "." components.
func (t Tree) clean(rel string) (string, error) {
	rel = filepath.ToSlash(filepath.Clean(filepath.FromSlash(rel)))
	if rel == "." {
		return ".", nil
	}
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("%s: path leaves %s: %w", rel, t.Show(""), ErrRefused)
	}
	return rel, nil
}

// CheckTop checks the folder itself: it must be a real directory (not a
// link to one). A missing folder gives an error wrapping fs.ErrNotExist.
func (t Tree) CheckTop() error {
	fi, err := os.Lstat(t.Dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return t.refuse("", fi.Mode(), "a directory")
	}
	return nil
}

// root opens the folder as an os.Root, after checking it is not a link.
func (t Tree) root() (*os.Root, error) {
	fi, err := os.Lstat(t.Dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, t.refuse("", fi.Mode(), "a directory")
	}
	r, err := os.OpenRoot(t.Dir)
	if err != nil {
		return nil, err
	}
	if got, err := r.Stat("."); err != nil || !os.SameFile(fi, got) {
		r.Close()
		return nil, &RefusedError{Path: t.Show(""), What: "a directory replaced while opened", Want: "a stable directory"}
	}
	return r, nil
}

// openRoot cleans rel (refusing a path that leaves the tree) and opens the
// tree as an os.Root (refusing a link in its place); it returns the root,
// which the caller closes, and the cleaned rel.
func (t Tree) openRoot(rel string) (*os.Root, string, error) {
	rel, err := t.clean(rel)
	if err != nil {
		return nil, "", err
	}
	r, err := t.root()
	if err != nil {
		return nil, "", err
	}
	return r, rel, nil
}

// parents checks every directory above rel (not rel itself): each must be
// a real directory. With mkdir, missing ones are created with perm.
func (t Tree) parents(r *os.Root, rel string, mkdir bool, perm fs.FileMode) error {
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		if err := t.dir(r, strings.Join(parts[:i], "/"), mkdir, perm); err != nil {
			return err
		}
	}
	return nil
}

// dir checks that p is a real directory, creating it with mkdir.
func (t Tree) dir(r *os.Root, p string, mkdir bool, perm fs.FileMode) error {
	fi, err := r.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) && mkdir {
		if err = r.Mkdir(p, perm); err == nil || errors.Is(err, fs.ErrExist) {
			fi, err = r.Lstat(p)
		}
	}
	if err != nil {
		return t.pathErr("lstat", p, err)
	}
	if !fi.IsDir() {
		return t.refuse(p, fi.Mode(), "a directory")
	}
	return nil
}

// pathErr names p the way messages do.
func (t Tree) pathErr(op, p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: t.Show(p), Err: err}
}

// OpenFile opens the regular file rel like os.OpenFile. With O_CREATE the
// missing parent folders are created (0o777 before umask). A link, fifo,
// device or directory at rel, or a link on any folder above it, is refused.
func (t Tree) OpenFile(rel string, flag int, perm fs.FileMode) (*os.File, error) {
	r, rel, err := t.openRoot(rel)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return t.openIn(r, rel, flag, perm)
}

func (t Tree) openIn(r *os.Root, rel string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := t.parents(r, rel, flag&os.O_CREATE != 0, 0o777); err != nil {
		return nil, err
	}
	if fi, err := r.Lstat(rel); err == nil && !fi.Mode().IsRegular() {
		return nil, t.refuse(rel, fi.Mode(), "a regular file")
	}
	// O_NOFOLLOW: a link put there since the check fails the open;
	// O_NONBLOCK: a fifo put there does not hang the open.
	f, err := r.OpenFile(rel, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, perm)
	if err != nil {
		return nil, t.pathErr("open", rel, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		f.Close()
		return nil, t.refuse(rel, fi.Mode(), "a regular file")
	}
	if err == nil && flag&(os.O_WRONLY|os.O_RDWR) != 0 && linkCount(fi) > 1 {
		// A hard link to a file elsewhere: writing would change that file.
		f.Close()
		return nil, &RefusedError{Path: t.Show(rel), What: "a file with other hard links", Want: "a file of its own"}
	}
	if err != nil {
		f.Close()
		return nil, t.pathErr("stat", rel, err)
	}
	return f, nil
}

// Open opens the regular file rel for reading.
func (t Tree) Open(rel string) (*os.File, error) { return t.OpenFile(rel, os.O_RDONLY, 0) }

// ReadFile reads the regular file rel.
func (t Tree) ReadFile(rel string) ([]byte, error) {
	f, err := t.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, t.pathErr("read", rel, err)
	}
	return b, nil
}

// ReadFileMax reads the regular file rel, refusing one larger than max
// bytes without reading it all.
func (t Tree) ReadFileMax(rel string, max int64) ([]byte, error) {
	f, err := t.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, t.pathErr("read", rel, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is over the size limit of %d bytes: %w", t.Show(rel), max, ErrTooLarge)
	}
	return b, nil
}

// ErrTooLarge is wrapped by ReadFileMax's error for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// WriteFile replaces the regular file rel with data atomically: a
// temporary file beside it, synced, then renamed over it (see atomic.go).
// Missing parent folders are created.
func (t Tree) WriteFile(rel string, data []byte, perm fs.FileMode) error {
	r, rel, err := t.openRoot(rel)
	if err != nil {
		return err
	}
	defer r.Close()
	if fi, err := r.Lstat(rel); err == nil && !fi.Mode().IsRegular() {
		return t.refuse(rel, fi.Mode(), "a regular file")
	}
	// The temporary file is created through the same checks as any file
	// of the tree; its errors name it already.
	var openErr error
	err = writeAtomic(atomicDir{
		create: func(tmp string) (*os.File, error) {
			f, err := t.openIn(r, tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
			openErr = err
			return f, err
		},
		rename: r.Rename,
		remove: r.Remove,
	}, rel, data, 0, true)
	if openErr != nil {
		return openErr
	}
	if err != nil {
		return t.pathErr("write", rel, err)
	}
	return nil
}

// MkdirAll creates the folder rel and its parents; an existing link or
// non-directory on the way is refused.
func (t Tree) MkdirAll(rel string, perm fs.FileMode) error {
	r, rel, err := t.openRoot(rel)
	if err != nil {
		return err
	}
	defer r.Close()
	if rel == "." {
		return nil
	}
	if err := t.parents(r, rel, true, perm); err != nil {
		return err
	}
	return t.dir(r, rel, true, perm)
}

// Lstat describes rel itself (a link is described, not followed), after
// checking the folders above it.
func (t Tree) Lstat(rel string) (fs.FileInfo, error) {
	r, rel, err := t.openRoot(rel)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := t.parents(r, rel, false, 0); err != nil {
		return nil, err
	}
	fi, err := r.Lstat(rel)
	if err != nil {
		return nil, t.pathErr("lstat", rel, err)
	}
	return fi, nil
}

// CheckFile checks that rel is a regular file or absent, for callers
// that must open it by name (SQLite). Absent is not an error.
func (t Tree) CheckFile(rel string) error {
	fi, err := t.Lstat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return t.refuse(rel, fi.Mode(), "a regular file")
	}
	if linkCount(fi) > 1 {
		return &RefusedError{Path: t.Show(rel), What: "a file with other hard links", Want: "a file of its own"}
	}
	return nil
}

// Remove removes rel (a link is removed, not followed). A missing rel is
// not an error.
func (t Tree) Remove(rel string) error {
	return t.removeWith(rel, (*os.Root).Remove)
}

// RemoveAll removes rel and everything below it, without following links.
func (t Tree) RemoveAll(rel string) error {
	if c, err := t.clean(rel); err == nil && c == "." {
		return fmt.Errorf("remove %s: refusing to remove the whole folder: %w", t.Show(""), ErrRefused)
	}
	return t.removeWith(rel, (*os.Root).RemoveAll)
}

// removeWith checks rel's parents (no link among them) and removes rel
// with remove; a rel that is already gone, or whose folder is, is not an
// error.
func (t Tree) removeWith(rel string, remove func(*os.Root, string) error) error {
	// A path that leaves the tree is refused (never fs.ErrNotExist).
	r, rel, err := t.openRoot(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer r.Close()
	if err := t.parents(r, rel, false, 0); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if err := remove(r, rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return t.pathErr("remove", rel, err)
	}
	return nil
}

// Rename renames the regular file (or folder) oldRel to newRel, both
// beneath the tree; a link at newRel is replaced, never followed.
func (t Tree) Rename(oldRel, newRel string) error {
	oldRel, err := t.clean(oldRel)
	if err != nil {
		return err
	}
	if newRel, err = t.clean(newRel); err != nil {
		return err
	}
	r, err := t.root()
	if err != nil {
		return err
	}
	defer r.Close()
	if err := t.parents(r, oldRel, false, 0); err != nil {
		return err
	}
	if err := t.parents(r, newRel, true, 0o777); err != nil {
		return err
	}
	fi, err := r.Lstat(oldRel)
	if err != nil {
		return t.pathErr("rename", oldRel, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 || !(fi.Mode().IsRegular() || fi.IsDir()) {
		return t.refuse(oldRel, fi.Mode(), "a regular file")
	}
	if err := r.Rename(oldRel, newRel); err != nil {
		return t.pathErr("rename", newRel, err)
	}
	return nil
}

// ReadDir lists the real directory rel. Entries are not followed: a
// link among them shows as a link (fs.ModeSymlink in Type).
func (t Tree) ReadDir(rel string) ([]fs.DirEntry, error) {
	r, rel, err := t.openRoot(rel)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if rel != "." {
		if err := t.parents(r, rel, false, 0); err != nil {
			return nil, err
		}
		if err := t.dir(r, rel, false, 0); err != nil {
			return nil, err
		}
	}
	d, err := r.Open(rel)
	if err != nil {
		return nil, t.pathErr("open", rel, err)
	}
	defer d.Close()
	if fi, err := d.Stat(); err != nil || !fi.IsDir() {
		return nil, &RefusedError{Path: t.Show(rel), What: "not a directory any more", Want: "a directory"}
	}
	ents, err := d.ReadDir(-1)
	if err != nil {
		return nil, t.pathErr("readdir", rel, err)
	}
	return ents, nil
}

// Entry is one non-regular entry found by Special.
type Entry struct {
	Path string      // relative to the tree, slash-separated
	Mode fs.FileMode // its type bits
}

// Special lists every entry beneath the tree that is neither a regular
// file nor a directory (links, fifos, sockets, devices), without
// following any link. A missing tree has none.
func (t Tree) Special() ([]Entry, error) {
	r, err := t.root()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []Entry
	err = fs.WalkDir(r.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if m := d.Type(); !d.IsDir() && !m.IsRegular() {
			out = append(out, Entry{Path: p, Mode: m})
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("scan %s: %w", t.Show(""), err)
	}
	return out, nil
}

// SQLiteSuffixes are the files SQLite (and our index's repair lock) keeps
// beside a database file.
var SQLiteSuffixes = []string{"", "-wal", "-shm", "-journal", ".lock"}

// CheckSQLite checks a SQLite database rel and the files SQLite keeps
// beside it: each must be a regular file or absent, and the folders above
// must be real. SQLite opens files by name, so call it right before
// opening: what remains is the window between this check and SQLite's
// open, in which only a local process (not repository content) can swap
// a file for a link.
func (t Tree) CheckSQLite(rel string) error {
	for _, s := range SQLiteSuffixes {
		if err := t.CheckFile(rel + s); err != nil {
			return err
		}
	}
	return nil
}
