package cli

import (
	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/opener"
)

// EnterpriseDB is the SQLite flavour of the database backend, relative to the work tree.
const EnterpriseDB = opener.EnterpriseDB

// openerOptions are the backend options of a command run in env, whose
// warnings go to warn.
func openerOptions(env *Env, warn func(string)) opener.Options {
	return opener.Options{Getenv: env.Getenv, Warn: warn}
}

// databaseConfig resolves where the database backend lives (SPEC section 9).
func databaseConfig(env *Env, repo *gitrepo.Repo, cfg config.Config, dbType string, warn func(string)) (opener.DatabaseConfig, error) {
	return opener.ResolveDatabase(repo, cfg, dbType, openerOptions(env, warn))
}

// projectKey scopes this repository's rows in a shared database.
func projectKey(repo *gitrepo.Repo, cfg config.Config) (string, error) {
	return opener.ProjectKey(repo, cfg)
}
