package migrate

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// pagedReader is a store as Verifier.Read sees it: List filters as
// storage.Match does (and leaves out hidden), IDs and Get know everything but
// the ids in unreadable (a document it cannot parse).
type pagedReader struct {
	recs       []storage.Record
	hidden     map[string]bool // left out of every List
	unreadable map[string]bool // Get fails
	lists      int
}

func (r *pagedReader) List(_ context.Context, q storage.Query) ([]storage.Record, []storage.Problem, error) {
	r.lists++
	var out []storage.Record
	for _, rec := range r.recs {
		if !r.hidden[rec.Milestone.ID] && storage.Match(q, &rec.Milestone) {
			out = append(out, rec)
		}
	}
	return out, nil, nil
}

func (r *pagedReader) IDs(context.Context) ([]string, error) {
	var ids []string
	for _, rec := range r.recs {
		ids = append(ids, rec.Milestone.ID)
	}
	for id := range r.unreadable {
		ids = append(ids, id)
	}
	return ids, nil
}

func (r *pagedReader) Get(_ context.Context, id string) (storage.Record, error) {
	if r.unreadable[id] {
		return storage.Record{}, errors.New(id + ".yaml:1: invalid YAML")
	}
	for _, rec := range r.recs {
		if rec.Milestone.ID == id {
			return rec, nil
		}
	}
	return storage.Record{}, &milestone.NotFoundError{ID: id}
}

// spread returns n records over every status and priority.
func spread(n int) []storage.Record {
	var out []storage.Record
	for i := 0; i < n; i++ {
		r := rec(fmt.Sprintf("m-%03d", i), fmt.Sprintf("title: T m-%03d\n", i))
		r.Milestone.Status = milestone.Statuses[i%len(milestone.Statuses)]
		r.Milestone.Priority = milestone.Priorities[i%len(milestone.Priorities)]
		out = append(out, r)
	}
	return out
}

func TestVerifierReadsInPages(t *testing.T) {
	src := spread(60)
	ctx := context.Background()
	check := func(r *pagedReader) error {
		v := NewVerifier(src)
		if err := v.Read(ctx, r); err != nil {
			return err
		}
		return v.Err()
	}
	r := &pagedReader{recs: slices.Clone(src)}
	if err := check(r); err != nil {
		t.Fatal(err)
	}
	if want := len(milestone.Statuses); r.lists != want {
		t.Errorf("%d queries, want one per status (%d)", r.lists, want)
	}
	// A record no page returns is fetched by id, and checked.
	if err := check(&pagedReader{recs: slices.Clone(src), hidden: map[string]bool{"m-007": true}}); err != nil {
		t.Errorf("a record outside the pages: %v", err)
	}
	changed := slices.Clone(src)
	changed[7].Source = []byte("title: changed\n")
	err := check(&pagedReader{recs: changed, hidden: map[string]bool{"m-007": true}})
	if err == nil || !strings.Contains(err.Error(), "m-007: document content differs") {
		t.Errorf("a changed record outside the pages: %v", err)
	}
	// An extra record is reported once, though both a page and the ids
	// name it.
	err = check(&pagedReader{recs: append(slices.Clone(src), rec("zz", "x"))})
	var ve *VerifyError
	if !errors.As(err, &ve) || len(ve.Mismatches) != 1 || ve.Mismatches[0] != (Mismatch{"zz", "only in the copy"}) {
		t.Errorf("an extra record: %v", err)
	}
	// A missing one is missing.
	err = check(&pagedReader{recs: slices.Clone(src[1:])})
	if err == nil || !strings.Contains(err.Error(), "m-000: missing in the copy") {
		t.Errorf("a missing record: %v", err)
	}
	// A document the target cannot read is left out, as a query leaves
	// it out, unless the source has that id.
	if err := check(&pagedReader{recs: slices.Clone(src), unreadable: map[string]bool{"broken": true}}); err != nil {
		t.Errorf("an unreadable document not from the source: %v", err)
	}
	err = check(&pagedReader{recs: slices.Clone(src[1:]), unreadable: map[string]bool{"m-000": true}})
	if err == nil || !strings.Contains(err.Error(), "read back m-000") {
		t.Errorf("an unreadable copy of a source document: %v", err)
	}
}

// releaseMover checks, when the copy is read back, that the records Run
// was given can be collected.
type releaseMover struct {
	freed    chan struct{}
	released bool
}

func (m *releaseMover) Copy(context.Context, []storage.Record) error { return nil }
func (m *releaseMover) ReadBack(_ context.Context, v *Verifier) error {
	for i := 0; i < 100 && !m.released; i++ {
		runtime.GC()
		select {
		case <-m.freed:
			m.released = true
		case <-time.After(50 * time.Millisecond):
		}
	}
	v.Check(spread(1000))
	return nil
}
func (m *releaseMover) Undo(context.Context)                           {}
func (m *releaseMover) Switch(context.Context) (storage.Result, error) { return storage.Result{}, nil }
func (m *releaseMover) After(context.Context) error                    { return nil }
func (m *releaseMover) Revert(context.Context) (bool, error)           { return false, nil }

// watched returns records whose array signals freed once collected.
func watched(freed chan struct{}) []storage.Record {
	recs := spread(1000)
	runtime.SetFinalizer(&recs[0], func(*storage.Record) { close(freed) })
	return recs
}

// TestRunReleasesTheRecords: once copied, the source records are not
// held by Run (the verification works from fingerprints): at 100,000
// milestones they are ~100 MB the copy and its check do not need.
func TestRunReleasesTheRecords(t *testing.T) {
	dir := t.TempDir()
	mv := &releaseMover{freed: make(chan struct{})}
	_, err := Run(context.Background(), Pipeline{Mover: mv, Records: watched(mv.freed),
		Backup:  func(recs []storage.Record) error { return nil },
		Journal: Journal{From: "file", To: "hybrid"}, JournalPath: dir + "/journal.json"})
	if err != nil {
		t.Fatal(err)
	}
	if !mv.released {
		t.Error("the source records were still held when the copy was read back")
	}
}
