package txn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	pathpkg "path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
)

// Recovering our own stale index.lock.
//
// git's index.lock is empty or holds the index being written (it starts
// with "DIRC"); ours is never used as an index (the new index is renamed
// over .git/index from a copy), so it holds a record instead, written
// through the open lock file (no extra file, no fsync):
//
//	git-milestone index.lock
//	pid 1234
//	host build-7
//	boot <kernel boot id>       (Linux)
//	pidns pid:[4026531836]      (Linux)
//	start 5678                  (Linux: the process start time, in ticks)
//	path ".milestones/active/x.yaml"   (each path of a Commit, before any work)
//	commit <ref> <old|-> <new> <orig|-> (before our index replaces the user's)
//	settled                     (that commit is complete, or rolled back)
//
// When Begin finds index.lock, it is recovered only if it holds such a
// record, the process it names ran on this host, in this boot and PID
// namespace, and is gone (no such pid, a zombie, or a pid reused by a
// process that started later). The milestone flock, which the kernel
// released when that process died, is held by then, so no other
// git-milestone process can be in the middle of a transaction. A lock of
// git, of any live process, or one we cannot read is never touched.
//
// The repair, done while the stale lock still blocks git's index writers
// (it is adopted as our own lock, so git cannot slip in between): if the
// last "commit" line's commit is on its ref, the commit landed and the
// work-tree files it changed are brought to it (unless the user changed
// them since); otherwise the user's index is put back from <orig> (our
// index may already be in place). Temporary work-tree files of the
// recorded paths are removed in both cases.

const ownerMagic = "git-milestone index.lock\n"

// owner identifies a process.
type owner struct {
	pid   int
	host  string
	boot  string // "" where unknown
	pidNS string // "" where unknown
	start string // "" where unknown
}

// lockRecord is a parsed index.lock record.
type lockRecord struct {
	owner
	paths []string
	// the last "commit" line; ref == "" if none
	ref, old, new, orig string
}

// thisProcess describes the running process.
func thisProcess() owner {
	host, _ := os.Hostname()
	pid := os.Getpid()
	start, _ := procStart(pid)
	return owner{pid: pid, host: host, boot: bootID(), pidNS: pidNamespace(), start: start}
}

func (o owner) record() string {
	var b strings.Builder
	b.WriteString(ownerMagic)
	fmt.Fprintf(&b, "pid %d\nhost %s\n", o.pid, oneLine(o.host))
	if o.boot != "" {
		fmt.Fprintf(&b, "boot %s\n", o.boot)
	}
	if o.pidNS != "" {
		fmt.Fprintf(&b, "pidns %s\n", o.pidNS)
	}
	if o.start != "" {
		fmt.Fprintf(&b, "start %s\n", o.start)
	}
	return b.String()
}

func oneLine(s string) string { return strings.NewReplacer("\n", "_", "\r", "_").Replace(s) }

// parseRecord reads a record; ok is false if data is not one of ours.
func parseRecord(data []byte) (rec lockRecord, ok bool) {
	if !bytes.HasPrefix(data, []byte(ownerMagic)) {
		return rec, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data[len(ownerMagic):]))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		key, val, _ := strings.Cut(sc.Text(), " ")
		switch key {
		case "pid":
			pid, err := strconv.Atoi(val)
			if err != nil || pid <= 0 {
				return rec, false
			}
			rec.pid = pid
		case "host":
			rec.host = val
		case "boot":
			rec.boot = val
		case "pidns":
			rec.pidNS = val
		case "start":
			rec.start = val
		case "path":
			p, err := strconv.Unquote(val)
			if err != nil {
				return rec, false
			}
			rec.paths = append(rec.paths, p)
		case "settled": // the commit in flight was completed or rolled back
			rec.ref, rec.old, rec.new, rec.orig = "", "", "", ""
		case "commit":
			f := strings.Fields(val)
			if len(f) != 4 {
				return rec, false
			}
			rec.ref, rec.old, rec.new, rec.orig = f[0], dash(f[1]), f[2], dash(f[3])
		default:
			return rec, false // a torn or foreign line: do not guess
		}
	}
	if sc.Err() != nil || rec.pid == 0 || !bytes.HasSuffix(data, []byte("\n")) {
		return rec, false
	}
	return rec, true
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// record appends lines to our index.lock record. If a write fails the
// record is emptied, so that it is never read as a wrong account of what
// we did (an empty index.lock is simply not recovered).
func (tx *Tx) record(s string) {
	if tx.indexLock == nil || tx.recordBroken {
		return
	}
	if _, err := tx.indexLock.WriteString(s); err != nil {
		tx.recordBroken = true
		tx.indexLock.Truncate(0)
	}
}

// recordPaths notes the paths a Commit is about to change.
func (tx *Tx) recordPaths(paths []string) {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString("path " + strconv.Quote(p) + "\n")
	}
	tx.record(b.String())
}

// alive reports whether the process o is (still) running, as seen from
// this process; unknown counts as running.
func (o owner) alive(self owner) bool {
	if o.host != self.host || o.host == "" {
		return true // another machine (a shared file system): cannot tell
	}
	if o.boot != "" && self.boot != "" && o.boot != self.boot {
		return false // the machine rebooted since
	}
	if o.pidNS != self.pidNS {
		return true // another PID namespace (a container): cannot tell
	}
	if o.pid == self.pid {
		return false // our own pid, left by an earlier process that had it
	}
	if !processExists(o.pid) {
		return false
	}
	start, zombie := procStart(o.pid)
	if zombie {
		return false
	}
	if o.start != "" && start != "" && start != o.start {
		return false // the pid was reused
	}
	return true
}

// recoverStale looks at the existing index.lock: if it is ours and stale,
// it repairs what the dead transaction left, adopts the lock (tx.indexLock)
// and reports true. It reports false, with no error and nothing touched,
// for any other lock.
func (tx *Tx) recoverStale() (bool, error) {
	f, err := os.OpenFile(tx.lockPath, os.O_RDWR|syscallNoFollow, 0)
	if err != nil {
		return false, nil // gone, or not ours to write
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
		}
	}()
	head := make([]byte, len(ownerMagic))
	if n, _ := io.ReadFull(f, head); n < len(head) || string(head) != ownerMagic {
		return false, nil // git's, or empty
	}
	rest, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return false, nil
	}
	rec, ok := parseRecord(append(head, rest...))
	if !ok {
		return false, nil
	}
	self := thisProcess()
	if rec.alive(self) {
		return false, nil
	}
	// Still the file at the path? Then adopt it: from here on it is our
	// lock, and git keeps waiting while we repair.
	fi, err1 := f.Stat()
	cur, err2 := os.Lstat(tx.lockPath)
	if err1 != nil || err2 != nil || !os.SameFile(fi, cur) {
		return false, nil
	}
	what, err := tx.repairStale(rec)
	if err != nil {
		return false, fmt.Errorf("recover the stale %s left by git-milestone process %d: %w "+
			"(the lock was left in place)", tx.lockPath, rec.pid, err)
	}
	if err := f.Truncate(0); err != nil {
		return false, fmt.Errorf("take over %s: %w", tx.lockPath, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false, fmt.Errorf("take over %s: %w", tx.lockPath, err)
	}
	keep = true
	tx.indexLock = f
	tx.opts.Warn(fmt.Sprintf("removed a stale %s left by git-milestone process %d on %s, which is no longer running; %s",
		tx.lockPath, rec.pid, rec.host, what))
	return true, nil
}

// lockHolder describes the git-milestone process named in the index.lock
// at path, for an error message; "" if it is not one of ours.
func lockHolder(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	rec, ok := parseRecord(data)
	if !ok {
		return ""
	}
	return fmt.Sprintf(", held by git-milestone process %d on %s", rec.pid, rec.host)
}

// repairStale undoes or completes what the dead transaction rec left, and
// says what it did.
func (tx *Tx) repairStale(rec lockRecord) (string, error) {
	what := "no commit was in progress"
	if rec.ref != "" {
		// Killed while moving the branch: <ref>.lock holds our new
		// commit id (or nothing yet). Nobody else writes that id.
		removed, err := tx.repo.RemoveStaleRefLock(rec.ref, rec.new)
		if err != nil {
			return "", err
		}
		landed, err := tx.landed(rec)
		if err != nil {
			return "", err
		}
		if landed {
			what, err = tx.rollForward(rec)
		} else {
			what, err = tx.rollBack(rec)
		}
		if err != nil {
			return "", err
		}
		if removed {
			what += "; its stale " + rec.ref + ".lock was removed"
		}
	}
	removeTemps(tx.repo.WorkTree, rec.paths)
	return what, nil
}

// landed reports whether rec's commit is on its ref (or under it).
func (tx *Tx) landed(rec lockRecord) (bool, error) {
	cur, err := tx.repo.ResolveRef(rec.ref)
	if err != nil {
		return false, err
	}
	switch {
	case cur == rec.new:
		return true, nil
	case cur == rec.old || cur == "":
		return false, nil
	}
	// The ref moved on (a plumbing command, since git could not commit
	// without index.lock): is our commit in its history?
	if _, err := tx.repo.ReadObject(rec.new); err != nil {
		return false, nil // never written: it cannot be
	}
	base, err := tx.repo.MergeBase(rec.new, cur)
	if err != nil {
		return false, err
	}
	return base == rec.new, nil
}

// rollBack puts the user's index back: our copy may already have replaced it.
func (tx *Tx) rollBack(rec lockRecord) (string, error) {
	index := tx.indexPath()
	if rec.orig == "" { // there was no index before
		if err := os.Remove(index); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("remove %s: %w", index, err)
		}
		return "its commit had not landed: the index was removed, as it did not exist before", nil
	}
	orig := filepath.Join(tx.tempDir(), filepath.Base(rec.orig))
	err := os.Rename(orig, index)
	if err == nil {
		return "its commit had not landed: the index was restored", nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("restore the index from %s: %w", orig, err)
	}
	// No copy to go back to: set the entries of those paths back to the
	// old commit's (they had those entries: Commit refuses staged paths).
	oldTree := ""
	if rec.old != "" {
		if oldTree, err = tx.repo.CommitTree(rec.old); err != nil {
			return "", err
		}
	}
	entries, err := tx.repo.LookupPaths(oldTree, rec.paths)
	if err != nil {
		return "", err
	}
	updates := make([]gitrepo.IndexUpdate, len(rec.paths))
	for i, p := range rec.paths {
		e := entries[p]
		if e.Mode == gitrepo.ModeTree {
			e = gitrepo.TreeEntry{}
		}
		updates[i] = gitrepo.IndexUpdate{Path: p, Blob: e.Blob, Mode: e.Mode}
	}
	tmp, err := tx.updateIndexCopy(updates)
	if err != nil {
		return "", err
	}
	if err := os.Rename(tmp, index); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write index: %w", err)
	}
	return fmt.Sprintf("its commit had not landed: the index entries of its %d path(s) were reset", len(rec.paths)), nil
}

// rollForward completes a commit that landed: the index already has its
// entries; the work-tree files it changed get their committed content,
// unless the user has changed them since.
func (tx *Tx) rollForward(rec lockRecord) (string, error) {
	if rec.orig != "" {
		os.Remove(filepath.Join(tx.tempDir(), filepath.Base(rec.orig)))
	}
	newTree, err := tx.repo.CommitTree(rec.new)
	if err != nil {
		return "", err
	}
	oldTree := ""
	if rec.old != "" {
		if oldTree, err = tx.repo.CommitTree(rec.old); err != nil {
			return "", err
		}
	}
	var paths []string
	for _, p := range rec.paths {
		if checkNoSymlinkDirs(tx.repo.WorkTree, p) == nil {
			paths = append(paths, p)
		}
	}
	olds, err := tx.repo.LookupPaths(oldTree, paths)
	if err != nil {
		return "", err
	}
	news, err := tx.repo.LookupPaths(newTree, paths)
	if err != nil {
		return "", err
	}
	fixed, kept := 0, 0
	emptied := map[string]bool{}
	for _, p := range paths {
		o, n := olds[p], news[p]
		if o == n || (n.Blob != "" && n.Mode != gitrepo.ModeFile && n.Mode != gitrepo.ModeExecutable) {
			continue // not changed by that commit, or not a file we write
		}
		abs := filepath.Join(tx.repo.WorkTree, filepath.FromSlash(p))
		cur, err := worktreeBlob(abs)
		if err != nil {
			return "", err
		}
		switch cur {
		case n.Blob:
			continue // already there
		case o.Blob:
		default:
			kept++ // the user's own edit: leave it
			continue
		}
		fixed++
		if n.Blob == "" {
			if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("remove %s: %w", p, err)
			}
			emptied[filepath.Dir(abs)] = true
			continue
		}
		obj, err := tx.repo.ReadObject(n.Blob)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		perm := os.FileMode(0o666)
		if n.Mode == gitrepo.ModeExecutable {
			perm = 0o777
		}
		tmp, err := writeTemp(abs, obj.Data, perm, true)
		if err == nil {
			if err = os.Rename(tmp, abs); err != nil {
				os.Remove(tmp)
			}
		}
		if err != nil {
			return "", fmt.Errorf("write %s: %w", p, err)
		}
	}
	removeEmptyDirs(tx.repo.WorkTree, emptied)
	what := fmt.Sprintf("its commit %s had landed: %d work-tree file(s) brought up to date", short(rec.new), fixed)
	if kept > 0 {
		what += fmt.Sprintf(", %d changed since were left as they are", kept)
	}
	return what, nil
}

// worktreeBlob returns the blob id of the regular file at abs, "" if there
// is none, and "?" for anything else (a directory, a symbolic link).
func worktreeBlob(abs string) (string, error) {
	fi, err := os.Lstat(abs)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "?", nil
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return "", err
	}
	return gitrepo.NewBlob(data).ID(), nil
}

// removeTemps removes the temporary files prepareWorkTree leaves beside
// paths (".<name>.tmp-<12 hex digits>"), reading each directory once.
func removeTemps(root string, paths []string) {
	byDir := map[string]map[string]bool{}
	for _, p := range paths {
		dir, name := pathpkg.Split(p)
		if byDir[dir] == nil {
			byDir[dir] = map[string]bool{}
		}
		byDir[dir]["."+name] = true
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	emptied := map[string]bool{}
	for _, d := range dirs {
		abs := filepath.Join(root, filepath.FromSlash(d))
		entries, err := os.ReadDir(abs)
		if err != nil {
			continue
		}
		for _, e := range entries {
			base, suffix, ok := cutLast(e.Name(), ".tmp-")
			if ok && len(suffix) == 12 && isHex(suffix) && byDir[d][base] && e.Type().IsRegular() {
				os.Remove(filepath.Join(abs, e.Name()))
				emptied[abs] = true
			}
		}
	}
	removeEmptyDirs(root, emptied)
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// bootID returns the kernel's boot id (Linux), or "".
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// pidNamespace names this process's PID namespace (Linux), or "".
func pidNamespace() string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return ns
}

// procStart returns the start time of process pid (field 22 of
// /proc/<pid>/stat, Linux) and whether it is a zombie; "" where unknown.
func procStart(pid int) (start string, zombie bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", false
	}
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return "", false
	}
	return f[19], f[0] == "Z" || f[0] == "X"
}
