package gitrepo

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// SetIndexStat records the stat data of the work-tree files of paths in
// their stage-0 entries of indexFile, as `git update-index --refresh`
// would for files whose content is what the entry records (the caller has
// just written them): ctime, mtime, dev, ino, uid, gid and size, truncated
// to 32 bits as git stores them; the trailing checksum is recomputed. It
// patches a copy of the file itself (no git process): the index is mapped,
// not read into memory, and written out in pieces around the patched
// entries. It falls back to `git add --refresh` (on a copy) for an index
// it does not read itself (split or sparse index), and when git would
// smudge a racily clean entry as it writes the index (see checkRacy). The
// new index is written beside indexFile and renamed over it, so the caller
// may hold indexFile's lock.
func (r *Repo) SetIndexStat(indexFile string, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	fi, err := os.Stat(indexFile)
	if err != nil {
		return fmt.Errorf("set the stat data of index %s: %w", indexFile, err)
	}
	ts, ok := statOf(fi)
	needGit := !ok
	err = readMapped(indexFile, func(data []byte) error {
		if needGit {
			return nil
		}
		patches, racy, err := r.statPatches(data, paths, ts.mtimeSec)
		if err == nil {
			err = r.checkRacy(racy)
		}
		if errors.Is(err, errNeedGit) {
			needGit = true
			return nil
		}
		if err != nil || len(patches) == 0 {
			return err
		}
		return writePatchedIndex(indexFile, data, patches)
	})
	if needGit {
		return r.refreshViaCopy(indexFile, paths)
	}
	if err != nil {
		return fmt.Errorf("set the stat data of index %s: %w", indexFile, err)
	}
	return nil
}

// statPatch is the new stat data (40 bytes: ctime, mtime, dev, ino, then
// uid, gid, size after the 4 bytes of mode) of the entry at off.
type statPatch struct {
	off  int
	stat [40]byte
}

// statPatches returns the patches of the stage-0 entries of paths in
// data whose work-tree file is a regular file, in file order, and the
// other entries racily clean against the index's mtime ts, for
// checkRacy; errNeedGit when the index needs git (or stat data is not
// available here).
func (r *Repo) statPatches(data []byte, paths []string, ts uint32) ([]statPatch, *indexPlan, error) {
	// Entries are sorted by path, so are the wanted paths: merge them (a
	// map lookup per entry was a tenth of the call on a 30,000-entry
	// index).
	wanted := make([][]byte, len(paths))
	for i, p := range paths {
		wanted[i] = []byte(p)
	}
	slices.SortFunc(wanted, bytes.Compare)
	var offsets []int
	var names []string
	racy := &indexPlan{data: data}
	next := 0 // wanted[next] is the smallest path not yet passed
	if err := walkIndex(data, func(name []byte, off int, stage int) {
		for next < len(wanted) && bytes.Compare(wanted[next], name) < 0 {
			next++
		}
		if stage == 0 && next < len(wanted) && bytes.Equal(wanted[next], name) {
			offsets = append(offsets, off)
			names = append(names, string(name))
		}
		racy.noteRacy(off, name, ts)
	}); err != nil {
		return nil, nil, err
	}
	patches := make([]statPatch, 0, len(offsets))
	for i, off := range offsets {
		file := filepath.Join(r.WorkTree, filepath.FromSlash(names[i]))
		fi, err := os.Lstat(file)
		if err != nil || !fi.Mode().IsRegular() {
			continue // git will look at it itself
		}
		st, ok := statOf(fi)
		if !ok {
			return nil, nil, errNeedGit
		}
		// Only for the content the entry names, as git refreshes: a
		// file edited since the caller wrote it keeps no stat data
		// (and git sees the edit). Read after the lstat: a later edit
		// changes the stat data recorded. A file with CR may be a
		// line-ending conversion of the blob (the caller writes CRLF
		// where git's checkout would): git decides.
		content, err := os.ReadFile(file)
		if err != nil {
			continue // git will look at it itself
		}
		if NewBlob(content).ID() != hex.EncodeToString(data[off+40:off+60]) {
			if bytes.IndexByte(content, '\r') >= 0 {
				return nil, nil, errNeedGit
			}
			continue // edited, or converted otherwise: git will look at it
		}
		p := statPatch{off: off}
		copy(p.stat[:], data[off:off+40])
		for i, v := range []uint32{st.ctimeSec, st.ctimeNsec, st.mtimeSec, st.mtimeNsec, st.dev, st.ino} {
			binary.BigEndian.PutUint32(p.stat[4*i:], v)
		}
		binary.BigEndian.PutUint32(p.stat[28:], st.uid)
		binary.BigEndian.PutUint32(p.stat[32:], st.gid)
		binary.BigEndian.PutUint32(p.stat[36:], st.size)
		patches = append(patches, p)
	}
	// A refreshed entry is up to date: git does not look at it again.
	racy.racy = slices.DeleteFunc(racy.racy, func(e racyEntry) bool {
		_, found := slices.BinarySearchFunc(patches, e.off, func(p statPatch, off int) int { return p.off - off })
		return found
	})
	if len(racy.racy) > maxRacyEntries {
		return nil, nil, errNeedGit
	}
	return patches, racy, nil
}

// writePatchedIndex writes data with the patches applied and a new
// trailing checksum (unless it is zeros: index.skipHash) to a temporary
// file beside indexFile, and renames it over indexFile. data is written
// in pieces (hashWriter, as the index writer writes).
func writePatchedIndex(indexFile string, data []byte, patches []statPatch) error {
	tmp := indexFile + ".stat-tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	body := data[:len(data)-indexHashLen]
	sum := data[len(body):]
	w := &hashWriter{bw: bufio.NewWriterSize(f, 64<<10)}
	if !bytes.Equal(sum, make([]byte, indexHashLen)) {
		w.h = sha1.New()
	}
	pos := 0
	for i := range patches {
		p := &patches[i]
		w.write(body[pos:p.off])
		w.write(p.stat[:])
		pos = p.off + len(p.stat)
	}
	w.write(body[pos:])
	if w.h != nil {
		sum = w.h.Sum(nil)
	}
	w.bw.Write(sum)
	err = w.bw.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, indexFile)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// walkIndex calls fn with the name, offset and stage of every entry of an
// index file (versions 2-4), and fails with errNeedGit for a split or
// sparse index or an unknown mandatory extension. name is only valid
// during the call.
func walkIndex(data []byte, fn func(name []byte, off, stage int)) error {
	ir, err := newIndexReader(data)
	if err != nil {
		return err
	}
	var e indexEntryRaw
	for {
		ok, err := ir.next(&e)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		fn(e.name, e.off, e.stage())
	}
	for pos := ir.pos; pos+8 <= ir.end; {
		sig := data[pos : pos+4]
		size := int(binary.BigEndian.Uint32(data[pos+4 : pos+8]))
		if sig[0] < 'A' || sig[0] > 'Z' {
			return errNeedGit
		}
		pos += 8 + size
	}
	return nil
}

// indexHashLen is the size of an object id and of the index's trailing
// checksum (SHA-1 repositories only: Open refuses the others).
const indexHashLen = 20

// indexReader reads the entries of an index file (versions 2, 3 and 4)
// one by one.
type indexReader struct {
	data    []byte
	version int
	count   int // entries, from the header
	end     int // where the trailing checksum starts
	pos     int // offset of the next entry
	read    int // entries read so far
	// name and prev are the current and the previous entry's path; for
	// version 4 they are two buffers the reader swaps.
	name, prev []byte
}

// indexEntryRaw is one entry as indexReader reads it.
type indexEntryRaw struct {
	off, size int    // the entry is data[off:off+size]
	name      []byte // its path, valid until the next entry is read
	prev      []byte // the previous entry's path (nil for the first), valid as long as name
	flags     uint16 // assume-valid, extended, stage and name length bits
	flags2    uint16 // extended flags (skip-worktree, intent-to-add); 0 without the extended bit
	fixed     int    // bytes before the name field: 62, or 64 with extended flags
	strip     int    // version 4: bytes of the previous path not shared
	suffix    int    // version 4: bytes of the path written in the entry
}

func (e *indexEntryRaw) stage() int { return int(e.flags>>12) & 3 }

// newIndexReader checks the header of an index file: errNeedGit for a
// version other than 2, 3 and 4.
func newIndexReader(data []byte) (*indexReader, error) {
	if len(data) < 12+indexHashLen || string(data[:4]) != "DIRC" {
		return nil, errors.New("not an index file")
	}
	version := binary.BigEndian.Uint32(data[4:8])
	if version < 2 || version > 4 {
		return nil, errNeedGit
	}
	return &indexReader{data: data, version: int(version),
		count: int(binary.BigEndian.Uint32(data[8:12])), end: len(data) - indexHashLen, pos: 12}, nil
}

var errCorruptEntry = errors.New("corrupt index entry")

// next reads the next entry into e; false after the last one.
func (ir *indexReader) next(e *indexEntryRaw) (bool, error) {
	if ir.read >= ir.count {
		return false, nil
	}
	const fixed = 62
	if ir.pos+fixed > ir.end {
		return false, errCorruptEntry
	}
	ent := ir.data[ir.pos:ir.end]
	*e = indexEntryRaw{off: ir.pos, flags: binary.BigEndian.Uint16(ent[60:62]), fixed: fixed}
	if e.flags&0x4000 != 0 {
		e.fixed += 2
		if e.fixed > len(ent) {
			return false, errCorruptEntry
		}
		e.flags2 = binary.BigEndian.Uint16(ent[62:64])
	}
	if ir.version == 4 {
		strip, n := gitVarint(ent[e.fixed:])
		if n == 0 || strip > uint64(len(ir.name)) {
			return false, errCorruptEntry
		}
		rest := ent[e.fixed+n:]
		nul := bytes.IndexByte(rest, 0)
		if nul < 0 {
			return false, errCorruptEntry
		}
		name := append(ir.prev[:0], ir.name[:len(ir.name)-int(strip)]...)
		ir.prev, ir.name = ir.name, append(name, rest[:nul]...)
		e.strip, e.suffix = int(strip), nul
		e.size = e.fixed + n + nul + 1
	} else {
		n := int(e.flags & 0xfff)
		if n == 0xfff {
			n = bytes.IndexByte(ent[e.fixed:], 0)
			if n < 0 {
				return false, errCorruptEntry
			}
		}
		if e.fixed+n > len(ent) {
			return false, errCorruptEntry
		}
		ir.prev, ir.name = ir.name, ent[e.fixed:e.fixed+n]
		e.size = (e.fixed + n + 8) &^ 7
	}
	if e.size > len(ent) {
		return false, errCorruptEntry
	}
	e.name = ir.name
	if ir.read > 0 {
		e.prev = ir.prev
	}
	ir.pos += e.size
	ir.read++
	return true, nil
}

// seek makes the entry at off, the read-th, the next one to read; prev is
// the path of the entry before it (version 4 decodes a path from it).
func (ir *indexReader) seek(off, read int, prev []byte) {
	ir.pos, ir.read = off, read
	ir.name, ir.prev = bytes.Clone(prev), nil // (for version 2 and 3, name is in data)
}

// gitVarint decodes the variable-length integer of git's varint.c (not
// encoding/binary's: each continuation adds one), as index version 4
// stores the bytes a path drops from the previous one. n is 0 when b does
// not hold a valid one.
func gitVarint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	c := b[0]
	v, n = uint64(c&127), 1
	for c&128 != 0 {
		v++
		if v == 0 || v>>(64-7) != 0 || n >= len(b) {
			return 0, 0
		}
		c = b[n]
		n++
		v = v<<7 + uint64(c&127)
	}
	return v, n
}

// appendGitVarint appends v encoded as gitVarint reads it.
func appendGitVarint(dst []byte, v uint64) []byte {
	var buf [16]byte
	pos := len(buf) - 1
	buf[pos] = byte(v & 127)
	for v >>= 7; v != 0; v >>= 7 {
		v--
		pos--
		buf[pos] = 128 | byte(v&127)
	}
	return append(dst, buf[pos:]...)
}

// refreshViaCopy runs RefreshIndexFile on a copy of indexFile (git takes
// the copy's lock, not indexFile's) and renames the copy over it.
func (r *Repo) refreshViaCopy(indexFile string, paths []string) error {
	tmp := indexFile + ".stat-tmp"
	os.Remove(tmp)
	if err := os.Link(indexFile, tmp); err != nil {
		data, rerr := os.ReadFile(indexFile)
		if rerr == nil {
			rerr = os.WriteFile(tmp, data, 0o666)
		}
		if rerr != nil {
			os.Remove(tmp)
			return fmt.Errorf("copy index: %w", rerr)
		}
	}
	if err := r.RefreshIndexFile(tmp, paths); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, indexFile); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}
