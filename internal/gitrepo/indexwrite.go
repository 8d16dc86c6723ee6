package gitrepo

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"slices"
	"strings"
)

// This file writes the index after `git update-index -z --index-info`
// without running it: the same entries, cache tree and resolve-undo
// records, byte for byte what git 2.39 writes (read-cache.c
// do_write_index, cache-tree.c, resolve-undo.c). Whenever git would do
// something it does not reproduce exactly (a split, sparse or
// untracked-cache index, a conflict or flagged entry at a changed path, a
// directory/file conflict, configuration that changes what git writes, a
// racily clean entry whose file changed), it answers errNeedGit and the
// caller runs git.

// needGit is errNeedGit with the reason, for tests and debugging.
func needGit(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errNeedGit, fmt.Sprintf(format, args...))
}

// maxRacyEntries bounds the racily clean entries checked here (each costs
// a stat and a read of its file, as in git); beyond it git does the work.
const maxRacyEntries = 1000

// pendingUpdate is an IndexUpdate checked and decoded.
type pendingUpdate struct {
	path   []byte
	oid    [indexHashLen]byte
	mode   uint32
	remove bool
}

// writeIndexUpdates applies updates to the index file indexFile itself,
// with git's lock-file protocol: it creates indexFile.lock (failing, as
// git does, if it exists), reads indexFile, writes the new index into the
// lock file and renames it over indexFile (which is never modified in
// place: it may be a hard link to the user's index). It answers
// errNeedGit (wrapped, with the reason) when git must do it, with the
// lock released.
func (r *Repo) writeIndexUpdates(indexFile string, updates []IndexUpdate) error {
	ups, err := prepareUpdates(updates)
	if err != nil {
		return err
	}
	skipHash, err := r.indexConfigAllows()
	if err != nil {
		return err
	}
	lockPath := indexFile + ".lock"
	lock, err := os.OpenFile(lockPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return needGit("%v", err) // git says it in its own words
	}
	committed := false
	defer func() {
		if !committed {
			lock.Close()
			os.Remove(lockPath)
		}
	}()
	fi, err := os.Stat(indexFile)
	if errors.Is(err, os.ErrNotExist) {
		return needGit("no index file yet")
	} else if err != nil {
		return err
	}
	st, ok := statOf(fi)
	if !ok {
		return needGit("no stat data")
	}
	return readMapped(indexFile, func(data []byte) error {
		p, err := planIndexWrite(data, ups, st.mtimeSec)
		if err != nil || p == nil { // nil: nothing changes, git writes nothing
			return err
		}
		if skipHash != "" && (skipHash == "zeros") != p.zeroSum {
			return needGit("index.skipHash disagrees with the index's checksum")
		}
		if err := r.checkRacy(p); err != nil {
			return err
		}
		committed = true // commit renames the lock file, or removes it
		return p.commit(lock, indexFile, r.Fsyncs(FsyncIndex))
	})
}

// prepareUpdates checks and sorts updates: errNeedGit for what git alone
// handles (a conflict stage, a path git's verify_path might refuse, an
// unusual mode, a path given twice, a directory/file conflict among them).
func prepareUpdates(updates []IndexUpdate) ([]pendingUpdate, error) {
	ups := make([]pendingUpdate, len(updates))
	for i, u := range updates {
		if u.Stage != 0 {
			return nil, needGit("an update writes a conflict stage")
		}
		if !plainIndexPath(u.Path) {
			return nil, needGit("path %q needs git's checks", u.Path)
		}
		p := &ups[i]
		p.path = []byte(u.Path)
		if u.Blob == "" {
			p.remove = true
			continue
		}
		if len(u.Blob) != 2*indexHashLen {
			return nil, needGit("object id %q", u.Blob)
		}
		if _, err := hex.Decode(p.oid[:], []byte(u.Blob)); err != nil {
			return nil, needGit("object id %q", u.Blob)
		}
		if p.oid == [indexHashLen]byte{} {
			return nil, needGit("null object id") // git refuses to write it
		}
		switch p.mode = u.Mode; p.mode {
		case 0:
			p.mode = ModeFile
		case ModeFile, ModeExecutable, ModeSymlink, ModeGitlink:
		default:
			return nil, needGit("mode %o", u.Mode)
		}
	}
	slices.SortFunc(ups, func(a, b pendingUpdate) int { return bytes.Compare(a.path, b.path) })
	added := make(map[string]bool, len(ups))
	for i := range ups {
		if i > 0 && bytes.Equal(ups[i-1].path, ups[i].path) {
			return nil, needGit("path %q updated twice", ups[i].path)
		}
		if !ups[i].remove {
			added[string(ups[i].path)] = true
		}
	}
	for p := range added {
		for i := strings.LastIndexByte(p, '/'); i > 0; i = strings.LastIndexByte(p[:i], '/') {
			if added[p[:i]] {
				return nil, needGit("%q would be a file and a folder", p[:i])
			}
		}
	}
	return ups, nil
}

// plainIndexPath reports whether p is a path git's verify_path accepts
// whatever core.protectHFS and core.protectNTFS say: non-empty
// components, none "." or "..", printable ASCII without backslash or
// tilde, and no "git" in any component (which rules out .git, its
// NTFS short name git~1 and their variants, and .gitmodules).
func plainIndexPath(p string) bool {
	if p == "" {
		return false
	}
	for _, comp := range strings.Split(p, "/") {
		if comp == "" || comp == "." || comp == ".." {
			return false
		}
		for i := 0; i < len(comp); i++ {
			if c := comp[i]; c < 0x20 || c >= 0x7f || c == '\\' || c == '~' {
				return false
			}
		}
		if strings.Contains(strings.ToLower(comp), "git") {
			return false
		}
	}
	return true
}

// indexConfigAllows checks the configuration and environment that change
// what git writes (split index, untracked cache, fsmonitor, sparse index,
// the threading extensions, shared permissions, a post-index-change
// hook): errNeedGit if any is on. skipHash is "zeros" or "sum" when
// index.skipHash is set, "" otherwise.
func (r *Repo) indexConfigAllows() (skipHash string, err error) {
	cs, err := r.config()
	if err != nil {
		return "", err
	}
	if cs.needsGit {
		return "", needGit("configuration only git reads (includes or -c)")
	}
	isFalse := func(v string) bool {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "false", "no", "off", "0":
			return true
		}
		return false
	}
	checks := []struct {
		key string
		ok  func(string) bool
	}{
		{"core.splitindex", isFalse},
		{"core.untrackedcache", func(v string) bool { return isFalse(v) || strings.EqualFold(v, "keep") }},
		{"core.fsmonitor", isFalse},
		{"core.usebuiltinfsmonitor", isFalse},
		// index.threads: 0 is "as many as there are cores", 1 and false
		// one (only then git writes no EOIE and IEOT by default).
		{"index.threads", func(v string) bool {
			v = strings.TrimSpace(v)
			return v == "1" || (v != "0" && isFalse(v))
		}},
		{"index.recordendofindexentries", isFalse},
		{"index.recordoffsettable", isFalse},
		{"index.sparse", isFalse},
		{"core.sharedrepository", func(v string) bool { return isFalse(v) || strings.EqualFold(v, "umask") }},
		{"feature.manyfiles", isFalse},
		{"feature.experimental", isFalse},
		{"extensions.objectformat", func(v string) bool { return strings.EqualFold(v, "sha1") }},
	}
	for _, c := range checks {
		if v, ok := cs.get(c.key); ok && !c.ok(v) {
			return "", needGit("%s = %s", c.key, v)
		}
	}
	if v, ok := cs.get("index.skiphash"); ok {
		skipHash = "sum"
		if parseBool(v) {
			skipHash = "zeros"
		} else if !isFalse(v) {
			return "", needGit("index.skipHash = %s", v)
		}
	}
	for _, name := range []string{"GIT_TEST_SPLIT_INDEX", "GIT_TEST_INDEX_THREADS", "GIT_TEST_FSMONITOR",
		"GIT_TEST_SPARSE_INDEX", "GIT_TEST_CHECK_CACHE_TREE", "GIT_TEST_UNTRACKED_CACHE"} {
		if r.getenv(name) != "" {
			return "", needGit("%s is set", name)
		}
	}
	hook, err := r.hookPath("post-index-change")
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(hook); err == nil {
		return "", needGit("a post-index-change hook")
	}
	return skipHash, nil
}

// indexEdit is one change to the entries: the entry at off (oldLen bytes)
// replaced by up's, or removed (up nil), or up's entry inserted before
// the one at off (oldLen 0).
type indexEdit struct {
	off, oldLen int
	up          *pendingUpdate
}

// racyEntry is a kept entry whose stat data is not older than the index
// file: git checks its file before writing the index (see checkRacy).
type racyEntry struct {
	off  int
	name string
}

// indexPlan is what writing the new index takes, found by
// planIndexWrite.
type indexPlan struct {
	data    []byte
	version int // of the new index
	count   int // its entries
	entEnd  int // where the old entries end
	edits   []indexEdit
	// Version 4: entries from reencodeAt (the reencodeRead-th, after the
	// path reencodePrev) on are written with a new prefix compression.
	reencodeAt, reencodeRead int
	reencodePrev             []byte
	tree                     *cacheTree // nil: no TREE extension
	reuc                     []byte     // the REUC extension with its header, nil if none
	zeroSum                  bool       // the old trailing checksum is zeros (index.skipHash)
	racy                     []racyEntry
	attrFiles                []string // .gitattributes files in the new index
}

// planIndexWrite reads the index data (its mtime ts, as git's racy-git
// test takes it) and plans applying ups: nil when nothing would change
// (git writes nothing then), errNeedGit when git must do it.
func planIndexWrite(data []byte, ups []pendingUpdate, ts uint32) (*indexPlan, error) {
	ir, err := newIndexReader(data)
	if err != nil {
		return nil, asNeedGit(err)
	}
	p := &indexPlan{data: data, version: ir.version, count: ir.count, reencodeAt: -1}
	extended, err := p.walkEntries(ir, ups, ts)
	if err != nil {
		return nil, err
	}
	for i := range ups {
		if !ups[i].remove && bytes.HasSuffix(ups[i].path, []byte(".gitattributes")) {
			p.attrFiles = append(p.attrFiles, string(ups[i].path))
		}
	}
	if err := p.readExtensions(); err != nil {
		return nil, err
	}
	if len(p.edits) == 0 && p.tree == nil {
		return nil, nil
	}
	if p.version != 4 {
		// git's do_write_index: version 3 only when an entry needs it
		// (checkRawEntry refused extended flags in a version 2 index)
		p.version = 2
		if extended > 0 {
			p.version = 3
		}
	}
	if p.tree != nil {
		for i := range ups {
			p.tree.invalidate(ups[i].path)
		}
	}
	return p, nil
}

// walkEntries reads the old entries, merging the sorted updates in: it
// records the edits and checks each entry (see checkRawEntry, keep). It
// returns how many kept entries have extended flags.
func (p *indexPlan) walkEntries(ir *indexReader, ups []pendingUpdate, ts uint32) (extended int, err error) {
	probes := newDFProbes(ups)
	u, prevStage := 0, 0
	var matched []byte // the last updated path met in the index
	var e indexEntryRaw
	for {
		ok, err := ir.next(&e)
		if err != nil {
			return 0, asNeedGit(err)
		}
		if !ok {
			break
		}
		if err := checkRawEntry(&e, ir.version, prevStage); err != nil {
			return 0, err
		}
		prevStage = e.stage()
		for ; u < len(ups) && bytes.Compare(ups[u].path, e.name) < 0; u++ {
			p.edit(indexEdit{off: e.off, up: &ups[u]}, ir, e.prev)
		}
		if u < len(ups) && bytes.Equal(ups[u].path, e.name) {
			if e.stage() != 0 || e.flags&0x8000 != 0 || e.flags2 != 0 {
				return 0, needGit("%q is a conflict or has assume-valid, skip-worktree or intent-to-add set", e.name)
			}
			if err := probes.check(e.name); !ups[u].remove && err != nil {
				return 0, err
			}
			p.edit(indexEdit{off: e.off, oldLen: e.size, up: &ups[u]}, ir, e.prev)
			matched = ups[u].path
			u++
			continue
		}
		if matched != nil && bytes.Equal(matched, e.name) {
			return 0, needGit("%q has conflict stages", e.name)
		}
		if err := p.keep(&e, ir, probes, ts); err != nil {
			return 0, err
		}
		if e.flags2 != 0 {
			extended++
		}
	}
	for ; u < len(ups); u++ {
		p.edit(indexEdit{off: ir.pos, up: &ups[u]}, ir, ir.name)
	}
	p.entEnd = ir.pos
	return extended, nil
}

// asNeedGit turns an error reading the index into errNeedGit: git reads
// it (and reports what is wrong with it) itself.
func asNeedGit(err error) error {
	if errors.Is(err, errNeedGit) {
		return err
	}
	return needGit("%v", err)
}

// checkRawEntry refuses an entry git would not write back as it is, or
// would refuse to read (check_ce_order): a name length field that is not
// the path's, extended flags git does not know or an extended bit without
// them, an entry out of order (prevStage: the previous entry's stage).
func checkRawEntry(e *indexEntryRaw, version, prevStage int) error {
	if n := min(len(e.name), 0xfff); int(e.flags&0xfff) != n {
		return needGit("name length of %q", e.name)
	}
	if e.flags&0x4000 != 0 && (e.flags2 == 0 || e.flags2&^0x6000 != 0 || version < 3) {
		return needGit("extended flags %#x of %q", e.flags2, e.name)
	}
	if e.prev != nil {
		c := bytes.Compare(e.prev, e.name)
		if c > 0 || (c == 0 && (prevStage == 0 || prevStage >= e.stage())) {
			return needGit("entries out of order at %q", e.name)
		}
	}
	return nil
}

// edit records an edit, and for version 4 the point where re-encoding
// starts (prev: the path of the entry before off).
func (p *indexPlan) edit(ed indexEdit, ir *indexReader, prev []byte) {
	if ed.oldLen == 0 && ed.up.remove {
		return // removing a path the index does not have
	}
	if ed.oldLen > 0 && ed.up.remove {
		ed.up = nil
		p.count--
	} else if ed.oldLen == 0 {
		p.count++
	}
	if ir.version == 4 && p.reencodeAt < 0 {
		p.setReencode(ed.off, ir, prev)
	}
	p.edits = append(p.edits, ed)
}

// setReencode marks the entry at off (the one after prev) as the first
// one written with a new prefix compression.
func (p *indexPlan) setReencode(off int, ir *indexReader, prev []byte) {
	read := ir.read
	if off < ir.pos {
		read-- // the entry at off has been read
	}
	p.reencodeAt, p.reencodeRead, p.reencodePrev = off, read, bytes.Clone(prev)
}

// keep checks an entry that stays as it is: no directory/file conflict
// with an added path, no null object id, and notes it when racily clean
// or a .gitattributes file. For version 4, an entry whose prefix
// compression is not the one git writes starts the re-encoding.
func (p *indexPlan) keep(e *indexEntryRaw, ir *indexReader, probes *dfProbes, ts uint32) error {
	if err := probes.check(e.name); err != nil {
		return err
	}
	ent := p.data[e.off : e.off+e.size]
	if allZero(ent[40:60]) {
		return needGit("null object id at %q", e.name)
	}
	p.noteRacy(e.off, e.name, ts)
	if len(p.racy) > maxRacyEntries {
		return needGit("more than %d racily clean entries", maxRacyEntries)
	}
	if ir.version == 4 && p.reencodeAt < 0 && e.strip > 0 && e.suffix > 0 &&
		e.name[len(e.prev)-e.strip] == e.prev[len(e.prev)-e.strip] {
		// git shares the longest common prefix; this entry shares less
		p.setReencode(e.off, ir, e.prev)
	}
	return nil
}

// noteRacy notes the entry at off (path name) when it is racily clean
// against the index's mtime ts: git's is_racy_timestamp with whole
// seconds, which also covers a git built with USE_NSEC (see checkRacy);
// gitlinks are never racy. A .gitattributes file is noted too (checkRacy
// reads the attributes).
func (p *indexPlan) noteRacy(off int, name []byte, ts uint32) {
	ent := p.data[off:]
	if binary.BigEndian.Uint32(ent[8:12]) >= ts && binary.BigEndian.Uint32(ent[24:28])&0o170000 != ModeGitlink &&
		len(p.racy) <= maxRacyEntries {
		p.racy = append(p.racy, racyEntry{off: off, name: string(name)})
	}
	if bytes.HasSuffix(name, []byte(".gitattributes")) {
		p.attrFiles = append(p.attrFiles, string(name))
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// readExtensions reads the extensions after the entries: the cache tree
// (TREE) and resolve-undo records (REUC) are kept, the threading
// extensions (EOIE, IEOT) dropped as git does unless configured to write
// them; any other extension needs git. The trailing checksum is noted.
func (p *indexPlan) readExtensions() error {
	data := p.data
	end := len(data) - indexHashLen
	for pos := p.entEnd; pos < end; {
		if pos+8 > end {
			return needGit("bytes after the last extension")
		}
		sig := string(data[pos : pos+4])
		size := int(binary.BigEndian.Uint32(data[pos+4 : pos+8]))
		if size > end-pos-8 {
			return needGit("extension %q overruns the index", sig)
		}
		body := data[pos+8 : pos+8+size]
		switch sig {
		case "TREE":
			if p.tree != nil {
				return needGit("two TREE extensions")
			}
			t, err := parseCacheTree(body)
			if err != nil {
				return err
			}
			p.tree = t
		case "REUC":
			if p.reuc != nil {
				return needGit("two REUC extensions")
			}
			if err := checkResolveUndo(body); err != nil {
				return err
			}
			p.reuc = data[pos : pos+8+size]
		case "EOIE", "IEOT":
		default:
			return needGit("extension %q", sig)
		}
		pos += 8 + size
	}
	p.zeroSum = allZero(data[end:])
	return nil
}

// dfProbes finds, walking the entries in order, a path that the updates
// would make both a file and a folder: an entry that is a parent folder
// of an added path, or one under an added path.
type dfProbes struct {
	dirs  [][]byte // parent folders of the added paths, sorted
	under [][]byte // the added paths followed by "/", sorted
	d, u  int
}

func newDFProbes(ups []pendingUpdate) *dfProbes {
	pr := &dfProbes{}
	for i := range ups {
		if ups[i].remove {
			continue
		}
		p := ups[i].path
		pr.under = append(pr.under, append(bytes.Clone(p), '/'))
		for j := bytes.LastIndexByte(p, '/'); j > 0; j = bytes.LastIndexByte(p[:j], '/') {
			pr.dirs = append(pr.dirs, p[:j])
		}
	}
	slices.SortFunc(pr.dirs, bytes.Compare)
	slices.SortFunc(pr.under, bytes.Compare)
	return pr
}

// check is called with every entry's path that stays a file, in order.
func (pr *dfProbes) check(name []byte) error {
	for pr.d < len(pr.dirs) && bytes.Compare(pr.dirs[pr.d], name) < 0 {
		pr.d++
	}
	if pr.d < len(pr.dirs) && bytes.Equal(pr.dirs[pr.d], name) {
		return needGit("%q would be a file and a folder", name)
	}
	// The paths under k sort together from k on: once name is past k
	// without starting with it, no later one does.
	for pr.u < len(pr.under) && bytes.Compare(pr.under[pr.u], name) < 0 && !bytes.HasPrefix(name, pr.under[pr.u]) {
		pr.u++
	}
	if pr.u < len(pr.under) && bytes.HasPrefix(name, pr.under[pr.u]) {
		return needGit("%q would be a file and a folder", pr.under[pr.u][:len(pr.under[pr.u])-1])
	}
	return nil
}

// commit writes the new index into the lock file and renames it over
// indexFile; on failure the lock file is removed.
func (p *indexPlan) commit(lock *os.File, indexFile string, fsync bool) error {
	w := &hashWriter{bw: bufio.NewWriterSize(lock, 64<<10)}
	if !p.zeroSum {
		w.h = sha1.New()
	}
	err := p.writeTo(w)
	if err == nil && fsync {
		err = lock.Sync()
	}
	if cerr := lock.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(lock.Name(), indexFile)
	}
	if err != nil {
		os.Remove(lock.Name())
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// hashWriter writes through a buffer and hashes what it writes (h nil:
// no hash). Errors stick in the buffer.
type hashWriter struct {
	bw *bufio.Writer
	h  hash.Hash
}

func (w *hashWriter) write(b []byte) {
	if w.h != nil {
		w.h.Write(b)
	}
	w.bw.Write(b)
}

// writeTo writes the header, the entries, the extensions and the
// checksum.
func (p *indexPlan) writeTo(w *hashWriter) error {
	var hdr [12]byte
	copy(hdr[:], "DIRC")
	binary.BigEndian.PutUint32(hdr[4:], uint32(p.version))
	binary.BigEndian.PutUint32(hdr[8:], uint32(p.count))
	w.write(hdr[:])
	if p.version == 4 {
		if err := p.writeEntries4(w); err != nil {
			return err
		}
	} else {
		p.writeEntries(w)
	}
	if p.tree != nil {
		body := p.tree.appendTo(nil)
		var h [8]byte
		copy(h[:], "TREE")
		binary.BigEndian.PutUint32(h[4:], uint32(len(body)))
		w.write(h[:])
		w.write(body)
	}
	if p.reuc != nil {
		w.write(p.reuc)
	}
	sum := make([]byte, indexHashLen)
	if w.h != nil {
		sum = w.h.Sum(sum[:0])
	}
	w.bw.Write(sum)
	return w.bw.Flush()
}

// writeEntries writes the entries of a version 2 or 3 index: the old
// bytes between the edits, copied as they are.
func (p *indexPlan) writeEntries(w *hashWriter) {
	pos := 12
	var buf []byte
	for _, ed := range p.edits {
		w.write(p.data[pos:ed.off])
		if ed.up != nil {
			buf = appendNewEntry(buf[:0], ed.up, 2, nil)
			w.write(buf)
		}
		pos = ed.off + ed.oldLen
	}
	w.write(p.data[pos:p.entEnd])
}

// writeEntries4 writes the entries of a version 4 index: the old bytes up
// to the first edit, then every entry with the prefix compression git
// computes (each path shares the longest prefix it can with the previous
// one written).
func (p *indexPlan) writeEntries4(w *hashWriter) error {
	if p.reencodeAt < 0 {
		w.write(p.data[12:p.entEnd])
		return nil
	}
	w.write(p.data[12:p.reencodeAt])
	ir, err := newIndexReader(p.data)
	if err != nil {
		return err
	}
	ir.seek(p.reencodeAt, p.reencodeRead, p.reencodePrev)
	prev := bytes.Clone(p.reencodePrev)
	edits := p.edits
	var buf []byte
	var e indexEntryRaw
	for {
		ok, err := ir.next(&e)
		if err != nil {
			return err
		}
		off := p.entEnd
		if ok {
			off = e.off
		}
		skip := false
		for ; len(edits) > 0 && edits[0].off == off; edits = edits[1:] {
			skip = skip || edits[0].oldLen > 0
			if up := edits[0].up; up != nil {
				buf = appendNewEntry(buf[:0], up, 4, prev)
				w.write(buf)
				prev = append(prev[:0], up.path...)
			}
		}
		if !ok {
			return nil
		}
		if skip {
			continue
		}
		buf = append(buf[:0], p.data[e.off:e.off+e.fixed]...)
		buf = appendPath4(buf, prev, e.name)
		w.write(buf)
		prev = append(prev[:0], e.name...)
	}
}

// appendNewEntry appends the entry git's add_cacheinfo makes for up: no
// stat data, up's mode and object id, stage 0, no flags but the name
// length; a version 4 entry compresses its path against prev.
func appendNewEntry(dst []byte, up *pendingUpdate, version int, prev []byte) []byte {
	var fixed [62]byte
	binary.BigEndian.PutUint32(fixed[24:], up.mode)
	copy(fixed[40:60], up.oid[:])
	binary.BigEndian.PutUint16(fixed[60:], uint16(min(len(up.path), 0xfff)))
	dst = append(dst, fixed[:]...)
	if version == 4 {
		return appendPath4(dst, prev, up.path)
	}
	dst = append(dst, up.path...)
	n := len(fixed) + len(up.path)
	return append(dst, make([]byte, (n+8)&^7-n)...)
}

// appendPath4 appends the version 4 path field of name after prev: the
// bytes of prev not shared, as a varint, and the rest of name.
func appendPath4(dst, prev, name []byte) []byte {
	common := 0
	for common < len(prev) && common < len(name) && prev[common] == name[common] {
		common++
	}
	dst = appendGitVarint(dst, uint64(len(prev)-common))
	dst = append(dst, name[common:]...)
	return append(dst, 0)
}
