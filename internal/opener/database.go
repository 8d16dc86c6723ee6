package opener

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/dbstore"
)

// EnterpriseDB is the SQLite flavour of the database backend, relative to the work tree.
const EnterpriseDB = ".milestones/enterprise.db"

// The database types.
const (
	SQLite     = dbstore.TypeSQLite
	PostgreSQL = dbstore.TypePostgreSQL
)

// ErrBadURL is returned for a malformed database URL.
var ErrBadURL = dbstore.ErrBadURL

// RedactURL is a database URL with its password masked, for messages.
func RedactURL(raw string) string { return dbstore.RedactURL(raw) }

// DatabaseConfig says where the database backend lives.
type DatabaseConfig = dbstore.Config

// SeedRow is one row of a shell-era enterprise.db.
type SeedRow = dbstore.SeedRow

// ReadSeed reads the rows of the shell-era enterprise.db at path.
func ReadSeed(ctx context.Context, path string) ([]SeedRow, error) {
	return dbstore.ReadSeed(ctx, path)
}

// DatabaseBackend is what the database backend offers.
type DatabaseBackend interface {
	storage.Backend
	storage.Database
	storage.BulkImporter
	storage.EventStore
	storage.ProjectCatalog
}

// ResolveDatabase resolves where the database backend lives (SPEC
// section 9): type from DATABASE_TYPE or the config (dbType, when set,
// wins); URL from DATABASE_URL, then `git config milestone.databaseUrl`,
// then the config file.
func ResolveDatabase(repo *gitrepo.Repo, cfg config.Config, dbType string, opts Options) (DatabaseConfig, error) {
	ds := cfg.ResolveDatabase(opts.getenv(), GitConfigURL(repo), opts.Warn)
	if dbType != "" {
		ds.Type = dbType
	}
	key, err := ProjectKey(repo, cfg)
	if err != nil {
		return dbstore.Config{}, err
	}
	dc := dbstore.Config{
		Type:         ds.Type,
		URL:          ds.URL,
		Path:         filepath.Join(repo.WorkTree, filepath.FromSlash(EnterpriseDB)),
		ProjectKey:   key,
		PoolSize:     cfg.Storage.Database.PoolSize,
		QueryTimeout: cfg.QueryTimeout(),
		// A URL from the committed config: the repository chose the server.
		URLFromRepository: ds.Source == config.ConfigPath,
	}
	if dc.Type == dbstore.TypePostgreSQL && dc.URL == "" {
		return dc, ErrNoURL
	}
	return dc, nil
}

// ErrNoURL is ResolveDatabase's refusal of PostgreSQL without a URL.
var ErrNoURL = errors.New("the database backend is PostgreSQL but no URL is set: set DATABASE_URL or `git config milestone.databaseUrl URL`")

func (o Options) getenv() func(string) string {
	if o.Getenv == nil {
		return os.Getenv
	}
	return o.Getenv
}

// ProjectKey scopes this repository's rows in a shared database: the
// configured storage.database.project_key, else the repository's root
// commit (the same in every clone), remembered in the local git config.
func ProjectKey(repo *gitrepo.Repo, cfg config.Config) (string, error) {
	if k := cfg.Storage.Database.ProjectKey; k != "" {
		return k, nil
	}
	if k, _ := repo.ConfigGet("milestone.projectKey"); k != "" {
		return k, nil
	}
	roots, err := repo.RootCommits()
	if err != nil {
		return "", fmt.Errorf("project key: the repository's root commit: %w (commit something first, or set storage.database.project_key)", err)
	}
	if len(roots) == 0 {
		return "", fmt.Errorf("project key: the repository has no commit yet")
	}
	key := roots[len(roots)-1]
	if err := repo.ConfigSet("milestone.projectKey", key); err != nil {
		return "", err
	}
	return key, nil
}

// checkEnterpriseDB refuses a SQLite database file (or its -wal, -shm,
// -journal) that is a link or a special file, right before SQLite opens it
// by name.
func checkEnterpriseDB(repo *gitrepo.Repo, dc dbstore.Config) error {
	if dc.Type != dbstore.TypeSQLite {
		return nil
	}
	return safefs.WorkTree(repo.WorkTree).CheckSQLite(EnterpriseDB)
}

// OpenDatabase opens (or, for init and migrate, creates) the database
// backend of repo, of type dbType ("" as configured).
func OpenDatabase(ctx context.Context, repo *gitrepo.Repo, cfg config.Config, dbType string, opts Options) (DatabaseBackend, error) {
	dc, err := ResolveDatabase(repo, cfg, dbType, opts)
	if err != nil {
		return nil, err
	}
	if err := checkEnterpriseDB(repo, dc); err != nil {
		return nil, err
	}
	st, err := dbstore.Open(ctx, dc)
	if err != nil {
		return nil, err
	}
	return &database{st}, nil
}

// OpenLiveDatabase opens the database that is the live store. Its SQLite
// file must exist: a missing one is not an empty store (a fresh clone, a
// deleted file), and creating it would hide that every milestone is gone.
//
// A clone that cannot reach the store fails (exit 1) and says where the
// milestones live: never an empty list.
func OpenLiveDatabase(ctx context.Context, repo *gitrepo.Repo, cfg config.Config, opts Options) (DatabaseBackend, error) {
	dc, err := ResolveDatabase(repo, cfg, "", opts)
	if dc.Type == dbstore.TypePostgreSQL && dc.URL == "" {
		return nil, fmt.Errorf("the milestones of this repository live in a PostgreSQL database (%s: database, %s: type postgresql), "+
			"and this clone does not know where: set DATABASE_URL, or `git config milestone.databaseUrl URL` (ask the project for the server)",
			config.BackendPath, config.ConfigPath)
	}
	if err != nil {
		return nil, err
	}
	if err := checkEnterpriseDB(repo, dc); err != nil {
		return nil, err
	}
	if dc.Type == dbstore.TypeSQLite {
		if _, err := os.Lstat(dc.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is missing, and it is the store of this repository's milestones (backend database, sqlite; it is not in git): "+
				"restore it (backups of every migration are in .milestones/backups/), or, in a fresh clone, get a copy from whoever holds it", EnterpriseDB)
		}
	}
	st, err := dbstore.Open(ctx, dc)
	if dc.Type != dbstore.TypePostgreSQL {
		if err != nil {
			return nil, err
		}
		return &database{st}, nil
	}
	ds := cfg.ResolveDatabase(opts.getenv(), GitConfigURL(repo), nil)
	if err != nil {
		return nil, fmt.Errorf("the milestones of this repository live in the PostgreSQL database %s (from %s), which cannot be used: %w",
			dbstore.RedactURL(dc.URL), ds.Source, err)
	}
	// A server that answers but holds nothing of this project is not its
	// store (another server or database in the URL): never an empty list.
	if ok, err := st.HasProject(ctx); err != nil || !ok {
		st.Close()
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("the PostgreSQL database %s (from %s) holds nothing of this project (project key %s): "+
			"it is not where this repository's milestones live; point DATABASE_URL or `git config milestone.databaseUrl` at the project's server",
			dbstore.RedactURL(dc.URL), ds.Source, dc.ProjectKey)
	}
	return &database{st}, nil
}

// RegisterProject writes the project's first row into a database that is
// about to become its store: a storage_initialized event at the time at.
func RegisterProject(ctx context.Context, db DatabaseBackend, at time.Time, by string) error {
	if ok, err := db.HasProject(ctx); err != nil || ok {
		return err
	}
	return db.AppendEvents(ctx, storage.Event{Timestamp: at, Event: eventlog.StorageInitialized, Backend: config.Database,
		Details: map[string]any{"by": by}})
}

// GitConfigURL is `git config milestone.databaseUrl` ("" when unset).
func GitConfigURL(repo *gitrepo.Repo) string {
	u, _ := repo.ConfigGet("milestone.databaseUrl")
	return u
}

// database is the database store with storage's optional interfaces.
type database struct{ *dbstore.Store }

func (d *database) AppendEvents(ctx context.Context, evs ...storage.Event) error {
	rows := make([]dbstore.Event, len(evs))
	for i, e := range evs {
		rows[i] = dbstore.Event(e)
	}
	return d.Store.AppendEvents(ctx, rows...)
}

func (d *database) Events(ctx context.Context, tail int) ([]storage.Event, error) {
	rows, err := d.Store.Events(ctx, tail)
	out := make([]storage.Event, len(rows))
	for i, e := range rows {
		out[i] = storage.Event(e)
	}
	return out, err
}

func (d *database) Projects(ctx context.Context) ([]storage.Project, error) {
	ps, err := d.Store.Projects(ctx)
	out := make([]storage.Project, len(ps))
	for i, p := range ps {
		out[i] = storage.Project(p)
	}
	return out, err
}

func (d *database) ProjectReader(key string) storage.Reader { return d.Scoped(key) }
