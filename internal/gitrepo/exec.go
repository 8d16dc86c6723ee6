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
	out = append(out, "GIT_DIR="+r.GitDir, "GIT_WORK_TREE="+r.WorkTree)
	if f := env["GIT_INDEX_FILE"]; f != "" {
		out = append(out, "GIT_INDEX_FILE="+f)
	}
	cmd.Env = out
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
