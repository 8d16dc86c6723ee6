package index

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// apply writes plan p in tx; progress (may be nil) is told about each
// document written.
//
// A blank index (first build, rebuild) is written as a bulk load: the
// secondary indexes are dropped and built again at the end, and the
// full-text rows are written in batches after their documents (FTS5
// flushes its pending terms at every statement savepoint, so one full-text
// row after each document made many tiny segments). Each document's parsed
// form is released once written, so memory does not grow with the number
// of documents. Readers never see the index half built: all of it is one
// transaction.
func apply(ctx context.Context, tx *sql.Tx, p *plan, wait func(i int), progress func(), knobs tuning) error {
	// Statements run without the caller's cancellation (which costs a
	// watcher goroutine per statement in the driver); ctx is checked
	// between documents instead, and the transaction rolls back.
	w := &writer{ctx: context.WithoutCancel(ctx), done: ctx, tx: tx, stmts: map[string]*sql.Stmt{}, words: map[string]struct{}{}}
	defer w.close()
	var rebuild []secondaryIndex
	if p.blank && len(p.actions) >= bulkRows {
		var err error
		if rebuild, err = w.dropIndexes(); err != nil {
			return err
		}
	}
	buckets := p.buckets()
	before := sumBuckets(buckets)
	batch := 1 // full-text rows are written at once unless the index is blank
	if p.blank {
		batch = cmp.Or(knobs.ftsBatch, ftsBatch)
	}
	if err := w.writeDocs(p, buckets, wait, progress, batch); err != nil {
		return err
	}
	if err := w.flushFTS(); err != nil {
		return err
	}
	if err := w.writeVocab(); err != nil {
		return err
	}
	if err := w.writeStat(buckets); err != nil {
		return err
	}
	if err := updateSum(w.ctx, w.tx, before, sumBuckets(buckets)); err != nil {
		return fmt.Errorf("stat sum: %w", err)
	}
	if p.writeDirs {
		if err := w.writeDirs(p.dirs); err != nil {
			return err
		}
	}
	if p.setScan {
		if err := w.writeScanProblems(p.scan); err != nil {
			return err
		}
	}
	for _, ix := range rebuild {
		if err := w.exec(ix.def); err != nil {
			return fmt.Errorf("build index %s: %w", ix.name, err)
		}
	}
	return w.exec(`UPDATE meta SET value = value + 1 WHERE key = 'gen'`)
}

// bulkRows is the number of documents from which a blank index is written
// without its secondary indexes, built once at the end; ftsBatch is how
// many full-text rows a bulk load holds before writing them.
const (
	bulkRows = 1000
	ftsBatch = 2000
)

// secondaryIndex is an index no constraint owns, as sqlite_schema has it.
type secondaryIndex struct{ name, def string }

// dropIndexes drops the secondary indexes of milestones and labels and
// returns them, to be created again.
func (w *writer) dropIndexes() ([]secondaryIndex, error) {
	rows, err := w.tx.QueryContext(w.ctx, `SELECT name, sql FROM sqlite_schema
	    WHERE type = 'index' AND tbl_name IN ('milestones', 'labels') AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var idx []secondaryIndex
	for rows.Next() {
		var i secondaryIndex
		if err := rows.Scan(&i.name, &i.def); err != nil {
			rows.Close()
			return nil, err
		}
		idx = append(idx, i)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for _, i := range idx {
		if _, err := w.tx.ExecContext(w.ctx, `DROP INDEX "`+strings.ReplaceAll(i.name, `"`, `""`)+`"`); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", i.name, err)
		}
	}
	return idx, nil
}

// docID is the milestone id a document path names.
func docID(p string) string { return strings.TrimSuffix(path.Base(p), ".yaml") }

// buckets returns the stat buckets the actions touch, as they are in the
// snapshot: bucket -> path -> entry.
func (p *plan) buckets() map[int]map[string]entry {
	buckets := map[int]map[string]entry{}
	for _, a := range p.actions {
		buckets[bucketOf(a.path)] = map[string]entry{}
	}
	for _, e := range p.snap.files {
		if m, ok := buckets[bucketOf(e.path)]; ok {
			m[e.path] = e
		}
	}
	return buckets
}

// writer runs the statements of one apply in its transaction, preparing
// each distinct statement once.
type writer struct {
	ctx   context.Context // for statements: not cancelled
	done  context.Context // the caller's: checked between documents
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	words map[string]struct{} // the words of the documents written
	fts   []ftsRow            // full-text rows not written yet
}

// ftsRow is a milestones_fts row waiting to be written.
type ftsRow struct {
	rid  int64
	keys string
}

// prep returns the prepared statement for q.
func (w *writer) prep(q string) (*sql.Stmt, error) {
	if s, ok := w.stmts[q]; ok {
		return s, nil
	}
	s, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = s
	return s, nil
}

// close closes the prepared statements.
func (w *writer) close() {
	for _, s := range w.stmts {
		s.Close()
	}
}

// exec runs statement q with args.
func (w *writer) exec(q string, args ...any) error {
	s, err := w.prep(q)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(w.ctx, args...)
	return err
}

// drop removes the indexed milestone at path and the one with id.
func (w *writer) drop(path, id string) error {
	if err := w.flushFTS(); err != nil { // a row to delete may be pending
		return err
	}
	s, err := w.prep(`SELECT id, rid FROM milestones WHERE file_path = ? OR id = ?`)
	if err != nil {
		return err
	}
	rows, err := s.QueryContext(w.ctx, path, id)
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
		for _, q := range []struct {
			sql string
			arg any
		}{
			{`DELETE FROM milestones_fts WHERE rowid = ?`, v.rid},
			{`DELETE FROM docs WHERE rid = ?`, v.rid},
			{`DELETE FROM search WHERE rid = ?`, v.rid},
			{`DELETE FROM labels WHERE id = ?`, v.id},
			{`DELETE FROM milestones WHERE id = ?`, v.id},
		} {
			if err := w.exec(q.sql, q.arg); err != nil {
				return err
			}
		}
	}
	return w.exec(`DELETE FROM problems WHERE path = ?`, path)
}

// writeDocs applies the actions in order (waiting for each one to be
// prepared) and keeps buckets in step with them.
func (w *writer) writeDocs(p *plan, buckets map[int]map[string]entry, wait func(i int), progress func(), batch int) error {
	var nextRid int64
	if err := w.tx.QueryRowContext(w.ctx, `SELECT coalesce(max(rid), 0) + 1 FROM milestones`).Scan(&nextRid); err != nil {
		return err
	}
	for i, a := range p.actions {
		wait(i)
		if err := w.done.Err(); err != nil {
			return err
		}
		bucket := buckets[bucketOf(a.path)]
		switch a.op {
		case opRemove:
			delete(bucket, a.path)
			if err := w.drop(a.path, ""); err != nil {
				return err
			}
			continue
		case opTouch:
			bucket[a.path] = a.e
			continue
		}
		bucket[a.path] = a.e
		inserted, err := w.writeDoc(a, p.blank, nextRid)
		if err != nil {
			return err
		}
		if inserted {
			nextRid++
		}
		if len(w.fts) >= batch {
			if err := w.flushFTS(); err != nil {
				return err
			}
		}
		if progress != nil {
			progress()
		}
	}
	return nil
}

// writeDoc indexes the document of an opAdd or opUpdate action, as row rid,
// or records it as a problem; it reports whether it used rid. Unless the
// index is blank, what was indexed at its path or with its id is dropped
// first. The full-text row is queued (flushFTS) and the document's parsed
// form released.
func (w *writer) writeDoc(a *action, blank bool, rid int64) (bool, error) {
	id := docID(a.path)
	if !blank {
		if err := w.drop(a.path, id); err != nil {
			return false, err
		}
	}
	if r := a.row; r != nil {
		a.row = nil
		if err := r.insert(w.exec, rid); err != nil {
			return false, err
		}
		r.words(w.words)
		w.fts = append(w.fts, ftsRow{rid: rid, keys: r.fts})
		return true, nil
	}
	msg := "cannot be indexed"
	if a.err != nil {
		msg = a.err.Error()
	}
	return false, w.exec(`INSERT OR REPLACE INTO problems (path, id, kind, message) VALUES (?, ?, 'doc', ?)`, a.path, id, msg)
}

// flushFTS writes the queued full-text rows, many per statement.
func (w *writer) flushFTS() error {
	const per = 128 // rows per INSERT
	var args []any
	for start := 0; start < len(w.fts); start += per {
		chunk := w.fts[start:min(start+per, len(w.fts))]
		args = args[:0]
		for _, f := range chunk {
			args = append(args, f.rid, f.keys)
		}
		if err := w.exec(`INSERT INTO milestones_fts (rowid, words) VALUES `+valuesList(len(chunk), 2), args...); err != nil {
			return err
		}
	}
	w.fts = w.fts[:0]
	return nil
}

// writeVocab records the words of the documents written.
func (w *writer) writeVocab() error {
	return addVocab(w.ctx, w.tx, w.exec, w.words)
}

// writeStat stores the entries of each bucket, sorted by path (an empty
// bucket is deleted).
func (w *writer) writeStat(buckets map[int]map[string]entry) error {
	for b, m := range buckets {
		paths := make([]string, 0, len(m))
		for p := range m {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		var data []byte
		for _, p := range paths {
			e := m[p]
			data = appendEntry(data, &e)
		}
		var err error
		if len(data) == 0 {
			err = w.exec(`DELETE FROM stat WHERE bucket = ?`, b)
		} else {
			err = w.exec(`INSERT OR REPLACE INTO stat (bucket, data) VALUES (?, ?)`, b, data)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeDirs stores the folders' stat data.
func (w *writer) writeDirs(dirs []entry) error {
	var data []byte
	for i := range dirs {
		data = appendEntry(data, &dirs[i])
	}
	return w.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('dirs', ?)`, data)
}

// writeScanProblems replaces the stored scan problems with ps.
func (w *writer) writeScanProblems(ps []storage.Problem) error {
	if err := w.exec(`DELETE FROM problems WHERE kind = 'scan'`); err != nil {
		return err
	}
	for _, pr := range ps {
		if err := w.exec(`INSERT OR REPLACE INTO problems (path, id, kind, message) VALUES (?, ?, 'scan', ?)`, pr.Path, docID(pr.Path), pr.Err.Error()); err != nil {
			return err
		}
	}
	return nil
}
