package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/git-milestone/git-milestone/internal/pgtest"
)

// killRepo is a repository whose migrations a test kills with SIGKILL.
type killRepo struct {
	t   *testing.T
	dir string
	env []string
	url string
	key string
}

func (k *killRepo) cmd(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Dir, c.Env = k.dir, k.env
	return c
}

// run runs a command to its end and returns stdout, stderr and the exit code.
func (k *killRepo) run(name string, args ...string) (string, string, int) {
	c := k.cmd(name, args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		k.t.Fatalf("%s %v: %v", name, args, err)
	}
	return out.String(), errb.String(), 0
}

func (k *killRepo) must(name string, args ...string) string {
	k.t.Helper()
	out, errs, code := k.run(name, args...)
	if code != 0 {
		k.t.Fatalf("%s %s: exit %d\n%s%s", name, strings.Join(args, " "), code, out, errs)
	}
	return out
}

// rows counts this project's milestones in the PostgreSQL database.
func (k *killRepo) rows() int {
	k.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, k.url)
	if err != nil {
		k.t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	// The table exists once a migration has opened the database.
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM milestones WHERE project = $1`, k.key).Scan(&n); err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return 0
		}
		k.t.Fatal(err)
	}
	return n
}

// TestMigrateKill9 kills `migrate --to database` (PostgreSQL) and
// `migrate --to file` with SIGKILL at many moments (after fixed delays, and
// the instant .git/index.lock, the branch's ref lock or the journal
// appears) and checks after each kill: every milestone is there, exactly
// one backend is live (the other holds none of this project's rows),
// `fsck` is clean or `fsck --repair` makes it so, the work tree is clean,
// and a second migrate completes.
func TestMigrateKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills many migrations: not in -short")
	}
	url := pgtest.NewDatabase(t, "gm_kill")
	dir := t.TempDir()
	home := filepath.Join(dir, ".home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(dir, "repo")
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ana", "GIT_AUTHOR_EMAIL=ana@example.com", "GIT_COMMITTER_NAME=Ana", "GIT_COMMITTER_EMAIL=ana@example.com",
		"DATABASE_URL="+url, "GIT_MILESTONE_MIGRATE_CRASH_AFTER=")
	k := &killRepo{t: t, dir: dir, env: env, url: url}
	k.must("git", "init", "-q", "-b", "main", repo)
	k.dir = repo
	k.must("git", "commit", "-q", "--allow-empty", "-m", "root")
	k.must("git-milestone", "init", "--backend", "file")
	for i := 1; i <= 40; i++ {
		k.must("git-milestone", "create", fmt.Sprintf("Milestone %d", i), "--id", fmt.Sprintf("m%02d", i),
			"--label", "l", "--description", strings.Repeat("text ", 50))
	}
	want := k.must("git-milestone", "list", "--all", "--json")
	k.key = strings.TrimSpace(k.must("git", "rev-list", "--max-parents=0", "HEAD"))

	type trigger struct {
		delay time.Duration
		file  string // kill when this file (relative to .git/) exists
		moved bool   // ... or, with file, when its content changes (the branch moved)
	}
	var triggers []trigger
	for _, ms := range []int{0, 2, 5, 10, 20, 30, 45, 60, 80, 100, 130, 160, 200, 250, 320, 400} {
		triggers = append(triggers, trigger{delay: time.Duration(ms) * time.Millisecond})
	}
	for _, f := range []string{"milestone-migration.json", "index.lock", "refs/heads/main.lock"} {
		triggers = append(triggers, trigger{file: f}, trigger{file: f})
	}
	for i := 0; i < 4; i++ {
		triggers = append(triggers, trigger{file: "refs/heads/main", moved: true})
	}
	killed := 0
	for i, tr := range triggers {
		backend := strings.TrimSpace(k.must("cat", ".milestones/config/storage-backend.txt"))
		args := []string{"migrate", "--to", "database", "--database-type", "postgresql", "--yes"}
		to := "database"
		if backend == "database" {
			args, to = []string{"migrate", "--to", "file"}, "file"
		}
		c := k.cmd("git-milestone", args...)
		var errb bytes.Buffer
		c.Stderr = &errb
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		var err error
		if tr.file == "" {
			select {
			case err = <-done:
			case <-time.After(tr.delay):
				c.Process.Signal(syscall.SIGKILL)
				err = <-done
			}
		} else {
			path := filepath.Join(repo, ".git", tr.file)
			before, _ := os.ReadFile(path)
		poll:
			for {
				select {
				case err = <-done:
					break poll
				default:
				}
				if now, serr := os.ReadFile(path); serr == nil && (!tr.moved || !bytes.Equal(now, before)) {
					c.Process.Signal(syscall.SIGKILL)
					err = <-done
					break
				}
				time.Sleep(50 * time.Microsecond)
			}
		}
		what := fmt.Sprintf("#%d %s -> %s (delay %s, file %q, moved %v)", i, backend, to, tr.delay, tr.file, tr.moved)
		if err != nil {
			if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
				t.Fatalf("%s: migrate failed on its own: %v\n%s", what, err, errb.String())
			}
			killed++
			t.Logf("%s: killed", what)
		}
		// Every milestone is there, whatever moment the kill hit.
		if got := k.must("git-milestone", "list", "--all", "--json"); got != want {
			t.Fatalf("%s: list after the kill differs:\n%s\nwant:\n%s", what, got, want)
		}
		// fsck is clean, or --repair finishes the interrupted step.
		if out, _, code := k.run("git-milestone", "fsck"); code != 0 {
			if !strings.Contains(out, "interrupted migration") {
				t.Fatalf("%s: fsck after the kill: exit %d:\n%s", what, code, out)
			}
			_, rep, _ := k.run("git-milestone", "fsck", "--repair")
			t.Logf("%s: fsck --repair: %s", what, strings.TrimSpace(rep))
			if out, errs, code := k.run("git-milestone", "fsck"); code != 0 {
				t.Fatalf("%s: fsck after --repair: exit %d:\n%s%s", what, code, out, errs)
			}
		}
		if st := k.must("git", "status", "--porcelain"); st != "" {
			t.Fatalf("%s: work tree not clean after the kill and repair:\n%s", what, st)
		}
		// Exactly one backend is live: the other holds nothing of this project.
		live := strings.TrimSpace(k.must("git", "show", "HEAD:.milestones/config/storage-backend.txt"))
		if wt := strings.TrimSpace(k.must("cat", ".milestones/config/storage-backend.txt")); wt != live {
			t.Fatalf("%s: work tree says backend %s, HEAD says %s", what, wt, live)
		}
		files := k.must("git", "ls-files", ".milestones/active", ".milestones/completed")
		nfiles := strings.Count(files, ".yaml")
		switch live {
		case "database":
			if n := k.rows(); n != 40 || nfiles != 0 {
				t.Fatalf("%s: database live with %d rows and %d tracked files", what, n, nfiles)
			}
		case "file":
			if n := k.rows(); n != 0 || nfiles != 40 {
				t.Fatalf("%s: file backend live with %d tracked files, and %d rows left in PostgreSQL", what, nfiles, n)
			}
		default:
			t.Fatalf("%s: backend %q", what, live)
		}
		// A second migrate completes.
		if live != to {
			k.must("git-milestone", args...)
			if got := k.must("git-milestone", "list", "--all", "--json"); got != want {
				t.Fatalf("%s: list after the second migrate differs", what)
			}
			k.must("git-milestone", "fsck")
		}
	}
	if killed < len(triggers)/4 {
		t.Errorf("only %d of %d migrations were killed before they finished: the triggers miss the migration", killed, len(triggers))
	}
	t.Logf("%d of %d migrations killed mid-way", killed, len(triggers))
}
