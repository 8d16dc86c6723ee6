package index

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// File types in fileStat.Type.
const (
	typeNone    = 0 // absent
	typeRegular = 1
	typeDir     = 2
	typeSymlink = 3
	typeOther   = 4
)

// fileStat is the stat data the freshness check compares, like the stat
// part of a git index entry.
type fileStat struct {
	Type  uint8
	Size  int64
	Mtime int64 // ns since the epoch
	Ctime int64 // ns since the epoch (0 where the OS has none)
	Ino   uint64
	Dev   uint64
}

// Entry kinds.
const (
	kindDoc = 1 // indexed in milestones
	kindBad = 2 // a document file that does not parse or cannot be read (in problems)
)

// entry is the freshness record of one document file (or, in meta, of one
// folder).
type entry struct {
	path    string // repository-relative
	kind    uint8
	st      fileStat
	hash    [16]byte // SHA-256 prefix of the content read when st was taken
	checked int64    // wall clock (ns) taken before st was read
}

// racy reports whether the entry's stat data could miss a write made in
// the same timestamp tick as the check that recorded it (filestore.Racy):
// such an entry is re-checked by content at the next refresh.
func (e *entry) racy() bool { return filestore.Racy(e.st.Mtime, e.st.Ctime, e.checked) }

const buckets = 256

// bucketOf is the stat bucket a path belongs to.
func bucketOf(path string) int {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(path); i++ {
		h ^= uint32(path[i])
		h *= 16777619
	}
	return int(h % buckets)
}

// appendEntry encodes e.
func appendEntry(b []byte, e *entry) []byte {
	b = binary.AppendUvarint(b, uint64(len(e.path)))
	b = append(b, e.path...)
	b = append(b, e.kind, e.st.Type)
	b = binary.AppendVarint(b, e.st.Size)
	b = binary.AppendVarint(b, e.st.Mtime)
	b = binary.AppendVarint(b, e.st.Ctime)
	b = binary.AppendUvarint(b, e.st.Ino)
	b = binary.AppendUvarint(b, e.st.Dev)
	b = append(b, e.hash[:]...)
	return binary.AppendVarint(b, e.checked)
}

// shortEntrySize is a short encoded entry: one for a path of ~20
// bytes (a document path of the usual length takes ~85), to size a slice
// of entries from the bytes that encode them.
const shortEntrySize = 64

var errBadStat = errors.New("stat data is malformed")

// decodeEntries decodes a sequence of appendEntry encodings.
func decodeEntries(b []byte, fn func(e entry)) error {
	str := string(b) // one allocation for every path
	for len(b) > 0 {
		var e entry
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n+2 {
			return errBadStat
		}
		off := len(str) - len(b) + k
		e.path = str[off : off+int(n)]
		b = b[k+int(n):]
		e.kind, e.st.Type = b[0], b[1]
		b = b[2:]
		for _, p := range []*int64{&e.st.Size, &e.st.Mtime, &e.st.Ctime} {
			v, k := binary.Varint(b)
			if k <= 0 {
				return errBadStat
			}
			*p, b = v, b[k:]
		}
		for _, p := range []*uint64{&e.st.Ino, &e.st.Dev} {
			v, k := binary.Uvarint(b)
			if k <= 0 {
				return errBadStat
			}
			*p, b = v, b[k:]
		}
		if len(b) < len(e.hash) {
			return errBadStat
		}
		copy(e.hash[:], b)
		b = b[len(e.hash):]
		v, k := binary.Varint(b)
		if k <= 0 {
			return errBadStat
		}
		e.checked, b = v, b[k:]
		if e.kind != kindDoc && e.kind != kindBad && e.kind != 0 {
			return fmt.Errorf("%w: entry kind %d", errBadStat, e.kind)
		}
		fn(e)
	}
	return nil
}
