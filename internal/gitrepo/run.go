package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// RunIn runs `git args...` in dir with this process's environment as it
// is, plus env ("K=V" strings), and returns its stdout; the error carries
// git's stderr. It is for code that runs inside a git hook, where the
// variables git set for the hook (GIT_DIR, GIT_INDEX_FILE of a partial
// commit, ...) must be honoured as they are; code working on an opened
// Repo uses its methods, which set those variables deliberately.
func RunIn(ctx context.Context, dir string, env []string, stdin io.Reader, args ...string) ([]byte, error) {
	var stdout bytes.Buffer
	err := StreamIn(ctx, dir, env, stdin, func(r io.Reader) error {
		_, err := io.Copy(&stdout, r)
		return err
	}, args...)
	return stdout.Bytes(), err
}

// StreamIn is RunIn with git's stdout read by read while git runs; read
// must consume it to the end (or return an error).
func StreamIn(ctx context.Context, dir string, env []string, stdin io.Reader, read func(io.Reader) error, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	rerr := read(stdout)
	if rerr != nil {
		_, _ = io.Copy(io.Discard, stdout)
	}
	if err := cmd.Wait(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return fmt.Errorf("git %s: %s: %w", strings.Join(args, " "), msg, err)
	}
	return rerr
}
