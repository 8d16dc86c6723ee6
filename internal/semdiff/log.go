package semdiff

import (
	"fmt"
	"time"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
)

// LogEntry is one commit that changed a milestone, with what it changed.
type LogEntry struct {
	Commit  string    `json:"commit"`
	Author  string    `json:"author"`
	Email   string    `json:"email"`
	Date    time.Time `json:"date"`
	Subject string    `json:"subject"`
	Entry
	// Error names a version of the document that does not decode at this
	// commit or its parent (its field changes are then unknown).
	Error string `json:"error,omitempty"`
}

// Log lists, newest first, the commits reachable from start that changed
// the milestone id, following it when its file moves between active/ and
// completed/ and when it is renamed (a document removed in the commit that
// adds id, with the same content or the same created_at, is the
// milestone's earlier id, whose history follows). Like `git log -- path`,
// a merge that took the milestone unchanged from one parent is skipped and
// only that parent's history is followed. History is read with one git
// process per id the milestone had.
func Log(repo *gitrepo.Repo, start, id string) ([]LogEntry, error) {
	if start == "" {
		return nil, nil
	}
	return logFrom(repo, start, id, 0)
}

// maxRenames bounds how many earlier ids Log follows.
const maxRenames = 100

func logFrom(repo *gitrepo.Repo, start, id string, depth int) ([]LogEntry, error) {
	paths := make([]string, len(Folders))
	for i, f := range Folders {
		paths[i] = ".milestones/" + f + "/" + id + ".yaml"
	}
	commits, err := repo.PathLog(start, paths)
	if err != nil {
		return nil, err
	}
	var out []LogEntry
	for _, c := range commits {
		var before, after *version
		for _, f := range c.Files {
			if f.OldBlob != "" {
				before = &version{path: f.Path, blob: f.OldBlob, src: f.Old}
			}
			if f.NewBlob != "" {
				after = &version{path: f.Path, blob: f.NewBlob, src: f.New}
			}
		}
		if before == nil && after == nil {
			continue // a file mode change only
		}
		le := LogEntry{Commit: c.ID, Author: c.Author.Name, Email: c.Author.Email, Date: c.Author.When, Subject: c.Subject()}
		if before == nil && len(c.Parents) > 0 && depth < maxRenames {
			from, err := renameSource(repo, c.Parents[0], c.ID, id, after)
			if err != nil {
				return nil, err
			}
			if from != nil {
				le.describe(id, from, after, short(c.ID))
				le.Entry.Kind, le.Entry.OldID = Renamed, from.id
				le.Entry.Changes = append([]Change{{Field: "id", Old: from.id, New: id}}, le.Entry.Changes...)
				out = append(out, le)
				earlier, err := logFrom(repo, c.Parents[0], from.id, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, earlier...)
				continue
			}
		}
		le.describe(id, before, after, short(c.ID))
		out = append(out, le)
	}
	return out, nil
}

// version is one version of a document in history.
type version struct {
	id, path, blob string
	src            []byte
}

// describe fills the entry for the change from a to b (nil: absent).
func (le *LogEntry) describe(id string, a, b *version, at string) {
	read := func(v *version, where string) *doc {
		m, err := format.Decode(v.path, v.src)
		if err != nil {
			if le.Error == "" {
				le.Error = fmt.Sprintf("%v (at %s)", err, where)
			}
			return nil
		}
		did, _ := DocID(v.path)
		return &doc{Doc: Doc{ID: did, Path: v.path, Hash: v.blob, Src: v.src}, m: m}
	}
	le.Entry = Entry{ID: id, Kind: Modified, Changes: []Change{}}
	switch {
	case a == nil:
		le.Entry.Kind, le.Entry.Path = Added, b.path
		if d := read(b, at); d != nil {
			le.Entry.Title, le.Entry.Changes = d.m.Title, FieldChanges(nil, &d.m)
		}
	case b == nil:
		le.Entry.Kind, le.Entry.OldPath = Removed, a.path
		if d := read(a, at+"^"); d != nil {
			le.Entry.Title, le.Entry.Changes = d.m.Title, FieldChanges(&d.m, nil)
		}
	default:
		le.Entry.Path = b.path
		if a.path != b.path {
			le.Entry.OldPath = a.path
		}
		da, db := read(a, at+"^"), read(b, at)
		switch {
		case da != nil && db != nil:
			le.Entry, _ = entryFor(da, db)
			le.Entry.ID = id
		case db != nil:
			le.Entry.Title = db.m.Title
		}
	}
}

// renameSource looks, in the commit that adds the milestone id, for a
// document the first parent had and the commit removed that is the same
// milestone (see pairRenames).
func renameSource(repo *gitrepo.Repo, parent, commit, id string, here *version) (*version, error) {
	before, err := TreeSnapshot(repo, parent, short(parent))
	if err != nil {
		return nil, err
	}
	after, err := TreeSnapshot(repo, commit, short(commit))
	if err != nil {
		return nil, err
	}
	still := make(map[string]bool, len(after.Docs))
	for _, d := range after.Docs {
		still[d.ID] = true
	}
	var gone []*doc
	for _, d := range before.Docs {
		if still[d.ID] {
			continue
		}
		dd := d
		if m, err := decodeDoc(before, &dd); err == nil {
			gone = append(gone, &doc{Doc: dd, m: m})
		}
	}
	if len(gone) == 0 {
		return nil, nil
	}
	m, err := format.Decode(here.path, here.src)
	if err != nil {
		return nil, nil
	}
	born := []*doc{{Doc: Doc{ID: id, Path: here.path, Hash: here.blob, Src: here.src}, m: m}}
	for _, pair := range pairRenames(gone, born) {
		g := pair[0]
		return &version{id: g.ID, path: g.Path, blob: g.Hash, src: g.Src}, nil
	}
	return nil, nil
}

func short(id string) string {
	if len(id) > 7 {
		return id[:7]
	}
	return id
}
