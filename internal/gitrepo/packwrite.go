package gitrepo

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
)

// packAbove is the number of new objects above which WriteObjects writes
// one pack instead of loose objects: a loose object costs a file and an
// fsync (~0.5 ms each here), a pack costs two files and three fsyncs
// whatever the count.
const packAbove = 64

// packedObject is one object ready to be written into a pack.
type packedObject struct {
	id    [20]byte
	entry []byte // pack entry: type+size header, then the zlib stream
	crc   uint32 // CRC-32 of entry, as the .idx records it
	off   uint64 // offset in the pack
}

// writePack stores objs (distinct, none stored yet) as one new pack
// (version 2, no deltas) with its index (version 2), as git index-pack
// would: the .pack and the .idx are written under temporary names and
// fsynced, the .pack is renamed into place and then the .idx (git finds a
// pack by its .idx), and the directory is fsynced, so a ref written
// afterwards never names an object that a crash could lose.
func (r *Repo) writePack(objs []Object, ids []string) error {
	entries := make([]packedObject, len(objs))
	// Compress on every CPU: this is the only CPU-heavy part.
	var (
		wg   sync.WaitGroup
		next = make(chan int, len(objs))
	)
	for i := range objs {
		next <- i
	}
	close(next)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			fast, _ := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
			stored, _ := zlib.NewWriterLevel(&buf, zlib.NoCompression)
			for i := range next {
				o := objs[i]
				buf.Reset()
				buf.Write(packEntryHeader(packTypeCode(o.Type), len(o.Data)))
				zw := fast
				if len(o.Data) > storeAbove {
					zw = stored
				}
				zw.Reset(&buf)
				zw.Write(o.Data) // writes to a bytes.Buffer do not fail
				zw.Close()
				e := &entries[i]
				e.entry = bytes.Clone(buf.Bytes())
				e.crc = crc32.ChecksumIEEE(e.entry)
				hex.Decode(e.id[:], []byte(ids[i]))
			}
		}()
	}
	wg.Wait()

	dir := filepath.Join(r.ObjectDir, "pack")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmpPack := filepath.Join(dir, "tmp_pack_"+hex.EncodeToString(rnd[:]))
	tmpIdx := filepath.Join(dir, "tmp_idx_"+hex.EncodeToString(rnd[:]))
	cleanup := func() {
		os.Remove(tmpPack)
		os.Remove(tmpIdx)
	}
	sum, err := writeSyncedFile(tmpPack, func(w io.Writer) error {
		var head [12]byte
		copy(head[:], "PACK")
		binary.BigEndian.PutUint32(head[4:], 2)
		binary.BigEndian.PutUint32(head[8:], uint32(len(entries)))
		if _, err := w.Write(head[:]); err != nil {
			return err
		}
		off := uint64(len(head))
		for i := range entries {
			entries[i].off = off
			if _, err := w.Write(entries[i].entry); err != nil {
				return err
			}
			off += uint64(len(entries[i].entry))
		}
		return nil
	})
	if err != nil {
		cleanup()
		return fmt.Errorf("write pack %s: %w", tmpPack, err)
	}
	sort.Slice(entries, func(i, j int) bool { return bytes.Compare(entries[i].id[:], entries[j].id[:]) < 0 })
	if _, err := writeSyncedFile(tmpIdx, func(w io.Writer) error { return writePackIndex(w, entries, sum) }); err != nil {
		cleanup()
		return fmt.Errorf("write pack index %s: %w", tmpIdx, err)
	}
	base := filepath.Join(dir, "pack-"+hex.EncodeToString(sum))
	if _, err := os.Stat(base + ".idx"); err == nil {
		cleanup() // the very same pack is already there
		return nil
	}
	if err := os.Rename(tmpPack, base+".pack"); err != nil {
		cleanup()
		return fmt.Errorf("store pack: %w", err)
	}
	if err := os.Rename(tmpIdx, base+".idx"); err != nil {
		cleanup()
		os.Remove(base + ".pack")
		return fmt.Errorf("store pack index: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("store pack: %w", err)
	}
	r.closePacks() // list the packs again on the next read
	return nil
}

// writeSyncedFile creates path read-only, writes what fill writes followed
// by the SHA-1 of it (git's trailer), fsyncs and closes it. It returns
// that SHA-1.
func writeSyncedFile(path string, fill func(io.Writer) error) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return nil, err
	}
	h := sha1.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 256<<10)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	sum := h.Sum(nil)
	if err == nil {
		_, err = f.Write(sum)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return sum, err
}

// writePackIndex writes a version 2 .idx (without its trailing checksum)
// for entries sorted by id.
func writePackIndex(w io.Writer, entries []packedObject, packSum []byte) error {
	var b4 [4]byte
	put32 := func(v uint32) error {
		binary.BigEndian.PutUint32(b4[:], v)
		_, err := w.Write(b4[:])
		return err
	}
	if _, err := w.Write([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}); err != nil {
		return err
	}
	var fanout [256]uint32
	for _, e := range entries {
		fanout[e.id[0]]++
	}
	var total uint32
	for i := range fanout {
		total += fanout[i]
		if err := put32(total); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if _, err := w.Write(e.id[:]); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if err := put32(e.crc); err != nil {
			return err
		}
	}
	var big []uint64
	for _, e := range entries {
		off := uint32(e.off)
		if e.off >= 1<<31 {
			off = 1<<31 | uint32(len(big))
			big = append(big, e.off)
		}
		if err := put32(off); err != nil {
			return err
		}
	}
	for _, off := range big {
		var b8 [8]byte
		binary.BigEndian.PutUint64(b8[:], off)
		if _, err := w.Write(b8[:]); err != nil {
			return err
		}
	}
	_, err := w.Write(packSum)
	return err
}

// packEntryHeader encodes a pack entry's type and inflated size.
func packEntryHeader(typ byte, size int) []byte {
	c := typ<<4 | byte(size&0x0f)
	size >>= 4
	var out []byte
	for size > 0 {
		out = append(out, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	return append(out, c)
}

func packTypeCode(typ string) byte {
	for code, name := range packTypes {
		if name == typ && name != "" {
			return byte(code)
		}
	}
	return 0
}

// syncDir fsyncs a directory, making the renames into it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, os.ErrInvalid) { // some file systems refuse it
		err = nil
	}
	return err
}

// inPacks reports whether one of the existing packs has the object.
func (r *Repo) inPacks(id string) bool {
	raw, err := hex.DecodeString(id)
	if err != nil {
		return false
	}
	packs, err := r.packs()
	if err != nil {
		return false
	}
	for _, p := range packs {
		if off, err := p.find(raw); err == nil && off >= 0 {
			return true
		}
	}
	return false
}
