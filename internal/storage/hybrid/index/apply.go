package index

import (
	"context"
	"database/sql"
	"path"
	"sort"
	"strings"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// apply writes plan p in tx; progress (may be nil) is told about each
// document written.
func apply(ctx context.Context, tx *sql.Tx, p *plan, wait func(i int), progress func()) error {
	w := &writer{ctx: ctx, tx: tx, stmts: map[string]*sql.Stmt{}}
	defer w.close()
	buckets := p.buckets()
	if err := w.writeDocs(p, buckets, wait, progress); err != nil {
		return err
	}
	if err := w.writeVocab(p.actions); err != nil {
		return err
	}
	if err := w.writeStat(buckets); err != nil {
		return err
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
	return w.exec(`UPDATE meta SET value = value + 1 WHERE key = 'gen'`)
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
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
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

// insertID runs insert q and returns the new row's id, and whether a row
// was inserted.
func (w *writer) insertID(q string, args ...any) (int64, bool, error) {
	s, err := w.prep(q)
	if err != nil {
		return 0, false, err
	}
	res, err := s.ExecContext(w.ctx, args...)
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

// drop removes the indexed milestone at path and the one with id.
func (w *writer) drop(path, id string) error {
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
func (w *writer) writeDocs(p *plan, buckets map[int]map[string]entry, wait func(i int), progress func()) error {
	var nextRid int64
	if err := w.tx.QueryRowContext(w.ctx, `SELECT coalesce(max(rid), 0) + 1 FROM milestones`).Scan(&nextRid); err != nil {
		return err
	}
	for i, a := range p.actions {
		wait(i)
		if err := w.ctx.Err(); err != nil {
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
		if progress != nil {
			progress()
		}
	}
	return nil
}

// writeDoc indexes the document of an opAdd or opUpdate action, as row rid,
// or records it as a problem; it reports whether it used rid. Unless the
// index is blank, what was indexed at its path or with its id is dropped
// first.
func (w *writer) writeDoc(a *action, blank bool, rid int64) (bool, error) {
	id := docID(a.path)
	if !blank {
		if err := w.drop(a.path, id); err != nil {
			return false, err
		}
	}
	if a.row != nil {
		return true, a.row.insert(w.exec, rid)
	}
	msg := "cannot be indexed"
	if a.err != nil {
		msg = a.err.Error()
	}
	return false, w.exec(`INSERT OR REPLACE INTO problems (path, id, kind, message) VALUES (?, ?, 'doc', ?)`, a.path, id, msg)
}

// writeVocab records the words of the documents written.
func (w *writer) writeVocab(actions []*action) error {
	words := map[string]bool{}
	for _, a := range actions {
		if a.row != nil {
			a.row.words(words)
		}
	}
	return addVocab(w.exec, w.insertID, words)
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
