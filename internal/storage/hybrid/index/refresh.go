package index

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// Report says what a refresh changed.
type Report struct {
	// Rescanned: a folder changed (or could have), so its listing was read.
	Rescanned bool
	// Added, Updated and Removed are the document paths indexed anew,
	// re-indexed because their content changed, and dropped.
	Added, Updated, Removed []string
	// Touched counts files whose stat data changed but content did not
	// (only the stat data was recorded).
	Touched int
	// Problems counts the documents that cannot be indexed, after the refresh.
	Problems int
}

// Changed reports whether any document was added, updated or removed.
func (r Report) Changed() bool { return len(r.Added)+len(r.Updated)+len(r.Removed) > 0 }

// Status describes how the index compares with the work tree.
type Status struct {
	Path          string // the index file
	SchemaVersion int
	Generation    int64 // counts the index's write transactions
	// Fresh: every document is indexed as it is in the work tree.
	Fresh bool
	// Rescan: a folder changed since it was last listed (a refresh will
	// list it again).
	Rescan bool
	// Added, Changed and Removed name the document files that are new,
	// modified and gone since they were indexed.
	Added, Changed, Removed []string
	// Touched counts files with new stat data but the same content (fresh;
	// a refresh would record the new stat data).
	Touched int
	// Racy counts entries whose stat data is too recent to be trusted
	// alone; they are re-checked by content.
	Racy       int
	Files      int // document files indexed (milestones and problems)
	Milestones int // milestones indexed
	// Problems are the documents that cannot be indexed, as recorded.
	Problems []storage.Problem
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// snapshot is the freshness state as stored.
type snapshot struct {
	gen   int64
	dirs  map[string]entry // folder path -> its stat data at the last scan
	files []entry          // the documents' entries, for the loaded buckets
	// loaded lists the buckets read (nil: all of them).
	loaded map[int]bool
}

// load reads the snapshot: every bucket, or only those of paths.
func load(ctx context.Context, q querier, paths []string) (*snapshot, error) {
	s := &snapshot{dirs: map[string]entry{}}
	var dirs []byte
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM meta WHERE key IN ('gen', 'dirs')`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k string
		var v any
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return nil, err
		}
		switch k {
		case "gen":
			n, ok := v.(int64)
			if !ok {
				rows.Close()
				return nil, &corruptError{err: fmt.Errorf("meta gen is %T", v)}
			}
			s.gen = n
		case "dirs":
			b, _ := v.([]byte)
			dirs = b
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := decodeEntries(dirs, func(e entry) { s.dirs[e.path] = e }); err != nil {
		return nil, &corruptError{err: err}
	}
	query := `SELECT bucket, data FROM stat`
	var args []any
	if paths != nil {
		s.loaded = map[int]bool{}
		var marks []string
		for _, p := range paths {
			b := bucketOf(p)
			if !s.loaded[b] {
				s.loaded[b] = true
				marks = append(marks, "?")
				args = append(args, b)
			}
		}
		if len(args) == 0 {
			return s, nil
		}
		query += ` WHERE bucket IN (` + strings.Join(marks, ",") + `)`
	}
	rows, err = q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var b int
		var data []byte
		if err := rows.Scan(&b, &data); err != nil {
			return nil, err
		}
		if err := decodeEntries(data, func(e entry) { s.files = append(s.files, e) }); err != nil {
			return nil, &corruptError{err: err}
		}
	}
	return s, rows.Err()
}

// Actions of a plan.
const (
	opAdd = iota + 1
	opUpdate
	opRemove
	opTouch
)

// action is one change to apply to the index.
type action struct {
	op   int
	path string
	e    entry   // the new entry (opAdd, opUpdate, opTouch)
	row  *docRow // the document (opAdd, opUpdate), nil if it is a problem
	err  error   // why the document cannot be indexed

	src      []byte // the content, once read
	wasRead  bool
	prepared bool // row or err is set (or nothing to parse)
}

// read reads the file (after its stat data was taken, so that a later
// write changes the stat data) and records its content hash.
func (a *action) read(fs *filestore.Store) {
	a.wasRead = true
	src, err := fs.ReadFile(a.path)
	if err != nil {
		a.err = fmt.Errorf("read %s: %w", a.path, err)
		return
	}
	a.src = src
	sum := sha256.Sum256(src)
	copy(a.e.hash[:], sum[:])
}

// prepare reads (if not yet) and parses the document.
func (a *action) prepare(fs *filestore.Store) {
	if a.prepared || a.op == opRemove || a.op == opTouch {
		a.prepared = true
		return
	}
	if !a.wasRead {
		a.read(fs)
	}
	if a.err == nil {
		m, err := format.Decode(a.path, a.src)
		if err == nil {
			a.row = newDocRow(m, a.src, a.path)
		}
		a.err = err
	}
	if a.err != nil {
		a.e.kind = kindBad
		a.row = nil
	}
	a.src = nil
	a.prepared = true
}

// prepareAll prepares the actions on workers goroutines, in order, and
// returns a function that waits until action i is prepared: apply can
// write the first documents while the next ones are being parsed.
func prepareAll(ctx context.Context, fs *filestore.Store, actions []*action, workers int) (wait func(i int)) {
	if workers <= 0 {
		workers = max(1, runtime.GOMAXPROCS(0)-1) // one core is left to SQLite
	}
	ready := make([]chan struct{}, len(actions))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	var next atomic.Int64
	for w := 0; w < min(workers, len(actions)); w++ {
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(actions) {
					return
				}
				if ctx.Err() == nil {
					actions[i].prepare(fs)
				}
				close(ready[i])
			}
		}()
	}
	return func(i int) { <-ready[i] }
}

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
		// The folders: when neither changed since the last scan (and the
		// scan is not racy), their listing is the one indexed.
		for _, folder := range filestore.Folders {
			rel := filestore.Dir + "/" + folder
			st, err := lstat(filepath.Join(root, filepath.FromSlash(rel)))
			if err != nil {
				return nil, err
			}
			ne := entry{path: rel, st: st, checked: p.t0}
			old, ok := snap.dirs[rel]
			switch {
			case !ok || old.st != st || opts.alwaysScan:
				p.rescan, p.writeDirs, p.dirsChanged = true, true, true
			case old.racy():
				p.rescan = true
				if !ne.racy() {
					p.writeDirs = true
				}
			}
			p.dirs = append(p.dirs, ne)
		}
	}
	var cands []candidate
	var byPath map[string]*entry
	if opts.paths != nil || p.rescan {
		byPath = make(map[string]*entry, len(snap.files))
		for i := range snap.files {
			byPath[snap.files[i].path] = &snap.files[i]
		}
	}
	switch {
	case opts.paths != nil:
		for _, path := range opts.paths {
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

	// Stat every document, in parallel, relative to its folder: at 10,000
	// files this is the cost of a freshness check.
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
	err := parallel(ctx, opts.workers, len(cands), func(i int) error {
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
	if err != nil {
		return nil, err
	}
	if opts.paths != nil {
		if err := checkUnusual(cands); err != nil {
			return nil, err
		}
	}

	// Decide; read the files whose stat data is not trusted.
	var read []int
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
		for i := range snap.files {
			if path := snap.files[i].path; !seen[path] {
				p.actions = append(p.actions, &action{op: opRemove, path: path})
			}
		}
	}
	// New files are read when they are parsed (prepare); the others now,
	// to compare their content.
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
	err = parallel(ctx, opts.workers, len(reread), func(k int) error {
		c := &cands[reread[k]]
		a := &action{path: c.path, e: entry{path: c.path, kind: kindDoc, st: c.st, checked: p.t0}}
		a.read(fs)
		switch {
		case a.err == nil && c.old.hash == a.e.hash:
			// Same content: record the new stat data if it differs, or
			// when the entry stops being racy.
			if c.old.st == c.st && a.e.racy() {
				return nil
			}
			a.op = opTouch
			a.e.kind = c.old.kind
			a.src, a.prepared = nil, true
		default:
			a.op = opUpdate
		}
		mu.Lock()
		p.actions = append(p.actions, a)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Deterministic order: removals first (a document moved between
	// folders frees its id before it is indexed again), then by path.
	sort.Slice(p.actions, func(i, j int) bool {
		ai, aj := p.actions[i], p.actions[j]
		if (ai.op == opRemove) != (aj.op == opRemove) {
			return ai.op == opRemove
		}
		return ai.path < aj.path
	})
	return p, nil
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

// parallel runs fn(0..n-1) on workers goroutines (0: GOMAXPROCS; inline
// when n is small).
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n/64+1)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			if err := fn(i); err != nil {
				return err
			}
		}
		return ctx.Err()
	}
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// apply writes plan p in tx; progress (may be nil) is told about each
// document written.
func apply(ctx context.Context, tx *sql.Tx, p *plan, wait func(i int), progress func()) error {
	var nextRid int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(rid), 0) + 1 FROM milestones`).Scan(&nextRid); err != nil {
		return err
	}
	stmts := map[string]*sql.Stmt{}
	prep := func(q string) (*sql.Stmt, error) {
		if s, ok := stmts[q]; ok {
			return s, nil
		}
		s, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		stmts[q] = s
		return s, nil
	}
	defer func() {
		for _, s := range stmts {
			s.Close()
		}
	}()
	exec := func(q string, args ...any) error {
		s, err := prep(q)
		if err != nil {
			return err
		}
		_, err = s.ExecContext(ctx, args...)
		return err
	}
	// drop removes the indexed milestone at path and the one with id.
	drop := func(path, id string) error {
		s, err := prep(`SELECT id, rid FROM milestones WHERE file_path = ? OR id = ?`)
		if err != nil {
			return err
		}
		rows, err := s.QueryContext(ctx, path, id)
		if err != nil {
			return err
		}
		type victim struct {
			id  string
			rid int64
		}
		var vs []victim
		for rows.Next() {
			var v victim
			if err := rows.Scan(&v.id, &v.rid); err != nil {
				rows.Close()
				return err
			}
			vs = append(vs, v)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, v := range vs {
			if err := exec(`DELETE FROM milestones_fts WHERE rowid = ?`, v.rid); err != nil {
				return err
			}
			if err := exec(`DELETE FROM docs WHERE rid = ?`, v.rid); err != nil {
				return err
			}
			if err := exec(`DELETE FROM labels WHERE id = ?`, v.id); err != nil {
				return err
			}
			if err := exec(`DELETE FROM milestones WHERE id = ?`, v.id); err != nil {
				return err
			}
		}
		return exec(`DELETE FROM problems WHERE path = ?`, path)
	}
	// The buckets the actions touch, as they are now.
	buckets := map[int]map[string]entry{}
	for _, a := range p.actions {
		buckets[bucketOf(a.path)] = map[string]entry{}
	}
	for _, e := range p.snap.files {
		if m, ok := buckets[bucketOf(e.path)]; ok {
			m[e.path] = e
		}
	}
	for i, a := range p.actions {
		wait(i)
		if err := ctx.Err(); err != nil {
			return err
		}
		id := strings.TrimSuffix(path.Base(a.path), ".yaml")
		bucket := buckets[bucketOf(a.path)]
		switch a.op {
		case opRemove:
			delete(bucket, a.path)
			if err := drop(a.path, ""); err != nil {
				return err
			}
			continue
		case opTouch:
			bucket[a.path] = a.e
			continue
		}
		bucket[a.path] = a.e
		if !p.blank {
			if err := drop(a.path, id); err != nil {
				return err
			}
		}
		if a.row == nil {
			msg := "cannot be indexed"
			if a.err != nil {
				msg = a.err.Error()
			}
			if err := exec(`INSERT OR REPLACE INTO problems (path, id, kind, message) VALUES (?, ?, 'doc', ?)`, a.path, id, msg); err != nil {
				return err
			}
		} else if err := a.row.insert(exec, nextRid); err != nil {
			return err
		} else {
			nextRid++
		}
		if progress != nil {
			progress()
		}
	}
	words := map[string]bool{}
	for _, a := range p.actions {
		if a.row != nil {
			a.row.words(words)
		}
	}
	insertID := func(q string, args ...any) (int64, bool, error) {
		s, err := prep(q)
		if err != nil {
			return 0, false, err
		}
		res, err := s.ExecContext(ctx, args...)
		if err != nil {
			return 0, false, err
		}
		n, err := res.RowsAffected()
		if err != nil || n != 1 {
			return 0, false, err
		}
		id, err := res.LastInsertId()
		return id, err == nil, err
	}
	if err := addVocab(exec, insertID, words); err != nil {
		return err
	}
	data := map[int][]byte{}
	for b, m := range buckets {
		paths := make([]string, 0, len(m))
		for p := range m {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			e := m[p]
			data[b] = appendEntry(data[b], &e)
		}
	}
	for b := range buckets {
		data := data[b]
		var err error
		if len(data) == 0 {
			err = exec(`DELETE FROM stat WHERE bucket = ?`, b)
		} else {
			err = exec(`INSERT OR REPLACE INTO stat (bucket, data) VALUES (?, ?)`, b, data)
		}
		if err != nil {
			return err
		}
	}
	if p.writeDirs {
		var data []byte
		for i := range p.dirs {
			data = appendEntry(data, &p.dirs[i])
		}
		if err := exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('dirs', ?)`, data); err != nil {
			return err
		}
	}
	if p.setScan {
		if err := exec(`DELETE FROM problems WHERE kind = 'scan'`); err != nil {
			return err
		}
		for _, pr := range p.scan {
			id := strings.TrimSuffix(path.Base(pr.Path), ".yaml")
			if err := exec(`INSERT OR REPLACE INTO problems (path, id, kind, message) VALUES (?, ?, 'scan', ?)`, pr.Path, id, pr.Err.Error()); err != nil {
				return err
			}
		}
	}
	return exec(`UPDATE meta SET value = value + 1 WHERE key = 'gen'`)
}

// scanProblemsChanged reports whether the stored scan problems differ from ps.
func scanProblemsChanged(ctx context.Context, q querier, ps []storage.Problem) (bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT path, message FROM problems WHERE kind = 'scan' ORDER BY path`)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var stored []string
	for rows.Next() {
		var p, m string
		if err := rows.Scan(&p, &m); err != nil {
			return false, err
		}
		stored = append(stored, p+"\x00"+m)
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	var now []string
	for _, p := range ps {
		now = append(now, p.Path+"\x00"+p.Err.Error())
	}
	sort.Strings(now)
	return strings.Join(stored, "\n") != strings.Join(now, "\n"), nil
}

// Refresh brings the index up to date with the work tree: it lstats every
// document (listing the folders again only when they changed), and reads
// and parses only the files whose stat data or, for racy entries, content
// changed. Documents that do not parse are recorded as problems. A damaged
// index file is replaced and rebuilt.
func (ix *Index) Refresh(ctx context.Context, fs *filestore.Store) (Report, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.refresh(ctx, fs, nil, nil)
}

// RefreshPaths brings the index up to date for these repository-relative
// paths only (for git hooks and after a commit): paths outside the
// document folders are ignored; a document's twin in the other folder is
// checked too. When one of them is something only a full scan can judge
// (a symbolic link, an id in both folders), it refreshes everything.
func (ix *Index) RefreshPaths(ctx context.Context, fs *filestore.Store, paths []string) (Report, error) {
	docs := docPaths(paths)
	if len(docs) == 0 {
		return Report{}, nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	rep, err := ix.refresh(ctx, fs, docs, nil)
	if errors.Is(err, errUnusual) {
		return ix.refresh(ctx, fs, nil, nil)
	}
	return rep, err
}

// docPaths keeps the document paths among paths, adding each one's twin
// in the other folder.
func docPaths(paths []string) []string {
	set := map[string]bool{}
	for _, p := range paths {
		p = path.Clean(filepath.ToSlash(p))
		dir, name := path.Split(p)
		folder, ok := strings.CutPrefix(strings.TrimSuffix(dir, "/"), filestore.Dir+"/")
		if !ok || !strings.HasSuffix(name, ".yaml") || strings.HasPrefix(name, ".") {
			continue
		}
		known := false
		for _, f := range filestore.Folders {
			known = known || f == folder
		}
		if !known {
			continue
		}
		for _, f := range filestore.Folders {
			set[filestore.Dir+"/"+f+"/"+name] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// RefreshNames makes sure the index knows the current set of document
// files (what IDs returns): it costs a few lstat calls when neither folder
// changed since the last scan. Otherwise it lists the folders and indexes
// the new files and drops the gone ones, without stat'ing the files it
// knows (O(listing + changed), not O(N) lstat): a file changed in place
// keeps its name, and every query that reads contents (Refresh,
// RefreshPaths) still stats the files it answers from.
func (ix *Index) RefreshNames(ctx context.Context, fs *filestore.Store) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	snap, err := loadDirs(ctx, ix.db)
	if err == nil {
		root := fs.Repo().WorkTree
		fresh := len(snap) == len(filestore.Folders)
		for _, folder := range filestore.Folders {
			rel := filestore.Dir + "/" + folder
			st, err := lstat(filepath.Join(root, filepath.FromSlash(rel)))
			if err != nil {
				return err
			}
			old, ok := snap[rel]
			fresh = fresh && ok && old.st == st && !old.racy()
		}
		if fresh {
			return nil
		}
	}
	// A folder changed (a create, a checkout): its listing is compared
	// with the indexed names; only new files are stat'ed and read.
	_, err = ix.refreshMode(ctx, fs, nil, true, nil)
	return err
}

func loadDirs(ctx context.Context, q querier) (map[string]entry, error) {
	var data []byte
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'dirs'`).Scan(&data)
	if err != nil {
		return nil, err
	}
	dirs := map[string]entry{}
	err = decodeEntries(data, func(e entry) { dirs[e.path] = e })
	return dirs, err
}

// refresh does Refresh (paths nil) or RefreshPaths; ix.mu is held. With
// rebuild it first empties the index (in the same transaction).
func (ix *Index) refresh(ctx context.Context, fs *filestore.Store, paths []string, rebuild func(done, total int)) (Report, error) {
	return ix.refreshMode(ctx, fs, paths, false, rebuild)
}

// refreshMode is refresh, or with namesOnly RefreshNames' reconciliation
// of the set of document files.
func (ix *Index) refreshMode(ctx context.Context, fs *filestore.Store, paths []string, namesOnly bool, rebuild func(done, total int)) (Report, error) {
	for attempt := 0; ; attempt++ {
		rep, err := ix.refreshOnce(ctx, fs, paths, namesOnly, rebuild)
		if err == nil || attempt > 0 || ctx.Err() != nil || errors.Is(err, errUnusual) {
			return rep, err
		}
		switch {
		case isMoved(err) || errors.Is(err, ErrCorrupt) && identify(ix.path) != ix.ident:
			// Another process replaced the file: use the new one.
			ix.db.Close()
			if err := ix.open(ctx, nil); err != nil {
				return Report{}, err
			}
		case errors.Is(err, ErrCorrupt):
			if err := ix.reset(ctx, err); err != nil {
				return Report{}, err
			}
		default:
			return rep, err
		}
		paths, namesOnly = nil, false // a new file needs everything
	}
}

func (ix *Index) refreshOnce(ctx context.Context, fs *filestore.Store, paths []string, namesOnly bool, rebuild func(done, total int)) (Report, error) {
	ctx, cancel := context.WithCancel(ctx) // stops the parsers if we give up
	defer cancel()
	var p *plan
	if rebuild == nil {
		// Optimistic: compare and parse without holding the write lock.
		snap, err := ix.readSnapshot(ctx, paths)
		if err != nil {
			return Report{}, ix.wrap("refresh", err)
		}
		p, err = ix.plan(ctx, ix.db, fs, snap, paths, namesOnly)
		if err != nil {
			return Report{}, err
		}
		if p.empty() {
			rep := Report{Rescanned: p.rescan}
			err := ix.db.QueryRowContext(ctx, `SELECT count(*) FROM problems`).Scan(&rep.Problems)
			return rep, ix.wrap("refresh", err)
		}
		wait := prepareAll(ctx, fs, p.actions, runtime.GOMAXPROCS(0))
		for i := range p.actions {
			wait(i)
		}
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
	}
	tx, err := ix.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE
	if err != nil {
		return Report{}, ix.wrap("refresh", err)
	}
	defer tx.Rollback()
	var gen int64
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'gen'`).Scan(&gen); err != nil {
		return Report{}, ix.wrap("refresh", err)
	}
	var progress func()
	if rebuild != nil {
		for _, q := range []string{`DELETE FROM milestones`, `DELETE FROM docs`, `DELETE FROM labels`, `DELETE FROM problems`,
			`DELETE FROM stat`, `DELETE FROM meta WHERE key = 'dirs'`, `DELETE FROM vocab`,
			`INSERT INTO milestones_fts (milestones_fts) VALUES ('delete-all')`,
			`INSERT INTO vocab_fts (vocab_fts) VALUES ('delete-all')`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return Report{}, ix.wrap("rebuild", err)
			}
		}
	}
	if p == nil || gen != p.snap.gen {
		// Another process wrote since we looked (or we rebuild): look
		// again, holding the write lock this time.
		snap, err := load(ctx, tx, paths)
		if err != nil {
			return Report{}, ix.wrap("refresh", err)
		}
		p, err = ix.plan(ctx, tx, fs, snap, paths, namesOnly)
		if err != nil {
			return Report{}, err
		}
		if p.empty() {
			return Report{Rescanned: p.rescan}, tx.Commit()
		}
	}
	if rebuild != nil {
		total := len(p.actions)
		done := 0
		rebuild(0, total)
		progress = func() { done++; rebuild(done, total) }
	}
	// Parse while writing (prepared actions pass straight through).
	wait := prepareAll(ctx, fs, p.actions, 0)
	if err := apply(ctx, tx, p, wait, progress); err != nil {
		return Report{}, ix.wrap("refresh", err)
	}
	rep := Report{Rescanned: p.rescan}
	for _, a := range p.actions {
		switch a.op {
		case opAdd:
			rep.Added = append(rep.Added, a.path)
		case opUpdate:
			rep.Updated = append(rep.Updated, a.path)
		case opRemove:
			rep.Removed = append(rep.Removed, a.path)
		case opTouch:
			rep.Touched++
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM problems`).Scan(&rep.Problems); err != nil {
		return Report{}, ix.wrap("refresh", err)
	}
	if err := tx.Commit(); err != nil {
		return Report{}, ix.wrap("refresh", err)
	}
	return rep, nil
}

// readSnapshot loads the snapshot in one read transaction.
func (ix *Index) readSnapshot(ctx context.Context, paths []string) (*snapshot, error) {
	tx, err := ix.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // deferred: a read snapshot
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return load(ctx, tx, paths)
}

// plan runs diff and decides whether the scan problems must be rewritten.
func (ix *Index) plan(ctx context.Context, q querier, fs *filestore.Store, snap *snapshot, paths []string, namesOnly bool) (*plan, error) {
	p, err := diff(ctx, fs, snap, diffOptions{paths: paths, namesOnly: namesOnly, tuning: ix.tuning})
	if err != nil {
		return nil, err
	}
	if p.rescan {
		changed, err := scanProblemsChanged(ctx, q, p.scan)
		if err != nil {
			return nil, ix.wrap("refresh", err)
		}
		p.setScan = changed
	}
	return p, nil
}

// Rebuild empties the index and indexes every document again, in one
// transaction (readers see the old index until it commits). progress, if
// not nil, is called with the documents written so far and their total.
func (ix *Index) Rebuild(ctx context.Context, fs *filestore.Store, progress func(done, total int)) error {
	if progress == nil {
		progress = func(int, int) {}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	_, err := ix.refresh(ctx, fs, nil, progress)
	return err
}

// Status compares the index with the work tree without changing either.
func (ix *Index) Status(ctx context.Context, fs *filestore.Store) (Status, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	st := Status{Path: ix.path, SchemaVersion: SchemaVersion}
	snap, err := ix.readSnapshot(ctx, nil)
	if err != nil {
		return st, ix.wrap("index status", err)
	}
	p, err := diff(ctx, fs, snap, diffOptions{noParse: true, tuning: ix.tuning})
	if err != nil {
		return st, err
	}
	st.Generation = snap.gen
	st.Rescan = p.dirsChanged
	st.Racy = p.racy
	st.Files = len(snap.files)
	for _, a := range p.actions {
		switch a.op {
		case opAdd:
			st.Added = append(st.Added, a.path)
		case opUpdate:
			st.Changed = append(st.Changed, a.path)
		case opRemove:
			st.Removed = append(st.Removed, a.path)
		case opTouch:
			st.Touched++
		}
	}
	st.Fresh = len(st.Added)+len(st.Changed)+len(st.Removed) == 0
	if p.rescan && st.Fresh {
		changed, err := scanProblemsChanged(ctx, ix.db, p.scan)
		if err != nil {
			return st, ix.wrap("index status", err)
		}
		st.Fresh = !changed
	}
	if err := ix.db.QueryRowContext(ctx, `SELECT count(*) FROM milestones`).Scan(&st.Milestones); err != nil {
		return st, ix.wrap("index status", err)
	}
	st.Problems, err = ix.problems(ctx, ix.db)
	return st, err
}
