package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Hash is the content hash of one milestone: its document, byte for byte.
func Hash(r storage.Record) string {
	h := sha256.Sum256(r.Source)
	return hex.EncodeToString(h[:])
}

// Mismatch is one difference found by a Verifier.
type Mismatch struct {
	ID     string
	Reason string
}

// VerifyError lists every difference between a source and its copy.
type VerifyError struct{ Mismatches []Mismatch }

func (e *VerifyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verification failed: %d milestone(s) differ", len(e.Mismatches))
	for i, m := range e.Mismatches {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Mismatches)-5)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", m.ID, m.Reason)
	}
	return b.String()
}

// fingerprint is what a Verifier keeps of one source milestone: hashes of
// its document and of its fields, a few dozen bytes instead of the record
// (at 100,000 milestones the records are ~100 MB, the fingerprints ~10).
type fingerprint struct {
	doc    [sha256.Size]byte // the document, byte for byte
	fields [sha256.Size]byte // the known fields (canonical encoding), or the JSON object
	json   bool              // fields is the JSON object's hash: unknown keys
	bad    bool              // the JSON object cannot be encoded: equal to nothing
	seen   bool              // found in the copy
}

// sameFields reports whether two fingerprints stand for milestones with the
// same JSON object. Without unknown keys the object is the id and the
// known fields, so equal known fields mean equal objects (encoding the
// JSON costs ~40 us a milestone, 4 s of CPU at 100,000); a milestone with
// unknown keys is hashed as its JSON object, which has a key no milestone
// without them has.
func (a *fingerprint) sameFields(b *fingerprint) bool {
	return !a.bad && !b.bad && a.json == b.json && a.fields == b.fields
}

// fingerprintOf returns r's fingerprint; buf is scratch space, returned
// for the next call.
func fingerprintOf(r *storage.Record, buf []byte) (fingerprint, []byte) {
	fp := fingerprint{doc: sha256.Sum256(r.Source)}
	m := &r.Milestone
	if jsonExtra(m) {
		fp.json = true
		j, err := m.JSON()
		if err != nil {
			fp.bad = true
			return fp, buf
		}
		fp.fields = sha256.Sum256(j)
		return fp, buf
	}
	buf = appendKnown(buf[:0], m)
	fp.fields = sha256.Sum256(buf)
	return fp, buf
}

// jsonExtra reports whether m's JSON object has keys beyond the id and the
// known fields: an unknown key named "id" is not written (Milestone.JSON).
func jsonExtra(m *milestone.Milestone) bool {
	for _, f := range m.Extra {
		if f.Key != "id" {
			return true
		}
	}
	return false
}

// appendKnown appends an encoding of m's id and known fields in which two
// milestones agree exactly when they have the same id and agree on every
// field of milestone.Fields: strings length-prefixed, a list by its length
// (an empty list is an unset one, as in a document) and entries, a number
// with whether it is set.
func appendKnown(b []byte, m *milestone.Milestone) []byte {
	str := func(b []byte, s string) []byte {
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	}
	b = str(b, m.ID)
	for i := range milestone.Fields {
		f := &milestone.Fields[i]
		switch f.Kind {
		case milestone.KindList:
			l := f.List(m)
			b = binary.AppendUvarint(b, uint64(len(l)))
			for _, s := range l {
				b = str(b, s)
			}
		case milestone.KindInt:
			if p := f.Int(m); p == nil {
				b = append(b, 0)
			} else {
				b = binary.AppendVarint(append(b, 1), int64(*p))
			}
		default:
			b = str(b, f.Text(m))
		}
	}
	return b
}

// Verifier checks a copy against the source it was made from (the same
// ids, the same document bytes and the same parsed fields, including
// unknown keys and timestamps), a page of the copy at a time: it keeps a
// fingerprint of each source milestone, not the records, so the source
// can be released once copied.
type Verifier struct {
	want  map[string]*fingerprint
	extra map[string]bool // ids found only in the copy (reported once)
	bad   []Mismatch
}

// NewVerifier fingerprints src (on every CPU).
func NewVerifier(src []storage.Record) *Verifier {
	fps := make([]fingerprint, len(src))
	workers := min(runtime.GOMAXPROCS(0), 1+len(src)/1000)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for i := w; i < len(src); i += workers {
				fps[i], buf = fingerprintOf(&src[i], buf)
			}
		}()
	}
	wg.Wait()
	v := &Verifier{want: make(map[string]*fingerprint, len(src)), extra: map[string]bool{}}
	for i := range src {
		// The id is copied: it may share memory with the record, which
		// is to be released.
		v.want[strings.Clone(src[i].Milestone.ID)] = &fps[i]
	}
	return v
}

// again returns a Verifier of the same source that has seen nothing:
// a second check (a move out of the database checks the files it wrote,
// then the files read back after the switch) without fingerprinting the
// source twice. Call it before Check.
func (v *Verifier) again() *Verifier {
	fps := make([]fingerprint, 0, len(v.want))
	w := &Verifier{want: make(map[string]*fingerprint, len(v.want)), extra: map[string]bool{}}
	for id, s := range v.want {
		fps = append(fps, *s)
		fp := &fps[len(fps)-1]
		fp.seen = false
		w.want[id] = fp
	}
	return w
}

// Check compares one page of the copy with the source.
func (v *Verifier) Check(page []storage.Record) {
	var buf []byte
	for i := range page {
		d := &page[i]
		id := d.Milestone.ID
		s, ok := v.want[id]
		switch {
		case !ok:
			v.extra[id] = true
			v.bad = append(v.bad, Mismatch{id, "only in the copy"})
			continue
		case s.seen:
			v.bad = append(v.bad, Mismatch{id, "twice in the copy"})
			continue
		}
		s.seen = true
		var fp fingerprint
		fp, buf = fingerprintOf(d, buf)
		if fp.doc != s.doc {
			v.bad = append(v.bad, Mismatch{id, "document content differs"})
		} else if !s.sameFields(&fp) {
			v.bad = append(v.bad, Mismatch{id, "fields differ"})
		}
	}
}

// Read checks everything r holds, a page at a time: one query per status
// (~20,000 milestones each at 100,000; one per status and priority cost
// the hybrid index 0.8 s more), then, one by one, any id those queries
// did not return. As a query leaves out the
// documents a store cannot read (its problems), so does Read, unless the
// source had that id.
func (v *Verifier) Read(ctx context.Context, r storage.Reader) error {
	for _, st := range milestone.Statuses {
		page, _, err := r.List(ctx, storage.Query{Statuses: []milestone.Status{st}})
		if err != nil {
			return fmt.Errorf("read back the %s milestones: %w", st, err)
		}
		v.Check(page)
	}
	ids, err := r.IDs(ctx)
	if err != nil {
		return fmt.Errorf("read back the ids: %w", err)
	}
	for _, id := range ids {
		s, wanted := v.want[id]
		if wanted && s.seen || v.extra[id] {
			continue
		}
		rec, err := r.Get(ctx, id)
		if err != nil && (wanted || ctx.Err() != nil) {
			return fmt.Errorf("read back %s: %w", id, err)
		}
		if err != nil {
			continue // a document the target cannot read, not from the source: as List leaves it out
		}
		v.Check([]storage.Record{rec})
	}
	return nil
}

// Err returns the differences found (a *VerifyError), counting every
// source milestone not seen in the copy as missing; nil if none.
func (v *Verifier) Err() error {
	bad := slices.Clone(v.bad)
	for id, s := range v.want {
		if !s.seen {
			bad = append(bad, Mismatch{id, "missing in the copy"})
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].ID < bad[j].ID })
	return &VerifyError{Mismatches: bad}
}
