package semdiff

import (
	"container/heap"
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
// completed/ and when it is renamed (a removed document with the same
// created_at, or the same content, becomes the milestone's earlier id).
// Like `git log -- path`, a merge that took the milestone unchanged from
// one parent is skipped and only that parent's history is followed.
// Objects are read in-process.
func Log(repo *gitrepo.Repo, start, id string) ([]LogEntry, error) {
	w := &walker{repo: repo, commits: map[string]*walkCommit{}, locs: map[[2]string]loc{}}
	if start == "" {
		return nil, nil
	}
	if err := w.push(start, id); err != nil {
		return nil, err
	}
	var out []LogEntry
	for w.queue.Len() > 0 {
		it := heap.Pop(&w.queue).(*item)
		entries, err := w.step(it)
		if err != nil {
			return nil, err
		}
		out = append(out, entries...)
	}
	return out, nil
}

type walker struct {
	repo    *gitrepo.Repo
	commits map[string]*walkCommit
	locs    map[[2]string]loc // (.milestones tree, id) → where the document is
	queue   queue
	seen    map[[2]string]bool
	seq     int
}

// walkCommit is a commit with the id of its .milestones tree ("" if none).
type walkCommit struct {
	gitrepo.Commit
	ms string
}

// loc is where a milestone's document is in one tree; zero when absent.
type loc struct{ path, blob string }

func (l loc) present() bool { return l.path != "" }

func (w *walker) commit(id string) (*walkCommit, error) {
	if c, ok := w.commits[id]; ok {
		return c, nil
	}
	c, err := w.repo.ReadCommit(id)
	if err != nil {
		return nil, err
	}
	wc := &walkCommit{Commit: c}
	e, found, err := w.repo.Lookup(c.Tree, ".milestones")
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", id, err)
	}
	if found && e.Mode == gitrepo.ModeTree {
		wc.ms = e.Blob
	}
	w.commits[id] = wc
	return wc, nil
}

// locate finds the document of id in a .milestones tree.
func (w *walker) locate(ms, id string) (loc, error) {
	if ms == "" {
		return loc{}, nil
	}
	key := [2]string{ms, id}
	if l, ok := w.locs[key]; ok {
		return l, nil
	}
	var l loc
	for _, folder := range Folders {
		e, found, err := w.repo.Lookup(ms, folder+"/"+id+".yaml")
		if err != nil {
			return loc{}, err
		}
		if found && e.Mode != gitrepo.ModeTree {
			l = loc{".milestones/" + folder + "/" + id + ".yaml", e.Blob}
			break
		}
	}
	w.locs[key] = l
	return l, nil
}

func (w *walker) push(commit, id string) error {
	if w.seen == nil {
		w.seen = map[[2]string]bool{}
	}
	key := [2]string{commit, id}
	if w.seen[key] {
		return nil
	}
	w.seen[key] = true
	c, err := w.commit(commit)
	if err != nil {
		return err
	}
	w.seq++
	heap.Push(&w.queue, &item{c: c, id: id, seq: w.seq})
	return nil
}

// step examines one commit for the tracked id and queues the parents to
// follow.
func (w *walker) step(it *item) ([]LogEntry, error) {
	c, id := it.c, it.id
	here, err := w.locate(c.ms, id)
	if err != nil {
		return nil, err
	}
	parents := make([]*walkCommit, len(c.Parents))
	there := make([]loc, len(c.Parents))
	for i, p := range c.Parents {
		if parents[i], err = w.commit(p); err != nil {
			return nil, err
		}
		if there[i], err = w.locate(parents[i].ms, id); err != nil {
			return nil, err
		}
		if there[i] == here {
			// Unchanged from this parent: follow it alone.
			return nil, w.push(p, id)
		}
	}
	if len(parents) == 0 && !here.present() {
		return nil, nil // a root commit without the milestone
	}
	var before loc
	if len(parents) > 0 {
		before = there[0]
	}
	follow := id // the id to follow in the first parent
	var entry LogEntry
	switch {
	case !here.present():
		entry = w.entry(c, id, &before, nil, "")
	case !before.present() && len(parents) > 0:
		from, fromID, err := w.renameSource(parents[0], c, id, here)
		if err != nil {
			return nil, err
		}
		if from.present() {
			follow = fromID
			entry = w.entry(c, id, &from, &here, fromID)
		} else {
			entry = w.entry(c, id, nil, &here, "")
		}
	default:
		var b *loc
		if before.present() {
			b = &before
		}
		entry = w.entry(c, id, b, &here, "")
	}
	for i, p := range parents {
		next := id
		if i == 0 {
			next = follow
		}
		if err := w.push(p.ID, next); err != nil {
			return nil, err
		}
	}
	return []LogEntry{entry}, nil
}

// entry describes the change of the milestone in commit c from the
// document at a (nil: absent) to the one at b. oldID is set for a rename.
func (w *walker) entry(c *walkCommit, id string, a, b *loc, oldID string) LogEntry {
	le := LogEntry{Commit: c.ID, Author: c.Author.Name, Email: c.Author.Email, Date: c.Author.When, Subject: c.Subject()}
	read := func(l *loc, name string) (*doc, bool) {
		o, err := w.repo.ReadObject(l.blob)
		if err != nil {
			le.Error = fmt.Sprintf("%s at %s: %v", l.path, name, err)
			return nil, false
		}
		d := &doc{Doc: Doc{ID: id, Path: l.path, Hash: l.blob, Src: o.Data}}
		if d.ID, _ = DocID(l.path); d.ID == "" {
			d.ID = id
		}
		m, err := format.Decode(l.path, o.Data)
		if err != nil {
			le.Error = fmt.Sprintf("%v (at %s)", err, name)
			return nil, false
		}
		d.m = m
		return d, true
	}
	parentName := short(c.ID) + "^"
	switch {
	case a == nil && b == nil:
		le.Entry = Entry{ID: id, Kind: Modified, Changes: []Change{}}
	case a == nil:
		le.Entry = Entry{ID: id, Kind: Added, Path: b.path, Changes: []Change{}}
		if d, ok := read(b, short(c.ID)); ok {
			le.Entry.Title, le.Entry.Changes = d.m.Title, FieldChanges(nil, &d.m)
		}
	case b == nil:
		le.Entry = Entry{ID: id, Kind: Removed, OldPath: a.path, Changes: []Change{}}
		if d, ok := read(a, parentName); ok {
			le.Entry.Title, le.Entry.Changes = d.m.Title, FieldChanges(&d.m, nil)
		}
	default:
		le.Entry = Entry{ID: id, Kind: Modified, Path: b.path, Changes: []Change{}}
		if a.path != b.path {
			le.Entry.OldPath = a.path
		}
		da, okA := read(a, parentName)
		db, okB := read(b, short(c.ID))
		if okA && okB {
			le.Entry, _ = entryFor(da, db)
		} else if okB {
			le.Entry.Title = db.m.Title
		}
	}
	if oldID != "" {
		le.Entry.Kind, le.Entry.OldID = Renamed, oldID
		le.Entry.Changes = append([]Change{{Field: "id", Old: oldID, New: id}}, le.Entry.Changes...)
	}
	return le
}

// renameSource looks, when the milestone id appears in commit c, for a
// document its first parent p had and c removed that is the same milestone
// (see pairRenames).
func (w *walker) renameSource(p, c *walkCommit, id string, here loc) (loc, string, error) {
	if p.ms == "" || c.ms == "" {
		return loc{}, "", nil
	}
	before, err := TreeSnapshot(w.repo, p.ID, short(p.ID))
	if err != nil {
		return loc{}, "", err
	}
	after, err := TreeSnapshot(w.repo, c.ID, short(c.ID))
	if err != nil {
		return loc{}, "", err
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
		return loc{}, "", nil
	}
	o, err := w.repo.ReadObject(here.blob)
	if err != nil {
		return loc{}, "", err
	}
	m, err := format.Decode(here.path, o.Data)
	if err != nil {
		return loc{}, "", nil
	}
	born := []*doc{{Doc: Doc{ID: id, Path: here.path, Hash: here.blob, Src: o.Data}, m: m}}
	for _, pair := range pairRenames(gone, born) {
		return loc{pair[0].Path, pair[0].Hash}, pair[0].ID, nil
	}
	return loc{}, "", nil
}

func short(id string) string {
	if len(id) > 7 {
		return id[:7]
	}
	return id
}

// item is a commit to examine, with the id the milestone has there.
type item struct {
	c   *walkCommit
	id  string
	seq int
}

// queue orders commits newest first (committer date), then by when they
// were queued.
type queue []*item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	ti, tj := q[i].c.Committer.When, q[j].c.Committer.When
	if !ti.Equal(tj) {
		return ti.After(tj)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
