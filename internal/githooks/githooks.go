// Package githooks installs, removes and checks git-milestone's git hooks
// where git really looks for them (core.hooksPath or the common git
// directory's hooks/ folder, shared by linked worktrees), chaining any hook
// the user already had, and leaving repositories whose hooks belong to a hook
// manager (husky, pre-commit, lefthook) untouched. It also holds what the
// hooks themselves run: the check of the staged milestone documents and the
// list of milestone paths changed between two commits.
//
// Our scripts are recognised by hooks.Marker, never by guessing. A user's
// hook is kept in the same folder as NAME+hooks.UserSuffix (renamed, so its
// bytes, mode and even inode are unchanged, and files it finds relative to
// its own folder still resolve); our script runs it with the same arguments
// and standard input and keeps its exit status.
package githooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/git-milestone/git-milestone/hooks"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/safefs"
)

// Options says where the repository is. Discover fills it from git.
type Options struct {
	GitDir    string // per-worktree git directory (HEAD, ORIG_HEAD, index)
	CommonDir string // shared git directory; hooks live in CommonDir/hooks unless core.hooksPath is set
	WorkTree  string // root of the current work tree; a relative core.hooksPath resolves against it, as git does
	HooksPath string // core.hooksPath (as configured or already resolved), "" when unset
	Binary    string // path of the running git-milestone (for Status and warnings), may be ""
}

// Action is what Install or Uninstall did to one hook file.
type Action string

// The actions of a HookChange.
const (
	Installed Action = "installed" // our script written where there was none (a user hook, if any, chained)
	Updated   Action = "updated"   // an older version of our script replaced
	Unchanged Action = "unchanged" // our current script was already there
	Removed   Action = "removed"   // our script deleted; there was no user hook
	Restored  Action = "restored"  // our script replaced by the user's hook, as it was before install
	Absent    Action = "absent"    // Uninstall: none of our scripts there; nothing done
	Kept      Action = "kept"      // Uninstall: the file is not ours; left as it is
)

// HookChange is the outcome for one hook.
type HookChange struct {
	Name     string `json:"name"` // hook name, e.g. "pre-commit"
	Path     string `json:"path"` // the hook file git runs
	Action   Action `json:"action"`
	UserHook string `json:"user_hook"` // the user's hook chained beside ours (Install) or put back (Uninstall), "" if none
}

// Report is the outcome of Install or Uninstall.
type Report struct {
	Dir      string       `json:"dir"`     // the folder git runs hooks from
	Manager  *Manager     `json:"manager"` // non-nil when a hook manager owns the hooks; Install then writes nothing
	Hooks    []HookChange `json:"hooks"`
	Warnings []string     `json:"warnings"` // things worth telling the user; nothing failed
}

// gitTimeout bounds every git command this package runs.
const gitTimeout = 30 * time.Second

// HooksDir returns the folder git runs hooks from and whether it comes from
// core.hooksPath. A relative core.hooksPath is taken relative to the work
// tree root (git runs hooks from there), and "~/" is the home folder.
func HooksDir(o Options) (dir string, fromConfig bool, err error) {
	hp := o.HooksPath
	if hp == "" {
		if o.CommonDir == "" {
			return "", false, errors.New("hooks folder: the common git directory is unknown")
		}
		return filepath.Join(o.CommonDir, "hooks"), false, nil
	}
	if hp == "~" || strings.HasPrefix(hp, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", true, fmt.Errorf("core.hooksPath %s: %w", hp, err)
		}
		hp = filepath.Join(home, hp[1:])
	}
	if !filepath.IsAbs(hp) {
		if o.WorkTree == "" {
			return "", true, fmt.Errorf("core.hooksPath %s is relative and the work tree is unknown", hp)
		}
		hp = filepath.Join(o.WorkTree, hp)
	}
	return filepath.Clean(hp), true, nil
}

// Discover asks git (one command, git 2.31 or later) where the repository
// containing dir keeps its git directories, its work tree and its hooks.
// HooksPath is set, absolute, only when core.hooksPath moves the hooks.
func Discover(ctx context.Context, dir string) (Options, error) {
	out, err := runGit(ctx, dir, nil, "rev-parse", "--path-format=absolute",
		"--git-dir", "--git-common-dir", "--show-toplevel", "--git-path", "hooks")
	if err != nil {
		return Options{}, err
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 4 {
		return Options{}, fmt.Errorf("git rev-parse in %s: unexpected output %q", dir, out)
	}
	o := Options{GitDir: filepath.Clean(lines[0]), CommonDir: filepath.Clean(lines[1]), WorkTree: filepath.Clean(lines[2])}
	if h := filepath.Clean(lines[3]); h != filepath.Join(o.CommonDir, "hooks") {
		o.HooksPath = h
	}
	return o, nil
}

// Install puts our hook scripts where git looks. It is idempotent. A hook the
// user already had is renamed to NAME+hooks.UserSuffix in the same folder and
// our script runs it first, keeping its verdict. If a hook manager owns the
// hooks, nothing is written and Report.Manager says which line to add where.
// A missing hooks folder is created, unless core.hooksPath names a folder
// outside the repository (a stranded path is refused, not recreated).
func Install(o Options) (Report, error) {
	dir, fromConfig, err := HooksDir(o)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Dir: dir}
	if m := detectManager(o, dir); m != nil {
		rep.Manager = m
		return rep, nil
	}
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return rep, fmt.Errorf("hooks folder %s is not a folder", dir)
	case errors.Is(err, fs.ErrNotExist):
		if fromConfig && !within(dir, o.WorkTree) && !within(dir, o.CommonDir) && !within(dir, o.GitDir) {
			return rep, fmt.Errorf("core.hooksPath %s points at a missing folder %s outside this repository "+
				"(moved or deleted?): git runs no hooks at all; fix it (git config core.hooksPath PATH) "+
				"or unset it (git config --unset core.hooksPath), then install again", o.HooksPath, dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return rep, fmt.Errorf("create hooks folder: %w", err)
		}
	case err != nil:
		return rep, fmt.Errorf("hooks folder: %w", err)
	}
	rep.Warnings = placeWarnings(o, dir, fromConfig)
	if w := binaryWarning(o); w != "" {
		rep.Warnings = append(rep.Warnings, w)
	}
	for _, name := range hooks.Names() {
		ch, err := installOne(dir, name)
		if err != nil {
			return rep, err
		}
		rep.Hooks = append(rep.Hooks, ch)
	}
	return rep, nil
}

// installOne installs one hook script in dir.
func installOne(dir, name string) (HookChange, error) {
	script, _ := hooks.Script(name)
	path := filepath.Join(dir, name)
	user := path + hooks.UserSuffix
	ch := HookChange{Name: name, Path: path}
	userExists := exists(user)
	if userExists {
		ch.UserHook = user
	}
	k, cur, mode, err := inspect(path)
	if err != nil {
		return ch, err
	}
	switch k {
	case kindMissing:
		if err := writeScript(path, script); err != nil {
			return ch, err
		}
		ch.Action = Installed
	case kindOurs:
		if string(cur) == script && mode&0o111 != 0 {
			ch.Action = Unchanged
			return ch, nil
		}
		if err := writeScript(path, script); err != nil {
			return ch, err
		}
		ch.Action = Updated
	case kindForeign:
		if userExists {
			return ch, fmt.Errorf("install %s: %s is not git-milestone's and %s already exists: "+
				"move one of them away, then install again", name, path, user)
		}
		if err := os.Rename(path, user); err != nil {
			return ch, fmt.Errorf("install %s: keep the existing hook: %w", name, err)
		}
		if err := writeScript(path, script); err != nil {
			if rerr := os.Rename(user, path); rerr != nil {
				return ch, fmt.Errorf("install %s: %w (and putting the user's hook back failed: %v; it is at %s)", name, err, rerr, user)
			}
			return ch, err
		}
		ch.Action, ch.UserHook = Installed, user
	case kindDir:
		return ch, fmt.Errorf("install %s: %s is a folder", name, path)
	}
	return ch, nil
}

// Uninstall removes our scripts and puts back, by rename, the hooks the user
// had before Install (same bytes, same mode). Files that are not ours are
// never touched. When a hook manager owns the hooks, Report.Manager lists
// its lines, Present when the user's configuration still calls us.
func Uninstall(o Options) (Report, error) {
	dir, _, err := HooksDir(o)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Dir: dir, Manager: detectManager(o, dir)}
	for _, name := range hooks.Names() {
		path := filepath.Join(dir, name)
		user := path + hooks.UserSuffix
		ch := HookChange{Name: name, Path: path}
		k, _, _, err := inspect(path)
		if err != nil {
			return rep, err
		}
		userExists := exists(user)
		switch {
		case (k == kindOurs || k == kindMissing) && userExists:
			if err := os.Rename(user, path); err != nil {
				return rep, fmt.Errorf("uninstall %s: restore %s: %w", name, user, err)
			}
			ch.Action, ch.UserHook = Restored, path
		case k == kindOurs:
			if err := os.Remove(path); err != nil {
				return rep, fmt.Errorf("uninstall %s: %w", name, err)
			}
			ch.Action = Removed
		case k == kindMissing:
			ch.Action = Absent
		default:
			ch.Action = Kept
			if userExists {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s is not git-milestone's (another program "+
					"replaced it), so %s was left in place: it is your earlier hook; decide which one to keep", path, user))
			}
		}
		rep.Hooks = append(rep.Hooks, ch)
	}
	return rep, nil
}

// kind classifies a hook file.
type kind int

const (
	kindMissing kind = iota
	kindOurs
	kindForeign
	kindDir
)

// inspect reports what is at path, with its content and mode. A symbolic
// link counts by its target's content; a dangling one is foreign.
func inspect(path string) (kind, []byte, fs.FileMode, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return kindMissing, nil, 0, nil
	}
	if err != nil {
		return kindMissing, nil, 0, fmt.Errorf("hook %s: %w", path, err)
	}
	if fi.IsDir() {
		return kindDir, nil, fi.Mode(), nil
	}
	mode := fi.Mode()
	if fi.Mode()&fs.ModeSymlink != 0 {
		if st, err := os.Stat(path); err == nil {
			if st.IsDir() {
				return kindDir, nil, st.Mode(), nil
			}
			mode = st.Mode()
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return kindForeign, nil, mode, nil // dangling symbolic link
		}
		return kindMissing, nil, 0, fmt.Errorf("read hook %s: %w", path, err)
	}
	if IsOurs(b) {
		return kindOurs, b, mode, nil
	}
	return kindForeign, b, mode, nil
}

// IsOurs reports whether a hook file's content carries hooks.Marker at the
// start of a line.
func IsOurs(content []byte) bool {
	for len(content) > 0 {
		line := content
		if i := bytes.IndexByte(content, '\n'); i >= 0 {
			line, content = content[:i], content[i+1:]
		} else {
			content = nil
		}
		if bytes.HasPrefix(line, []byte(hooks.Marker)) {
			return true
		}
	}
	return false
}

// writeScript writes an executable script atomically (temp file + rename).
func writeScript(path, content string) error {
	return safefs.WriteFile(path, []byte(content), safefs.FileOptions{Perm: 0o755, Chmod: true})
}

// exists reports whether anything (even a dangling link) is at path.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// within reports whether path is root or inside it (both resolved as far as
// they exist).
func within(path, root string) bool {
	if root == "" {
		return false
	}
	p, r := realish(path), realish(root)
	rel, err := filepath.Rel(r, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// realish resolves symbolic links in the longest existing prefix of path.
func realish(path string) string {
	path = filepath.Clean(path)
	var rest []string
	for p := path; ; {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{r}, rest...)...)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return path
		}
		rest = append([]string{filepath.Base(p)}, rest...)
		p = parent
	}
}

// placeWarnings explains consequences of where the hooks folder is.
func placeWarnings(o Options, dir string, fromConfig bool) []string {
	if !fromConfig {
		return nil
	}
	var ws []string
	switch {
	case within(dir, o.CommonDir) || within(dir, o.GitDir):
	case within(dir, o.WorkTree):
		ws = append(ws, fmt.Sprintf("the hooks folder %s (core.hooksPath) is inside the work tree: "+
			"the installed scripts show up in git status until you commit or ignore them", dir))
		if !filepath.IsAbs(o.HooksPath) && hasLinkedWorktrees(o.CommonDir) {
			ws = append(ws, fmt.Sprintf("core.hooksPath %s is relative, so each worktree runs the hooks of "+
				"its own copy of that folder: install in each worktree too", o.HooksPath))
		}
	default:
		ws = append(ws, fmt.Sprintf("the hooks folder %s (core.hooksPath) is outside this repository: "+
			"every repository using it runs these hooks", dir))
	}
	return ws
}

// hasLinkedWorktrees reports whether the repository has linked worktrees.
func hasLinkedWorktrees(commonDir string) bool {
	es, err := os.ReadDir(filepath.Join(commonDir, "worktrees"))
	return err == nil && len(es) > 0
}

// binaryWarning says so when the hooks would find no git-milestone on PATH
// or another one than the running binary.
func binaryWarning(o Options) string {
	found, err := exec.LookPath("git-milestone")
	if err != nil {
		return "git-milestone is not on PATH: the hooks do nothing (and never block git) until it is"
	}
	if o.Binary != "" && !sameFile(found, o.Binary) {
		return fmt.Sprintf("the hooks run %s (first git-milestone on PATH), not %s", found, o.Binary)
	}
	return ""
}

// sameFile reports whether two paths name the same file.
func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// runGit runs git in dir with the inherited environment (inside a hook that
// includes GIT_INDEX_FILE and friends, which must be honoured) plus env,
// through gitrepo, with a time limit.
func runGit(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	return gitrepo.RunIn(ctx, dir, env, nil, args...)
}
