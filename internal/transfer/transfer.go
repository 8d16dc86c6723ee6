// Package transfer brings milestones in from other shapes and writes them
// out in others: the JSON of `list --json`, the shell-era store of the
// design note (YAML documents and its SQLite enterprise.db), GitHub and
// GitLab milestones (REST shapes), and CSV, iCalendar and Markdown
// exports. It converts and plans; it does no I/O of its own beyond the
// readers and writers it is given, and never touches a network.
package transfer

import (
	"bytes"
	"fmt"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Incoming is one milestone to bring in.
type Incoming struct {
	// M is the milestone as the source gives it. An empty M.ID means "a
	// new id from the title" unless Match finds an existing milestone.
	M milestone.Milestone
	// Origin names the entry in messages: "entry 3 (number 7)", a file path.
	Origin string
	// Match, when set, finds the existing milestone this one updates
	// (remote number); otherwise the id does.
	Match func(existing *milestone.Milestone) bool
	// Merge, when set, computes the updated milestone from the existing
	// one (only the fields the source owns change); otherwise M replaces it.
	Merge func(existing milestone.Milestone) milestone.Milestone
	// Replaces is the path of a document this one takes the place of even
	// though it could not be read (a shell-era file converted in place).
	Replaces string
	// Notes say how the entry was mapped, for --dry-run.
	Notes []string
}

// Kind is what an Action does.
type Kind string

// The kinds of action.
const (
	Create    Kind = "create"
	Update    Kind = "update"
	Convert   Kind = "convert" // a document this tool could not read, rewritten in its format
	Unchanged Kind = "unchanged"
)

// Action is the plan for one incoming milestone.
type Action struct {
	Kind    Kind
	M       milestone.Milestone
	Src     []byte // the document to write (nil when Unchanged)
	OldPath string // the file it replaces in file modes ("" if none)
	Origin  string
	Notes   []string
}

// Plan decides, for every incoming milestone, whether it creates a new
// milestone, updates an existing one or changes nothing, and builds the
// documents to write: a new one in canonical form, an updated one spliced
// into its existing text (comments kept). Every result is validated; an
// invalid entry fails the whole plan with an error naming it. Two entries
// for the same milestone are refused.
func Plan(existing []storage.Record, in []Incoming) ([]Action, error) {
	// In order: which milestone each entry is, and its id (a new id
	// depends on the ids taken before it). Then, on every CPU, what
	// costs: validation, comparison and the documents. The error is the
	// first entry's in order, as if it were one loop.
	byID := make(map[string]*storage.Record, len(existing))
	for i := range existing {
		byID[existing[i].Milestone.ID] = &existing[i]
	}
	taken := make(map[string]string, len(in))
	exists := func(id string) bool { _, ok := byID[id]; _, t := taken[id]; return ok || t }
	actions := make([]Action, 0, len(in))
	olds := make([]*storage.Record, 0, len(in))
	var dupErr error
	for _, inc := range in {
		var old *storage.Record
		if inc.Match != nil {
			for i := range existing {
				if inc.Match(&existing[i].Milestone) {
					old = &existing[i]
					break
				}
			}
		} else if inc.M.ID != "" {
			old = byID[inc.M.ID]
		}
		a := Action{Origin: inc.Origin, Notes: inc.Notes, OldPath: inc.Replaces}
		m := inc.M
		switch {
		case old != nil:
			if inc.Merge != nil {
				m = inc.Merge(old.Milestone.Clone())
			}
			m.ID = old.Milestone.ID
			a.OldPath = old.Path
		case m.ID == "":
			m.ID = milestone.UniqueSlug(m.Title, exists)
		}
		if prev, dup := taken[m.ID]; dup {
			dupErr = fmt.Errorf("%s: milestone %s is also given by %s", inc.Origin, m.ID, prev)
			break
		}
		taken[m.ID] = inc.Origin
		a.M = m
		if old == nil {
			a.Kind = Create
			if inc.Replaces != "" {
				a.Kind = Convert
			}
		}
		actions = append(actions, a)
		olds = append(olds, old)
	}
	err := eachParallel(len(actions), func(i int) error {
		return completeAction(&actions[i], olds[i])
	})
	if err == nil {
		err = dupErr
	}
	if err != nil {
		return nil, err
	}
	return actions, nil
}

// completeAction validates a planned action's milestone and builds its
// document: a new one, or the update of old (Unchanged when it changes
// nothing).
func completeAction(a *Action, old *storage.Record) error {
	m := a.M
	if err := m.Validate(); err != nil {
		return fmt.Errorf("%s: %w", a.Origin, err)
	}
	if old == nil {
		a.Src = format.Encode(m)
		return nil
	}
	same, err := Equal(&old.Milestone, &m)
	if err != nil {
		return fmt.Errorf("%s: %w", a.Origin, err)
	}
	if same {
		a.Kind = Unchanged
		return nil
	}
	a.Kind = Update
	path := old.Path
	if path == "" {
		path = ".milestones/" + m.Status.Folder() + "/" + m.ID + ".yaml"
	}
	src, err := format.Rewrite(path, old.Source, m)
	if err != nil || len(old.Source) == 0 {
		src = format.Encode(m) // a document Rewrite cannot splice into is written anew
	}
	a.Src = src
	return nil
}

// Equal reports whether two milestones have the same fields (their JSON
// objects are equal).
func Equal(a, b *milestone.Milestone) (bool, error) {
	ja, err := a.JSON()
	if err != nil {
		return false, err
	}
	jb, err := b.JSON()
	if err != nil {
		return false, err
	}
	return bytes.Equal(ja, jb), nil
}

// Counts sums a plan by kind.
func Counts(actions []Action) map[Kind]int {
	c := map[Kind]int{}
	for _, a := range actions {
		c[a.Kind]++
	}
	return c
}

// Written is how many actions write a document.
func Written(actions []Action) int { return len(actions) - Counts(actions)[Unchanged] }
