package gitrepo

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
)

// PathLog's own walk: the commits of `git log -- paths` found by reading
// objects, not by a git process. git's path-limited walk unpacks every
// tree on the way to the paths in every commit (at 10,000 milestones the
// 6,000-entry active/ folder, 1,000 times for 1,000 commits: 0.35 s of
// CPU, and as much again in page faults without walkEnv); this walk
// compares tree entry ids along each path and stops at the first equal
// folder, keeps the objects a delta chain needs (walkReader), and reads
// each version of a file once.
//
// It reproduces git's order and simplification (revision.c: a queue by
// committer date, ties first in first out; --full-history, see
// simplify) and git log's output (author name and e-mail as
// split_ident_line splits them, %s joins the first paragraph). Whatever
// it does not reproduce exactly falls back to git (errWalkFallback):
// replace refs, grafts, shallow clones, partial clones, glob characters
// in a path, case-insensitive pathspecs, log.follow with one path,
// diff.orderFile, a non-UTF-8 log output encoding, a commit with an
// encoding header or a header line git and we could read differently, a
// path that is a folder or a submodule. TestPathLogWalkMatchesGit
// compares both on random histories.

// errWalkFallback: this history is left to git log.
var errWalkFallback = errors.New("path walk: left to git")

// walkCommit is a commit as the walk reads it.
type walkCommit struct {
	id      [20]byte
	tree    [20]byte
	parents [][20]byte
	date    int64  // committer date, for the order
	raw     []byte // the whole commit object, for the shown ones
	seen    bool   // queued once (git's SEEN)
}

// treeEnt is a tree entry found by name (mode canonical as git makes it).
type treeEnt struct {
	mode  uint32
	id    [20]byte
	found bool
}

type entKey struct {
	tree [20]byte
	name string
}

// pathWalker is the state of one PathLog walk.
type pathWalker struct {
	r       *Repo
	rd      *walkReader
	paths   []string   // sorted
	comps   [][]string // each path split at "/"
	commits map[[20]byte]*walkCommit
	ents    map[entKey]treeEnt
	blobs   map[[20]byte][]byte
}

// walkable reports whether PathLog's own walk gives git's answer here;
// false leaves the walk to git.
func (r *Repo) walkable(paths []string) bool {
	for _, p := range paths {
		if p == "" || strings.ContainsAny(p, "*?[\\") || strings.HasPrefix(p, ":") || strings.HasPrefix(p, "/") ||
			strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
			return false
		}
		for _, c := range strings.Split(p, "/") {
			if c == "." || c == ".." {
				return false
			}
		}
	}
	// What the git log child would see (Repo.command passes the process
	// environment on).
	for _, env := range []string{"GIT_GRAFT_FILE", "GIT_REPLACE_REF_BASE", "GIT_SHALLOW_FILE", "GIT_ICASE_PATHSPECS"} {
		if os.Getenv(env) != "" {
			return false
		}
	}
	for _, f := range []string{"shallow", "info/grafts"} {
		if _, err := os.Lstat(filepath.Join(r.CommonDir, f)); err == nil {
			return false
		}
	}
	if ents, err := os.ReadDir(filepath.Join(r.CommonDir, "refs", "replace")); err == nil && len(ents) > 0 {
		return false // git replace -d leaves the folder empty
	}
	if data, err := os.ReadFile(filepath.Join(r.CommonDir, "packed-refs")); err == nil && bytes.Contains(data, []byte(" refs/replace/")) {
		return false
	}
	if r.partialClone() {
		return false
	}
	if v, err := r.ConfigGet("diff.orderFile"); err != nil || v != "" {
		return false
	}
	if v, err := r.ConfigGet("i18n.logOutputEncoding"); err != nil || (v != "" && !strings.EqualFold(v, "UTF-8") && !strings.EqualFold(v, "UTF8")) {
		return false
	}
	if len(paths) == 1 {
		if v, err := r.ConfigGet("log.follow"); err != nil || parseBool(v) {
			return false
		}
	}
	return true
}

// walkPathLog is PathLog by reading objects (see the top of this file).
func (r *Repo) walkPathLog(start string, paths []string) (out []PathCommit, err error) {
	w := &pathWalker{r: r, commits: map[[20]byte]*walkCommit{}, ents: map[entKey]treeEnt{}, blobs: map[[20]byte][]byte{}}
	w.paths = append([]string(nil), paths...)
	sort.Strings(w.paths)
	for i := 1; i < len(w.paths); i++ {
		if w.paths[i] == w.paths[i-1] || strings.HasPrefix(w.paths[i], w.paths[i-1]+"/") {
			return nil, errWalkFallback
		}
	}
	for _, p := range w.paths {
		w.comps = append(w.comps, strings.Split(p, "/"))
	}
	if w.rd, err = r.newWalkReader(); err != nil {
		return nil, err
	}
	defer w.rd.close()
	// A pack file cut short under us faults: an error, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if rec := recover(); rec != nil {
			if _, fault := rec.(interface{ Addr() uintptr }); !fault {
				panic(rec)
			}
			out, err = nil, fmt.Errorf("path log: %w", errFault)
		}
	}()
	var id [20]byte
	if _, err := hex.Decode(id[:], []byte(start)); err != nil {
		return nil, fmt.Errorf("path log: start %q is not a commit id", start)
	}
	first, err := w.commit(id)
	if err != nil {
		return nil, err
	}
	first.seen = true
	queue := []*walkCommit{first}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		same, err := w.simplify(c)
		if err != nil {
			return nil, err
		}
		for _, pid := range c.parents {
			p, err := w.commit(pid)
			if err != nil {
				return nil, err
			}
			if !p.seen {
				p.seen = true
				queue = insertByDate(queue, p)
			}
		}
		if same {
			continue
		}
		pc, err := w.show(c)
		if err != nil {
			return nil, err
		}
		out = append(out, pc)
	}
	walked := make(map[string][]byte, len(out))
	for _, pc := range out {
		var id [20]byte
		if _, err := hex.Decode(id[:], []byte(pc.ID)); err == nil {
			walked[pc.ID] = w.commits[id].raw
		}
	}
	r.mu.Lock()
	r.walked = walked
	r.mu.Unlock()
	return out, nil
}

// insertByDate inserts c after every queued commit not older than it, as
// git's commit_list_insert_by_date does.
func insertByDate(queue []*walkCommit, c *walkCommit) []*walkCommit {
	i := len(queue)
	for i > 0 && queue[i-1].date < c.date {
		i--
	}
	queue = append(queue, nil)
	copy(queue[i+1:], queue[i:])
	queue[i] = c
	return queue
}

// simplify is git's try_to_simplify_commit as git log runs it with
// --diff-merges=first-parent, which implies --full-history (git 2.39
// shows the same commits with -m or --full-history; plain `git log --
// paths` would follow only a parent TREESAME to a merge): every parent
// is followed, and a commit is TREESAME (not shown) when no parent
// differs from it in the paths, or, for a root commit, when it has none
// of them.
func (w *pathWalker) simplify(c *walkCommit) (bool, error) {
	if len(c.parents) == 0 {
		for i := range w.paths {
			e, err := w.lookup(c.tree, i)
			if err != nil {
				return false, err
			}
			if e.found {
				return false, nil
			}
		}
		return true, nil
	}
	for _, pid := range c.parents {
		p, err := w.commit(pid)
		if err != nil {
			return false, err
		}
		same, err := w.sameTrees(p.tree, c.tree)
		if err != nil || !same {
			return false, err
		}
	}
	return true, nil
}

// sameTrees reports whether every path has the same entry in both trees.
func (w *pathWalker) sameTrees(a, b [20]byte) (bool, error) {
	if a == b {
		return true, nil
	}
	for i := range w.paths {
		ea, err := w.lookupFrom(a, b, i)
		if err != nil {
			return false, err
		}
		if !ea {
			return false, nil
		}
	}
	return true, nil
}

// lookupFrom reports whether path i has the same entry under the root
// trees a and b, reading no further than the first folder both share.
func (w *pathWalker) lookupFrom(a, b [20]byte, i int) (bool, error) {
	comps := w.comps[i]
	for k, name := range comps {
		if a == b {
			return true, nil
		}
		ea, err := w.entry(a, name)
		if err != nil {
			return false, err
		}
		eb, err := w.entry(b, name)
		if err != nil {
			return false, err
		}
		if k == len(comps)-1 {
			if (ea.found && ea.mode == ModeTree) || (eb.found && eb.mode == ModeTree) {
				if ea != eb {
					return false, errWalkFallback // a folder at the path: git lists the files in it
				}
			}
			return ea == eb, nil
		}
		aDir, bDir := ea.found && ea.mode == ModeTree, eb.found && eb.mode == ModeTree
		switch {
		case !aDir && !bDir:
			return true, nil // absent on both sides
		case !aDir || !bDir:
			// Only one side has the folder: the path is the same if it is
			// absent under that folder too.
			dir := ea.id
			if bDir {
				dir = eb.id
			}
			e, err := w.lookupRest(dir, comps[k+1:])
			if err != nil {
				return false, err
			}
			if e.found && e.mode == ModeTree {
				return false, errWalkFallback
			}
			return !e.found, nil
		}
		a, b = ea.id, eb.id
	}
	return true, nil
}

// lookup finds path i under the root tree.
func (w *pathWalker) lookup(root [20]byte, i int) (treeEnt, error) {
	return w.lookupRest(root, w.comps[i])
}

// lookupRest finds the path of components comps under the tree dir.
func (w *pathWalker) lookupRest(dir [20]byte, comps []string) (treeEnt, error) {
	for k, name := range comps {
		e, err := w.entry(dir, name)
		if err != nil || !e.found {
			return treeEnt{}, err
		}
		if k == len(comps)-1 {
			return e, nil
		}
		if e.mode != ModeTree {
			return treeEnt{}, nil
		}
		dir = e.id
	}
	return treeEnt{}, nil
}

// read reads the object id, which must be of type typ (pack numbering:
// 1 commit, 2 tree, 3 blob), named what in the error otherwise. The bytes
// are the reader's: valid until its next read.
func (w *pathWalker) read(id [20]byte, typ int, what string) ([]byte, error) {
	t, data, err := w.rd.read(id)
	if err != nil {
		return nil, err
	}
	if t != typ {
		return nil, fmt.Errorf("object %x is a %s, not %s", id, packTypes[t], what)
	}
	return data, nil
}

// entry finds name in the tree id, each (tree, name) once.
func (w *pathWalker) entry(id [20]byte, name string) (treeEnt, error) {
	key := entKey{id, name}
	if e, ok := w.ents[key]; ok {
		return e, nil
	}
	data, err := w.read(id, 2, "a tree")
	if err != nil {
		return treeEnt{}, err
	}
	e, err := findEntry(data, name)
	if err != nil {
		return treeEnt{}, fmt.Errorf("tree %x: %w", id, err)
	}
	w.ents[key] = e
	return e, nil
}

// findEntry finds name in an encoded tree, scanning in git order and
// stopping past where name would be (as a file or as a folder). Only the
// entry found has its mode read: at 10,000 documents a scan passes 3,000
// entries on average.
func findEntry(data []byte, name string) (treeEnt, error) {
	for len(data) > 0 {
		nul := bytes.IndexByte(data, 0)
		if nul < 0 || nul+21 > len(data) {
			return treeEnt{}, fmt.Errorf("corrupt tree entry")
		}
		var sp int
		switch {
		case nul > 5 && data[5] == ' ': // 40000
			sp = 5
		case nul > 6 && data[6] == ' ': // 100644, 100755, 120000, 160000
			sp = 6
		default:
			if sp = bytes.IndexByte(data[:nul], ' '); sp <= 0 {
				return treeEnt{}, fmt.Errorf("corrupt tree entry")
			}
		}
		ename := data[sp+1 : nul]
		if string(ename) == name {
			var mode uint32
			for _, c := range data[:sp] {
				if c < '0' || c > '7' {
					return treeEnt{}, fmt.Errorf("corrupt tree entry mode %q", data[:sp])
				}
				mode = mode<<3 | uint32(c-'0')
			}
			e := treeEnt{mode: canonMode(mode), found: true}
			copy(e.id[:], data[nul+1:nul+21])
			return e, nil
		}
		// Past name+"/" in git order (a folder sorts as its name and "/"):
		// neither the file nor the folder name can follow.
		if string(ename) > name && !(len(ename) > len(name) && string(ename[:len(name)]) == name && ename[len(name)] < '/') {
			break
		}
		data = data[nul+21:]
	}
	return treeEnt{}, nil
}

// canonMode is git's canon_mode: the modes a tree entry may mean.
func canonMode(m uint32) uint32 {
	switch m & 0o170000 {
	case 0o100000:
		if m&0o100 != 0 {
			return ModeExecutable
		}
		return ModeFile
	case 0o120000:
		return ModeSymlink
	case 0o040000:
		return ModeTree
	}
	return ModeGitlink
}

// commit reads and parses the commit id, each once.
func (w *pathWalker) commit(id [20]byte) (*walkCommit, error) {
	if c, ok := w.commits[id]; ok {
		return c, nil
	}
	data, err := w.read(id, 1, "a commit")
	if err != nil {
		return nil, err
	}
	data = append([]byte(nil), data...) // the reader reuses its buffers
	c := &walkCommit{id: id, raw: data}
	rest := data
	line := func() []byte {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return nil
		}
		l := rest[:i]
		rest = rest[i+1:]
		return l
	}
	l := line()
	if !bytes.HasPrefix(l, []byte("tree ")) || !decodeID(&c.tree, l[5:]) {
		return nil, fmt.Errorf("commit %x: missing or corrupt tree header", id)
	}
	for l = line(); bytes.HasPrefix(l, []byte("parent ")); l = line() {
		var p [20]byte
		if !decodeID(&p, l[7:]) {
			return nil, fmt.Errorf("commit %x: corrupt parent header %q", id, l)
		}
		c.parents = append(c.parents, p)
	}
	// git's parse_commit_date reads the line after author: what it would
	// read differently from a well-formed ident is left to git.
	if !bytes.HasPrefix(l, []byte("author ")) {
		return nil, errWalkFallback
	}
	if _, _, ok := identParts(l[len("author "):]); !ok {
		return nil, errWalkFallback
	}
	l = line()
	if !bytes.HasPrefix(l, []byte("committer ")) {
		return nil, errWalkFallback
	}
	_, when, ok := identParts(l[len("committer "):])
	if !ok {
		return nil, errWalkFallback
	}
	if c.date, err = strconv.ParseInt(string(when[:bytes.IndexByte(when, ' ')]), 10, 64); err != nil {
		return nil, errWalkFallback
	}
	w.commits[id] = c
	return c, nil
}

func decodeID(dst *[20]byte, hexID []byte) bool {
	if len(hexID) != 40 || !isHexID(string(hexID)) {
		return false
	}
	_, err := hex.Decode(dst[:], hexID)
	return err == nil
}

// identParts splits a well-formed "Name <email> 1700000000 +0100" into
// its person ("Name <email>") and date ("1700000000 +0100") parts; ok is
// false for anything git's parsers might read otherwise (a second < or >,
// a date that is not digits and a four-digit zone, leading zeros).
func identParts(s []byte) (person, when []byte, ok bool) {
	lt := bytes.IndexByte(s, '<')
	gt := bytes.IndexByte(s, '>')
	if lt < 0 || gt < lt || bytes.IndexByte(s[lt+1:], '<') >= 0 || bytes.IndexByte(s[gt+1:], '>') >= 0 {
		return nil, nil, false
	}
	when = s[gt+1:]
	if len(when) < 1 || when[0] != ' ' {
		return nil, nil, false
	}
	when = when[1:]
	sp := bytes.IndexByte(when, ' ')
	if sp < 1 || sp > 15 || (when[0] == '0' && sp > 1) || len(when) != sp+6 || (when[sp+1] != '+' && when[sp+1] != '-') {
		return nil, nil, false
	}
	for i, c := range when {
		if i != sp && i != sp+1 && (c < '0' || c > '9') {
			return nil, nil, false
		}
	}
	return s[:gt+1], when, true
}

// show is what git log prints for a shown commit c: its header fields
// and the changes of the paths against its first parent (or nothing).
func (w *pathWalker) show(c *walkCommit) (PathCommit, error) {
	pc := PathCommit{Commit: Commit{ID: hex.EncodeToString(c.id[:])}}
	for _, p := range c.parents {
		pc.Parents = append(pc.Parents, hex.EncodeToString(p[:]))
	}
	if err := w.header(c, &pc); err != nil {
		return PathCommit{}, err
	}
	var old [20]byte
	hasOld := len(c.parents) > 0
	if hasOld {
		p, err := w.commit(c.parents[0])
		if err != nil {
			return PathCommit{}, err
		}
		old = p.tree
	}
	for i, path := range w.paths {
		var a treeEnt
		var err error
		if hasOld {
			if a, err = w.lookup(old, i); err != nil {
				return PathCommit{}, err
			}
		}
		b, err := w.lookup(c.tree, i)
		if err != nil {
			return PathCommit{}, err
		}
		if a == b {
			continue
		}
		for _, e := range []treeEnt{a, b} {
			if e.found && e.mode != ModeFile && e.mode != ModeExecutable && e.mode != ModeSymlink {
				return PathCommit{}, errWalkFallback // a folder or a submodule
			}
		}
		switch {
		case a.found && b.found && a.mode&0o170000 == b.mode&0o170000:
			f := FileChange{Path: path}
			if a.id != b.id { // a mode change alone has no index line
				if f.Old, err = w.blob(a.id); err != nil {
					return PathCommit{}, err
				}
				if f.New, err = w.blob(b.id); err != nil {
					return PathCommit{}, err
				}
				f.OldBlob, f.NewBlob = hex.EncodeToString(a.id[:]), hex.EncodeToString(b.id[:])
			}
			pc.Files = append(pc.Files, f)
		default: // a deletion, an addition, or both (a file became a link)
			if a.found {
				f := FileChange{Path: path, OldBlob: hex.EncodeToString(a.id[:])}
				if f.Old, err = w.blob(a.id); err != nil {
					return PathCommit{}, err
				}
				pc.Files = append(pc.Files, f)
			}
			if b.found {
				f := FileChange{Path: path, NewBlob: hex.EncodeToString(b.id[:])}
				if f.New, err = w.blob(b.id); err != nil {
					return PathCommit{}, err
				}
				pc.Files = append(pc.Files, f)
			}
		}
	}
	return pc, nil
}

// blob reads a file's content, each version once. The bytes are shared
// between the changes that name them.
func (w *pathWalker) blob(id [20]byte) ([]byte, error) {
	if b, ok := w.blobs[id]; ok {
		return b, nil
	}
	data, err := w.read(id, 3, "a file")
	if err != nil {
		return nil, err
	}
	b := append(make([]byte, 0, len(data)), data...) // not the reader's cache
	w.blobs[id] = b
	return b, nil
}

// header fills the fields git log's --format=%H %P %an %ae %at %ai %s
// gives PathLog.
func (w *pathWalker) header(c *walkCommit, pc *PathCommit) error {
	data := c.raw
	head, msg, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		head, msg = bytes.TrimSuffix(data, []byte("\n")), nil
	}
	var author []byte
	for _, l := range bytes.Split(head, []byte("\n")) {
		switch {
		case bytes.HasPrefix(l, []byte("author ")) && author == nil:
			author = l[len("author "):]
		case bytes.HasPrefix(l, []byte("encoding ")):
			return errWalkFallback // git re-encodes the message
		}
	}
	person, when, ok := identParts(author)
	if !ok {
		return errWalkFallback
	}
	lt := bytes.IndexByte(person, '<')
	name := bytes.TrimRight(person[:lt], " \t\n\r")
	email := person[lt+1 : len(person)-1]
	subject := gitSubject(msg)
	for _, s := range [][]byte{name, email, subject} {
		if bytes.ContainsAny(s, "\x00\x01\x02\n") {
			return errWalkFallback
		}
	}
	if bytes.IndexByte(msg, 0) >= 0 {
		return errWalkFallback
	}
	sec, zone, _ := strings.Cut(string(when), " ")
	pc.Author = Signature{Name: string(name), Email: string(email), When: parseIdent("x <y> " + sec + " " + gitZone(zone)).When}
	pc.Committer = pc.Author
	pc.Message = string(subject)
	return nil
}

// gitZone is the zone as git's %ai prints it ("-0000" is "+0000").
func gitZone(z string) string {
	n, err := strconv.Atoi(z)
	if err != nil {
		return z
	}
	if n < 0 {
		return fmt.Sprintf("-%04d", -n)
	}
	return fmt.Sprintf("+%04d", n)
}

// gitSubject is git's %s: the blank lines at the start of the message
// skipped, the lines of the first paragraph without their trailing
// white space, joined by spaces.
func gitSubject(msg []byte) []byte {
	var out []byte
	first, started := true, false
	for len(msg) > 0 {
		line := msg
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line, msg = msg[:i], msg[i+1:]
		} else {
			msg = nil
		}
		line = bytes.TrimRight(line, " \t\n\r")
		if len(line) == 0 {
			if started {
				break
			}
			continue
		}
		started = true
		if !first {
			out = append(out, ' ')
		}
		out = append(out, line...)
		first = false
	}
	return out
}
