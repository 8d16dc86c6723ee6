package storage

import (
	"sort"
	"strings"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/textfold"
)

// SortKeys are the accepted values of Query.Sort.
var SortKeys = []string{"id", "title", "status", "priority", "due", "created", "updated"}

// ValidSort reports whether s is "" or one of SortKeys.
func ValidSort(s string) bool {
	if s == "" {
		return true
	}
	for _, k := range SortKeys {
		if s == k {
			return true
		}
	}
	return false
}

// Match reports whether m satisfies every filter of q except Text.
func Match(q Query, m *milestone.Milestone) bool {
	if len(q.Statuses) > 0 {
		ok := false
		for _, s := range q.Statuses {
			ok = ok || m.Status == s
		}
		if !ok {
			return false
		}
	} else if !q.All && !m.Open() {
		return false
	}
	if len(q.Priorities) > 0 {
		ok := false
		for _, p := range q.Priorities {
			ok = ok || m.Priority == p
		}
		if !ok {
			return false
		}
	}
	for _, l := range q.Labels {
		if !m.HasLabel(l) {
			return false
		}
	}
	if q.Owner != "" && m.Owner != q.Owner {
		return false
	}
	if q.DueBefore != "" && (m.Due == "" || m.Due >= q.DueBefore) {
		return false
	}
	if q.Overdue && !m.Overdue(q.Today) {
		return false
	}
	return true
}

// Less orders two milestones by sort key ("" = "id"). Ties break by id.
// priority and updated sort descending (most important, most recent first);
// due sorts ascending with undated milestones last.
func Less(key string, a, b *milestone.Milestone) bool {
	switch key {
	case "title":
		if a.Title != b.Title {
			return a.Title < b.Title
		}
	case "status":
		if a.Status != b.Status {
			return statusRank(a.Status) < statusRank(b.Status)
		}
	case "priority":
		if a.Priority != b.Priority {
			return a.Priority.Rank() > b.Priority.Rank()
		}
	case "due":
		if a.Due != b.Due {
			if a.Due == "" || b.Due == "" {
				return b.Due == ""
			}
			return a.Due < b.Due
		}
	case "created":
		if a.CreatedAt != b.CreatedAt {
			return a.CreatedAt < b.CreatedAt
		}
	case "updated":
		if a.UpdatedAt != b.UpdatedAt {
			return a.UpdatedAt > b.UpdatedAt
		}
	}
	return a.ID < b.ID
}

func statusRank(s milestone.Status) int {
	for i, v := range milestone.Statuses {
		if v == s {
			return i
		}
	}
	return len(milestone.Statuses)
}

// Sort orders recs by key, stably.
func Sort(key string, recs []Record) {
	// Sort positions, then move each record once: a Record is a few
	// hundred bytes, and swapping them is most of sorting 1,000.
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		return Less(key, &recs[order[i]].Milestone, &recs[order[j]].Milestone)
	})
	sorted := make([]Record, len(recs))
	for i, k := range order {
		sorted[i] = recs[k]
	}
	copy(recs, sorted)
}

// Limit truncates recs to n when n > 0.
func Limit(n int, recs []Record) []Record {
	if n > 0 && len(recs) > n {
		return recs[:n]
	}
	return recs
}

// Search semantics, the same on every backend: a query matches a
// milestone when every term of the query (textfold.Terms: its
// whitespace-separated words, folded) is a substring of the folded id,
// title, description, labels or owner (SearchText). Matching is
// case-insensitive and accent-insensitive both ways; there are no stop
// words and no stemming; any character, "%", "_", quotes and backslashes
// included, is literal. A query with no terms matches nothing. Results
// are in the order of Query.Sort, by id when it is not set.

// SearchText is what the terms of a query are matched against: the
// folded id, title, description, labels and owner of m, one per line (a
// term has no white space, so it never spans two of them).
func SearchText(m *milestone.Milestone) string {
	parts := [...]string{m.ID, m.Title, m.Description, strings.Join(m.Labels, "\n"), m.Owner}
	for i, p := range parts {
		parts[i] = textfold.Fold(p)
	}
	return strings.Join(parts[:], "\n")
}

// MatchText reports whether m matches a query made of terms (as
// textfold.Terms returns them). No terms match nothing.
func MatchText(m *milestone.Milestone, terms []string) bool {
	return ContainsTerms(SearchText(m), terms)
}

// ContainsTerms reports whether every term is a substring of the search
// text text (as SearchText builds it). No terms match nothing.
func ContainsTerms(text string, terms []string) bool {
	if len(terms) == 0 {
		return false
	}
	for _, t := range terms {
		if !strings.Contains(text, t) {
			return false
		}
	}
	return true
}
