package lock_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/safefs"
)

// at splits an absolute lock path into its folder's tree and its name.
func at(path string) (safefs.Tree, string) {
	return safefs.New(filepath.Dir(path), ""), filepath.Base(path)
}

func acquire(ctx context.Context, path string, timeout time.Duration, warn func(string)) (func(), error) {
	t, rel := at(path)
	return lock.Acquire(ctx, t, rel, timeout, warn)
}

func readInfo(path string) (lock.Info, bool) {
	t, rel := at(path)
	return lock.ReadInfo(t, rel)
}

func probe(path string) (lock.State, error) {
	t, rel := at(path)
	return lock.Probe(t, rel)
}

// TestMain doubles as a lock-holding child process: LOCK_TEST_PATH names the
// lock, LOCK_TEST_MODE says what to do with it ("hold": until stdin closes;
// "die": exit without releasing; "hung": pretend it was taken 11 minutes
// ago, then hold).
func TestMain(m *testing.M) {
	if path := os.Getenv("LOCK_TEST_PATH"); path != "" {
		release, err := acquire(context.Background(), path, 10*time.Second, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		switch os.Getenv("LOCK_TEST_MODE") {
		case "die":
			fmt.Println("held")
			os.Exit(0) // the kernel drops the flock; the file stays
		case "hung":
			host, _ := os.Hostname()
			old := lock.Info{PID: os.Getpid(), Host: host, Since: time.Now().Add(-11 * time.Minute)}
			os.WriteFile(path, []byte(old.String()), 0o666)
		}
		fmt.Println("held")
		io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
		release()
		fmt.Println("released")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child starts a lock-holding process and waits until it holds the lock.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startChild(t *testing.T, path, mode string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOCK_TEST_PATH="+path, "LOCK_TEST_MODE="+mode)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	t.Cleanup(func() { c.stdin.Close(); c.cmd.Process.Kill(); c.cmd.Wait() })
	if !c.out.Scan() || c.out.Text() != "held" {
		t.Fatalf("child did not take the lock: %q", c.out.Text())
	}
	return c
}

func (c *child) release(t *testing.T) {
	t.Helper()
	c.stdin.Close()
	if !c.out.Scan() || c.out.Text() != "released" {
		t.Fatalf("child did not release: %q", c.out.Text())
	}
}

func TestAcquireRelease(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "locks", "deep", "x.lock")
	release, err := lock.Acquire(context.Background(), safefs.New(dir, ""), "locks/deep/x.lock", time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, ok := readInfo(path)
	host, _ := os.Hostname()
	if !ok || info.PID != os.Getpid() || info.Host != host || time.Since(info.Since) > time.Minute {
		t.Errorf("lock file says %+v (ok %v)", info, ok)
	}
	release()
	release() // idempotent
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("released lock file still there")
	}
	release, err = acquire(context.Background(), path, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	release()
}

func TestHeldByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.lock")
	c := startChild(t, path, "hold")
	start := time.Now()
	_, err := acquire(context.Background(), path, 300*time.Millisecond, nil)
	var he *lock.HeldError
	if !errors.As(err, &he) || !errors.Is(err, lock.ErrLocked) {
		t.Fatalf("err = %v, want *HeldError wrapping ErrLocked", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("gave up after %v", d)
	}
	host, _ := os.Hostname()
	if he.PID != c.cmd.Process.Pid || he.Host != host || he.Since.IsZero() || he.Path != path {
		t.Errorf("HeldError = %+v, want pid %d on %s", he, c.cmd.Process.Pid, host)
	}
	for _, want := range []string{path, fmt.Sprintf("process %d", c.cmd.Process.Pid), host, "since"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	// A waiter gets the lock as soon as the holder lets go.
	done := make(chan error, 1)
	go func() {
		release, err := acquire(context.Background(), path, 10*time.Second, nil)
		if err == nil {
			release()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	c.release(t)
	// Within its 10 s the waiter must see the release (an event), not time out.
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestDeadHolderIsTakenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.lock")
	c := startChild(t, path, "die")
	c.cmd.Wait()
	var warnings []string
	release, err := acquire(context.Background(), path, 5*time.Second, func(s string) { warnings = append(warnings, s) })
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if len(warnings) != 1 || !strings.Contains(warnings[0], fmt.Sprintf("process %d", c.cmd.Process.Pid)) ||
		!strings.Contains(warnings[0], "exited without releasing") {
		t.Errorf("warnings = %q", warnings)
	}
	if info, _ := readInfo(path); info.PID != os.Getpid() {
		t.Errorf("lock file not rewritten: %+v", info)
	}
}

// TestLiveHolderWithOldTimeIsNeverTakenOver: the time in a lock file is
// anyone's to write; only the kernel's flock says whether the holder lives.
func TestLiveHolderWithOldTimeIsNeverTakenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.lock")
	c := startChild(t, path, "hung") // a live holder whose file claims 11 minutes, then a year
	old := lock.Info{PID: c.cmd.Process.Pid, Host: "elsewhere", Since: time.Now().AddDate(-1, 0, 0)}
	if err := os.WriteFile(path, []byte(old.String()), 0o666); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	_, err := acquire(context.Background(), path, 1500*time.Millisecond, func(s string) { warnings = append(warnings, s) })
	var he *lock.HeldError
	if !errors.As(err, &he) || he.PID != c.cmd.Process.Pid {
		t.Fatalf("err = %v, want *HeldError naming process %d", err, c.cmd.Process.Pid)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %q", warnings)
	}
	if info, ok := readInfo(path); !ok || info.PID != c.cmd.Process.Pid {
		t.Errorf("the holder's file was disturbed: %+v %v", info, ok)
	}
	// Once the holder lets go, the lock is ours.
	c.release(t)
	release, err := acquire(context.Background(), path, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	release()
}

// TestPlantedLinkIsRefused: a link committed at a lock path is refused and
// the file it points to is untouched.
func TestPlantedLinkIsRefused(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	os.Mkdir(filepath.Join(dir, "locks"), 0o755)
	os.Symlink(victim, filepath.Join(dir, "locks", "x.lock"))
	_, err := lock.Acquire(context.Background(), safefs.New(dir, ".milestones"), "locks/x.lock", time.Second, nil)
	if !errors.Is(err, safefs.ErrRefused) || !strings.Contains(err.Error(), ".milestones/locks/x.lock") {
		t.Fatalf("err = %v, want a refusal naming the path", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Fatalf("victim changed: %q", b)
	}
}

func TestContextCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.lock")
	release, err := acquire(context.Background(), path, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err = acquire(ctx, path, 10*time.Second, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestMutualExclusion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.lock")
	var inside, max, total atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				release, err := acquire(context.Background(), path, 10*time.Second, nil)
				if err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				if n > max.Load() {
					max.Store(n)
				}
				time.Sleep(100 * time.Microsecond)
				inside.Add(-1)
				total.Add(1)
				release()
			}
		}()
	}
	wg.Wait()
	if max.Load() != 1 || total.Load() != 120 {
		t.Errorf("max holders at once = %d, acquisitions = %d", max.Load(), total.Load())
	}
}

func TestProbe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.lock")
	if st, err := probe(path); err != nil || st.Exists || st.Held {
		t.Errorf("no file: %+v %v", st, err)
	}
	c := startChild(t, path, "hold")
	st, err := probe(path)
	if err != nil || !st.Exists || !st.Held || !st.HasInfo || st.Info.PID != c.cmd.Process.Pid {
		t.Errorf("held: %+v %v", st, err)
	}
	// Probing did not disturb the holder.
	if _, err := acquire(context.Background(), path, 50*time.Millisecond, nil); !errors.Is(err, lock.ErrLocked) {
		t.Errorf("after probe: %v", err)
	}
	c.release(t)
	dead := filepath.Join(t.TempDir(), "d.lock")
	d := startChild(t, dead, "die")
	d.cmd.Wait()
	if st, err := probe(dead); err != nil || !st.Exists || st.Held || st.Info.PID != d.cmd.Process.Pid {
		t.Errorf("left by a dead process: %+v %v", st, err)
	}
}
