// Package gittest builds throw-away git repositories for tests and runs the
// real git CLI on them. Call Isolate from TestMain so neither the machine's
// nor the user's git configuration leaks into tests.
package gittest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Isolate points HOME and XDG_CONFIG_HOME at empty temporary directories,
// sets GIT_CONFIG_NOSYSTEM=1 and clears variables that would redirect git
// (GIT_DIR, GIT_INDEX_FILE, identities, ...). It returns a cleanup func.
// Call it from TestMain, before any test runs.
func Isolate() (cleanup func()) {
	home, err := os.MkdirTemp("", "gittest-home-")
	if err != nil {
		panic(err)
	}
	xdg := filepath.Join(home, "xdg")
	os.MkdirAll(xdg, 0o777)
	os.Setenv("HOME", home)
	os.Setenv("XDG_CONFIG_HOME", xdg)
	os.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "GIT_CONFIG_NOSYSTEM", k == "GIT_EXEC_PATH":
		case strings.HasPrefix(k, "GIT_"), k == "EMAIL":
			os.Unsetenv(k)
		}
	}
	return func() { os.RemoveAll(home) }
}

// Git runs git in dir and returns its trimmed stdout; it fails the test on
// error. Extra environment can be given as "K=V" strings after "--env".
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := Run(dir, nil, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimRight(out, "\n")
}

// Run runs git in dir with extra environment and returns stdout; the error
// includes stderr.
func Run(dir string, env []string, args ...string) (string, error) {
	return RunInput(dir, env, "", args...)
}

// RunInput is Run with stdin.
func RunInput(dir string, env []string, stdin string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &runError{err: err, stderr: stderr.String()}
	}
	return stdout.String(), nil
}

type runError struct {
	err    error
	stderr string
}

func (e *runError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }

// Init creates a repository with branch main and a local identity
// (Tester <tester@example.com>) in a new temporary directory.
func Init(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	Git(t, dir, "init", "-q", "-b", "main")
	Git(t, dir, "config", "user.name", "Tester")
	Git(t, dir, "config", "user.email", "tester@example.com")
	return dir
}

// WriteFile writes a work-tree file, creating directories.
func WriteFile(t testing.TB, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
}

// Commit writes files (path -> content), adds them and commits.
func Commit(t testing.TB, dir, msg string, files map[string]string) string {
	t.Helper()
	for p, c := range files {
		WriteFile(t, dir, p, c)
		Git(t, dir, "add", "--", p)
	}
	Git(t, dir, "commit", "-q", "--allow-empty", "-m", msg)
	return Git(t, dir, "rev-parse", "HEAD")
}
