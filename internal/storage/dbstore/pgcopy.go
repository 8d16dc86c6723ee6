package dbstore

import (
	"encoding/binary"
	"io"
)

// copyBuf encodes rows in PostgreSQL's binary COPY format: a header, then
// per row its field count and each field as a length and its bytes, then
// a trailer. Text and json fields are sent as their UTF-8 text (what
// textrecv and json_recv take), integer as 4 bytes big-endian: the
// encoding pgx's CopyFrom writes for these types, without a []any per row.
type copyBuf struct{ b []byte }

func (c *copyBuf) header() {
	c.b = append(c.b, "PGCOPY\n\xff\r\n\x00"...)
	c.b = append(c.b, 0, 0, 0, 0, 0, 0, 0, 0) // flags, header extension length
}

func (c *copyBuf) row(fields int) { c.b = binary.BigEndian.AppendUint16(c.b, uint16(fields)) }

func (c *copyBuf) text(s string) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(s)))
	c.b = append(c.b, s...)
}

func (c *copyBuf) int4(v int32) {
	c.b = binary.BigEndian.AppendUint32(c.b, 4)
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(v))
}

func (c *copyBuf) trailer() { c.b = append(c.b, 0xff, 0xff) }

// copyMilestonesSQL loads milestones in the order milestoneCopy encodes
// their fields.
const copyMilestonesSQL = `COPY milestones (project, id, title, status, priority, owner, due, created_at, updated_at,
 source, doc, version, search_text) FROM STDIN (FORMAT binary)`

const copyLabelsSQL = `COPY milestone_labels (project, id, label) FROM STDIN (FORMAT binary)`

// milestoneCopy is the data of one COPY of every row of a stream into
// milestones, read as the connection sends it: a chunk is encoded when
// the one before has been handed over, so the server ingests a chunk
// while the next one is prepared and encoded. The labels of the rows are
// encoded on the side, for the COPY into milestone_labels that follows.
type milestoneCopy struct {
	project  string
	stream   *rowStream
	first    []row // the stream's first chunk, already taken
	progress func(int)

	buf     copyBuf
	off     int  // bytes of buf handed over
	started bool // header written
	ended   bool // trailer written
	sent    int  // rows of the chunks before the one in buf
	inBuf   int  // rows in buf
	labels  copyBuf
	err     error // the stream's error: the import's reason, not the server's "COPY failed"
}

func newMilestoneCopy(project string, stream *rowStream, first []row, progress func(int)) *milestoneCopy {
	m := &milestoneCopy{project: project, stream: stream, first: first, progress: progress}
	m.labels.header()
	return m
}

func (m *milestoneCopy) Read(p []byte) (int, error) {
	for m.off == len(m.buf.b) {
		if m.ended {
			return 0, io.EOF
		}
		if m.inBuf > 0 {
			m.sent += m.inBuf
			m.inBuf = 0
			m.progress(m.sent)
		}
		rows := m.first
		m.first = nil
		if rows == nil {
			var err error
			if rows, err = m.stream.next(); err != nil {
				m.err = err
				return 0, err
			}
		}
		m.buf.b, m.off = m.buf.b[:0], 0
		if !m.started {
			m.buf.header()
			m.started = true
		}
		if rows == nil {
			m.buf.trailer()
			m.labels.trailer()
			m.ended = true
			continue
		}
		m.encode(rows)
	}
	n := copy(p, m.buf.b[m.off:])
	m.off += n
	return n, nil
}

func (m *milestoneCopy) encode(rows []row) {
	for i := range rows {
		r := &rows[i]
		b := &m.buf
		b.row(13)
		b.text(m.project)
		b.text(r.id)
		b.text(r.title)
		b.text(r.status)
		b.text(r.priority)
		b.text(r.owner)
		b.text(r.due)
		b.text(r.created)
		b.text(r.updated)
		b.text(r.source)
		b.text(r.doc)
		b.int4(1) // version
		b.text(r.search)
		for _, l := range r.labels {
			m.labels.row(3)
			m.labels.text(m.project)
			m.labels.text(r.id)
			m.labels.text(l)
		}
	}
	m.inBuf = len(rows)
}
