package filestore

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// The document cache keeps every document LoadAll decoded, with the stat
// data its file had when it was read, in one file of the git directory
// (never in the work tree: nothing to ignore, nothing a repository can
// plant). A document is taken from it only while its file's stat data
// (size, mtime, ctime, inode, device) is unchanged and not "racy" (see
// Racy): a file whose mtime or ctime is too close to the moment it was
// checked could have been rewritten in the same timestamp tick, so it is
// read again (git's racy rule). Every file is still lstat'ed on every LoadAll:
// an edit in place, a checkout, a stash are seen by the next command.
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

func (c *cachedDoc) trusted(st statKey) bool {
	return c.st == st && !Racy(c.st.mtime, c.st.ctime, c.checked)
}

func (s *Store) docCachePath() string { return filepath.Join(s.repo.GitDir, docCacheName) }

// loadDocCache reads the cache; anything unreadable is an empty cache.
func (s *Store) loadDocCache() map[string]*cachedDoc {
	data, err := os.ReadFile(s.docCachePath())
	if err != nil || len(data) < len(docCacheMagic) || string(data[:len(docCacheMagic)]) != docCacheMagic {
		return nil
	}
	docs, err := decodeDocCache(data[len(docCacheMagic):])
	if err != nil {
		return nil
	}
	return docs
}

// saveDocCache replaces the cache by docs (a temporary file renamed into
// place: readers see the old or the new one). It is a cache: not fsynced,
// and a failure is ignored.
func (s *Store) saveDocCache(paths []string, docs []*cachedDoc) {
	// Sized first (each entry encoded into scratch space): grown by
	// append, the buffer was copied over and over, and at 100,000
	// documents the last copy alone held ~140 MB (old and new) at once.
	size := len(docCacheMagic)
	var scratch []byte
	for i, d := range docs {
		if d != nil {
			scratch = appendCachedDoc(scratch[:0], paths[i], d)
			size += len(scratch)
		}
	}
	b := append(make([]byte, 0, size), docCacheMagic...)
	for i, d := range docs {
		if d != nil {
			b = appendCachedDoc(b, paths[i], d)
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

func (r *cacheReader) str() string { return string(r.bytes()) }

func (r *cacheReader) byte() byte {
	if len(r.b) == 0 {
		r.err = errBadCache
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *cacheReader) list() []string {
	n := r.uvarint()
	if n == 0 {
		return nil
	}
	if n-1 > uint64(len(r.b)) {
		r.err, r.b = errBadCache, nil
		return nil
	}
	l := make([]string, n-1)
	for i := range l {
		l[i] = r.str()
	}
	return l
}

func decodeDocCache(b []byte) (map[string]*cachedDoc, error) {
	r := &cacheReader{b: b}
	docs := map[string]*cachedDoc{}
	for len(r.b) > 0 && r.err == nil {
		path := r.str()
		d := &cachedDoc{}
		d.st.size, d.st.mtime, d.st.ctime, d.checked = r.varint(), r.varint(), r.varint(), r.varint()
		d.st.ino, d.st.dev = r.uvarint(), r.uvarint()
		d.src = r.bytes()
		switch r.byte() {
		case 0:
		case 1:
			m := &milestone.Milestone{}
			m.ID, m.Title, m.Status, m.Priority = r.str(), r.str(), milestone.Status(r.str()), milestone.Priority(r.str())
			m.Owner, m.Start, m.Due, m.Description = r.str(), r.str(), r.str(), r.str()
			m.CreatedAt, m.UpdatedAt, m.ClosedAt = r.str(), r.str(), r.str()
			m.Labels, m.DependsOn = r.list(), r.list()
			switch r.byte() {
			case 0:
			case 1:
				p := int(r.varint())
				m.Progress = &p
			default:
				return nil, errBadCache
			}
			d.m = m
		default:
			return nil, errBadCache
		}
		docs[path] = d
	}
	return docs, r.err
}

// loadCached returns f's record from the cache entry old when f's stat
// data (st) still vouches for it, and otherwise reads and decodes the file
// (after st was taken, so that a later write changes the stat data) and
// returns the entry to cache (nil for a document that does not decode).
func (s *Store) loadCached(f DocFile, st statKey, ok bool, old *cachedDoc, t0 int64) (storage.Record, *cachedDoc, error) {
	if ok && old != nil && old.trusted(st) {
		if old.m != nil {
			m := *old.m
			return storage.Record{Milestone: m, Source: old.src, Path: f.Path}, old, nil
		}
		if rec, err := s.decode(f, old.src); err == nil {
			return rec, old, nil
		}
	}
	src, err := s.ReadFile(f.Path)
	if err != nil {
		return storage.Record{}, nil, wrapRead(f.Path, err)
	}
	rec, err := s.decode(f, src)
	if err != nil || !ok {
		return rec, nil, err
	}
	d := &cachedDoc{st: st, checked: t0, src: src}
	if rec.Milestone.Extra == nil {
		m := rec.Milestone
		d.m = &m
	}
	return rec, d, nil
}

// statKeyOf returns the stat data of a regular file; ok is false for
// anything else (then nothing is cached).
func statKeyOf(fi fs.FileInfo) (statKey, bool) {
	if fi == nil || !fi.Mode().IsRegular() {
		return statKey{}, false
	}
	return sysStatKey(fi)
}
