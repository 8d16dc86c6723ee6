package gitrepo

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// walkReader reads the many objects of one history walk. The pack indexes
// and packs are mapped (no read call per object), and every object rebuilt
// from a pack is kept up to walkCacheLimit bytes, keyed by its place in the
// pack: a delta is then applied to a base already in memory, where
// readPackedAt inflates the whole chain again for each version (a
// 6,000-entry tree 1,000 times over, each up to 50 deltas deep). Objects
// outside the mapped packs (loose ones, alternates, an index version we do
// not read) are read by ReadObject.
type walkReader struct {
	r      *Repo
	packs  []*mappedPack
	cache  map[packPlace]*cachedObj
	fifo   []packPlace
	bytes  int
	zr     io.ReadCloser // reused zlib reader (zlib.Resetter)
	src    bytes.Reader
	free   [][]byte // buffers of objects dropped from the cache, for reuse
	most   int      // the size of the largest object kept
	closed bool
}

// walkCacheLimit bounds the bytes of objects a walkReader keeps: this, or
// three times the largest object read, if more; and always the last
// walkCacheMin objects. A walk newest first meets a delta's base just
// before it (git packs the newest version whole and the older ones as
// deltas against their successors), so a few versions are enough, and a
// small heap is recycled instead of growing, which on this VM costs a
// page fault per 4 KiB: at 10,000 milestones (240 KB folder trees) a 512
// KiB cache walked 1,000 commits in 52-96 ms, 4 MiB in 77-149 ms, 16 MiB
// in 129-174 ms.
var walkCacheLimit = 512 << 10 // a variable for tests

const walkCacheMin = 4

// mappedPack is one .idx/.pack pair mapped read-only.
type mappedPack struct {
	idx, pack []byte
	unmap     []func()
	count     uint32
}

// packPlace is an object's place: its pack and offset.
type packPlace struct {
	pack *mappedPack
	off  int64
}

// cachedObj is a kept object; used is set when it is read again (a
// delta base met again keeps its place, like CLOCK's second chance).
type cachedObj struct {
	packedObj
	used bool
}

// packedObj is an object rebuilt from a pack.
type packedObj struct {
	typ  int // 1 commit, 2 tree, 3 blob, 4 tag
	data []byte
}

const idxHeader = 8 + 256*4

// newWalkReader maps the repository's packs. Packs it cannot map or read
// are left to ReadObject.
func (r *Repo) newWalkReader() (*walkReader, error) {
	w := &walkReader{r: r, cache: map[packPlace]*cachedObj{}}
	names, err := r.packIndexes()
	if err != nil {
		return nil, fmt.Errorf("list packs: %w", err)
	}
	for _, name := range names {
		idx, unmapIdx, err := mapFile(name)
		if err != nil {
			continue
		}
		if len(idx) < idxHeader || !bytes.Equal(idx[:4], []byte{0xff, 't', 'O', 'c'}) || binary.BigEndian.Uint32(idx[4:8]) != 2 {
			unmapIdx()
			continue
		}
		count := binary.BigEndian.Uint32(idx[idxHeader-4 : idxHeader])
		if uint64(len(idx)) < uint64(idxHeader)+28*uint64(count) {
			unmapIdx()
			continue
		}
		pack, unmapPack, err := mapFile(name[:len(name)-len(".idx")] + ".pack")
		if err != nil {
			unmapIdx()
			continue
		}
		w.packs = append(w.packs, &mappedPack{idx: idx, pack: pack, unmap: []func(){unmapIdx, unmapPack}, count: count})
	}
	return w, nil
}

// close unmaps the packs; the bytes the reader returned must no longer
// be used unless they were copied (objects are copied out of the maps by
// inflating, so only the maps go).
func (w *walkReader) close() {
	if w.closed {
		return
	}
	w.closed = true
	for _, p := range w.packs {
		for _, u := range p.unmap {
			u()
		}
	}
	w.packs, w.cache = nil, nil
}

// find returns the pack offset of id in p, or -1.
func (p *mappedPack) find(id *[20]byte) int64 {
	lo := uint32(0)
	if id[0] > 0 {
		lo = binary.BigEndian.Uint32(p.idx[8+4*(int(id[0])-1):])
	}
	hi := binary.BigEndian.Uint32(p.idx[8+4*int(id[0]):])
	if hi > p.count {
		return -1
	}
	for lo < hi {
		m := lo + (hi-lo)/2
		at := idxHeader + 20*int(m)
		c := bytes.Compare(p.idx[at:at+20], id[:])
		if c == 0 {
			offAt := idxHeader + 24*int(p.count) + 4*int(m)
			off := binary.BigEndian.Uint32(p.idx[offAt:])
			if off&0x80000000 == 0 {
				return int64(off)
			}
			bigAt := idxHeader + 28*int(p.count) + 8*int(off&0x7fffffff)
			if bigAt+8 > len(p.idx) {
				return -1
			}
			return int64(binary.BigEndian.Uint64(p.idx[bigAt:]))
		}
		if c < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return -1
}

// read returns the type and content of the object id. The content is
// shared and may be reused once the reader reads on: it must not be
// modified, and must be copied to be kept.
func (w *walkReader) read(id [20]byte) (int, []byte, error) {
	for _, p := range w.packs {
		if off := p.find(&id); off >= 0 {
			o, err := w.readAt(p, off, 0)
			if err != nil {
				return 0, nil, fmt.Errorf("read object %x: %w", id, err)
			}
			return o.typ, o.data, nil
		}
	}
	o, err := w.r.ReadObject(hex.EncodeToString(id[:]))
	if err != nil {
		return 0, nil, err
	}
	for t, name := range packTypes {
		if name == o.Type && t != 0 {
			return t, o.Data, nil
		}
	}
	return 0, nil, fmt.Errorf("read object %x: unknown type %q", id, o.Type)
}

var errCorruptPack = errors.New("corrupt pack entry")

// readAt rebuilds the object at off in p, keeping it for the deltas
// based on it.
func (w *walkReader) readAt(p *mappedPack, off int64, depth int) (packedObj, error) {
	key := packPlace{p, off}
	if o, ok := w.cache[key]; ok {
		o.used = true
		return o.packedObj, nil
	}
	if depth > 64 {
		return packedObj{}, fmt.Errorf("pack: delta chain too long")
	}
	if off < 0 || off >= int64(len(p.pack)) {
		return packedObj{}, errCorruptPack
	}
	b := p.pack[off:]
	c := b[0]
	i := 1
	typ := int(c>>4) & 7
	size := uint64(c & 0x0f)
	for shift := 4; c&0x80 != 0; shift += 7 {
		if i >= len(b) || shift > 60 {
			return packedObj{}, errCorruptPack
		}
		c = b[i]
		i++
		size |= uint64(c&0x7f) << shift
	}
	var o packedObj
	switch typ {
	case 1, 2, 3, 4:
		data, err := w.inflate(b[i:], size)
		if err != nil {
			return packedObj{}, err
		}
		o = packedObj{typ: typ, data: data}
	case 6, 7:
		var base packedObj
		if typ == 6 { // OFS_DELTA: base at off - n
			if i >= len(b) {
				return packedObj{}, errCorruptPack
			}
			c = b[i]
			i++
			n := int64(c & 0x7f)
			for c&0x80 != 0 {
				if i >= len(b) || n > 1<<55 {
					return packedObj{}, errCorruptPack
				}
				c = b[i]
				i++
				n = (n+1)<<7 | int64(c&0x7f)
			}
			var err error
			if base, err = w.readAt(p, off-n, depth+1); err != nil {
				return packedObj{}, err
			}
		} else { // REF_DELTA: base named by id
			if i+20 > len(b) {
				return packedObj{}, errCorruptPack
			}
			var id [20]byte
			copy(id[:], b[i:i+20])
			i += 20
			t, data, err := w.read(id)
			if err != nil {
				return packedObj{}, err
			}
			base = packedObj{typ: t, data: data}
		}
		delta, err := w.inflate(b[i:], size)
		if err != nil {
			return packedObj{}, err
		}
		data, err := applyDeltaTo(w.buffer, base.data, delta)
		if err != nil {
			return packedObj{}, err
		}
		o = packedObj{typ: base.typ, data: data}
	default:
		return packedObj{}, fmt.Errorf("pack: unknown object type %d at %d", typ, off)
	}
	w.keep(key, o)
	return o, nil
}

// keep caches o, dropping the oldest objects past walkCacheLimit, but
// giving an object read again since it was kept one more round.
func (w *walkReader) keep(key packPlace, o packedObj) {
	w.most = max(w.most, len(o.data))
	limit := max(walkCacheLimit, 3*w.most)
	if walkCacheLimit == 0 {
		limit = 0 // tests: only the last walkCacheMin objects
	}
	for w.bytes+len(o.data) > limit && len(w.fifo) > walkCacheMin {
		old := w.fifo[0]
		w.fifo = w.fifo[1:]
		c := w.cache[old]
		if c.used {
			c.used = false
			w.fifo = append(w.fifo, old)
			continue
		}
		w.bytes -= len(c.data)
		delete(w.cache, old)
		if len(w.free) < 8 {
			w.free = append(w.free, c.data)
		}
	}
	w.cache[key] = &cachedObj{packedObj: o}
	w.fifo = append(w.fifo, key)
	w.bytes += len(o.data)
}

// inflate decompresses size bytes from the zlib stream at the start of src.
func (w *walkReader) inflate(src []byte, size uint64) ([]byte, error) {
	if size > 1<<40 {
		return nil, errCorruptPack
	}
	w.src.Reset(src)
	if w.zr == nil {
		zr, err := zlib.NewReader(&w.src)
		if err != nil {
			return nil, fmt.Errorf("pack: inflate: %w", err)
		}
		w.zr = zr
	} else if err := w.zr.(zlib.Resetter).Reset(&w.src, nil); err != nil {
		return nil, fmt.Errorf("pack: inflate: %w", err)
	}
	data := w.buffer(int(size))
	if _, err := io.ReadFull(w.zr, data); err != nil {
		return nil, fmt.Errorf("pack: inflate: %w", err)
	}
	return data, nil
}

// buffer returns a buffer of n bytes, one the cache dropped if one fits.
func (w *walkReader) buffer(n int) []byte {
	for i, b := range w.free {
		if cap(b) >= n && cap(b) <= 2*n+4096 {
			w.free = append(w.free[:i], w.free[i+1:]...)
			return b[:n]
		}
	}
	return make([]byte, n)
}
