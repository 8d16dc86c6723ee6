package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/git-milestone/git-milestone/internal/pgtest"
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
				StdoutTTY:     term.IsTerminal(int(os.Stdout.Fd())) || os.Getenv("FAKE_TTY") != "",
				StdinTTY:      term.IsTerminal(int(os.Stdin.Fd())) || os.Getenv("FAKE_TTY_IN") != "",
				StderrTTY:     os.Getenv("FAKE_TTY_IN") != "", // a person at a terminal answers prompts
				Now:           now,
				MigrationStep: crashAfter,
				LookupEnv:     os.LookupEnv,
			}))
		},
	})
}

// crashAfter kills the process (SIGKILL) right after the migration step
// GIT_MILESTONE_MIGRATE_CRASH_AFTER names: fault injection that exists in
// the test binary only.
func crashAfter(step int) {
	if v := os.Getenv("GIT_MILESTONE_MIGRATE_CRASH_AFTER"); v != "" && v == strconv.Itoa(step) {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Second)
	}
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
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"seed-db": scriptSeedDB,
		},
		Condition: func(cond string) (bool, error) {
			if cond == "pg" {
				return os.Getenv(pgtest.EnvVar) != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
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
			// Scripts named postgres_* or migrate_* get a database of
			// their own in DATABASE_URL, dropped afterwards.
			if name := filepath.Base(e.WorkDir); strings.HasPrefix(name, "script-postgres") || strings.HasPrefix(name, "script-migrate") {
				base := os.Getenv(pgtest.EnvVar)
				if base == "" {
					if os.Getenv("MILESTONE_REQUIRE_POSTGRES") != "" {
						return fmt.Errorf("PostgreSQL scripts are required but %s is not set", pgtest.EnvVar)
					}
					e.Setenv("PG_SKIP", "PostgreSQL scripts skipped: "+pgtest.Hint)
					return nil
				}
				name, err := pgtest.Create(base, "gm_script")
				if err != nil {
					return err
				}
				e.Defer(func() { pgtest.Drop(base, name) })
				e.Setenv("DATABASE_URL", pgtest.WithDatabase(base, name))
			}
			return nil
		},
	})
}
