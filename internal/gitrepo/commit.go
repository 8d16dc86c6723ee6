package gitrepo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// identEnv is the environment that gives git exactly these identities.
func identEnv(author, committer Signature) map[string]string {
	return map[string]string{
		"GIT_AUTHOR_NAME": cleanIdent(author.Name), "GIT_AUTHOR_EMAIL": cleanIdent(author.Email),
		"GIT_AUTHOR_DATE":    fmt.Sprintf("@%d %s", author.When.Unix(), formatTZ(author.When)),
		"GIT_COMMITTER_NAME": cleanIdent(committer.Name), "GIT_COMMITTER_EMAIL": cleanIdent(committer.Email),
		"GIT_COMMITTER_DATE": fmt.Sprintf("@%d %s", committer.When.Unix(), formatTZ(committer.When)),
	}
}

// SignedCommit has git create and sign a commit object (`git commit-tree
// -S[keyID]`, the tree and its objects already stored), exactly as `git
// commit -S` signs: gpg.format (openpgp, ssh, x509), user.signingKey (when
// keyID is ""), gpg.program and gpg.ssh.program come from git's own
// configuration. It returns the new commit id; when signing fails the error
// carries git's reason (and no commit object was written).
func (r *Repo) SignedCommit(tree string, parents []string, author, committer Signature, message, keyID string) (string, error) {
	args := []string{"commit-tree", "-S" + keyID}
	for _, p := range parents {
		args = append(args, "-p", p)
	}
	args = append(args, tree)
	out, err := r.git(identEnv(author, committer), strings.NewReader(message), args...)
	if err != nil {
		return "", fmt.Errorf("sign the commit: %w", err)
	}
	id := strings.TrimSpace(string(out))
	if !isHexID(id) {
		return "", fmt.Errorf("sign the commit: git commit-tree printed %q", id)
	}
	return id, nil
}

// HookError is a hook that refused (exited non-zero), with what it printed.
type HookError struct {
	Hook   string
	Output string
	Err    error
}

func (e *HookError) Error() string {
	msg := fmt.Sprintf("the %s hook refused the commit (%v)", e.Hook, e.Err)
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += ":\n" + out
	}
	return msg + "\nnothing was committed"
}

func (e *HookError) Unwrap() error { return e.Err }

// RunHook runs the repository's hook name as git does (`git hook run
// --ignore-missing`: core.hooksPath honoured, run in the work tree), with
// indexFile as GIT_INDEX_FILE and the identities of the commit being made
// (none when author is the zero Signature), and returns what it printed (stdout and stderr). A hook that exits
// non-zero gives a *HookError.
func (r *Repo) RunHook(name, indexFile string, author, committer Signature, args ...string) (string, error) {
	env := map[string]string{}
	if author.Name != "" {
		env = identEnv(author, committer)
	}
	env["GIT_INDEX_FILE"] = indexFile
	env["GIT_EDITOR"] = ":"
	cmd := r.command(env, append([]string{"hook", "run", "--ignore-missing", name, "--"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "is not a git command") {
		// git older than 2.36: run the hook file as git would.
		path, perr := r.hookPath(name)
		if perr != nil {
			return "", perr
		}
		if fi, serr := os.Stat(path); serr != nil || fi.Mode()&0o111 == 0 {
			return "", nil // no such hook (or not executable: git skips it)
		}
		hook := r.command(env, args...)
		hook.Path, hook.Args = path, append([]string{path}, args...)
		out, err = hook.CombinedOutput()
	}
	if err != nil {
		return string(out), &HookError{Hook: name, Output: string(out), Err: err}
	}
	return string(out), nil
}

// hookPath is where git looks for hook name: core.hooksPath (relative to
// the work tree) or <common dir>/hooks.
func (r *Repo) hookPath(name string) (string, error) {
	dir, err := r.ConfigGet("core.hooksPath")
	if err != nil {
		return "", err
	}
	switch {
	case dir == "":
		dir = filepath.Join(r.CommonDir, "hooks")
	case strings.HasPrefix(dir, "~/"):
		dir = filepath.Join(r.getenv("HOME"), dir[2:])
	case !filepath.IsAbs(dir):
		dir = filepath.Join(r.WorkTree, dir)
	}
	return filepath.Join(dir, name), nil
}
