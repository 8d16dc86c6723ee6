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
	s := NewStats()
	for i := range recs {
		m := &recs[i].Milestone
		s.Total++
		s.ByStatus[string(m.Status)]++
		s.ByPriority[string(m.Priority)]++
		if m.Overdue(today) {
			s.Overdue++
		}
		if m.CreatedAt == "" {
			continue
		}
		e := &StatsEntry{ID: m.ID, Title: m.Title, CreatedAt: m.CreatedAt}
		if s.Oldest == nil || m.CreatedAt < s.Oldest.CreatedAt || m.CreatedAt == s.Oldest.CreatedAt && m.ID < s.Oldest.ID {
			s.Oldest = e
		}
		if s.Newest == nil || m.CreatedAt > s.Newest.CreatedAt || m.CreatedAt == s.Newest.CreatedAt && m.ID < s.Newest.ID {
			s.Newest = e
		}
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
