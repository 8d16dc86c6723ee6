package cli

import (
	"context"
	"fmt"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/migrate"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// mover returns the migrate.Mover of m's direction, and a func that
// releases what it opened.
func (m *migration) mover(ctx context.Context, from, toType string) (migrate.Mover, func(), error) {
	switch {
	case m.to == config.Database:
		target, err := openDatabase(ctx, m.s.env, m.s.repo, m.s.cfg, toType, m.s.warn)
		if err != nil {
			return nil, nil, fmt.Errorf("open the target database: %w", err)
		}
		return &intoDatabase{m: m, from: from, dbType: toType, target: target}, func() { target.Close() }, nil
	case from == config.Database:
		return &outOfDatabase{m: m}, func() {}, nil
	case m.to == config.Hybrid:
		h := &intoHybrid{m: m}
		return h, h.close, nil
	}
	return &intoFile{m: m}, func() {}, nil
}

// intoDatabase copies into a database and switches to it.
type intoDatabase struct {
	m      *migration
	from   string
	dbType string
	target opener.DatabaseBackend
	recs   []storage.Record
}

func (d *intoDatabase) Copy(ctx context.Context, recs []storage.Record) error {
	d.recs = recs
	// The source is live: whatever the target holds for this project is
	// left from an interrupted attempt (or an older life) and is replaced.
	if n, err := d.target.DeleteAll(ctx); err != nil {
		return err
	} else if n > 0 {
		d.m.say("cleared %d stale row(s) of this project from the target database", n)
	}
	if err := registerProject(ctx, d.target, d.m.s.env, "migrate"); err != nil {
		return err
	}
	bar, done := d.m.progress("copying", len(recs))
	defer done()
	return d.target.Import(ctx, recs, bar)
}

func (d *intoDatabase) ReadBack(ctx context.Context) ([]storage.Record, error) {
	got, _, err := d.target.List(ctx, storage.Query{All: true})
	return got, err
}

func (d *intoDatabase) Undo(ctx context.Context) {
	if _, err := d.target.DeleteAll(ctx); err != nil {
		d.m.s.warn(fmt.Sprintf("roll back the copy in the target database: %v", err))
	}
}

func (d *intoDatabase) Switch(context.Context) (storage.Result, error) {
	// The files of the milestones now in the database go; a document left
	// behind by --skip-invalid stays where it is.
	var deletes []storage.Change
	for _, r := range d.recs {
		if r.Path != "" {
			deletes = append(deletes, storage.Change{Path: r.Path, Delete: true})
		}
	}
	return d.m.switchCommit(config.Database, deletes,
		fmt.Sprintf("%d milestone(s) copied into the %s database and verified; it is now the store.", len(d.recs), d.dbType))
}

func (d *intoDatabase) After(ctx context.Context) error {
	if d.from == config.Hybrid {
		d.m.s.removeIndex()
	}
	if d.from == config.Database {
		d.m.removeSource(ctx) // out of PostgreSQL into SQLite: this project's rows go
	}
	return nil
}

func (d *intoDatabase) Revert(context.Context) (bool, error) { return false, nil }

// outOfDatabase writes the database's documents back as YAML files.
type outOfDatabase struct {
	m       *migration
	recs    []storage.Record
	changes []storage.Change
	written []storage.Record
}

func (o *outOfDatabase) Copy(_ context.Context, recs []storage.Record) error {
	o.recs = recs
	for _, r := range recs {
		path := opener.PathFor(r.Milestone.ID, r.Milestone.Status)
		dm, err := format.Decode(path, r.Source)
		if err != nil {
			return fmt.Errorf("milestone %s: its stored document does not parse: %w", r.Milestone.ID, err)
		}
		o.written = append(o.written, storage.Record{Milestone: dm, Source: r.Source, Path: path})
		o.changes = append(o.changes, storage.Change{Path: path, Content: r.Source})
	}
	return nil
}

func (o *outOfDatabase) ReadBack(context.Context) ([]storage.Record, error) { return o.written, nil }

func (o *outOfDatabase) Undo(context.Context) {} // nothing was written before the switch

func (o *outOfDatabase) Switch(context.Context) (storage.Result, error) {
	o.m.undo = make([]storage.Change, 0, len(o.changes))
	for _, c := range o.changes {
		o.m.undo = append(o.m.undo, storage.Change{Path: c.Path, Delete: true})
	}
	return o.m.switchCommit(o.m.to, o.changes,
		fmt.Sprintf("%d milestone(s) written back from the database as YAML files; the files are the store again.", len(o.recs)))
}

func (o *outOfDatabase) After(ctx context.Context) error {
	s := o.m.s
	back, _, err := opener.Files(s.repo, openerOptions(s.env, s.warn)).LoadAll(ctx)
	if err != nil {
		return err
	}
	if err := migrate.Verify(o.recs, back); err != nil {
		return fmt.Errorf("the files written differ from the database (the database is unchanged; `git milestone fsck`): %w", err)
	}
	if o.m.to == config.Hybrid {
		if err := buildIndex(ctx, s.env, s.repo); err != nil {
			s.warn(fmt.Sprintf("index: %v (it will be rebuilt by the next command)", err))
		}
	}
	o.m.removeSource(ctx)
	return nil
}

func (o *outOfDatabase) Revert(context.Context) (bool, error) {
	_, err := o.m.commit(config.Database, o.m.undo, "Rolled back: a check after the switch failed (migration.rollback_on_failure).")
	return true, err
}

// intoHybrid builds the index; the files stay the store.
type intoHybrid struct {
	m  *migration
	h  opener.HybridBackend
	ix storage.Reader
	n  int
}

func (h *intoHybrid) Copy(ctx context.Context, recs []storage.Record) error {
	s := h.m.s
	st, ix, err := openIndex(ctx, s.repo, s.env, s.warn, nil) // building it is the point: no "missing" warning
	if err != nil {
		return err
	}
	h.h, h.ix, h.n = st, ix, len(recs)
	bar, done := h.m.progress("indexing", len(recs))
	defer done()
	return st.RebuildIndex(ctx, func(d, _ int) { bar(d) })
}

func (h *intoHybrid) ReadBack(ctx context.Context) ([]storage.Record, error) {
	got, _, err := h.ix.List(ctx, storage.Query{All: true})
	return got, err
}

func (h *intoHybrid) close() {
	if h.h != nil {
		h.h.Close()
		h.h = nil
	}
}

func (h *intoHybrid) Undo(context.Context) {
	h.close()
	h.m.s.removeIndex()
}

func (h *intoHybrid) Switch(context.Context) (storage.Result, error) {
	h.close()
	return h.m.switchCommit(config.Hybrid, nil, fmt.Sprintf("%d milestone(s) indexed in .milestones/index.db and verified.", h.n))
}

func (h *intoHybrid) After(context.Context) error          { return nil }
func (h *intoHybrid) Revert(context.Context) (bool, error) { return false, nil }

// intoFile leaves the index: the files were the store all along.
type intoFile struct {
	m    *migration
	recs []storage.Record
}

func (f *intoFile) Copy(_ context.Context, recs []storage.Record) error { f.recs = recs; return nil }
func (f *intoFile) ReadBack(context.Context) ([]storage.Record, error)  { return f.recs, nil }
func (f *intoFile) Undo(context.Context)                                {}
func (f *intoFile) Switch(context.Context) (storage.Result, error) {
	return f.m.switchCommit(config.File, nil, "The YAML files are the store; the index is no longer used.")
}
func (f *intoFile) After(context.Context) error          { f.m.s.removeIndex(); return nil }
func (f *intoFile) Revert(context.Context) (bool, error) { return false, nil }
