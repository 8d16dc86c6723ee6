package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// mover returns the Mover of m's direction, and a func that releases what
// it opened.
func (m *Migration) mover(ctx context.Context) (Mover, func(), error) {
	switch {
	case m.o.To == config.Database:
		target, err := opener.OpenDatabase(ctx, m.o.Repo, m.o.Config, m.toType, m.openerOptions())
		if err != nil {
			return nil, nil, fmt.Errorf("open the target database: %w", err)
		}
		return &intoDatabase{m: m, target: target}, func() { target.Close() }, nil
	case m.o.From == config.Database:
		return &outOfDatabase{m: m}, func() {}, nil
	case m.o.To == config.Hybrid:
		h := &intoHybrid{m: m}
		return h, h.close, nil
	}
	return &intoFile{m: m}, func() {}, nil
}

// intoDatabase copies into a database and switches to it.
type intoDatabase struct {
	m      *Migration
	target opener.DatabaseBackend
	paths  []string // the files of the milestones copied, removed by the switch
}

func (d *intoDatabase) Copy(ctx context.Context, recs []storage.Record) error {
	d.paths = make([]string, 0, len(recs))
	for _, r := range recs {
		d.paths = append(d.paths, r.Path)
	}
	// The source is live: whatever the target holds for this project is
	// left from an interrupted attempt (or an older life) and is replaced.
	if n, err := d.target.DeleteAll(ctx); err != nil {
		return err
	} else if n > 0 {
		d.m.say("cleared %d stale row(s) of this project from the target database", n)
	}
	if err := opener.RegisterProject(ctx, d.target, d.m.o.Now(), "migrate"); err != nil {
		return err
	}
	bar, done := d.m.progress("copying", len(recs))
	defer done()
	// The target is not the live store until the switch, and Undo (or the
	// journal) clears it: the load may commit its rows before its indexes
	// are built (dbstore.Store.ImportNew).
	if s, ok := d.target.(storage.StagedImporter); ok {
		return s.ImportNew(ctx, recs, bar)
	}
	return d.target.Import(ctx, recs, bar)
}

func (d *intoDatabase) ReadBack(ctx context.Context, v *Verifier) error {
	return v.Read(ctx, d.target)
}

func (d *intoDatabase) Undo(ctx context.Context) {
	if _, err := d.target.DeleteAll(ctx); err != nil {
		d.m.o.Hooks.warn(fmt.Sprintf("roll back the copy in the target database: %v", err))
	}
}

func (d *intoDatabase) Switch(ctx context.Context) (storage.Result, error) {
	// The files of the milestones now in the database go; a document left
	// behind by --skip-invalid stays where it is.
	var deletes []storage.Change
	for _, p := range d.paths {
		if p != "" {
			deletes = append(deletes, storage.Change{Path: p, Delete: true})
		}
	}
	return d.m.switchCommit(ctx, config.Database, deletes,
		fmt.Sprintf("%d milestone(s) copied into the %s database and verified; it is now the store.", len(d.paths), d.m.toType))
}

func (d *intoDatabase) After(ctx context.Context) error {
	if d.m.o.From == config.Hybrid {
		d.m.removeIndex()
	}
	if d.m.o.From == config.Database {
		d.m.removeSource(ctx) // out of PostgreSQL into SQLite: this project's rows go
	}
	return nil
}

func (d *intoDatabase) Revert(context.Context) (bool, error) { return false, nil }

// outOfDatabase writes the database's documents back as YAML files.
type outOfDatabase struct {
	m       *Migration
	n       int
	source  *Verifier // the database's documents (ReadBack's verifier, again), to check the files read back after the switch against
	changes []storage.Change
	written []storage.Record
}

func (o *outOfDatabase) Copy(_ context.Context, recs []storage.Record) error {
	o.n = len(recs)
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

func (o *outOfDatabase) ReadBack(_ context.Context, v *Verifier) error {
	o.source = v.again() // for After, before v has seen anything
	v.Check(o.written)
	o.written = nil
	return nil
}

func (o *outOfDatabase) Undo(context.Context) {} // nothing was written before the switch

func (o *outOfDatabase) Switch(ctx context.Context) (storage.Result, error) {
	o.m.undo = make([]storage.Change, 0, len(o.changes))
	for _, c := range o.changes {
		o.m.undo = append(o.m.undo, storage.Change{Path: c.Path, Delete: true})
	}
	return o.m.switchCommit(ctx, o.m.o.To, o.changes,
		fmt.Sprintf("%d milestone(s) written back from the database as YAML files; the files are the store again.", o.n))
}

func (o *outOfDatabase) After(ctx context.Context) error {
	m := o.m
	back, _, err := opener.Files(m.o.Repo, m.openerOptions()).LoadAll(ctx)
	if err != nil {
		return err
	}
	o.source.Check(back)
	if err := o.source.Err(); err != nil {
		return fmt.Errorf("the files written differ from the database (the database is unchanged; `git milestone fsck`): %w", err)
	}
	if m.o.To == config.Hybrid {
		m.buildIndex(ctx)
	}
	m.removeSource(ctx)
	return nil
}

func (o *outOfDatabase) Revert(ctx context.Context) (bool, error) {
	_, err := o.m.commit(ctx, config.Database, o.m.undo, "Rolled back: a check after the switch failed (migration.rollback_on_failure).")
	return true, err
}

// intoHybrid builds the index; the files stay the store.
type intoHybrid struct {
	m  *Migration
	h  opener.HybridBackend
	ix storage.Reader
	n  int
}

func (h *intoHybrid) Copy(ctx context.Context, recs []storage.Record) error {
	m := h.m
	st, err := opener.Hybrid(ctx, m.o.Repo, m.openerOptions(), nil) // building it is the point: no "missing" warning
	if err != nil {
		return err
	}
	ix, err := st.IndexReader(ctx)
	if err != nil {
		st.Close()
		return err
	}
	h.h, h.ix, h.n = st, ix, len(recs)
	bar, done := m.progress("indexing", len(recs))
	defer done()
	return st.RebuildIndex(ctx, func(d, _ int) { bar(d) })
}

func (h *intoHybrid) ReadBack(ctx context.Context, v *Verifier) error {
	return v.Read(ctx, h.ix)
}

func (h *intoHybrid) close() {
	if h.h != nil {
		h.h.Close()
		h.h = nil
	}
}

func (h *intoHybrid) Undo(context.Context) {
	h.close()
	h.m.removeIndex()
}

func (h *intoHybrid) Switch(ctx context.Context) (storage.Result, error) {
	h.close()
	return h.m.switchCommit(ctx, config.Hybrid, nil, fmt.Sprintf("%d milestone(s) indexed in .milestones/index.db and verified.", h.n))
}

func (h *intoHybrid) After(context.Context) error          { return nil }
func (h *intoHybrid) Revert(context.Context) (bool, error) { return false, nil }

// intoFile leaves the index: the files were the store all along.
type intoFile struct {
	m    *Migration
	recs []storage.Record
}

func (f *intoFile) Copy(_ context.Context, recs []storage.Record) error { f.recs = recs; return nil }
func (f *intoFile) ReadBack(_ context.Context, v *Verifier) error {
	v.Check(f.recs)
	return nil
}
func (f *intoFile) Undo(context.Context) {}
func (f *intoFile) Switch(ctx context.Context) (storage.Result, error) {
	return f.m.switchCommit(ctx, config.File, nil, "The YAML files are the store; the index is no longer used.")
}
func (f *intoFile) After(context.Context) error          { f.m.removeIndex(); return nil }
func (f *intoFile) Revert(context.Context) (bool, error) { return false, nil }

// switchCommit commits storage-backend.txt (and more changes): one commit
// that makes the new backend the live one.
func (m *Migration) switchCommit(ctx context.Context, kind string, extra []storage.Change, what string) (storage.Result, error) {
	cfgChange, undoCfg, err := m.configChanges()
	if err != nil {
		return storage.Result{}, err
	}
	extra = append(cfgChange, extra...)
	if m.undo != nil {
		m.undo = append(m.undo, undoCfg...)
	}
	return m.commit(ctx, kind, extra, what)
}

func (m *Migration) commit(ctx context.Context, kind string, extra []storage.Change, what string) (storage.Result, error) {
	changes := append([]storage.Change{{Path: config.BackendPath, Content: []byte(kind + "\n")}}, extra...)
	return opener.Commit(ctx, m.o.Repo, opener.CommitOptions{Getenv: m.o.Getenv, Warn: m.o.Hooks.Warn},
		fmt.Sprintf("milestone: migrate to the %s backend\n\n%s\n", kind, what), changes)
}

// configChanges returns the change to storage-config.yaml the switch
// commit carries, and the change that undoes it: an explicit migration
// pins storage.backend to its target (the automatic switch leaves it at
// auto), and a move into a database names its type.
func (m *Migration) configChanges() (change, undo []storage.Change, err error) {
	cfg := m.o.Config.Storage
	wantBackend, wantType := cfg.Backend, cfg.Database.Type
	if !m.o.Auto {
		wantBackend = m.o.To
	}
	if m.toType != "" {
		wantType = m.toType
	}
	if wantBackend == cfg.Backend && wantType == cfg.Database.Type {
		return nil, nil, nil
	}
	data, err := m.tree().ReadFile(config.ConfigPath)
	undo = []storage.Change{{Path: config.ConfigPath, Content: data}}
	if errors.Is(err, os.ErrNotExist) {
		data = []byte(config.DefaultYAML)
		undo = []storage.Change{{Path: config.ConfigPath, Delete: true}}
	} else if err != nil {
		return nil, nil, err
	}
	out, err := config.SetValues(data, wantBackend, wantType)
	if err != nil {
		return nil, nil, err
	}
	return []storage.Change{{Path: config.ConfigPath, Content: out}}, undo, nil
}

// removeIndex deletes the hybrid index (and its WAL files) once the
// backend no longer uses it.
func (m *Migration) removeIndex() {
	removeIndex(m.o.Repo, m.o.Hooks)
}

// buildIndex builds the hybrid index after a switch to hybrid; a failure is
// a warning (the next command rebuilds it).
func (m *Migration) buildIndex(ctx context.Context) bool {
	if err := opener.BuildIndex(ctx, m.o.Repo, m.openerOptions()); err != nil {
		m.o.Hooks.warn(fmt.Sprintf("index: %v (it will be rebuilt by the next command)", err))
		return false
	}
	return true
}

// removeSource removes this project's rows from the PostgreSQL database
// the milestones just left (the files, verified against it, are the store
// now; the switch commit and the backup hold them). Only this project's
// key is touched: other projects on the server are not. KeepSource keeps
// them. A SQLite enterprise.db is a local file and is left as is.
func (m *Migration) removeSource(ctx context.Context) {
	db, ok := m.o.Source.(storage.Database)
	if !ok {
		return
	}
	if db.Type() != opener.PostgreSQL {
		m.say("%s still holds these milestones; it is no longer the store", opener.EnterpriseDB)
		return
	}
	if m.o.KeepSource {
		m.say("the PostgreSQL database still holds this project's milestones (--keep-source); it is no longer the store")
		return
	}
	n, err := db.DeleteProject(ctx)
	if err != nil {
		m.o.Hooks.warn(fmt.Sprintf("remove this project's rows from the PostgreSQL database: %v (they are not used; the next migrate into it replaces them)", err))
		return
	}
	if m.o.Hooks.SourceRemoved != nil {
		m.o.Hooks.SourceRemoved() // the project's rows are gone: its events go to the file log only
	}
	m.say("removed this project's %d milestone(s) and its events from the PostgreSQL database (project key %s; other projects untouched)", n, db.ProjectKey())
}
