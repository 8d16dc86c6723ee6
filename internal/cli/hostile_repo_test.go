package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileRow plants one hostile entry under .milestones/ in a real
// repository (committed with `git add -f` when git can store it), runs one
// command, and checks that nothing outside the repository changed and that
// the command's exit code and message are clear.
type hostileRow struct {
	name  string
	plant func(t *testing.T, h *hostileRepo)
	args  []string
	code  map[string]int    // exit code by mode; "" is the default
	msg   map[string]string // a substring of stderr by mode; "" is the default
}

// leaked is the title of a document planted outside the repository: no
// command may ever show it.
const leaked = "LEAKED-FROM-OUTSIDE"

// hostileRepo is one repository with a victim file and a victim folder
// outside it.
type hostileRepo struct {
	mode, dir, victim, victimDir string
}

func (h *hostileRepo) path(rel string) string { return filepath.Join(h.dir, filepath.FromSlash(rel)) }

// link replaces rel by a symbolic link to target and commits it.
func (h *hostileRepo) link(t *testing.T, rel, target string) {
	t.Helper()
	os.RemoveAll(h.path(rel))
	os.MkdirAll(filepath.Dir(h.path(rel)), 0o755)
	if err := os.Symlink(target, h.path(rel)); err != nil {
		t.Fatal(err)
	}
	h.commit(t, rel)
}

func (h *hostileRepo) commit(t *testing.T, rel string) {
	t.Helper()
	gitIn(t, h.dir, "add", "-A", "-f", "--", rel)
	gitIn(t, h.dir, "commit", "-q", "--no-verify", "-m", "plant "+rel)
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// runMain runs the command line in dir and returns its exit code and
// stderr. A command that hangs (a fifo opened for reading) fails the test.
func runMain(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(append([]string{"git-milestone"}, args...), Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
			Getenv: os.Getenv, Dir: dir, Now: time.Now})
	}()
	select {
	case code := <-done:
		return code, stdout.String(), stderr.String()
	case <-time.After(60 * time.Second):
		t.Fatalf("git milestone %v hangs", args)
	}
	return 0, "", ""
}

// treeHash is a digest of every name, mode and content under dir.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		info, _ := d.Info()
		h.Write([]byte(rel + "\x00" + d.Type().String() + "\x00"))
		if info != nil && info.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

func newHostileRepo(t *testing.T, mode string) *hostileRepo {
	t.Helper()
	base := t.TempDir()
	h := &hostileRepo{mode: mode, dir: filepath.Join(base, "repo"), victim: filepath.Join(base, "victim.txt"), victimDir: filepath.Join(base, "victim-dir")}
	if err := os.WriteFile(h.victim, []byte("precious content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(h.victimDir, "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(h.victimDir, "inner", "keep.txt"), []byte("keep\n"), 0o644)
	os.WriteFile(filepath.Join(h.victimDir, "leak.yaml"), []byte("title: "+leaked+"\nstatus: completed\n"), 0o644)
	gitIn(t, base, "init", "-q", "-b", "main", h.dir)
	gitIn(t, h.dir, "commit", "-q", "--allow-empty", "-m", "root")
	args := []string{"init", "--backend", mode}
	if mode == "database" {
		args = append(args, "--database-type", "sqlite")
	}
	if code, _, stderr := runMain(t, h.dir, args...); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	if code, _, stderr := runMain(t, h.dir, "create", "Public beta", "--id", "beta"); code != 0 {
		t.Fatalf("create: %d %s", code, stderr)
	}
	return h
}

func hostileEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_AUTHOR_NAME", "Ana Tester")
	t.Setenv("GIT_AUTHOR_EMAIL", "ana@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "Ana Tester")
	t.Setenv("GIT_COMMITTER_EMAIL", "ana@example.com")
	t.Setenv("DATABASE_URL", "")
	t.Setenv("DATABASE_TYPE", "")
}

func TestHostileRepository(t *testing.T) {
	hostileEnv(t)
	const refused = "is a symbolic link, not a"
	rows := []hostileRow{
		{name: "milestone lock links to a file",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/locks/beta.lock", h.victim) },
			args:  []string{"update", "beta", "--priority", "high"},
			code:  map[string]int{"": ExitRefused, "database": ExitOK},
			msg:   map[string]string{"": ".milestones/locks/beta.lock " + refused, "database": ""}},
		{name: "dangling milestone lock",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/locks/beta.lock", h.victim+".new") },
			args:  []string{"update", "beta", "--priority", "high"},
			code:  map[string]int{"": ExitRefused, "database": ExitOK},
			msg:   map[string]string{"": ".milestones/locks/beta.lock " + refused, "database": ""}},
		{name: "migration lock links to a file",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/locks/migration.lock", h.victim) },
			args:  []string{"update", "beta", "--priority", "high"},
			code:  map[string]int{"": ExitRefused},
			msg:   map[string]string{"": ".milestones/locks/migration.lock " + refused}},
		{name: "migration lock and migrate",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/locks/migration.lock", h.victim) },
			args:  []string{"migrate", "--to", "file"},
			code:  map[string]int{"": ExitRefused, "file": ExitOK},
			msg:   map[string]string{"": ".milestones/locks/migration.lock " + refused, "file": ""}},
		{name: "migration lock and import",
			plant: func(t *testing.T, h *hostileRepo) {
				h.link(t, ".milestones/locks/migration.lock", h.victim)
				if err := os.WriteFile(h.path("in.json"), []byte(`[{"id":"gamma","title":"Gamma","status":"planned","priority":"low"}]`), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			args: []string{"import", "--from", "json", "in.json"},
			code: map[string]int{"": ExitRefused},
			msg:  map[string]string{"": ".milestones/locks/migration.lock " + refused}},
		{name: "locks folder links outside",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/locks", h.victimDir) },
			args:  []string{"update", "beta", "--priority", "high"},
			code:  map[string]int{"": ExitRefused},
			msg:   map[string]string{"": ".milestones/locks " + refused}},
		{name: "event log links to a file",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/logs/storage-events.jsonl", h.victim) },
			args:  []string{"create", "Second"},
			code:  map[string]int{"": ExitOK},
			msg:   map[string]string{"": "storage-events.jsonl " + refused}},
		{name: "logs folder links outside",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/logs", h.victimDir) },
			args:  []string{"create", "Second"},
			code:  map[string]int{"": ExitOK},
			msg:   map[string]string{"": ".milestones/logs " + refused}},
		{name: "index lock dangling",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/index.db.lock", h.victim+".new") },
			args:  []string{"list", "--all"},
			code:  map[string]int{"": ExitOK},
			msg:   map[string]string{"": "", "hybrid": ".milestones/index.db.lock " + refused}},
		{name: "index links to a file",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/index.db", h.victim) },
			args:  []string{"list", "--all"},
			code:  map[string]int{"": ExitOK},
			msg:   map[string]string{"": "", "hybrid": ".milestones/index.db " + refused}},
		{name: "index wal links to a file",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/index.db-wal", h.victim) },
			args:  []string{"create", "Second"},
			code:  map[string]int{"": ExitOK},
			msg:   map[string]string{"": "", "hybrid": ".milestones/index.db-wal " + refused}},
		{name: "enterprise database links to a file",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/enterprise.db", h.victim) },
			args:  []string{"list", "--all"},
			code:  map[string]int{"": ExitOK, "database": ExitRefused},
			msg:   map[string]string{"": "", "database": ".milestones/enterprise.db " + refused}},
		{name: "config links to a file",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/config/storage-config.yaml", h.victim) },
			args:  []string{"list"},
			code:  map[string]int{"": ExitRefused},
			msg:   map[string]string{"": ".milestones/config/storage-config.yaml " + refused}},
		{name: "backend file links to a file",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/config/storage-backend.txt", h.victim) },
			args:  []string{"create", "Second"},
			code:  map[string]int{"": ExitRefused},
			msg:   map[string]string{"": ".milestones/config/storage-backend.txt " + refused}},
		{name: "backups folder links outside",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/backups", h.victimDir) },
			args:  []string{"migrate", "--to", "hybrid"},
			code:  map[string]int{"": ExitRefused, "hybrid": ExitOK},
			msg:   map[string]string{"": ".milestones/backups " + refused, "hybrid": ""}},
		{name: "cache folder links outside",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/cache", h.victimDir) },
			args:  []string{"update", "beta", "--priority", "high"},
			code:  map[string]int{"": ExitOK},
			msg:   map[string]string{"": ""}},
		// A listing that could not read a document is incomplete: exit 1
		// (the database backend reads no document file).
		{name: "document links to a file",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/active/evil.yaml", h.victim) },
			args:  []string{"list"},
			code:  map[string]int{"": ExitFailed, "database": ExitOK},
			msg:   map[string]string{"": ".milestones/active/evil.yaml " + refused, "database": ""}},
		{name: "completed folder links outside",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/completed", h.victimDir) },
			args:  []string{"list", "--all"},
			code:  map[string]int{"": ExitFailed, "database": ExitOK},
			msg:   map[string]string{"": ".milestones/completed " + refused, "database": ""}},
		{name: "completed folder links outside, diff",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/completed", h.victimDir) },
			args:  []string{"diff"},
			code:  map[string]int{"": ExitRefused},
			msg:   map[string]string{"": ".milestones/completed " + refused}},
		{name: "completed folder links outside, show",
			plant: func(t *testing.T, h *hostileRepo) { h.link(t, ".milestones/completed", h.victimDir) },
			args:  []string{"show", "leak"},
			code:  map[string]int{"": ExitFailed},
			msg:   map[string]string{"": `no milestone "leak"`}},
		{name: ".milestones links outside",
			plant: func(t *testing.T, h *hostileRepo) {
				// The real folder moves into the victim folder; the repository
				// keeps a link to it.
				dst := filepath.Join(h.victimDir, "ms")
				if err := os.Rename(h.path(".milestones"), dst); err != nil {
					t.Fatal(err)
				}
				gitIn(t, h.dir, "rm", "-r", "-q", "--cached", ".milestones")
				h.link(t, ".milestones", dst)
			},
			args: []string{"create", "Refused"},
			code: map[string]int{"": ExitRefused},
			msg:  map[string]string{"": ".milestones " + refused}},
		{name: "document is a fifo",
			plant: func(t *testing.T, h *hostileRepo) {
				os.Remove(h.path(".milestones/active/beta.yaml"))
				if err := syscall.Mkfifo(h.path(".milestones/active/beta.yaml"), 0o644); err != nil {
					t.Skip(err)
				}
			},
			args: []string{"list"},
			code: map[string]int{"": ExitFailed, "database": ExitOK},
			msg:  map[string]string{"": ".milestones/active/beta.yaml is a named pipe", "database": ""}},
		{name: "lock is a fifo",
			plant: func(t *testing.T, h *hostileRepo) {
				os.MkdirAll(h.path(".milestones/locks"), 0o755)
				if err := syscall.Mkfifo(h.path(".milestones/locks/migration.lock"), 0o644); err != nil {
					t.Skip(err)
				}
			},
			args: []string{"update", "beta", "--priority", "low"},
			code: map[string]int{"": ExitRefused},
			msg:  map[string]string{"": ".milestones/locks/migration.lock is a named pipe"}},
		{name: "huge sparse document",
			plant: func(t *testing.T, h *hostileRepo) {
				if err := os.Truncate(h.path(".milestones/active/beta.yaml"), 5<<30); err != nil {
					t.Skip(err)
				}
			},
			args: []string{"list"},
			code: map[string]int{"": ExitFailed, "database": ExitOK},
			msg:  map[string]string{"": ".milestones/active/beta.yaml: the document is over the limit", "database": ""}},
		{name: "huge sparse config",
			plant: func(t *testing.T, h *hostileRepo) {
				if err := os.Truncate(h.path(".milestones/config/storage-config.yaml"), 5<<30); err != nil {
					t.Skip(err)
				}
			},
			args: []string{"list"},
			code: map[string]int{"": ExitRefused},
			msg:  map[string]string{"": ".milestones/config/storage-config.yaml: the file is over the limit"}},
		{name: "unreadable document",
			plant: func(t *testing.T, h *hostileRepo) {
				if os.Geteuid() == 0 {
					t.Skip("root reads everything")
				}
				os.Chmod(h.path(".milestones/active/beta.yaml"), 0)
			},
			args: []string{"show", "beta"},
			code: map[string]int{"": ExitFailed, "database": ExitOK},
			msg:  map[string]string{"": "permission denied", "database": ""}},
	}
	for _, mode := range []string{"file", "hybrid", "database"} {
		for _, row := range rows {
			t.Run(mode+"/"+row.name, func(t *testing.T) {
				h := newHostileRepo(t, mode)
				before := treeHash(t, h.victimDir)
				row.plant(t, h)
				plantedDir := treeHash(t, h.victimDir)
				code, stdout, stderr := runMain(t, h.dir, row.args...)
				if strings.Contains(stdout+stderr, leaked) {
					t.Errorf("a document outside the repository was read:\n%s%s", stdout, stderr)
				}
				want, ok := row.code[mode]
				if !ok {
					want = row.code[""]
				}
				msg, ok := row.msg[mode]
				if !ok {
					msg = row.msg[""]
				}
				if code != want {
					t.Errorf("git milestone %v: exit %d, want %d\nstderr: %s", row.args, code, want, stderr)
				}
				if msg != "" && !strings.Contains(stderr, msg) {
					t.Errorf("stderr lacks %q:\n%s", msg, stderr)
				}
				if b, err := os.ReadFile(h.victim); err != nil || string(b) != "precious content\n" {
					t.Errorf("the victim file changed: %q %v", b, err)
				}
				if _, err := os.Lstat(h.victim + ".new"); err == nil {
					t.Errorf("a file was created outside the repository through a dangling link")
				}
				if got := treeHash(t, h.victimDir); got != plantedDir {
					_ = before
					t.Errorf("the victim folder changed")
				}
			})
		}
	}
}

func TestFsckListsAndRepairsSpecialEntries(t *testing.T) {
	hostileEnv(t)
	h := newHostileRepo(t, "hybrid")
	h.link(t, ".milestones/locks/beta.lock", h.victim)
	h.link(t, ".milestones/logs", h.victimDir)
	h.link(t, ".milestones/cache", h.victimDir)
	h.link(t, ".milestones/x-notes", h.victim)
	if err := syscall.Mkfifo(h.path(".milestones/locks/pipe.lock"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runMain(t, h.dir, "fsck")
	if code != ExitFailed {
		t.Errorf("fsck: exit %d, want %d", code, ExitFailed)
	}
	for _, want := range []string{".milestones/locks/beta.lock is a symbolic link", ".milestones/logs is a symbolic link",
		".milestones/cache is a symbolic link", ".milestones/x-notes is a symbolic link", ".milestones/locks/pipe.lock is a named pipe"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("fsck output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = runMain(t, h.dir, "fsck", "--repair")
	if code != ExitFailed { // x-notes is not the tool's to remove
		t.Errorf("fsck --repair: exit %d, want %d\n%s", code, ExitFailed, stdout)
	}
	// A committed link is the user's to remove from git too: repair says how.
	if want := "it is committed: `git rm --cached .milestones/locks/beta.lock`"; !strings.Contains(stdout, want) {
		t.Errorf("fsck --repair output lacks %q:\n%s", want, stdout)
	}
	if strings.Contains(stdout, "pipe.lock: a named pipe: removed from the work tree") {
		t.Errorf("fsck --repair calls an uncommitted fifo committed:\n%s", stdout)
	}
	for _, gone := range []string{".milestones/locks/beta.lock", ".milestones/logs", ".milestones/cache", ".milestones/locks/pipe.lock"} {
		if _, err := os.Lstat(h.path(gone)); err == nil {
			t.Errorf("fsck --repair left %s", gone)
		}
	}
	if _, err := os.Lstat(h.path(".milestones/x-notes")); err != nil {
		t.Errorf("fsck --repair removed a committed link outside the ignored folders: %v", err)
	}
	if b, _ := os.ReadFile(h.victim); string(b) != "precious content\n" {
		t.Errorf("victim changed")
	}
	if _, err := os.Stat(filepath.Join(h.victimDir, "inner", "keep.txt")); err != nil {
		t.Errorf("the victim folder lost a file: %v", err)
	}
}

// TestInitRefusesLinkedMilestones: a fresh clone whose .milestones is a
// link: init (and any other command) refuses it and writes nothing
// anywhere, not even an event.
func TestInitRefusesLinkedMilestones(t *testing.T) {
	hostileEnv(t)
	base := t.TempDir()
	dir, outside := filepath.Join(base, "repo"), filepath.Join(base, "outside")
	os.MkdirAll(outside, 0o755)
	gitIn(t, base, "init", "-q", "-b", "main", dir)
	if err := os.Symlink(outside, filepath.Join(dir, ".milestones")); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "add", ".milestones")
	gitIn(t, dir, "commit", "-q", "-m", "hostile")
	for _, mode := range []string{"file", "hybrid", "database"} {
		code, _, stderr := runMain(t, dir, "init", "--backend", mode)
		if code != ExitRefused || !strings.Contains(stderr, ".milestones is a symbolic link") {
			t.Errorf("init --backend %s: exit %d, stderr %s", mode, code, stderr)
		}
	}
	if code, _, _ := runMain(t, dir, "create", "X"); code == ExitOK {
		t.Errorf("create succeeded")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("written through the link: %v", ents)
	}
}
