// Package lock provides cross-process locks: an OS advisory lock (flock)
// held on an open file, so the kernel releases it if the holder dies. The
// file records "pid host time" for error messages and fsck only: a lock is
// taken over only when the kernel says its holder is gone (its flock is
// free), never because of what the file claims, which anyone can write.
// Lock files live in an untrusted folder: they are opened through safefs,
// so a link or a fifo planted at a lock path is refused, never followed.
//
// TryFlock, WaitFlock and Unflock are the program's one flock primitive
// (the hybrid index's repair lock uses them too). go-internal's lockedfile
// was considered: it only blocks (no try, no timeout, no context) and opens
// paths itself, where ours must be opened through safefs.
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/git-milestone/git-milestone/internal/safefs"
)

// ErrUnsupported is returned by the flock functions where the platform
// has no flock.
var ErrUnsupported = errors.New("file locks are not supported on this platform")

// ErrLocked is wrapped by *HeldError when a lock could not be acquired in time.
var ErrLocked = errors.New("locked")

// HeldError says who holds a lock we gave up waiting for.
type HeldError struct {
	Path  string
	PID   int       // 0 if unknown
	Host  string    // "" if unknown
	Since time.Time // zero if unknown
}

func (e *HeldError) Error() string {
	who := "another process"
	if e.PID != 0 {
		who = "process " + strconv.Itoa(e.PID)
		if e.Host != "" {
			who += " on " + e.Host
		}
	}
	msg := fmt.Sprintf("%s is locked by %s", e.Path, who)
	if !e.Since.IsZero() {
		msg += " since " + e.Since.Format(time.RFC3339)
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *HeldError) Unwrap() error { return ErrLocked }

// Info is what a lock file records about its holder.
type Info struct {
	PID   int
	Host  string
	Since time.Time
}

// String renders the file content: "pid host RFC3339-time".
func (i Info) String() string {
	host := i.Host
	if host == "" {
		host = "-"
	}
	return fmt.Sprintf("%d %s %s\n", i.PID, host, i.Since.UTC().Format(time.RFC3339))
}

// ParseInfo reads a lock file's content; ok is false if it is empty or
// malformed.
func ParseInfo(b []byte) (Info, bool) {
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return Info{}, false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		return Info{}, false
	}
	t, err := time.Parse(time.RFC3339, f[2])
	if err != nil {
		return Info{}, false
	}
	return Info{PID: pid, Host: f[1], Since: t}, true
}

// ReadInfo reads the holder recorded in the lock file rel of t.
func ReadInfo(t safefs.Tree, rel string) (Info, bool) {
	b, err := t.ReadFile(rel)
	if err != nil {
		return Info{}, false
	}
	return ParseInfo(b)
}

// Acquire takes the lock rel of the tree t, creating parent directories,
// waiting up to timeout (and while ctx is live). The kernel queues
// waiters, so our own processes are served roughly in order. A lock file
// left by a dead process (its flock is free) is simply taken, with a
// warning; a live holder is never taken over, however old the time in its
// file. On timeout the error is a *HeldError (wrapping ErrLocked) naming
// the holder. warn may be nil. release unlinks the file (only if it is
// still ours) and unlocks.
func Acquire(ctx context.Context, t safefs.Tree, rel string, timeout time.Duration, warn func(string)) (release func(), err error) {
	if warn == nil {
		warn = func(string) {}
	}
	show := t.Show(rel)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		f, err := t.OpenFile(rel, os.O_RDWR|os.O_CREATE, 0o666)
		if errors.Is(err, safefs.ErrRefused) {
			return nil, err // it names the path
		}
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", show, err)
		}
		ok, err := TryFlock(f, true)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", show, err)
		}
		if ok {
			if !sameFile(f, t, rel) {
				f.Close() // released and unlinked under us: try the new file
				continue
			}
			return claim(f, t, rel, warn)
		}
		// Held by a live process: wait for the kernel to hand it over.
		res := make(chan error, 1)
		go func() { res <- WaitFlock(f) }()
		select {
		case err := <-res:
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("lock %s: %w", show, err)
			}
			if !sameFile(f, t, rel) {
				f.Close()
				continue
			}
			return claim(f, t, rel, warn)
		case <-ctx.Done():
			abandon(f, res)
			return nil, fmt.Errorf("lock %s: %w", show, ctx.Err())
		case <-timer.C:
			abandon(f, res)
			return nil, heldError(t, rel)
		}
	}
}

// claim records us as the holder in the locked file f.
func claim(f *os.File, t safefs.Tree, rel string, warn func(string)) (func(), error) {
	buf := make([]byte, 256)
	n, _ := f.ReadAt(buf, 0)
	if prev, ok := ParseInfo(buf[:n]); ok && prev.PID != os.Getpid() {
		// A released lock is unlinked, so content means the holder died.
		warn(fmt.Sprintf("taking over lock %s left by process %d on %s (since %s), which exited without releasing it",
			t.Show(rel), prev.PID, prev.Host, prev.Since.Format(time.RFC3339)))
	}
	host, _ := os.Hostname()
	info := Info{PID: os.Getpid(), Host: host, Since: time.Now()}
	err := f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt([]byte(info.String()), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", t.Show(rel), err)
	}
	released := false
	return func() {
		if released {
			return
		}
		released = true
		// Unlink before unlocking, and only our own file: a waiter that
		// then gets the lock on the unlinked file sees it is stale
		// (sameFile) and retries on a fresh one.
		if sameFile(f, t, rel) {
			t.Remove(rel)
		}
		f.Close()
	}, nil
}

// abandon gives up a pending blocking lock: whenever it completes, the
// file is closed (which releases the lock at once).
func abandon(f *os.File, res chan error) {
	go func() {
		<-res
		f.Close()
	}()
}

func heldError(t safefs.Tree, rel string) error {
	e := &HeldError{Path: t.Show(rel)}
	if info, ok := ReadInfo(t, rel); ok {
		e.PID, e.Host, e.Since = info.PID, info.Host, info.Since
	}
	return e
}

// sameFile reports whether f is still the file at rel (not unlinked or
// replaced).
func sameFile(f *os.File, t safefs.Tree, rel string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := t.Lstat(rel)
	if err != nil {
		return false
	}
	return os.SameFile(a, b)
}

// State is what Probe finds at a lock path.
type State struct {
	Exists  bool // the lock file exists
	Held    bool // a live process holds the lock
	Info    Info // what the file records
	HasInfo bool // Info was read (the file is not empty or malformed)
}

// Probe reports the state of the lock rel of t without keeping it, for
// fsck and status output. A file that exists with holder information but
// is not held was left by a process that died; Acquire takes such a lock
// over with a warning.
func Probe(t safefs.Tree, rel string) (State, error) {
	f, err := t.OpenFile(rel, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("probe lock %s: %w", t.Show(rel), err)
	}
	defer f.Close() // also drops the lock if we got it
	st := State{Exists: true}
	st.Info, st.HasInfo = ReadInfo(t, rel)
	ok, err := TryFlock(f, true)
	if err != nil {
		return st, fmt.Errorf("probe lock %s: %w", t.Show(rel), err)
	}
	st.Held = !ok
	return st, nil
}
