package hooks_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/hooks"
)

func TestScriptsShape(t *testing.T) {
	for _, name := range hooks.Names() {
		t.Run(name, func(t *testing.T) {
			s, ok := hooks.Script(name)
			if !ok {
				t.Fatalf("Script(%q) not found", name)
			}
			if !strings.HasPrefix(s, "#!/bin/sh\n") {
				t.Errorf("does not start with #!/bin/sh")
			}
			if !strings.Contains(s, "\n"+hooks.Marker+" ("+name+")") {
				t.Errorf("no marker line for %s", name)
			}
			for _, want := range []string{name + hooks.UserSuffix, hooks.CanaryEnv, "git-milestone hook " + name + ` "$@"`} {
				if !strings.Contains(s, want) {
					t.Errorf("does not mention %q", want)
				}
			}
			for _, other := range hooks.Names() {
				if other != name && strings.Contains(s, "hook "+other) {
					t.Errorf("mentions another hook %q", other)
				}
			}
			if strings.Contains(s, "\r") {
				t.Errorf("contains CR")
			}
			// POSIX syntax: dash (Debian's /bin/sh) parses it.
			if sh, err := exec.LookPath("dash"); err == nil {
				cmd := exec.Command(sh, "-n")
				cmd.Stdin = strings.NewReader(s)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("dash -n: %v: %s", err, out)
				}
			}
		})
	}
	if _, ok := hooks.Script("pre-push"); ok {
		t.Errorf("Script(pre-push) found")
	}
}

// env is a hook run's setting: a folder with the script, a stub
// git-milestone (or none) and an optional user hook.
type env struct {
	dir, bin, log string
}

// stub writes a git-milestone that logs "git-milestone ARGS" and its stdin,
// then exits with code.
func (e env) stub(t *testing.T, code string) {
	t.Helper()
	script := "#!/bin/sh\n{ printf 'git-milestone'; printf ' %s' \"$@\"; printf '\\n'; sed 's/^/  in: /'; } >>" +
		e.log + "\nexit " + code + "\n"
	if err := os.WriteFile(filepath.Join(e.bin, "git-milestone"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// user writes the user's hook beside ours: it logs "user ARGS", its stdin
// and its $0 folder, then exits with code.
func (e env) user(t *testing.T, name, code string, mode os.FileMode) {
	t.Helper()
	script := "#!/bin/sh\n{ printf 'user'; printf ' %s' \"$@\"; printf '\\n'; sed 's/^/  in: /'; " +
		"echo \"  dir: $(cd \"$(dirname \"$0\")\" && pwd)\"; } >>" + e.log + "\nexit " + code + "\n"
	if err := os.WriteFile(filepath.Join(e.dir, name+hooks.UserSuffix), []byte(script), mode); err != nil {
		t.Fatal(err)
	}
}

// run runs the named hook script as git would (by path, cwd elsewhere).
func (e env) run(t *testing.T, name, stdin string, extraEnv []string, args ...string) (code int, log []string) {
	t.Helper()
	s, _ := hooks.Script(name)
	path := filepath.Join(e.dir, name)
	if err := os.WriteFile(path, []byte(s), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + e.bin + ":/usr/bin:/bin"}, extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", name, err)
	}
	if len(out) > 0 {
		t.Errorf("hook printed %q", out)
	}
	if f, err := os.Open(e.log); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			log = append(log, sc.Text())
		}
	}
	return code, log
}

func newEnv(t *testing.T) env {
	t.Helper()
	d := t.TempDir()
	e := env{dir: filepath.Join(d, "hooks"), bin: filepath.Join(d, "bin"), log: filepath.Join(d, "log")}
	for _, p := range []string{e.dir, e.bin} {
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat("/usr/bin/git-milestone"); err == nil {
		t.Skip("a git-milestone is installed in /usr/bin; cannot test its absence")
	}
	return e
}

func TestChaining(t *testing.T) {
	type userHook struct {
		code string
		mode os.FileMode
	}
	tests := []struct {
		name     string
		hook     string
		stub     string // git-milestone exit code, "" = not on PATH
		user     *userHook
		args     []string
		stdin    string
		wantCode int
		wantLog  []string // "dir" lines are checked separately
	}{
		{name: "pre-commit alone", hook: "pre-commit", stub: "0", wantLog: []string{"git-milestone hook pre-commit"}},
		{name: "pre-commit verdict of ours", hook: "pre-commit", stub: "1", wantCode: 1,
			wantLog: []string{"git-milestone hook pre-commit"}},
		{name: "pre-commit no binary", hook: "pre-commit", wantCode: 0},
		{name: "pre-commit user ok then ours", hook: "pre-commit", stub: "0", user: &userHook{"0", 0o755},
			wantLog: []string{"user", "git-milestone hook pre-commit"}},
		{name: "pre-commit user refuses", hook: "pre-commit", stub: "0", user: &userHook{"1", 0o755}, wantCode: 1,
			wantLog: []string{"user"}},
		{name: "pre-commit user refuses no binary", hook: "pre-commit", user: &userHook{"3", 0o755}, wantCode: 3,
			wantLog: []string{"user"}},
		{name: "pre-commit user not executable is skipped like git does", hook: "pre-commit", stub: "0",
			user: &userHook{"1", 0o644}, wantLog: []string{"git-milestone hook pre-commit"}},
		{name: "post-checkout args", hook: "post-checkout", stub: "0", args: []string{"a", "b", "1"},
			wantLog: []string{"git-milestone hook post-checkout a b 1"}},
		{name: "post-checkout our failure never fails git", hook: "post-checkout", stub: "7", args: []string{"a", "b", "1"},
			wantLog: []string{"git-milestone hook post-checkout a b 1"}},
		{name: "post-checkout user status kept", hook: "post-checkout", stub: "0", user: &userHook{"4", 0o755},
			args: []string{"a", "b", "1"}, wantCode: 4,
			wantLog: []string{"user a b 1", "git-milestone hook post-checkout a b 1"}},
		{name: "post-merge no binary", hook: "post-merge", args: []string{"0"}},
		{name: "post-merge user and ours", hook: "post-merge", stub: "9", user: &userHook{"0", 0o755}, args: []string{"0"},
			wantLog: []string{"user 0", "git-milestone hook post-merge 0"}},
		{name: "post-rewrite stdin to ours", hook: "post-rewrite", stub: "0", args: []string{"amend"}, stdin: "o1 n1\no2 n2\n",
			wantLog: []string{"git-milestone hook post-rewrite amend", "  in: o1 n1", "  in: o2 n2"}},
		{name: "post-rewrite stdin to both", hook: "post-rewrite", stub: "5", user: &userHook{"2", 0o755},
			args: []string{"rebase"}, stdin: "o1 n1\n\n", wantCode: 2,
			wantLog: []string{"user rebase", "  in: o1 n1", "  in:", "git-milestone hook post-rewrite rebase", "  in: o1 n1", "  in:"}},
		{name: "post-rewrite user only", hook: "post-rewrite", user: &userHook{"0", 0o755}, args: []string{"amend"},
			stdin: "o n\n", wantLog: []string{"user amend", "  in: o n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.stub != "" {
				e.stub(t, tt.stub)
			}
			if tt.user != nil {
				e.user(t, tt.hook, tt.user.code, tt.user.mode)
			}
			code, log := e.run(t, tt.hook, tt.stdin, nil, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			var got []string
			for _, l := range log {
				if dir, ok := strings.CutPrefix(l, "  dir: "); ok {
					if want, _ := filepath.EvalSymlinks(e.dir); dir != want {
						t.Errorf("user hook ran from %s, want %s (the hooks folder)", dir, want)
					}
					continue
				}
				got = append(got, strings.TrimRight(l, " "))
			}
			if strings.Join(got, "\n") != strings.Join(tt.wantLog, "\n") {
				t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantLog, "\n"))
			}
		})
	}
}

func TestCanary(t *testing.T) {
	for _, name := range hooks.Names() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.stub(t, "1")
			e.user(t, name, "1", 0o755)
			canary := filepath.Join(t.TempDir(), "canary")
			code, log := e.run(t, name, "x y\n", []string{hooks.CanaryEnv + "=" + canary}, "a")
			if code != 0 || len(log) != 0 {
				t.Errorf("canary run: code %d, log %q: want 0 and nothing run", code, log)
			}
			b, err := os.ReadFile(canary)
			if want := name + " " + filepath.Join(e.bin, "git-milestone") + "\n"; err != nil || string(b) != want {
				t.Errorf("canary file %q, %v; want %q", b, err, want)
			}
		})
	}
}
