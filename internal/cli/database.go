package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage/dbstore"
)

// EnterpriseDB is the SQLite flavour of the database backend, relative to the work tree.
const EnterpriseDB = ".milestones/enterprise.db"

// databaseConfig resolves where the database backend lives (SPEC section 9):
// type from DATABASE_TYPE or the config; URL from DATABASE_URL, then
// `git config milestone.databaseUrl`, then the config file.
func databaseConfig(env *Env, repo *gitrepo.Repo, cfg config.Config, dbType string, warn func(string)) (dbstore.Config, error) {
	gitURL, _ := repo.ConfigGet("milestone.databaseUrl")
	ds := cfg.ResolveDatabase(env.Getenv, gitURL, warn)
	if dbType != "" {
		ds.Type = dbType
	}
	key, err := projectKey(repo, cfg)
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
		return dc, refused("the database backend is PostgreSQL but no URL is set: set DATABASE_URL or `git config milestone.databaseUrl URL`")
	}
	return dc, nil
}

// projectKey scopes this repository's rows in a shared database: the
// configured storage.database.project_key, else the repository's root
// commit (the same in every clone), remembered in the local git config.
func projectKey(repo *gitrepo.Repo, cfg config.Config) (string, error) {
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

// openDatabase opens (or, for init and migrate, creates) the database
// backend of repo.
func openDatabase(ctx context.Context, env *Env, repo *gitrepo.Repo, cfg config.Config, dbType string, warn func(string)) (*dbstore.Store, error) {
	dc, err := databaseConfig(env, repo, cfg, dbType, warn)
	if err != nil {
		return nil, err
	}
	if err := checkEnterpriseDB(repo, dc); err != nil {
		return nil, err
	}
	return dbstore.Open(ctx, dc)
}

// openLiveDatabase opens the database that is the live store. Its SQLite
// file must exist: a missing one is not an empty store (a fresh clone, a
// deleted file), and creating it would hide that every milestone is gone.
//
// A clone that cannot reach the store fails (exit 1) and says where the
// milestones live: never an empty list.
func openLiveDatabase(ctx context.Context, env *Env, repo *gitrepo.Repo, cfg config.Config, warn func(string)) (*dbstore.Store, error) {
	dc, err := databaseConfig(env, repo, cfg, "", warn)
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
		return st, err
	}
	ds := cfg.ResolveDatabase(env.Getenv, gitConfigURL(repo), nil)
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
	return st, nil
}

// registerProject writes the project's first row into a database that is
// about to become its store: a storage_initialized event.
func registerProject(ctx context.Context, db *dbstore.Store, env *Env, by string) error {
	if ok, err := db.HasProject(ctx); err != nil || ok {
		return err
	}
	return db.AppendEvents(ctx, dbstore.Event{Timestamp: env.Now(), Event: eventlog.StorageInitialized, Backend: config.Database,
		Details: map[string]any{"by": by}})
}

// gitConfigURL is `git config milestone.databaseUrl` ("" when unset).
func gitConfigURL(repo *gitrepo.Repo) string {
	u, _ := repo.ConfigGet("milestone.databaseUrl")
	return u
}
