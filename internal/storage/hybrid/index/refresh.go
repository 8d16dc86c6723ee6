package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

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
	return ix.refreshPaths(ctx, fs, docPaths(paths), nil)
}

// refreshPaths is RefreshPaths of the document paths docs, with their
// stored state pre when it was read ahead (PrepareRefresh), else nil.
func (ix *Index) refreshPaths(ctx context.Context, fs *filestore.Store, docs []string, pre *prepared) (Report, error) {
	if len(docs) == 0 {
		return Report{}, nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if pre != nil && pre.db != ix.db {
		pre = nil // the file was opened again since: read it again
	}
	rep, err := ix.refreshModeAhead(ctx, fs, docs, false, nil, pre)
	if errors.Is(err, errUnusual) {
		return ix.refresh(ctx, fs, nil, nil)
	}
	return rep, err
}

// PreparedRefresh is a RefreshPaths whose first step, reading what the
// index records for the paths, is done ahead (see PrepareRefresh).
type PreparedRefresh struct {
	ix   *Index
	docs []string
	pre  *prepared // nil when it could not be read ahead
}

// prepared is the stored state of some paths, read ahead from db.
type prepared struct {
	db   *sql.DB
	snap *snapshot
}

// PrepareRefresh reads now what RefreshPaths(paths) reads first, the
// stored state of those paths, for a caller that has time now and less
// later (a commit waiting for git, whose files are written afterwards).
// Run does the rest. Another process writing the index in between costs
// nothing but time: the refresh reads it again under its write lock, as
// RefreshPaths does whenever the index changed since it looked.
func (ix *Index) PrepareRefresh(ctx context.Context, paths []string) *PreparedRefresh {
	p := &PreparedRefresh{ix: ix, docs: docPaths(paths)}
	if len(p.docs) == 0 {
		return p
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if snap, err := ix.readSnapshot(ctx, p.docs); err == nil {
		p.pre = &prepared{db: ix.db, snap: snap}
	}
	return p
}

// Run is RefreshPaths of the prepared paths. Run it once.
func (p *PreparedRefresh) Run(ctx context.Context, fs *filestore.Store) (Report, error) {
	pre := p.pre
	p.pre = nil
	return p.ix.refreshPaths(ctx, fs, p.docs, pre)
}

// Checkpoint copies the write-ahead log into the database file (a
// passive checkpoint: readers are not waited for), with the same fsyncs
// as the checkpoint SQLite runs when the last connection closes, which
// then has nothing left to copy. A writer that has other work before it
// exits runs it meanwhile, so closing costs it little.
func (ix *Index) Checkpoint(ctx context.Context) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	_, err := ix.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
	return ix.wrap("checkpoint", err)
}

// docPaths keeps the document paths among paths, adding each one's twin
// in the other folder.
func docPaths(paths []string) []string {
	set := map[string]bool{}
	for _, p := range paths {
		p = path.Clean(filepath.ToSlash(p))
		dir, name := path.Split(p)
		folder, ok := strings.CutPrefix(strings.TrimSuffix(dir, "/"), filestore.Dir+"/")
		if !ok || !filestore.IsDocName(name) {
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

// refresh does Refresh (paths nil) or RefreshPaths; ix.mu is held. With
// rebuild it first empties the index (in the same transaction).
func (ix *Index) refresh(ctx context.Context, fs *filestore.Store, paths []string, rebuild func(done, total int)) (Report, error) {
	return ix.refreshMode(ctx, fs, paths, false, rebuild)
}

// refreshMode is refresh, or with namesOnly RefreshNames' reconciliation
// of the set of document files.
func (ix *Index) refreshMode(ctx context.Context, fs *filestore.Store, paths []string, namesOnly bool, rebuild func(done, total int)) (Report, error) {
	return ix.refreshModeAhead(ctx, fs, paths, namesOnly, rebuild, nil)
}

// refreshModeAhead is refreshMode with the stored state of paths read
// ahead from ix.db (nil: not), used by the first attempt.
func (ix *Index) refreshModeAhead(ctx context.Context, fs *filestore.Store, paths []string, namesOnly bool, rebuild func(done, total int), pre *prepared) (Report, error) {
	for attempt := 0; ; attempt++ {
		rep, err := ix.refreshOnceAhead(ctx, fs, paths, namesOnly, rebuild, pre)
		pre = nil
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

// parseAhead is how many documents the parsers of a refresh may run ahead
// of the writer; preparseMax is the most actions an optimistic refresh
// parses before taking the write lock (more, as in a first build, are
// parsed while written, so that memory stays bounded).
const (
	parseAhead  = 512
	preparseMax = 4096
)

func (ix *Index) refreshOnce(ctx context.Context, fs *filestore.Store, paths []string, namesOnly bool, rebuild func(done, total int)) (Report, error) {
	return ix.refreshOnceAhead(ctx, fs, paths, namesOnly, rebuild, nil)
}

// refreshOnceAhead is refreshOnce with the snapshot of paths read ahead
// (pre, nil when not), which the optimistic pass uses instead of reading
// it: it is checked against the generation under the write lock like one
// read now.
func (ix *Index) refreshOnceAhead(ctx context.Context, fs *filestore.Store, paths []string, namesOnly bool, rebuild func(done, total int), pre *prepared) (Report, error) {
	ctx, cancel := context.WithCancel(ctx) // stops the parsers if we give up
	defer cancel()
	var p *plan
	if rep, done, err := ix.quickRefresh(ctx, fs, paths, namesOnly, rebuild != nil); done || err != nil {
		return rep, err
	}
	if rebuild == nil {
		// Optimistic: compare and parse without holding the write lock.
		var snap *snapshot
		var err error
		if pre != nil {
			snap = pre.snap
		} else if snap, err = ix.readSnapshot(ctx, paths); err != nil {
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
		if len(p.actions) <= preparseMax {
			wait := prepareAll(ctx, fs, p.actions, runtime.GOMAXPROCS(0), 0)
			for i := range p.actions {
				wait(i)
			}
			if err := ctx.Err(); err != nil {
				return Report{}, err
			}
		} // else a first build: parsed while written, in bounded memory
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
		for _, q := range []string{`DELETE FROM milestones`, `DELETE FROM docs`, `DELETE FROM search`, `DELETE FROM labels`, `DELETE FROM problems`,
			`DELETE FROM stat`, `DELETE FROM meta WHERE key = 'dirs'`, `DELETE FROM vocab`,
			`INSERT INTO milestones_fts (milestones_fts) VALUES ('delete-all')`,
			`INSERT INTO vocab_fts (vocab_fts) VALUES ('delete-all')`, initSum} {
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
	if rebuild != nil || len(p.actions) > bigWrite {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, -writeCacheKiB)); err != nil {
			return Report{}, ix.wrap("refresh", err)
		}
	}
	// Parse while writing (prepared actions pass straight through), at
	// most parseAhead documents ahead of the writer.
	wait := prepareAll(ctx, fs, p.actions, 0, parseAhead)
	if err := apply(ctx, tx, p, wait, progress, ix.tuning); err != nil {
		return Report{}, ix.wrap("refresh", err)
	}
	rep := Report{Rescanned: p.rescan}
	rep.Added, rep.Updated, rep.Removed, rep.Touched = byOp(p.actions)
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM problems`).Scan(&rep.Problems); err != nil {
		return Report{}, ix.wrap("refresh", err)
	}
	if err := tx.Commit(); err != nil {
		return Report{}, ix.wrap("refresh", err)
	}
	return rep, nil
}

// quickRefresh is the common case of a full refresh (not of some paths,
// not a rebuild), nothing changed, proved without loading the stat entries
// (quickFresh); done is false when the full check must run.
func (ix *Index) quickRefresh(ctx context.Context, fs *filestore.Store, paths []string, namesOnly, rebuild bool) (rep Report, done bool, err error) {
	if paths != nil || namesOnly || rebuild || ix.tuning.alwaysScan {
		return Report{}, false, nil
	}
	fresh, racy, problems, err := ix.quickFresh(ctx, fs)
	switch {
	case err != nil:
		return Report{}, true, ix.wrap("refresh", err)
	case !fresh:
		return Report{}, false, nil
	case len(racy) == 0:
		return Report{Problems: problems}, true, nil
	}
	// Every entry but the racy ones is as indexed: compare those by
	// content (and record them as no longer racy, once they are not), as
	// RefreshPaths would.
	rep, err = ix.refreshOnce(ctx, fs, racy, false, nil)
	if errors.Is(err, errUnusual) {
		return Report{}, false, nil
	}
	return rep, true, err
}

// byOp sorts actions by what they do: the paths added, updated and
// removed (nil when none), and the number of files only touched.
func byOp(actions []*action) (added, updated, removed []string, touched int) {
	for _, a := range actions {
		switch a.op {
		case opAdd:
			added = append(added, a.path)
		case opUpdate:
			updated = append(updated, a.path)
		case opRemove:
			removed = append(removed, a.path)
		case opTouch:
			touched++
		}
	}
	return added, updated, removed, touched
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
	st.Added, st.Changed, st.Removed, st.Touched = byOp(p.actions)
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
