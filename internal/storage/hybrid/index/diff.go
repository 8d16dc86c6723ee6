package index

import (
	"context"
	"errors"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// plan is what a refresh writes.
type plan struct {
	t0          int64
	snap        *snapshot
	rescan      bool    // the folders are listed (they changed, or could have)
	dirsChanged bool    // a folder's stat data changed
	dirs        []entry // new folder stat data (when writeDirs)
	writeDirs   bool
	// scan problems replace the stored ones when setScan.
	scan    []storage.Problem
	setScan bool
	actions []*action
	racy    int  // entries re-checked by content
	blank   bool // the index is empty (first build, rebuild): nothing to drop first
}

func (p *plan) empty() bool { return len(p.actions) == 0 && !p.writeDirs && !p.setScan }

// checked file, in a plan being built.
type candidate struct {
	path string
	st   fileStat
	old  *entry
}

// diffOptions select what diff looks at.
type diffOptions struct {
	paths   []string // only these documents (RefreshPaths); nil: all
	noParse bool     // Status: compare content, do not parse
	// namesOnly (RefreshNames): when a folder changed, reconcile the set
	// of document files only: new files are indexed and gone ones dropped,
	// but the files known already are not stat'ed (their content is the
	// business of the next full Refresh, which stats every one).
	namesOnly bool
	tuning
}

// tuning holds knobs for tests and benchmarks; the zero value is normal.
type tuning struct {
	now        func() time.Time // clock for the racy rule; nil: time.Now
	workers    int              // lstat/read/parse goroutines; 0: GOMAXPROCS
	alwaysScan bool             // list the folders even when their stat data is unchanged
	// maxExpansion overrides the constant of the same name.
	maxExpansion int
	ftsBatch     int // overrides the constant of the same name (apply.go)
}

func (t tuning) clock() int64 {
	if t.now != nil {
		return t.now().UnixNano()
	}
	return time.Now().UnixNano()
}

// errUnusual makes RefreshPaths fall back to a full refresh.
var errUnusual = errors.New("unusual directory entry")

// diff compares the work tree with snap. With opts.paths it looks only at
// those documents (and never rescans); it returns errUnusual when one of
// them is something a full scan must judge (a symbolic link, an id in both
// folders).
func diff(ctx context.Context, fs *filestore.Store, snap *snapshot, opts diffOptions) (*plan, error) {
	root := fs.Repo().WorkTree
	p := &plan{t0: opts.clock(), snap: snap, blank: opts.paths == nil && len(snap.files) == 0}
	if opts.paths == nil {
		if err := p.checkFolders(root, opts.alwaysScan); err != nil {
			return nil, err
		}
	}
	cands, err := p.candidates(fs, opts.paths)
	if err != nil {
		return nil, err
	}
	if err := statCandidates(ctx, root, cands, opts); err != nil {
		return nil, err
	}
	if opts.paths != nil {
		if err := checkUnusual(cands); err != nil {
			return nil, err
		}
	}
	read := p.decide(cands, opts)
	if err := p.compare(ctx, fs, cands, read, opts.workers); err != nil {
		return nil, err
	}
	p.sortActions()
	return p, nil
}

// checkFolders lstats the document folders: when neither changed since the
// last scan (and the scan is not racy), their listing is the one indexed;
// otherwise p is marked to rescan them.
func (p *plan) checkFolders(root string, alwaysScan bool) error {
	for _, folder := range filestore.Folders {
		rel := filestore.Dir + "/" + folder
		st, err := lstat(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		ne := entry{path: rel, st: st, checked: p.t0}
		old, ok := p.snap.dirs[rel]
		switch {
		case !ok || old.st != st || alwaysScan:
			p.rescan, p.writeDirs, p.dirsChanged = true, true, true
		case old.racy():
			p.rescan = true
			if !ne.racy() {
				p.writeDirs = true
			}
		}
		p.dirs = append(p.dirs, ne)
	}
	return nil
}

// candidates lists the files to check: the paths asked for, the folders'
// listing when they are rescanned (recording the scan problems in p), or
// else the snapshot's files. Each is paired with its snapshot entry.
func (p *plan) candidates(fs *filestore.Store, paths []string) ([]candidate, error) {
	snap := p.snap
	var byPath map[string]*entry
	if paths != nil || p.rescan {
		byPath = make(map[string]*entry, len(snap.files))
		for i := range snap.files {
			byPath[snap.files[i].path] = &snap.files[i]
		}
	}
	var cands []candidate
	switch {
	case paths != nil:
		for _, path := range paths {
			cands = append(cands, candidate{path: path, old: byPath[path]})
		}
	case p.rescan:
		files, problems, err := fs.Scan()
		if err != nil {
			return nil, err
		}
		cands = make([]candidate, len(files))
		for i, f := range files {
			cands[i] = candidate{path: f.Path, old: byPath[f.Path]}
		}
		p.scan = problems
	default:
		cands = make([]candidate, len(snap.files))
		for i := range snap.files {
			cands[i] = candidate{path: snap.files[i].path, old: &snap.files[i]}
		}
	}
	return cands, nil
}

// statCandidates stats every candidate, in parallel, relative to its
// folder: at 10,000 files this is the cost of a freshness check. With
// opts.namesOnly the known files keep their recorded stat data.
func statCandidates(ctx context.Context, root string, cands []candidate, opts diffOptions) error {
	dirs := map[string]*dirStatter{}
	for i := range cands {
		if opts.namesOnly && cands[i].old != nil {
			continue
		}
		dir, _ := path.Split(cands[i].path)
		if dirs[dir] == nil {
			dirs[dir] = openDirStatter(filepath.Join(root, filepath.FromSlash(dir)))
		}
	}
	defer func() {
		for _, d := range dirs {
			d.close()
		}
	}()
	return parallel(ctx, opts.workers, len(cands), func(i int) error {
		if opts.namesOnly && cands[i].old != nil {
			// Listed as a regular file (Scan) and known: names are all
			// RefreshNames needs.
			cands[i].st = cands[i].old.st
			return nil
		}
		dir, name := path.Split(cands[i].path)
		var err error
		cands[i].st, err = dirs[dir].stat(name)
		return err
	})
}

// decide adds the removals to p (files gone, or no longer regular files,
// and, after a rescan, the snapshot's files no longer listed) and returns
// the candidates whose stat data is not trusted: they must be read.
func (p *plan) decide(cands []candidate, opts diffOptions) (read []int) {
	// Only a rescan can miss a known file (the other candidates are the
	// snapshot's files, or the paths asked for).
	var seen map[string]bool
	if p.rescan && opts.paths == nil {
		seen = make(map[string]bool, len(cands))
	}
	for i := range cands {
		c := &cands[i]
		if seen != nil {
			seen[c.path] = true
		}
		switch {
		case c.st.Type != typeRegular:
			if c.old != nil {
				p.actions = append(p.actions, &action{op: opRemove, path: c.path})
			}
		case c.old == nil || c.old.st != c.st:
			read = append(read, i)
		case c.old.racy() && !opts.namesOnly:
			p.racy++
			read = append(read, i)
		}
	}
	if seen != nil {
		for i := range p.snap.files {
			if path := p.snap.files[i].path; !seen[path] {
				p.actions = append(p.actions, &action{op: opRemove, path: path})
			}
		}
	}
	return read
}

// compare adds an action for each candidate in read: new files are added
// (they are read when they are parsed, by prepare); the known ones are read
// now, in parallel, and compared by content with their entry.
func (p *plan) compare(ctx context.Context, fs *filestore.Store, cands []candidate, read []int, workers int) error {
	var reread []int
	for _, i := range read {
		c := &cands[i]
		if c.old == nil {
			p.actions = append(p.actions, &action{op: opAdd, path: c.path,
				e: entry{path: c.path, kind: kindDoc, st: c.st, checked: p.t0}})
			continue
		}
		reread = append(reread, i)
	}
	var mu sync.Mutex
	return parallel(ctx, workers, len(reread), func(k int) error {
		a := p.reread(fs, &cands[reread[k]])
		if a == nil {
			return nil
		}
		mu.Lock()
		p.actions = append(p.actions, a)
		mu.Unlock()
		return nil
	})
}

// reread reads a known file whose stat data is not trusted and returns
// what to do with it: opTouch when its content is the same (only the stat
// data is recorded; nil when even that is unchanged and still racy), or
// opUpdate.
func (p *plan) reread(fs *filestore.Store, c *candidate) *action {
	a := &action{path: c.path, e: entry{path: c.path, kind: kindDoc, st: c.st, checked: p.t0}}
	a.read(fs)
	if a.err != nil || c.old.hash != a.e.hash {
		a.op = opUpdate
		return a
	}
	// Same content: record the new stat data if it differs, or when the
	// entry stops being racy.
	if c.old.st == c.st && a.e.racy() {
		return nil
	}
	a.op = opTouch
	a.e.kind = c.old.kind
	a.src, a.prepared = nil, true
	return a
}

// sortActions puts the actions in a deterministic order: removals first
// (a document moved between folders frees its id before it is indexed
// again), then by path.
func (p *plan) sortActions() {
	sort.Slice(p.actions, func(i, j int) bool {
		ai, aj := p.actions[i], p.actions[j]
		if (ai.op == opRemove) != (aj.op == opRemove) {
			return ai.op == opRemove
		}
		return ai.path < aj.path
	})
}

// checkUnusual refuses, for RefreshPaths, documents a scan would judge:
// anything but a regular file or nothing, and an id in both folders.
func checkUnusual(cands []candidate) error {
	ids := map[string]int{}
	for _, c := range cands {
		switch c.st.Type {
		case typeNone:
		case typeRegular:
			id := strings.TrimSuffix(path.Base(c.path), ".yaml")
			if ids[id]++; ids[id] > 1 {
				return errUnusual
			}
		default:
			return errUnusual
		}
	}
	return nil
}
