package gitrepo

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// A small reader for pack files (index version 2), so that reading a few
// objects costs a few small reads: go-git decodes the whole .idx and builds
// an offset map on first use (about 10 ms for 30,000 objects). Anything
// unusual (index v1, an error) falls back to go-git. Alternates are read
// like the repository's own object database (objectDirs).

// errPackFallback: let go-git read this object.
var errPackFallback = errors.New("pack: not handled here")

// packIndex is one opened .idx/.pack pair.
type packIndex struct {
	idx, pack *os.File
	fanout    [256]uint32
	count     uint32
}

// packs returns the repository's packs, opened on first use.
func (r *Repo) packs() ([]*packIndex, error) {
	r.mu.Lock()
	if r.packList != nil {
		list := *r.packList
		r.mu.Unlock()
		return list, nil
	}
	r.mu.Unlock()
	names, err := r.packIndexes() // without r.mu, which objectDirs takes
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.packList != nil { // opened meanwhile by another goroutine
		return *r.packList, nil
	}
	var list []*packIndex
	for _, name := range names {
		p, err := openPack(name)
		if err != nil {
			for _, q := range list {
				q.close()
			}
			return nil, err
		}
		list = append(list, p)
	}
	r.packList = &list
	return list, nil
}

func openPack(idxPath string) (*packIndex, error) {
	idx, err := os.Open(idxPath)
	if err != nil {
		return nil, err
	}
	var head [idxHeader]byte
	if _, err := io.ReadFull(idx, head[:]); err != nil {
		idx.Close()
		return nil, errPackFallback
	}
	if !bytes.Equal(head[:4], []byte{0xff, 't', 'O', 'c'}) || binary.BigEndian.Uint32(head[4:8]) != 2 {
		idx.Close()
		return nil, errPackFallback // index v1
	}
	pack, err := os.Open(strings.TrimSuffix(idxPath, ".idx") + ".pack")
	if err != nil {
		idx.Close()
		return nil, errPackFallback
	}
	p := &packIndex{idx: idx, pack: pack}
	for i := range p.fanout {
		p.fanout[i] = binary.BigEndian.Uint32(head[8+4*i:])
	}
	p.count = p.fanout[255]
	return p, nil
}

func (p *packIndex) close() {
	p.idx.Close()
	p.pack.Close()
}

// closePacks releases the pack files (the list is re-read on next use).
func (r *Repo) closePacks() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.packList != nil {
		for _, p := range *r.packList {
			p.close()
		}
		r.packList = nil
	}
}

// bucket reads the ids of the index's fan-out bucket first (the ids
// starting with that byte), 20 bytes each; lo is the position of the first.
func (p *packIndex) bucket(first byte) (lo uint32, ids []byte, err error) {
	if first > 0 {
		lo = p.fanout[first-1]
	}
	hi := p.fanout[first]
	if hi <= lo {
		return lo, nil, nil
	}
	ids = make([]byte, 20*(hi-lo))
	if _, err := p.idx.ReadAt(ids, int64(idxHeader+20*lo)); err != nil {
		return 0, nil, err
	}
	return lo, ids, nil
}

// find returns the pack offset of id, or -1.
func (p *packIndex) find(id []byte) (int64, error) {
	lo, buf, err := p.bucket(id[0])
	if err != nil || buf == nil {
		return -1, err
	}
	// Binary search within the bucket.
	a, b := 0, len(buf)/20
	for a < b {
		m := (a + b) / 2
		c := bytes.Compare(buf[20*m:20*m+20], id)
		if c == 0 {
			pos := int64(lo) + int64(m)
			offAt := int64(idxHeader) + 24*int64(p.count) + 4*pos
			var o [8]byte
			if _, err := p.idx.ReadAt(o[:4], offAt); err != nil {
				return -1, err
			}
			off := binary.BigEndian.Uint32(o[:4])
			if off&0x80000000 == 0 {
				return int64(off), nil
			}
			bigAt := int64(idxHeader) + 28*int64(p.count) + 8*int64(off&0x7fffffff)
			if _, err := p.idx.ReadAt(o[:], bigAt); err != nil {
				return -1, err
			}
			return int64(binary.BigEndian.Uint64(o[:])), nil
		}
		if c < 0 {
			a = m + 1
		} else {
			b = m
		}
	}
	return -1, nil
}

// readPacked reads an object from the packs; ok is false if no pack has it.
func (r *Repo) readPacked(id string) (Object, bool, error) {
	raw, err := hex.DecodeString(id)
	if err != nil {
		return Object{}, false, err
	}
	packs, err := r.packs()
	if err != nil {
		return Object{}, false, err
	}
	for _, p := range packs {
		off, err := p.find(raw)
		if err != nil {
			return Object{}, false, err
		}
		if off < 0 {
			continue
		}
		typ, data, err := r.readPackedAt(p, off, 0)
		if err != nil {
			return Object{}, false, err
		}
		return Object{Type: typ, Data: data}, true, nil
	}
	return Object{}, false, nil
}

var packTypes = [...]string{1: "commit", 2: "tree", 3: "blob", 4: "tag"}

// readPackedAt reads and, for deltas, reconstructs the object at off.
func (r *Repo) readPackedAt(p *packIndex, off int64, depth int) (string, []byte, error) {
	if depth > 64 {
		return "", nil, fmt.Errorf("pack: delta chain too long")
	}
	br := bufio.NewReaderSize(io.NewSectionReader(p.pack, off, 1<<62), 4096)
	c, err := br.ReadByte()
	if err != nil {
		return "", nil, err
	}
	typ := int(c>>4) & 7
	size := uint64(c & 0x0f)
	for shift := 4; c&0x80 != 0; shift += 7 {
		if c, err = br.ReadByte(); err != nil {
			return "", nil, err
		}
		size |= uint64(c&0x7f) << shift
	}
	switch typ {
	case 1, 2, 3, 4:
		data, err := inflate(br, size)
		return packTypes[typ], data, err
	case 6: // OFS_DELTA: base at off - n
		c, err := br.ReadByte()
		if err != nil {
			return "", nil, err
		}
		n := int64(c & 0x7f)
		for c&0x80 != 0 {
			if c, err = br.ReadByte(); err != nil {
				return "", nil, err
			}
			n = (n+1)<<7 | int64(c&0x7f)
		}
		delta, err := inflate(br, size)
		if err != nil {
			return "", nil, err
		}
		btyp, base, err := r.readPackedAt(p, off-n, depth+1)
		if err != nil {
			return "", nil, err
		}
		data, err := applyDelta(base, delta)
		return btyp, data, err
	case 7: // REF_DELTA: base named by id
		var baseID [20]byte
		if _, err := io.ReadFull(br, baseID[:]); err != nil {
			return "", nil, err
		}
		delta, err := inflate(br, size)
		if err != nil {
			return "", nil, err
		}
		base, err := r.ReadObject(hex.EncodeToString(baseID[:]))
		if err != nil {
			return "", nil, err
		}
		data, err := applyDelta(base.Data, delta)
		return base.Type, data, err
	}
	return "", nil, fmt.Errorf("pack: unknown object type %d at %d", typ, off)
}

func inflate(r io.Reader, size uint64) ([]byte, error) {
	zr, err := zlib.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	data := make([]byte, size)
	if _, err := io.ReadFull(zr, data); err != nil {
		return nil, fmt.Errorf("pack: inflate: %w", err)
	}
	return data, nil
}

// applyDelta rebuilds an object from its base and a git delta.
func applyDelta(base, delta []byte) ([]byte, error) {
	return applyDeltaTo(func(n int) []byte { return make([]byte, n) }, base, delta)
}

// applyDeltaTo is applyDelta writing into alloc(size of the result).
func applyDeltaTo(alloc func(n int) []byte, base, delta []byte) ([]byte, error) {
	bad := errors.New("pack: corrupt delta")
	varint := func() (uint64, bool) {
		var v uint64
		for shift := 0; ; shift += 7 {
			if len(delta) == 0 || shift > 63 {
				return 0, false
			}
			c := delta[0]
			delta = delta[1:]
			v |= uint64(c&0x7f) << shift
			if c&0x80 == 0 {
				return v, true
			}
		}
	}
	srcSize, ok1 := varint()
	dstSize, ok2 := varint()
	if !ok1 || !ok2 || srcSize != uint64(len(base)) || dstSize > 1<<40 {
		return nil, bad
	}
	out := alloc(int(dstSize))[:0]
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		if op&0x80 == 0 { // insert op bytes
			if op == 0 || int(op) > len(delta) {
				return nil, bad
			}
			out = append(out, delta[:op]...)
			delta = delta[op:]
			continue
		}
		var offset, n uint64
		for i := 0; i < 4; i++ {
			if op&(1<<i) != 0 {
				if len(delta) == 0 {
					return nil, bad
				}
				offset |= uint64(delta[0]) << (8 * i)
				delta = delta[1:]
			}
		}
		for i := 0; i < 3; i++ {
			if op&(0x10<<i) != 0 {
				if len(delta) == 0 {
					return nil, bad
				}
				n |= uint64(delta[0]) << (8 * i)
				delta = delta[1:]
			}
		}
		if n == 0 {
			n = 0x10000
		}
		if offset+n > uint64(len(base)) {
			return nil, bad
		}
		out = append(out, base[offset:offset+n]...)
	}
	if uint64(len(out)) != dstSize {
		return nil, bad
	}
	return out, nil
}
