package cli

import (
	"sort"
	"strings"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// sortKey is one key of --sort: a storage sort key, reversed with a
// leading "-".
type sortKey struct {
	name    string
	reverse bool
}

// parseSort reads --sort: comma-separated keys, each optionally prefixed
// with "-" to reverse its order.
func parseSort(spec string) ([]sortKey, error) {
	var keys []sortKey
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k := sortKey{name: strings.TrimPrefix(part, "-"), reverse: strings.HasPrefix(part, "-")}
		if !storage.ValidSort(k.name) || k.name == "" {
			return nil, refused("--sort %q: %q is not one of %s (prefix - to reverse, comma-separate several)", spec, k.name, strings.Join(storage.SortKeys, ", "))
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// simpleSort reports whether the backend can sort by keys itself: one key
// in its natural order.
func simpleSort(keys []sortKey) bool { return len(keys) == 0 || (len(keys) == 1 && !keys[0].reverse) }

// compareBy compares two milestones by one key in the natural order the
// backends use (priority and updated: most important, most recent first;
// due: undated last).
func compareBy(key string, a, b *milestone.Milestone) int {
	switch key {
	case "title":
		return strings.Compare(a.Title, b.Title)
	case "status":
		return statusIndex(a.Status) - statusIndex(b.Status)
	case "priority":
		return b.Priority.Rank() - a.Priority.Rank()
	case "due":
		switch {
		case a.Due == b.Due:
			return 0
		case a.Due == "":
			return 1
		case b.Due == "":
			return -1
		}
		return strings.Compare(a.Due, b.Due)
	case "created":
		return strings.Compare(a.CreatedAt, b.CreatedAt)
	case "updated":
		return strings.Compare(b.UpdatedAt, a.UpdatedAt)
	}
	return strings.Compare(a.ID, b.ID)
}

func statusIndex(s milestone.Status) int {
	for i, v := range milestone.Statuses {
		if v == s {
			return i
		}
	}
	return len(milestone.Statuses)
}

// sortRecords orders recs by keys, ties broken by id.
func sortRecords(keys []sortKey, recs []storage.Record) {
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := &recs[i].Milestone, &recs[j].Milestone
		for _, k := range keys {
			c := compareBy(k.name, a, b)
			if k.reverse {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return a.ID < b.ID
	})
}
