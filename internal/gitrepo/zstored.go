package gitrepo

import (
	"bufio"
	"encoding/binary"
	"hash/adler32"
	"io"
)

// writeStored writes the concatenation of parts to w as one zlib stream
// of stored (uncompressed) deflate blocks, which any zlib reader reads.
// It does what zlib.NewWriterLevel(w, zlib.NoCompression) does without
// its compressor (~1 MB of zeroed memory, for nothing to compress): a big
// tree of a commit at 10,000 milestones paid that on every commit.
func writeStored(w io.Writer, parts ...[]byte) error {
	const maxBlock = 65535
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write([]byte{0x78, 0x01}) // deflate, 32 KiB window, no dictionary, fastest
	sum := adler32.New()
	pi, off := 0, 0 // the next byte: parts[pi][off]
	for left := total; ; {
		n := min(left, maxBlock)
		var hdr [5]byte
		if n == left {
			hdr[0] = 1 // the final block
		}
		binary.LittleEndian.PutUint16(hdr[1:], uint16(n))
		binary.LittleEndian.PutUint16(hdr[3:], ^uint16(n))
		bw.Write(hdr[:])
		for k := n; k > 0; {
			p := parts[pi][off:]
			m := min(k, len(p))
			bw.Write(p[:m])
			sum.Write(p[:m])
			k, off = k-m, off+m
			if off == len(parts[pi]) {
				pi, off = pi+1, 0
			}
		}
		if left -= n; left == 0 {
			break
		}
	}
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], sum.Sum32())
	bw.Write(tail[:])
	return bw.Flush() // bufio keeps the first write error
}
