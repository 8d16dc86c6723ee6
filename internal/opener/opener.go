// Package opener opens the backend a repository is configured for: the
// one door from the command line to the concrete stores (file, hybrid,
// database) and to the commits the tool makes itself. What it returns is
// a storage.Backend; what a caller needs beyond that it discovers by
// asserting the optional interfaces of package storage.
package opener

import (
	"context"
	"fmt"
	"time"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
	"github.com/git-milestone/git-milestone/internal/storage/hybrid"
)

// Options are what every backend is opened with.
type Options struct {
	// Getenv reads the environment (commit identity, database URL); nil
	// means os.Getenv.
	Getenv func(string) string
	// Warn receives non-fatal messages; nil drops them.
	Warn func(string)
}

func (o Options) files() filestore.Options {
	return filestore.Options{Getenv: o.Getenv, Warn: o.Warn}
}

// IndexFile is the hybrid backend's index, relative to the work tree.
const IndexFile = hybrid.IndexFile

// PathFor is the repository-relative file of a milestone in the file
// modes: .milestones/active/<id>.yaml or .milestones/completed/<id>.yaml.
func PathFor(id string, st milestone.Status) string { return filestore.PathFor(id, st) }

// Open opens the live backend of kind (config.File, config.Hybrid or
// config.Database) for repo configured by cfg.
func Open(ctx context.Context, repo *gitrepo.Repo, kind string, cfg config.Config, opts Options) (storage.Backend, error) {
	switch kind {
	case config.File:
		return Files(repo, opts), nil
	case config.Hybrid:
		return Hybrid(ctx, repo, opts, opts.Warn)
	case config.Database:
		return OpenLiveDatabase(ctx, repo, cfg, opts)
	}
	return nil, fmt.Errorf("the %s backend is not available in this build", kind)
}

// InWorkTree reports whether the backend of kind keeps the milestones as
// files in the work tree, committed to git (file, hybrid): git's state (a
// merge in progress, a sparse checkout, its hooks) matters to it, and
// opening it reaches nothing outside the repository.
func InWorkTree(kind string) bool { return kind == config.File || kind == config.Hybrid }

// OpenWorkTree opens the backend of kind when it keeps the milestones in
// the work tree (InWorkTree): that reads nothing yet and connects to
// nothing. ok is false, and nothing is opened, for a store elsewhere (the
// database). What the backend offers is found by asserting storage's
// optional interfaces (storage.Indexed: an index the git hooks keep fresh).
func OpenWorkTree(ctx context.Context, repo *gitrepo.Repo, kind string, opts Options) (b storage.Backend, ok bool, err error) {
	if !InWorkTree(kind) {
		return nil, false, nil
	}
	b, err = Open(ctx, repo, kind, config.Config{}, opts)
	return b, err == nil, err
}

// FileBackend is what the file backend offers.
type FileBackend interface {
	storage.Backend
	storage.Files
}

// Files opens the YAML files of repo as a store (the file backend).
func Files(repo *gitrepo.Repo, opts Options) FileBackend {
	return &fileBackend{filestore.Open(repo, opts.files())}
}

// HybridBackend is what the hybrid backend offers.
type HybridBackend interface {
	storage.Backend
	storage.Files
	storage.Indexed
}

// Hybrid opens repo's hybrid store. opts.Warn receives the file store's
// warnings; indexWarn the index's own (nil: none, for callers whose point
// is to build it).
func Hybrid(ctx context.Context, repo *gitrepo.Repo, opts Options, indexWarn func(string)) (HybridBackend, error) {
	st, err := hybrid.Open(ctx, repo, opts.files(), indexWarn)
	if err != nil {
		return nil, err
	}
	return &hybridBackend{st}, nil
}

// BuildIndex creates (or rebuilds) the hybrid index of repo.
func BuildIndex(ctx context.Context, repo *gitrepo.Repo, opts Options) error {
	// No index exists yet: that is the point, not worth a warning.
	h, err := Hybrid(ctx, repo, opts, nil)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := h.CheckIndex(ctx); err != nil {
		return err
	}
	return h.RebuildIndex(ctx, nil)
}

// Create sets up the store of kind for a repository just initialised and
// returns it open: the hybrid index is built; the database (of type
// dbType, "" as configured) is created and gets this project's first row,
// a storage_initialized event at the time at, made by by. What it offers
// is found, as for Open, by asserting storage's optional interfaces.
func Create(ctx context.Context, repo *gitrepo.Repo, kind string, cfg config.Config, dbType string, at time.Time, by string, opts Options) (storage.Backend, error) {
	switch kind {
	case config.Hybrid:
		if err := BuildIndex(ctx, repo, opts); err != nil {
			return nil, err
		}
		return Hybrid(ctx, repo, opts, opts.Warn)
	case config.Database:
		db, err := OpenDatabase(ctx, repo, cfg, dbType, opts)
		if err != nil {
			return nil, err
		}
		// The project's first row: from now on the database is
		// recognisably this project's store (storage.Database.HasProject).
		if err := RegisterProject(ctx, db, at, by); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	return Open(ctx, repo, kind, cfg, opts)
}

// fileBackend is the file store with storage's optional interfaces.
type fileBackend struct{ *filestore.Store }

func (f *fileBackend) Scan() ([]storage.DocFile, []storage.Problem, error) {
	return scan(f.Store)
}

func scan(fs *filestore.Store) ([]storage.DocFile, []storage.Problem, error) {
	files, problems, err := fs.Scan()
	out := make([]storage.DocFile, len(files))
	for i, f := range files {
		out[i] = storage.DocFile{ID: f.ID, Path: f.Path}
	}
	return out, problems, err
}

// hybridBackend is the hybrid store with storage's optional interfaces.
type hybridBackend struct{ *hybrid.Store }

func (h *hybridBackend) Scan() ([]storage.DocFile, []storage.Problem, error) {
	return scan(h.Files())
}

func (h *hybridBackend) LoadAll(ctx context.Context) ([]storage.Record, []storage.Problem, error) {
	return h.Files().LoadAll(ctx)
}

func (h *hybridBackend) ReadFile(rel string) ([]byte, error) { return h.Files().ReadFile(rel) }

func (h *hybridBackend) IndexFile() string { return hybrid.IndexFile }

func (h *hybridBackend) CheckIndex(context.Context) error {
	_, err := h.Index()
	return err
}

func (h *hybridBackend) IndexStatus(ctx context.Context) (storage.IndexStatus, error) {
	ix, err := h.Index()
	if err != nil {
		return storage.IndexStatus{}, err
	}
	st, err := ix.Status(ctx, h.Files())
	if err != nil {
		return storage.IndexStatus{}, err
	}
	return storage.IndexStatus{Path: st.Path, SchemaVersion: st.SchemaVersion, Fresh: st.Fresh, Rescan: st.Rescan,
		Added: st.Added, Changed: st.Changed, Removed: st.Removed, Racy: st.Racy,
		Files: st.Files, Milestones: st.Milestones, Problems: st.Problems}, nil
}

func (h *hybridBackend) RefreshIndex(ctx context.Context) (storage.IndexReport, error) {
	ix, err := h.Index()
	if err != nil {
		return storage.IndexReport{}, err
	}
	rep, err := ix.Refresh(ctx, h.Files())
	return storage.IndexReport{Added: rep.Added, Updated: rep.Updated, Removed: rep.Removed}, err
}

func (h *hybridBackend) RefreshIndexPaths(ctx context.Context, paths []string) error {
	ix, err := h.Index()
	if err != nil {
		return err
	}
	_, err = ix.RefreshPaths(ctx, h.Files(), paths)
	return err
}

func (h *hybridBackend) RebuildIndex(ctx context.Context, progress func(done, total int)) error {
	ix, err := h.Index()
	if err != nil {
		return err
	}
	return ix.Rebuild(ctx, h.Files(), progress)
}

func (h *hybridBackend) IndexReader(context.Context) (storage.Reader, error) {
	ix, err := h.Index()
	if err != nil {
		return nil, err
	}
	return ix, nil
}

// What each backend offers, checked when the opener is built: a method
// renamed in a backend must not silently drop a feature the CLI finds by
// assertion.
var (
	_ FileBackend            = (*fileBackend)(nil)
	_ storage.IDChecker      = (*fileBackend)(nil)
	_ storage.PrefixResolver = (*fileBackend)(nil)

	_ HybridBackend          = (*hybridBackend)(nil)
	_ storage.IDChecker      = (*hybridBackend)(nil)
	_ storage.PrefixResolver = (*hybridBackend)(nil)
	_ storage.Statser        = (*hybridBackend)(nil)

	_ DatabaseBackend        = (*database)(nil)
	_ storage.PrefixResolver = (*database)(nil)
	_ storage.Statser        = (*database)(nil)
)
