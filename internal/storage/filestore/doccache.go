package filestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"unsafe"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/safefs"
)

// The document cache keeps every document a read (LoadAll, List, Stats)
// decoded, with the stat data its file had when it was read, in one file
// of the git directory (never in the work tree: nothing to ignore,
// nothing a repository can plant). A document is taken from it only while
// its file's stat data (size, mtime, ctime, inode, device) is unchanged
// and not "racy" (see Racy): a file whose mtime or ctime is too close to
// the moment it was checked could have been rewritten in the same
// timestamp tick, so it is read again (git's racy rule). Every file is
// still lstat'ed on every read: an edit in place, a checkout, a stash are
// seen by the next command.
//
// The file is the magic, then one entry per document in Scan's order (by
// path): path, stat data, check time, the document's bytes, then its
// fields (absent for a document with unknown keys, which is decoded from
// its bytes). Strings are a length and bytes, numbers varints.
const (
	docCacheName  = "milestone-docs.cache"
	docCacheMagic = "git-milestone document cache 1\n"
)

// statKey is the stat data a cached document is valid for.
type statKey struct {
	size, mtime, ctime int64
	ino, dev           uint64
}

// cachedDoc is one document as cached.
type cachedDoc struct {
	st      statKey
	checked int64 // wall clock (ns) taken before st was read
	src     []byte
	m       *milestone.Milestone // nil: decode src again (unknown keys)
}

func (s *Store) docCachePath() string { return filepath.Join(s.repo.GitDir, docCacheName) }

// docCache is the document cache as read: its entries, still encoded,
// in one buffer. Nothing is decoded until a file's stat data vouches for
// its entry, and then straight into the record, whose strings point into
// the buffer (see fieldDecoder).
type docCache struct {
	data []byte // the entries (after the magic); never written after reading
	n    int    // how many entries
}

// readDocCache reads the cache file (nil if it cannot).
func (s *Store) readDocCache() []byte {
	data, err := readCache(s.docCachePath())
	if err != nil {
		return nil
	}
	return data
}

// parseDocCache takes the cache file's data (nil: none) and checks its
// whole structure; anything malformed is an empty cache (nil). It finds
// each file's entry on the way: offs[i] is the offset of the entry of
// files[i], or -1. The cache is written in Scan's order, by path, so one
// merge of the two lists finds them all; entries out of order are not
// found (their files are read again), never mistaken.
func parseDocCache(data []byte, files []DocFile) (c *docCache, offs []int) {
	offs = make([]int, len(files))
	for i := range offs {
		offs[i] = -1
	}
	if len(data) < len(docCacheMagic) || string(data[:len(docCacheMagic)]) != docCacheMagic {
		return nil, offs
	}
	c = &docCache{data: data[len(docCacheMagic):]}
	var h entryHeader
	i := 0
	for off := 0; off < len(c.data); c.n++ {
		next := c.header(off, &h)
		if next >= 0 {
			next = c.skipFields(next, h.hasFields)
		}
		if next < 0 {
			for i := range offs {
				offs[i] = -1
			}
			return nil, offs
		}
		p := bytesString(h.path)
		for i < len(files) && files[i].Path < p {
			i++
		}
		if i < len(files) && files[i].Path == p {
			offs[i] = off
			i++
		}
		off = next
	}
	return c, offs
}

// entryHeader is what an entry says before its document's fields.
type entryHeader struct {
	path      []byte
	st        statKey
	checked   int64
	src       []byte // the document (a slice of the cache's buffer)
	hasFields bool   // false: the document has unknown keys, decode src
	fields    int    // offset of the fields in the buffer
}

// header decodes the header of the entry at off into h and returns the
// offset of what follows the fields' flag, or -1 when it is malformed.
func (c *docCache) header(off int, h *entryHeader) int {
	r := cacheReader{b: c.data[off:]}
	h.path = r.bytes()
	h.st.size, h.st.mtime, h.st.ctime, h.checked = r.varint(), r.varint(), r.varint(), r.varint()
	h.st.ino, h.st.dev = r.uvarint(), r.uvarint()
	h.src = r.bytes()
	flag := r.byte()
	if r.err != nil || flag > 1 {
		return -1
	}
	h.hasFields = flag == 1
	h.fields = len(c.data) - len(r.b)
	return h.fields
}

// skipFields returns the end of the fields at off (or -1 when they are
// malformed); an entry without fields ends there.
func (c *docCache) skipFields(off int, hasFields bool) int {
	if !hasFields {
		return off
	}
	r := cacheReader{b: c.data[off:]}
	for i := 0; i < 11; i++ {
		r.bytes()
	}
	for l := 0; l < 2; l++ {
		n := r.uvarint()
		for i := uint64(1); i < n && r.err == nil; i++ {
			r.bytes()
		}
	}
	switch r.byte() {
	case 0:
	case 1:
		r.varint()
	default:
		return -1
	}
	if r.err != nil {
		return -1
	}
	return len(c.data) - len(r.b)
}

// bytesString is b as a string without a copy: only for a b that is
// never written again (the cache's buffer).
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// fieldDecoder decodes cached fields into a record. Its strings point
// into the cache's buffer, which is never written after it is read (the
// buffer lives as long as a record does: a string keeps it). The record's
// Source points there too, at the document's own bytes, which no field
// shares: a caller writing into Source changes no string. Labels,
// DependsOn and Progress are the decoder's, reused by the next decode:
// own copies them for a record that is kept.
type fieldDecoder struct {
	labels, deps []string
	progress     int
}

// decode fills m from the fields at off (checked by parseDocCache).
func (d *fieldDecoder) decode(c *docCache, off int, m *milestone.Milestone) {
	r := cacheReader{b: c.data[off:]}
	str := func() string { return bytesString(r.bytes()) }
	m.ID, m.Title, m.Status, m.Priority = str(), str(), milestone.Status(str()), milestone.Priority(str())
	m.Owner, m.Start, m.Due, m.Description = str(), str(), str(), str()
	m.CreatedAt, m.UpdatedAt, m.ClosedAt = str(), str(), str()
	list := func(buf []string) []string {
		n := r.uvarint()
		if n == 0 {
			return nil
		}
		buf = buf[:0]
		for i := uint64(1); i < n; i++ {
			buf = append(buf, str())
		}
		if buf == nil {
			buf = []string{}
		}
		return buf
	}
	m.Labels = list(d.labels)
	if m.Labels != nil {
		d.labels = m.Labels
	}
	m.DependsOn = list(d.deps)
	if m.DependsOn != nil {
		d.deps = m.DependsOn
	}
	m.Progress = nil
	if r.byte() == 1 {
		d.progress = int(r.varint())
		m.Progress = &d.progress
	}
	m.Extra = nil
}

// own gives rec copies of what the decoder reuses (nil stays nil, empty
// stays empty).
func own(m *milestone.Milestone) {
	if m.Labels != nil {
		m.Labels = append(make([]string, 0, len(m.Labels)), m.Labels...)
	}
	if m.DependsOn != nil {
		m.DependsOn = append(make([]string, 0, len(m.DependsOn)), m.DependsOn...)
	}
	if m.Progress != nil {
		p := *m.Progress
		m.Progress = &p
	}
}

// saveDocCache replaces the cache by the entries of files (a temporary
// file renamed into place: readers see the old or the new one): fresh[i]
// when set, else the entry of c at offs[i] (copied as it is), else none.
// It is a cache: not fsynced, and a failure is ignored.
func (s *Store) saveDocCache(files []DocFile, c *docCache, offs []int, fresh []*cachedDoc) {
	// Sized first (each new entry encoded into scratch space): grown by
	// append, the buffer was copied over and over, and at 100,000
	// documents the last copy alone held ~140 MB (old and new) at once.
	size := len(docCacheMagic)
	var scratch []byte
	var h entryHeader
	for i, d := range fresh {
		switch {
		case d != nil:
			scratch = appendCachedDoc(scratch[:0], files[i].Path, d)
			size += len(scratch)
		case offs[i] >= 0:
			size += c.skipFields(c.header(offs[i], &h), h.hasFields) - offs[i]
		}
	}
	b := append(make([]byte, 0, size), docCacheMagic...)
	for i, d := range fresh {
		switch {
		case d != nil:
			b = appendCachedDoc(b, files[i].Path, d)
		case offs[i] >= 0:
			b = append(b, c.data[offs[i]:c.skipFields(c.header(offs[i], &h), h.hasFields)]...)
		}
	}
	_ = safefs.WriteFile(s.docCachePath(), b, safefs.FileOptions{NoSync: true})
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendList encodes a list keeping nil apart from empty.
func appendList(b []byte, l []string) []byte {
	if l == nil {
		return binary.AppendUvarint(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(l))+1)
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}

func appendCachedDoc(b []byte, path string, d *cachedDoc) []byte {
	b = appendString(b, path)
	for _, v := range []int64{d.st.size, d.st.mtime, d.st.ctime, d.checked} {
		b = binary.AppendVarint(b, v)
	}
	b = binary.AppendUvarint(b, d.st.ino)
	b = binary.AppendUvarint(b, d.st.dev)
	b = appendString(b, string(d.src))
	if d.m == nil {
		return append(b, 0)
	}
	m := d.m
	b = append(b, 1)
	for _, s := range []string{m.ID, m.Title, string(m.Status), string(m.Priority), m.Owner, m.Start, m.Due,
		m.Description, m.CreatedAt, m.UpdatedAt, m.ClosedAt} {
		b = appendString(b, s)
	}
	b = appendList(b, m.Labels)
	b = appendList(b, m.DependsOn)
	if m.Progress == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	return binary.AppendVarint(b, int64(*m.Progress))
}

var errBadCache = errors.New("document cache is malformed")

// cacheReader decodes appendCachedDoc's encoding.
type cacheReader struct {
	b   []byte
	err error
}

func (r *cacheReader) uvarint() uint64 {
	if len(r.b) > 0 && r.b[0] < 0x80 { // most are one byte
		v := r.b[0]
		r.b = r.b[1:]
		return uint64(v)
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = errBadCache, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *cacheReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err, r.b = errBadCache, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *cacheReader) bytes() []byte {
	n := r.uvarint()
	if uint64(len(r.b)) < n {
		r.err, r.b = errBadCache, nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *cacheReader) byte() byte {
	if len(r.b) == 0 {
		r.err = errBadCache
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// statKeyOf returns the stat data of a regular file; ok is false for
// anything else (then nothing is cached).
func statKeyOf(fi fs.FileInfo) (statKey, bool) {
	if fi == nil || !fi.Mode().IsRegular() {
		return statKey{}, false
	}
	return sysStatKey(fi)
}

// readCache reads the cache file into a buffer of its size. A buffer of
// megabytes is fresh memory, every page of it a fault: cacheBuffer asks
// for large pages where the system has them.
func readCache(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > 1<<40 {
		return nil, fmt.Errorf("read %s: too large", p)
	}
	buf := cacheBuffer(int(fi.Size()))
	n, err := io.ReadFull(f, buf)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return buf[:n], nil
}
