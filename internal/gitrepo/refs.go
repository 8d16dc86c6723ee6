package gitrepo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrRefChanged is returned by UpdateRef when the ref no longer has the
// expected old value: rebuild on the new value and retry.
var ErrRefChanged = errors.New("ref changed concurrently")

// Head describes what HEAD points at.
type Head struct {
	Ref      string // "refs/heads/main", "" if detached
	Hash     string // commit id, "" if the branch is unborn
	Detached bool
	Unborn   bool
}

// Head reads HEAD (following symbolic refs to the branch it names).
func (r *Repo) Head() (Head, error) {
	target, hash, err := r.readRefFile("HEAD")
	if err != nil {
		return Head{}, err
	}
	if target == "" {
		if hash == "" {
			return Head{}, fmt.Errorf("%s: HEAD is missing", r.GitDir)
		}
		return Head{Hash: hash, Detached: true}, nil
	}
	name := target
	for depth := 0; ; depth++ {
		if depth > 5 {
			return Head{}, fmt.Errorf("HEAD: symbolic ref loop at %s", name)
		}
		t, h, err := r.readRefFile(name)
		if err != nil {
			return Head{}, err
		}
		if t != "" {
			name = t
			continue
		}
		if h == "" {
			if h, err = r.packedRef(name); err != nil {
				return Head{}, err
			}
		}
		return Head{Ref: name, Hash: h, Unborn: h == ""}, nil
	}
}

// ResolveRef returns the commit id a ref (or HEAD) points at, following
// symbolic refs, or "" if it does not exist.
func (r *Repo) ResolveRef(name string) (string, error) {
	for depth := 0; depth <= 5; depth++ {
		t, h, err := r.readRefFile(name)
		if err != nil {
			return "", err
		}
		if t != "" {
			name = t
			continue
		}
		if h != "" {
			return h, nil
		}
		return r.packedRef(name)
	}
	return "", fmt.Errorf("%s: symbolic ref loop", name)
}

// perWorktreeRef reports whether a ref lives in GitDir rather than CommonDir.
func perWorktreeRef(name string) bool {
	if !strings.HasPrefix(name, "refs/") {
		return true // HEAD, ORIG_HEAD, ...
	}
	for _, p := range []string{"refs/bisect/", "refs/worktree/", "refs/rewritten/"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (r *Repo) refBase(name string) string {
	if perWorktreeRef(name) {
		return r.GitDir
	}
	return r.CommonDir
}

func (r *Repo) refPath(name string) string {
	return filepath.Join(r.refBase(name), filepath.FromSlash(name))
}

// readRefFile reads a loose ref: a symbolic target or an id; ("", "", nil)
// if there is no loose file.
func (r *Repo) readRefFile(name string) (target, hash string, err error) {
	b, err := os.ReadFile(r.refPath(name))
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("read ref %s: %w", name, err)
	}
	return parseRefContent(name, b)
}

func parseRefContent(name string, b []byte) (target, hash string, err error) {
	s := strings.TrimRight(string(b), "\r\n \t")
	if t, ok := strings.CutPrefix(s, "ref:"); ok {
		return strings.TrimSpace(t), "", nil
	}
	if !isHexID(s) {
		return "", "", fmt.Errorf("broken ref %s: %q is not an object id", name, s)
	}
	return "", s, nil
}

func isHexID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// packedRef looks name up in packed-refs; "" if absent.
func (r *Repo) packedRef(name string) (string, error) {
	f, err := os.Open(filepath.Join(r.CommonDir, "packed-refs"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read packed-refs: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	suffix := []byte(" " + name)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) < 42 || line[0] == '#' || line[0] == '^' {
			continue
		}
		if bytes.Equal(line[40:], suffix) {
			return string(line[:40]), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read packed-refs: %w", err)
	}
	return "", nil
}

// RefUpdate is a compare-and-swap of one ref, with its reflog entry.
type RefUpdate struct {
	Name      string    // "refs/heads/main", or "HEAD" for a detached HEAD
	Old       string    // expected current id; "" means the ref must not exist
	New       string    // id to store
	Message   string    // reflog message, e.g. "commit: subject"
	Committer Signature // reflog identity and time
	LogHEAD   bool      // also append the entry to logs/HEAD (HEAD points at Name)
}

// refLockTimeout is how long UpdateRef waits for another writer's
// <ref>.lock, like git's core.filesRefLockTimeout (100 ms) but longer.
const refLockTimeout = time.Second

// UpdateRef moves a ref with git's own lock-file protocol, so it interlocks
// with git update-ref, git commit and git pack-refs: create <ref>.lock
// exclusively, check the current value (loose, then packed-refs) against
// u.Old, write (and fsync, see Fsyncs) the new value, append the reflog entries, and
// rename the lock over the ref. A mismatch returns an error wrapping
// ErrRefChanged and changes nothing. It is LockRef followed by Commit.
func (r *Repo) UpdateRef(u RefUpdate) error {
	l, err := r.LockRef(u)
	if err != nil {
		return err
	}
	return l.Commit()
}

// RefLock is a ref update prepared under <ref>.lock: verified and written,
// not yet visible. Commit makes it visible; Unlock abandons it.
type RefLock struct {
	r        *Repo
	u        RefUpdate
	path     string
	lockPath string
	done     bool
}

// LockRef does the first half of UpdateRef: it creates <ref>.lock
// (waiting up to a second for another writer's), checks the ref still has
// u.Old (else an error wrapping ErrRefChanged) and writes (and fsyncs, see Fsyncs)
// u.New into the lock file. While the lock is held no git process can move
// the ref, so the check stays true until Commit.
func (r *Repo) LockRef(u RefUpdate) (*RefLock, error) {
	if err := checkRefName(u.Name); err != nil {
		return nil, err
	}
	if !isHexID(u.New) {
		return nil, fmt.Errorf("update %s: invalid new id %q", u.Name, u.New)
	}
	path := r.refPath(u.Name)
	l := &RefLock{r: r, u: u, path: path, lockPath: path + ".lock"}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return nil, fmt.Errorf("update %s: %w", u.Name, err)
	}
	f, err := createLockFile(l.lockPath, refLockTimeout)
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", u.Name, err)
	}
	fail := func(err error) (*RefLock, error) {
		f.Close()
		os.Remove(l.lockPath)
		return nil, err
	}
	target, cur, err := r.readRefFile(u.Name)
	if err != nil {
		return fail(fmt.Errorf("update %s: %w", u.Name, err))
	}
	if target != "" {
		if u.Name != "HEAD" {
			return fail(fmt.Errorf("update %s: is a symbolic ref to %s", u.Name, target))
		}
		return fail(fmt.Errorf("%w: HEAD now points at %s", ErrRefChanged, target))
	}
	if cur == "" && u.Name != "HEAD" {
		if cur, err = r.packedRef(u.Name); err != nil {
			return fail(fmt.Errorf("update %s: %w", u.Name, err))
		}
	}
	if cur != u.Old {
		return fail(fmt.Errorf("%w: %s is %s, expected %s", ErrRefChanged, u.Name, orNone(cur), orNone(u.Old)))
	}
	if _, err := f.WriteString(u.New + "\n"); err != nil {
		return fail(fmt.Errorf("write %s: %w", l.lockPath, err))
	}
	if r.Fsyncs(FsyncReference) {
		if err := f.Sync(); err != nil {
			return fail(fmt.Errorf("sync %s: %w", l.lockPath, err))
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(l.lockPath)
		return nil, fmt.Errorf("close %s: %w", l.lockPath, err)
	}
	return l, nil
}

// Commit appends the reflog entries (logs/<ref>, and logs/HEAD if
// u.LogHEAD) and renames the lock over the ref, like git.
func (l *RefLock) Commit() error {
	if l.done {
		return fmt.Errorf("update %s: lock already released", l.u.Name)
	}
	l.done = true
	if err := l.r.appendReflog(l.u.Name, l.u); err != nil {
		os.Remove(l.lockPath)
		return err
	}
	if l.u.LogHEAD && l.u.Name != "HEAD" {
		if err := l.r.appendReflog("HEAD", l.u); err != nil {
			os.Remove(l.lockPath)
			return err
		}
	}
	if err := os.Rename(l.lockPath, l.path); err != nil {
		os.Remove(l.lockPath)
		return fmt.Errorf("update %s: %w", l.u.Name, err)
	}
	return nil
}

// Unlock abandons an uncommitted update (removing <ref>.lock); it does
// nothing after Commit.
func (l *RefLock) Unlock() {
	if l == nil || l.done {
		return
	}
	l.done = true
	os.Remove(l.lockPath)
}

func orNone(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}

// createLockFile creates path with O_EXCL, retrying with backoff while it
// exists, for up to timeout.
func createLockFile(path string, timeout time.Duration) (*os.File, error) {
	deadline := time.Now().Add(timeout)
	delay := time.Millisecond
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("unable to create %s: file exists; another git process seems to be "+
				"running in this repository (if not, remove the file)", path)
		}
		time.Sleep(delay)
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

// checkRefName refuses names git would refuse (a subset of
// git check-ref-format that matters for file paths).
func checkRefName(name string) error {
	bad := name == "" || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") ||
		strings.HasSuffix(name, ".lock") || strings.Contains(name, "..") || strings.Contains(name, "//") ||
		strings.Contains(name, "@{") || strings.ContainsAny(name, " ~^:?*[\\\x7f")
	for _, c := range []byte(name) {
		if c < 0x20 {
			bad = true
		}
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			bad = true
		}
	}
	if bad || (name != "HEAD" && !strings.HasPrefix(name, "refs/")) {
		return fmt.Errorf("invalid ref name %q", name)
	}
	return nil
}

// appendReflog appends one entry to logs/<name>, formatted exactly as git
// does, honouring core.logAllRefUpdates (default: branches, remotes, notes
// and HEAD get a log; "false": only refs whose log already exists).
func (r *Repo) appendReflog(name string, u RefUpdate) error {
	path := filepath.Join(r.refBase(name), "logs", filepath.FromSlash(name))
	flags := os.O_WRONLY | os.O_APPEND
	if r.shouldCreateReflog(name) {
		flags |= os.O_CREATE
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			return fmt.Errorf("reflog %s: %w", name, err)
		}
	}
	f, err := os.OpenFile(path, flags, 0o666)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reflog %s: %w", name, err)
	}
	old := u.Old
	if old == "" {
		old = ZeroID
	}
	line := fmt.Sprintf("%s %s %s\t%s\n", old, u.New, u.Committer.identLine(), reflogMessage(u.Message))
	_, werr := f.Write([]byte(line)) // one write with O_APPEND: never interleaved
	cerr := f.Close()
	if werr != nil {
		return fmt.Errorf("reflog %s: %w", name, werr)
	}
	if cerr != nil {
		return fmt.Errorf("reflog %s: %w", name, cerr)
	}
	return nil
}

func (r *Repo) shouldCreateReflog(name string) bool {
	v := "true"
	if cs, err := r.config(); err == nil {
		if s, ok := cs.get("core.logallrefupdates"); ok {
			v = strings.ToLower(s)
		}
	}
	switch v {
	case "always":
		return true
	case "true", "yes", "on", "1":
		return name == "HEAD" || strings.HasPrefix(name, "refs/heads/") ||
			strings.HasPrefix(name, "refs/remotes/") || strings.HasPrefix(name, "refs/notes/")
	}
	return false
}

// reflogMessage collapses white space as git's copy_reflog_msg does.
func reflogMessage(msg string) string {
	return strings.Join(strings.Fields(msg), " ")
}

// RemoveStaleRefLock removes <name>.lock left by a dead process of ours
// that was moving ref name to ours (an id nobody else knows): it is
// removed when it holds exactly that id, or when it stays empty (a process
// killed between creating and writing it) for as long as UpdateRef would
// wait for a live writer. Any other lock is left alone. It reports whether
// it removed one.
func (r *Repo) RemoveStaleRefLock(name, ours string) (bool, error) {
	if err := checkRefName(name); err != nil {
		return false, err
	}
	lockPath := r.refPath(name) + ".lock"
	deadline := time.Now().Add(refLockTimeout)
	for {
		fi, err := os.Lstat(lockPath)
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("stale %s: %w", lockPath, err)
		}
		if !fi.Mode().IsRegular() {
			return false, nil
		}
		b, err := os.ReadFile(lockPath)
		if err != nil {
			return false, fmt.Errorf("stale %s: %w", lockPath, err)
		}
		content := strings.TrimSpace(string(b))
		switch {
		case content == ours && isHexID(ours):
		case content == "" && time.Now().After(deadline):
		case content == "":
			time.Sleep(20 * time.Millisecond) // a live writer fills it at once
			continue
		default:
			return false, nil // someone else's
		}
		if err := os.Remove(lockPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("remove stale %s: %w", lockPath, err)
		}
		return true, nil
	}
}
