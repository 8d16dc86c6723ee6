package storage

import (
	"context"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// Stats is the `stats --json` object (SPEC section 4).
type Stats struct {
	Total      int            `json:"total"`
	ByStatus   map[string]int `json:"by_status"`
	ByPriority map[string]int `json:"by_priority"`
	Overdue    int            `json:"overdue"`
	Oldest     *StatsEntry    `json:"oldest"`
	Newest     *StatsEntry    `json:"newest"`
}

// StatsEntry names a milestone in Stats.
type StatsEntry struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	CreatedAt string `json:"created_at"`
}

// NewStats returns empty Stats: every status and priority counted 0.
func NewStats() Stats {
	s := Stats{ByStatus: map[string]int{}, ByPriority: map[string]int{}}
	for _, st := range milestone.Statuses {
		s.ByStatus[string(st)] = 0
	}
	for _, p := range milestone.Priorities {
		s.ByPriority[string(p)] = 0
	}
	return s
}

// AddGroup counts n milestones of one status and priority, overdue of
// them overdue (a backend that counts in SQL adds its groups this way).
func (s *Stats) AddGroup(status, priority string, n, overdue int) {
	s.Total += n
	s.ByStatus[status] += n
	s.ByPriority[priority] += n
	s.Overdue += overdue
}

// Summarize computes Stats over every record (open and closed), in any
// order; today is YYYY-MM-DD for the overdue count. Oldest and newest go
// by created_at; ties go to the smallest id.
func Summarize(recs []Record, today string) Stats {
	z := NewSummarizer(today)
	for i := range recs {
		z.Add(&recs[i].Milestone)
	}
	return z.Stats()
}

// Summarizer computes Summarize's Stats one milestone at a time, so that a
// backend can summarize while it reads, without keeping the records.
// Summarizers of parts of the milestones merge into those of the whole.
type Summarizer struct {
	s              Stats
	today          string
	oldest, newest StatsEntry // valid when s.Oldest, s.Newest are set
}

// NewSummarizer returns a Summarizer of no milestones; today is as for
// Summarize.
func NewSummarizer(today string) *Summarizer {
	return &Summarizer{s: NewStats(), today: today}
}

// Add counts m. The Stats keep m's ID, Title and CreatedAt strings (not m).
func (z *Summarizer) Add(m *milestone.Milestone) {
	z.s.Total++
	z.s.ByStatus[string(m.Status)]++
	z.s.ByPriority[string(m.Priority)]++
	if m.Overdue(z.today) {
		z.s.Overdue++
	}
	if m.CreatedAt != "" {
		z.entry(StatsEntry{ID: m.ID, Title: m.Title, CreatedAt: m.CreatedAt})
	}
}

// entry makes e the oldest or newest if it is.
func (z *Summarizer) entry(e StatsEntry) {
	if z.s.Oldest == nil || e.CreatedAt < z.oldest.CreatedAt || e.CreatedAt == z.oldest.CreatedAt && e.ID < z.oldest.ID {
		z.oldest, z.s.Oldest = e, &z.oldest
	}
	if z.s.Newest == nil || e.CreatedAt > z.newest.CreatedAt || e.CreatedAt == z.newest.CreatedAt && e.ID < z.newest.ID {
		z.newest, z.s.Newest = e, &z.newest
	}
}

// Merge adds what o counted (another part of the milestones).
func (z *Summarizer) Merge(o *Summarizer) {
	z.s.Total += o.s.Total
	z.s.Overdue += o.s.Overdue
	for k, n := range o.s.ByStatus {
		z.s.ByStatus[k] += n
	}
	for k, n := range o.s.ByPriority {
		z.s.ByPriority[k] += n
	}
	if o.s.Oldest != nil {
		z.entry(o.oldest)
	}
	if o.s.Newest != nil {
		z.entry(o.newest)
	}
}

// Stats returns the Stats of the milestones added so far.
func (z *Summarizer) Stats() Stats {
	s := z.s
	if s.Oldest != nil {
		e := z.oldest
		s.Oldest = &e
	}
	if s.Newest != nil {
		e := z.newest
		s.Newest = &e
	}
	return s
}

// Statser is a Reader that computes Stats itself (in SQL) instead of
// reading every record. Its answer must equal Summarize over List(All).
type Statser interface {
	Stats(ctx context.Context, today string) (Stats, []Problem, error)
}

// ReadStats asks r for its own Stats, or summarizes every record.
func ReadStats(ctx context.Context, r Reader, today string) (Stats, []Problem, error) {
	if s, ok := r.(Statser); ok {
		return s.Stats(ctx, today)
	}
	recs, problems, err := r.List(ctx, Query{All: true})
	if err != nil {
		return Stats{}, nil, err
	}
	return Summarize(recs, today), problems, nil
}
