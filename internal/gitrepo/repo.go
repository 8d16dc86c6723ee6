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

	git "github.com/go-git/go-git/v5"
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
	GitDir    string // per-worktree git directory (HEAD, index, index.lock, logs/HEAD)
	CommonDir string // shared git directory (objects, refs, packed-refs, config)

	getenv func(string) string

	mu  sync.Mutex
	cfg *configSet // parsed repo + global + system config, nil until needed
	// fsync is core.fsync as parsed, once fsyncRead.
	fsync     FsyncComponent
	fsyncRead bool
	goRepo    *git.Repository // opened on first object read

	trees     map[string][]byte // raw tree cache, by id
	treeBytes int
	zlibPool  sync.Pool // *zlib.Writer at level 1, reused across objects
	packList  *[]*packIndex
}

// Close releases the files the Repo keeps open (pack files). The Repo stays
// usable: they are reopened when needed.
func (r *Repo) Close() error {
	r.closePacks()
	return nil
}

// Open finds the repository containing dir (any folder inside the work tree,
// like `git -C dir`), following .git files (linked worktrees, submodules).
// It refuses bare repositories and folders inside .git with ErrBare.
// Environment lookups (config locations) use os.Getenv; see OpenEnv.
func Open(dir string) (*Repo, error) { return OpenEnv(dir, os.Getenv) }

// OpenEnv is Open with the environment given as a lookup function (HOME,
// XDG_CONFIG_HOME, GIT_CONFIG_* are read through it by ConfigGet).
func OpenEnv(dir string, getenv func(string) string) (*Repo, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	if res, err := filepath.EvalSymlinks(abs); err == nil {
		abs = res
	} else {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	r := &Repo{getenv: getenv}
	for d := abs; ; {
		dotgit := filepath.Join(d, ".git")
		if fi, err := os.Stat(dotgit); err == nil {
			switch {
			case fi.IsDir() && isGitDir(dotgit):
				r.WorkTree, r.GitDir = d, dotgit
			case fi.Mode().IsRegular():
				gd, err := readGitFile(dotgit)
				if err != nil {
					return nil, err
				}
				r.WorkTree, r.GitDir = d, gd
			}
			if r.GitDir != "" {
				break
			}
		}
		if isGitDir(d) {
			return nil, fmt.Errorf("%s: %w (bare repository or inside the .git directory)", d, ErrBare)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return nil, fmt.Errorf("%s: %w", abs, ErrNotARepo)
		}
		d = parent
	}
	r.CommonDir = commonDir(r.GitDir)
	if err := r.checkConfig(); err != nil {
		return nil, err
	}
	return r, nil
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
func isGitDir(dir string) bool {
	if fi, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	common := commonDir(dir)
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
	if v, ok := local.get("core.bare"); ok && parseBool(v) {
		return fmt.Errorf("%s: %w (core.bare is true)", r.GitDir, ErrBare)
	}
	if v, ok := local.get("extensions.objectformat"); ok && !strings.EqualFold(v, "sha1") {
		return fmt.Errorf("%s: object format %q is not supported (only sha1)", r.CommonDir, v)
	}
	if v, ok := local.get("extensions.refstorage"); ok && !strings.EqualFold(v, "files") {
		return fmt.Errorf("%s: ref storage %q is not supported (only files)", r.CommonDir, v)
	}
	if v, ok := local.get("core.worktree"); ok && v != "" && r.GitDir == r.CommonDir {
		if !filepath.IsAbs(v) {
			v = filepath.Join(r.GitDir, v)
		}
		r.WorkTree = filepath.Clean(v)
	}
	return nil
}

// goGit returns the go-git repository, opened on first use. It is opened
// on the git directory itself (HEAD and index from GitDir, objects and refs
// from CommonDir); we never use its work-tree API.
func (r *Repo) goGit() (*git.Repository, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.goRepo != nil {
		return r.goRepo, nil
	}
	gr, err := git.PlainOpenWithOptions(r.GitDir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", r.GitDir, err)
	}
	r.goRepo = gr
	return gr, nil
}
