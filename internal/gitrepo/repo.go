// Package gitrepo is the project's only door to git: it finds a repository,
// reads refs, trees and blobs, writes loose objects (one pack for a bulk
// write), moves refs with git's lock-file protocol, reads git configuration
// and identity, and reads or updates the index through the real git CLI
// where go-git cannot be trusted.
// It is the only package that imports go-git.
package gitrepo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// Errors Open returns; test with errors.Is.
var (
	// ErrNotARepo: no git repository in the folder or any parent.
	ErrNotARepo = errors.New("not a git repository (or any of the parent directories): .git")
	// ErrBare: the repository has no work tree (bare, or we are inside .git).
	ErrBare = errors.New("this operation must be run in a work tree")
	// ErrNoIdentity: no author or committer name/email is configured.
	ErrNoIdentity = errors.New("author identity unknown; tell git who you are:\n\n" +
		"  git config --global user.name \"Your Name\"\n" +
		"  git config --global user.email \"you@example.com\"\n\n" +
		"(omit --global to set the identity only in this repository, " +
		"or set GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL and GIT_COMMITTER_NAME/GIT_COMMITTER_EMAIL)")
)

// ZeroID is the all-zero object id git uses for "no object".
const ZeroID = "0000000000000000000000000000000000000000"

// Repo is an open, non-bare git repository.
type Repo struct {
	WorkTree  string // absolute path of the work tree root
	GitDir    string // per-worktree git directory (HEAD, index.lock, logs/HEAD)
	CommonDir string // shared git directory (objects, refs, packed-refs, config)
	IndexFile string // the index: GitDir/index, or GIT_INDEX_FILE
	ObjectDir string // the object database: CommonDir/objects, or GIT_OBJECT_DIRECTORY

	getenv func(string) string

	mu  sync.Mutex
	cfg *configSet // parsed repo + global + system config, nil until needed
	// fsync is core.fsync as parsed, once fsyncRead.
	fsync     FsyncComponent
	fsyncRead bool
	goStore   *filesystem.Storage // opened on first go-git object read

	trees map[string][]byte // raw tree cache, by id
	// walked holds the commits the last PathLog walk showed, by id, so
	// that reading them again (a log reads each shown commit) costs no
	// object read; objects never change.
	walked    map[string][]byte
	treeBytes int
	zlibPool  sync.Pool // *zlib.Writer at level 1, reused across objects
	packList  *[]*packIndex
	// objDirs are the object databases read (ObjectDir and its
	// alternates), listed on first use.
	objDirs []string
}

// Close releases the files the Repo keeps open (pack files). The Repo stays
// usable: they are reopened when needed.
func (r *Repo) Close() error {
	r.closePacks()
	return nil
}

// Open finds the repository containing dir (any folder inside the work
// tree, like `git -C dir`), exactly as git does; see OpenEnv. Environment
// lookups use os.Getenv.
func Open(dir string) (*Repo, error) { return OpenEnv(dir, os.Getenv) }

// OpenEnv finds the repository as git's setup does, with the environment
// given as a lookup function:
//
//   - GIT_DIR names the git directory (relative to dir); the work tree is
//     then GIT_WORK_TREE, else core.worktree, else dir itself;
//   - without GIT_DIR, dir and its parents are searched for .git (a
//     directory, or a "gitdir:" file: linked worktrees, submodules), and
//     GIT_WORK_TREE or core.worktree, when set, still name the work tree;
//   - GIT_COMMON_DIR, GIT_INDEX_FILE and GIT_OBJECT_DIRECTORY replace the
//     common directory, the index and the object database.
//
// Bare repositories and folders inside .git are refused with ErrBare.
// HOME, XDG_CONFIG_HOME and GIT_CONFIG_* are read through getenv by
// ConfigGet.
func OpenEnv(dir string, getenv func(string) string) (*Repo, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	abs, err := realPath(dir, "")
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	r := &Repo{getenv: getenv}
	explicit := getenv("GIT_DIR") != ""
	if explicit {
		gd, err := realPath(getenv("GIT_DIR"), abs)
		if err != nil {
			return nil, fmt.Errorf("not a git repository: %s (GIT_DIR): %w", getenv("GIT_DIR"), ErrNotARepo)
		}
		if fi, err := os.Stat(gd); err == nil && fi.Mode().IsRegular() {
			if gd, err = readGitFile(gd); err != nil {
				return nil, err
			}
		}
		r.GitDir = gd
	} else if err := r.discover(abs); err != nil {
		return nil, err
	}
	r.CommonDir = commonDir(r.GitDir)
	if c := getenv("GIT_COMMON_DIR"); c != "" {
		if r.CommonDir, err = realPath(c, abs); err != nil {
			return nil, fmt.Errorf("GIT_COMMON_DIR %s: %w", c, err)
		}
	}
	if explicit && !isGitDirWith(r.GitDir, r.CommonDir) {
		return nil, fmt.Errorf("not a git repository: '%s' (GIT_DIR): %w", getenv("GIT_DIR"), ErrNotARepo)
	}
	if err := r.checkConfig(); err != nil {
		return nil, err
	}
	if wt := getenv("GIT_WORK_TREE"); wt != "" {
		if r.WorkTree, err = realPath(wt, abs); err != nil {
			return nil, fmt.Errorf("GIT_WORK_TREE %s: %w", wt, err)
		}
	} else if r.WorkTree == "" && explicit {
		r.WorkTree = abs // git: GIT_DIR without a work tree means the current folder
	}
	if r.WorkTree == "" {
		return nil, fmt.Errorf("%s: %w (bare repository)", r.GitDir, ErrBare)
	}
	// git moves to the top of the work tree when it runs inside it, and
	// reads these two relative to where it then is.
	base := abs
	if abs == r.WorkTree || strings.HasPrefix(abs, r.WorkTree+string(filepath.Separator)) {
		base = r.WorkTree
	}
	r.IndexFile = filepath.Join(r.GitDir, "index")
	if f := getenv("GIT_INDEX_FILE"); f != "" {
		r.IndexFile = absFrom(f, base)
	}
	r.ObjectDir = filepath.Join(r.CommonDir, "objects")
	if o := getenv("GIT_OBJECT_DIRECTORY"); o != "" {
		r.ObjectDir = absFrom(o, base)
	}
	return r, nil
}

// discover searches abs and its parents for a repository, as git does
// without GIT_DIR; it sets GitDir and WorkTree.
func (r *Repo) discover(abs string) error {
	for d := abs; ; {
		dotgit := filepath.Join(d, ".git")
		if fi, err := os.Stat(dotgit); err == nil {
			switch {
			case fi.IsDir() && isGitDir(dotgit):
				r.WorkTree, r.GitDir = d, dotgit
			case fi.Mode().IsRegular():
				gd, err := readGitFile(dotgit)
				if err != nil {
					return err
				}
				r.WorkTree, r.GitDir = d, gd
			}
			if r.GitDir != "" {
				return nil
			}
		}
		if isGitDir(d) {
			return fmt.Errorf("%s: %w (bare repository or inside the .git directory)", d, ErrBare)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return fmt.Errorf("%s: %w", abs, ErrNotARepo)
		}
		d = parent
	}
}

// absFrom makes p absolute, relative to base.
func absFrom(p, base string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p)
}

// realPath is absFrom with symbolic links resolved; p must exist.
func realPath(p, base string) (string, error) {
	if base == "" {
		a, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		p = a
	}
	return filepath.EvalSymlinks(absFrom(p, base))
}

// readGitFile reads a ".git" file ("gitdir: <path>") and returns the
// absolute git directory it names.
func readGitFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	line := strings.TrimRight(string(b), "\r\n")
	rest, ok := strings.CutPrefix(line, "gitdir: ")
	if !ok || rest == "" {
		return "", fmt.Errorf("%s: invalid gitfile format: %w", path, ErrNotARepo)
	}
	if !filepath.IsAbs(rest) {
		rest = filepath.Join(filepath.Dir(path), rest)
	}
	rest = filepath.Clean(rest)
	if !isGitDir(rest) {
		return "", fmt.Errorf("%s: not a git repository: %s: %w", path, rest, ErrNotARepo)
	}
	return rest, nil
}

// isGitDir reports whether dir looks like a git directory, as git's
// is_git_directory does: HEAD, and objects/ and refs/ (possibly through a
// commondir file, for linked worktrees).
func isGitDir(dir string) bool { return isGitDirWith(dir, commonDir(dir)) }

// isGitDirWith is isGitDir with the common directory given.
func isGitDirWith(dir, common string) bool {
	if fi, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	for _, sub := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(common, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// commonDir returns the directory named by gitDir/commondir, or gitDir.
func commonDir(gitDir string) string {
	b, err := os.ReadFile(filepath.Join(gitDir, "commondir"))
	if err != nil {
		return gitDir
	}
	c := strings.TrimSpace(string(b))
	if c == "" {
		return gitDir
	}
	if !filepath.IsAbs(c) {
		c = filepath.Join(gitDir, c)
	}
	return filepath.Clean(c)
}

// checkConfig refuses repositories we cannot handle safely: bare ones,
// SHA-256 object format and reftable ref storage; it applies core.worktree.
func (r *Repo) checkConfig() error {
	cs, err := r.config()
	if err != nil {
		return err
	}
	local := cs.scope(scopeLocal)
	if v, ok := local.get("core.bare"); ok && parseBool(v) && r.getenv("GIT_WORK_TREE") == "" {
		return fmt.Errorf("%s: %w (core.bare is true)", r.GitDir, ErrBare)
	}
	if v, ok := local.get("extensions.objectformat"); ok && !strings.EqualFold(v, "sha1") {
		return fmt.Errorf("%s: object format %q is not supported (only sha1)", r.CommonDir, v)
	}
	if v, ok := local.get("extensions.refstorage"); ok && !strings.EqualFold(v, "files") {
		return fmt.Errorf("%s: ref storage %q is not supported (only files)", r.CommonDir, v)
	}
	if v, ok := local.get("core.worktree"); ok && v != "" && (r.GitDir == r.CommonDir || r.WorkTree == "") {
		if !filepath.IsAbs(v) {
			v = filepath.Join(r.GitDir, v)
		}
		r.WorkTree = filepath.Clean(v)
	}
	return nil
}

// goGit returns go-git's object storage, opened on first use: on the git
// directory itself (HEAD and index from GitDir, objects and refs from
// CommonDir). Only its object reader is used, as a fallback for what our
// own reader does not handle (pack index v1); go-git's top-level
// package (repositories, work trees, transports) is not linked in.
func (r *Repo) goGit() *filesystem.Storage {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.goStore == nil {
		fs := dotgit.NewRepositoryFilesystem(osfs.New(r.GitDir), osfs.New(r.CommonDir))
		r.goStore = filesystem.NewStorage(fs, cache.NewObjectLRUDefault())
	}
	return r.goStore
}
