package gitrepo

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// repoEnvNames are variables that would point a child git elsewhere than
// this repository; they are replaced by ours.
var repoEnvNames = map[string]bool{
	"GIT_DIR": true, "GIT_WORK_TREE": true, "GIT_INDEX_FILE": true, "GIT_COMMON_DIR": true,
	"GIT_OBJECT_DIRECTORY": true, "GIT_NAMESPACE": true, "GIT_PREFIX": true,
}

// git runs the git CLI on this repository. env overrides the process
// environment (an empty value removes the variable); stdin may be nil.
// The error carries git's stderr.
func (r *Repo) git(env map[string]string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := r.command(env, args...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return stdout.Bytes(), fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return stdout.Bytes(), &gitError{args: args, stderr: msg, err: err}
	}
	return stdout.Bytes(), nil
}

// command prepares `git args...` on this repository, run in the work tree.
// The variables that locate a repository are set deliberately to this
// Repo's directories (GIT_DIR, GIT_WORK_TREE, GIT_COMMON_DIR,
// GIT_OBJECT_DIRECTORY, GIT_INDEX_FILE, the last unless env gives another
// index) and GIT_NAMESPACE and GIT_PREFIX are cleared, whatever the
// process environment says; env overrides the rest of the environment (an
// empty value removes a variable).
func (r *Repo) command(env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.WorkTree
	base := os.Environ()
	out := make([]string, 0, len(base)+4)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if repoEnvNames[k] {
			continue
		}
		if _, over := env[k]; over {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range env {
		if v != "" && !repoEnvNames[k] {
			out = append(out, k+"="+v)
		}
	}
	out = append(out, "GIT_DIR="+r.GitDir, "GIT_WORK_TREE="+r.WorkTree, "GIT_COMMON_DIR="+r.CommonDir)
	if r.ObjectDir != "" {
		out = append(out, "GIT_OBJECT_DIRECTORY="+r.ObjectDir)
	}
	index := r.IndexFile
	if f := env["GIT_INDEX_FILE"]; f != "" {
		index = f
	}
	if index != "" {
		out = append(out, "GIT_INDEX_FILE="+index)
	}
	cmd.Env = out
	return cmd
}

// gitError is a failed git command with its stderr.
type gitError struct {
	args   []string
	stderr string
	err    error
}

func (e *gitError) Error() string {
	return fmt.Sprintf("git %s: %s", strings.Join(e.args, " "), e.stderr)
}

func (e *gitError) Unwrap() error { return e.err }
