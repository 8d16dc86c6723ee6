package githooks

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// binDir holds the test stand-in for git-milestone (testdata/hookbin),
// prepended to PATH for every test; basePath is PATH without it.
var binDir, basePath string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "githooks-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	// Build the stand-in first, with the caller's HOME (and so its Go build cache).
	binDir = filepath.Join(tmp, "bin")
	if err := os.Mkdir(binDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	build := exec.Command("go", "build", "-buildvcs=false", "-o", filepath.Join(binDir, "git-milestone"), "./testdata/hookbin")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build testdata/hookbin: %v\n%s", err, out)
		return 1
	}
	// A clean git environment: no global or system configuration (which
	// could set core.hooksPath or templates), no repository variables.
	global := filepath.Join(tmp, "gitconfig")
	if err := os.WriteFile(global, []byte("[user]\n\tname = Test\n\temail = test@example.com\n"+
		"[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR",
		"GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CEILING_DIRECTORIES", "GIT_TEMPLATE_DIR"} {
		os.Unsetenv(k)
	}
	os.Setenv("GIT_CONFIG_GLOBAL", global)
	os.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	os.Setenv("HOME", tmp)
	var keep []string
	for _, p := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(p, "git-milestone")); err == nil {
			continue // an installed git-milestone must not answer for the stand-in
		}
		keep = append(keep, p)
	}
	basePath = strings.Join(keep, string(filepath.ListSeparator))
	os.Setenv("PATH", binDir+string(filepath.ListSeparator)+basePath)
	return m.Run()
}

// git runs git in dir and returns its trimmed stdout; it fails the test on error.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := gitErrOut(dir, nil, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// gitErrOut runs git in dir with extra env; the error carries stderr.
func gitErrOut(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return strings.TrimSpace(stdout.String()), fmt.Errorf("%w: %s", err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// newRepo makes a repository with one commit and returns its work tree.
func newRepo(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	git(t, t.TempDir(), "init", "-q", dir)
	writeFile(t, filepath.Join(dir, "README"), "hello\n", 0o644)
	git(t, dir, "add", "README")
	git(t, dir, "commit", "-q", "-m", "init")
	return dir
}

// discover returns the Options of the repository containing dir.
func discover(t testing.TB, dir string) Options {
	t.Helper()
	o, err := Discover(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// hookLog points the stand-in's log at a fresh file and returns a reader of it.
func hookLog(t *testing.T) func() []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hook.log")
	t.Setenv("HOOKBIN_LOG", path)
	return func() []string {
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	}
}

// snapshot describes every file under dir: name, mode, content.
func snapshot(t testing.TB, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		line := fmt.Sprintf("%s %v", rel, fi.Mode())
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %q", b)
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// commit stages path with content and commits; it returns git's error.
func commit(t *testing.T, dir, path, content string) error {
	t.Helper()
	writeFile(t, filepath.Join(dir, path), content, 0o644)
	git(t, dir, "add", "--", path)
	_, err := gitErrOut(dir, nil, "commit", "-q", "-m", "change "+path)
	return err
}
