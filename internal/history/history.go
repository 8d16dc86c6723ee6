// Package history mines the git history of .milestones/ for the changes of
// each milestone's due date and status (slip history, SPEC section 4
// `history`): old and new value, commit, date and author, with totals per
// milestone. It follows a milestone across moves between active/ and
// completed/ and across renames (mv), and reads the whole history with one
// git process.
package history

import (
	"sort"
	"time"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/semdiff"
)

// The fields whose changes History records. Removal of a milestone is a
// status change to nil.
const (
	FieldDue    = milestone.KeyDue
	FieldStatus = milestone.KeyStatus
)

// Change is one change of a milestone's due date or status.
type Change struct {
	ID    string  `json:"id"` // the milestone's id in this commit
	Field string  `json:"field"`
	Old   *string `json:"old"` // nil: unset (or, for status, the milestone did not exist)
	New   *string `json:"new"` // nil: unset (for status: the milestone was removed)
	// Days is how far a due date moved, positive when it slipped later.
	Days    *int      `json:"days,omitempty"`
	Commit  string    `json:"commit"`
	Date    time.Time `json:"date"`
	Author  string    `json:"author"`
	Email   string    `json:"email"`
	Subject string    `json:"subject"`
}

// Slipped reports whether the change moved a due date later.
func (c Change) Slipped() bool { return c.Days != nil && *c.Days > 0 }

// Totals sum up a milestone's changes.
type Totals struct {
	Slips         int `json:"slips"`          // due date moved later
	SlipDays      int `json:"slip_days"`      // days in all
	PullIns       int `json:"pull_ins"`       // due date moved earlier
	PullInDays    int `json:"pull_in_days"`   // days in all (positive)
	DueChanges    int `json:"due_changes"`    // every change of due, setting and unsetting included
	StatusChanges int `json:"status_changes"` // creation and removal included
}

// Milestone is the history of one milestone, under its latest id.
type Milestone struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	FormerIDs []string `json:"former_ids"` // earlier ids (mv), oldest first
	Removed   bool     `json:"removed"`    // not in the newest commit
	Due       *string  `json:"due"`        // as of the newest commit read
	Status    *string  `json:"status"`
	Changes   []Change `json:"changes"` // oldest first
	Totals    Totals   `json:"totals"`
}

// Known reports whether id is, or was, this milestone's id.
func (m *Milestone) Known(id string) bool {
	if m.ID == id {
		return true
	}
	for _, f := range m.FormerIDs {
		if f == id {
			return true
		}
	}
	return false
}

// History is the slip history of every milestone of a branch.
type History struct {
	Milestones []*Milestone `json:"milestones"` // by id
	// Problems are documents of some commit that did not decode; their
	// changes in that commit are unknown.
	Problems []string `json:"problems,omitempty"`
}

// Mine reads the history reachable from the commit start ("" for an unborn
// branch: an empty history).
func Mine(repo *gitrepo.Repo, start string) (*History, error) {
	h := &History{Milestones: []*Milestone{}}
	if start == "" {
		return h, nil
	}
	dirs := make([]string, len(semdiff.Folders))
	for i, f := range semdiff.Folders {
		dirs[i] = ".milestones/" + f
	}
	commits, err := repo.TreeLog(start, dirs, ".yaml")
	if err != nil {
		return nil, err
	}
	b := &builder{h: h, byID: map[string]*Milestone{}}
	for _, c := range commits {
		b.commit(c)
	}
	sort.Slice(h.Milestones, func(i, j int) bool { return h.Milestones[i].ID < h.Milestones[j].ID })
	return h, nil
}

// builder folds commits, oldest first, into milestone histories.
type builder struct {
	h    *History
	byID map[string]*Milestone // current id -> milestone (removed ones too, until the id is reused)
}

// commit applies one commit: the changed documents before and after it are
// compared as two small snapshots, which pairs moves and renames.
func (b *builder) commit(c gitrepo.PathCommit) {
	before := &semdiff.Snapshot{Name: short(c.ID) + "^", Read: func(d *semdiff.Doc) ([]byte, error) { return d.Src, nil }}
	after := &semdiff.Snapshot{Name: short(c.ID), Read: before.Read}
	for _, f := range c.Files {
		id, ok := semdiff.DocID(f.Path)
		if !ok {
			continue
		}
		if f.OldBlob != "" {
			before.Docs = append(before.Docs, semdiff.Doc{ID: id, Path: f.Path, Hash: f.OldBlob, Src: orEmpty(f.Old)})
		}
		if f.NewBlob != "" {
			after.Docs = append(after.Docs, semdiff.Doc{ID: id, Path: f.Path, Hash: f.NewBlob, Src: orEmpty(f.New)})
		}
	}
	entries, problems := semdiff.Compare(before, after)
	for _, p := range problems {
		b.h.Problems = append(b.h.Problems, p.Error())
	}
	seen := map[string]bool{}
	for _, e := range entries {
		b.entry(c, e)
		seen[e.ID] = true
	}
	// A document whose earlier version did not decode gives no entry: take
	// its fields as they are now, so the history resumes after the break.
	for _, d := range after.Docs {
		m := b.byID[d.ID]
		if seen[d.ID] || m == nil || m.Removed {
			continue
		}
		if doc, err := format.Decode(d.Path, d.Src); err == nil {
			b.record(m, c, d.ID, FieldDue, optional(doc.Due))
			b.record(m, c, d.ID, FieldStatus, optional(string(doc.Status)))
		}
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// entry applies one milestone's change of a commit.
func (b *builder) entry(c gitrepo.PathCommit, e semdiff.Entry) {
	var m *Milestone
	switch e.Kind {
	case semdiff.Added:
		m = b.byID[e.ID]
		if m == nil {
			m = &Milestone{ID: e.ID, FormerIDs: []string{}, Changes: []Change{}}
			b.byID[e.ID] = m
			b.h.Milestones = append(b.h.Milestones, m)
		}
		m.Removed = false // new, restored, or a merge bringing in a branch's milestone
	case semdiff.Renamed:
		m = b.byID[e.OldID]
		if prior := b.byID[e.ID]; prior != nil && (m == nil || m == prior) {
			m = prior // a merge replaying a rename its branch made
		}
		if m == nil {
			m = &Milestone{ID: e.ID, FormerIDs: []string{}, Changes: []Change{}}
			b.h.Milestones = append(b.h.Milestones, m)
		}
		if b.byID[e.OldID] == m {
			delete(b.byID, e.OldID)
		}
		if m.ID != e.ID {
			m.FormerIDs = append(m.FormerIDs, m.ID)
			m.ID = e.ID
		}
		b.byID[e.ID] = m
	default:
		m = b.byID[e.ID]
		if m == nil { // history cut short (a shallow clone): start here
			m = &Milestone{ID: e.ID, FormerIDs: []string{}, Changes: []Change{}}
			b.byID[e.ID] = m
			b.h.Milestones = append(b.h.Milestones, m)
		}
	}
	if e.Title != "" {
		m.Title = e.Title
	}
	if e.Kind == semdiff.Removed {
		if !m.Removed {
			m.Removed = true
			b.record(m, c, e.ID, FieldStatus, nil)
		}
		return
	}
	for _, ch := range e.Changes {
		if ch.Field != FieldDue && ch.Field != FieldStatus {
			continue
		}
		var v *string
		if s, ok := ch.New.(string); ok {
			v = &s
		}
		b.record(m, c, e.ID, ch.Field, v)
	}
}

// record notes that field of m became v in commit c, unless it already
// was v (a merge replaying its branch's change). The old value is the one
// the history had so far, so the changes of a milestone form one chain.
func (b *builder) record(m *Milestone, c gitrepo.PathCommit, id, field string, v *string) {
	cur := &m.Due
	if field == FieldStatus {
		cur = &m.Status
	}
	if equal(*cur, v) {
		return
	}
	ch := Change{ID: id, Field: field, Old: *cur, New: v, Commit: c.ID, Date: c.Author.When,
		Author: c.Author.Name, Email: c.Author.Email, Subject: c.Subject()}
	if field == FieldDue && *cur != nil && v != nil {
		if d, ok := milestone.DaysBetween(**cur, *v); ok {
			ch.Days = &d
		}
	}
	*cur = v
	m.Changes = append(m.Changes, ch)
}

func equal(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func short(id string) string {
	if len(id) > 7 {
		return id[:7]
	}
	return id
}

// Filter returns the history of the milestones keep accepts, with only
// the changes made at or after since (zero: all), and their totals
// computed over those changes. Milestones left with no change are dropped
// when since is set.
func (h *History) Filter(keep func(*Milestone) bool, since time.Time) *History {
	out := &History{Milestones: []*Milestone{}, Problems: h.Problems}
	for _, m := range h.Milestones {
		if keep != nil && !keep(m) {
			continue
		}
		cp := *m
		cp.Changes = []Change{}
		for _, c := range m.Changes {
			if since.IsZero() || !c.Date.Before(since) {
				cp.Changes = append(cp.Changes, c)
			}
		}
		if !since.IsZero() && len(cp.Changes) == 0 {
			continue
		}
		cp.Totals = Total(cp.Changes)
		out.Milestones = append(out.Milestones, &cp)
	}
	return out
}

// Total sums up changes.
func Total(changes []Change) Totals {
	var t Totals
	for _, c := range changes {
		switch c.Field {
		case FieldDue:
			t.DueChanges++
			if c.Days != nil && *c.Days > 0 {
				t.Slips++
				t.SlipDays += *c.Days
			}
			if c.Days != nil && *c.Days < 0 {
				t.PullIns++
				t.PullInDays -= *c.Days
			}
		case FieldStatus:
			t.StatusChanges++
		}
	}
	return t
}

// Point is the number of open and closed milestones at the end of a day.
type Point struct {
	Date   string `json:"date"` // YYYY-MM-DD (UTC)
	Open   int    `json:"open"`
	Closed int    `json:"closed"`
}

// BurnUp counts, at the end of each day on which the counts changed,
// the milestones that existed open and closed (removed ones count no
// more), from h's status changes.
func (h *History) BurnUp() []Point {
	type ev struct {
		at       time.Time
		old, new *string
	}
	var evs []ev
	for _, m := range h.Milestones {
		for _, c := range m.Changes {
			if c.Field == FieldStatus {
				evs = append(evs, ev{c.Date.UTC(), c.Old, c.New})
			}
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	var pts []Point
	open, closed := 0, 0
	class := func(s *string, d int) {
		switch {
		case s == nil:
		case milestone.Status(*s).Closed():
			closed += d
		default:
			open += d
		}
	}
	for _, e := range evs {
		class(e.old, -1)
		class(e.new, +1)
		day := e.at.Format(time.DateOnly)
		if n := len(pts); n > 0 && pts[n-1].Open == open && pts[n-1].Closed == closed {
			continue // planned -> active, say: no change of counts
		}
		if n := len(pts); n > 0 && pts[n-1].Date == day {
			pts[n-1].Open, pts[n-1].Closed = open, closed
		} else {
			pts = append(pts, Point{Date: day, Open: open, Closed: closed})
		}
	}
	return pts
}
