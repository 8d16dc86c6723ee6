package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/term"
)

// TestMain lets testscript run git-milestone as a real process (also as
// `git milestone`, since it lands on PATH).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"git-milestone": func() {
			dir, _ := os.Getwd()
			os.Exit(Main(os.Args, Env{
				Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Dir: dir,
				StdoutTTY: term.IsTerminal(int(os.Stdout.Fd())) || os.Getenv("FAKE_TTY") != "",
				StdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
				Now:       now,
			}))
		},
	})
}

// now honours GIT_MILESTONE_TEST_NOW so scripts can pin "today".
func now() time.Time {
	if v := os.Getenv("GIT_MILESTONE_TEST_NOW"); v != "" {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t
		}
	}
	return time.Now()
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, ".home")
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			e.Setenv("HOME", home)
			e.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			e.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			e.Setenv("GIT_AUTHOR_NAME", "Ana Tester")
			e.Setenv("GIT_AUTHOR_EMAIL", "ana@example.com")
			e.Setenv("GIT_COMMITTER_NAME", "Ana Tester")
			e.Setenv("GIT_COMMITTER_EMAIL", "ana@example.com")
			e.Setenv("NO_COLOR", "")
			for _, k := range []string{"PATH", "MILESTONE_TEST_DATABASE_URL", "CI"} {
				if v := os.Getenv(k); v != "" && k != "PATH" {
					e.Setenv(k, v)
				}
			}
			return nil
		},
	})
}
