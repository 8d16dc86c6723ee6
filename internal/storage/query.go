package storage

import (
	"sort"
	"strings"
	"unicode/utf8"

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

// Sort orders recs by key, stably. Records that are already in order
// (the SQL backends mostly return them so) are left as they are.
func Sort(key string, recs []Record) {
	sorted := true
	for i := 1; i < len(recs) && sorted; i++ {
		sorted = !Less(key, &recs[i].Milestone, &recs[i-1].Milestone)
	}
	if sorted {
		return
	}
	// Sort positions, then move each record once, in place along the
	// permutation's cycles: a Record is a few hundred bytes, swapping
	// them was most of sorting 1,000, and a sorted copy is as many
	// fresh pages again.
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		return Less(key, &recs[order[i]].Milestone, &recs[order[j]].Milestone)
	})
	for start := range order {
		if order[start] == start {
			continue
		}
		held := recs[start]
		j := start
		for order[j] != start {
			k := order[j]
			recs[j] = recs[k]
			order[j] = j // placed
			j = k
		}
		recs[j] = held
		order[j] = j
	}
}

// maxCapacityHint bounds CapacityHint: beyond it, records are appended
// as they come (16,384 records are ~5 MB of address space).
const maxCapacityHint = 1 << 14

// CapacityHint is the capacity to give the records of a query that can
// select at most rows records (limit: the query's limit, 0 for none):
// appended one by one, 3,000 records of a few hundred bytes grow their
// array ten times over, and on a fresh heap every copy is fresh pages.
// Memory the query does not fill is never touched.
func CapacityHint(rows, limit int) int {
	if limit > 0 && limit < rows {
		rows = limit
	}
	return max(0, min(rows, maxCapacityHint))
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
//
// It matches each term against each field on its own, which is the same:
// a term has no white space, so it never spans the newline between two
// fields of SearchText, and folding a text folds each line of it alone.
// An ASCII field is compared case-insensitively in place, so matching a
// milestone allocates nothing unless a field is not ASCII.
func MatchText(m *milestone.Milestone, terms []string) bool {
	if len(terms) == 0 {
		return false
	}
	for _, t := range terms {
		found := containsFolded(m.ID, t) || containsFolded(m.Title, t) ||
			containsFolded(m.Description, t) || containsFolded(m.Owner, t)
		for i := 0; i < len(m.Labels) && !found; i++ {
			found = containsFolded(m.Labels[i], t)
		}
		if !found {
			return false
		}
	}
	return true
}

// containsFolded reports whether term (folded) is a substring of
// textfold.Fold(s).
func containsFolded(s, term string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(textfold.Fold(s), term)
		}
	}
	// ASCII: Fold lowers A-Z and turns NUL into a space. A folded term
	// has neither upper case nor white space, so NUL matches nothing.
	n := len(term)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n && lowerASCII(s[i+j]) == term[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
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
