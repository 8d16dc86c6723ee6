package gitrepo

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
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
// it does not read itself (split or sparse index). The new index is
// written beside indexFile and renamed over it, so the caller may hold
// indexFile's lock.
func (r *Repo) SetIndexStat(indexFile string, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	needGit := false
	err := readMapped(indexFile, func(data []byte) error {
		patches, err := r.statPatches(data, paths)
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
// data whose work-tree file is a regular file, in file order; errNeedGit
// when the index needs git (or stat data is not available here).
func (r *Repo) statPatches(data []byte, paths []string) ([]statPatch, error) {
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
	next := 0 // wanted[next] is the smallest path not yet passed
	if err := walkIndex(data, func(name []byte, off int, stage int) {
		for next < len(wanted) && bytes.Compare(wanted[next], name) < 0 {
			next++
		}
		if stage == 0 && next < len(wanted) && bytes.Equal(wanted[next], name) {
			offsets = append(offsets, off)
			names = append(names, string(name))
		}
	}); err != nil {
		return nil, err
	}
	patches := make([]statPatch, 0, len(offsets))
	for i, off := range offsets {
		fi, err := os.Lstat(filepath.Join(r.WorkTree, filepath.FromSlash(names[i])))
		if err != nil || !fi.Mode().IsRegular() {
			continue // git will look at it itself
		}
		st, ok := statOf(fi)
		if !ok {
			return nil, errNeedGit
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
	return patches, nil
}

// writePatchedIndex writes data with the patches applied and a new
// trailing checksum (unless it is zeros: index.skipHash) to a temporary
// file beside indexFile, and renames it over indexFile. data is written
// in pieces, never copied.
func writePatchedIndex(indexFile string, data []byte, patches []statPatch) error {
	const hashLen = 20
	tmp := indexFile + ".stat-tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	body := data[:len(data)-hashLen]
	sum := data[len(body):]
	var h hash.Hash
	if !bytes.Equal(sum, make([]byte, hashLen)) {
		h = sha1.New()
	}
	put := func(b []byte) error {
		if h != nil {
			h.Write(b)
		}
		_, err := f.Write(b)
		return err
	}
	pos := 0
	for i := 0; err == nil && i <= len(patches); i++ {
		if i == len(patches) {
			err = put(body[pos:])
			break
		}
		p := &patches[i]
		if err = put(body[pos:p.off]); err == nil {
			err = put(p.stat[:])
		}
		pos = p.off + len(p.stat)
	}
	if err == nil {
		if h != nil {
			sum = h.Sum(nil)
		}
		_, err = f.Write(sum)
	}
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
// sparse index or an unknown mandatory extension.
func walkIndex(data []byte, fn func(name []byte, off, stage int)) error {
	const hashLen = 20
	if len(data) < 12+hashLen || string(data[:4]) != "DIRC" {
		return errors.New("not an index file")
	}
	version := binary.BigEndian.Uint32(data[4:8])
	if version < 2 || version > 4 {
		return errNeedGit
	}
	count := int(binary.BigEndian.Uint32(data[8:12]))
	end := len(data) - hashLen
	pos := 12
	var prev []byte
	corrupt := errors.New("corrupt index entry")
	for i := 0; i < count; i++ {
		const fixed = 62
		if pos+fixed > end {
			return corrupt
		}
		e := data[pos:end]
		flags := binary.BigEndian.Uint16(e[60:62])
		nameAt := fixed
		if flags&0x4000 != 0 {
			nameAt += 2
		}
		if nameAt > len(e) {
			return corrupt
		}
		var name []byte
		var entryLen int
		if version == 4 {
			strip, n := binary.Uvarint(e[nameAt:min(len(e), nameAt+10)])
			if n <= 0 || int(strip) > len(prev) {
				return corrupt
			}
			rest := e[nameAt+n:]
			nul := bytes.IndexByte(rest, 0)
			if nul < 0 {
				return corrupt
			}
			name = append(prev[:len(prev)-int(strip):len(prev)-int(strip)], rest[:nul]...)
			entryLen = nameAt + n + nul + 1
			prev = name
		} else {
			n := int(flags & 0xfff)
			if n == 0xfff {
				n = bytes.IndexByte(e[nameAt:], 0)
				if n < 0 {
					return corrupt
				}
			}
			if nameAt+n > len(e) {
				return corrupt
			}
			name = e[nameAt : nameAt+n]
			entryLen = (nameAt + n + 8) &^ 7
		}
		if pos+entryLen > end {
			return corrupt
		}
		fn(name, pos, int(flags>>12)&3)
		pos += entryLen
	}
	for pos+8 <= end {
		sig := data[pos : pos+4]
		size := int(binary.BigEndian.Uint32(data[pos+4 : pos+8]))
		if sig[0] < 'A' || sig[0] > 'Z' {
			return errNeedGit
		}
		pos += 8 + size
	}
	return nil
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
