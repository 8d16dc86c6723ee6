package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// gitignore keeps local state out of git.
const gitignore = `# git-milestone local state: caches, locks, logs, backups. Never committed.
/index.db*
/enterprise.db*
/locks/
/logs/
/backups/
/cache/
`

// attributesLine routes milestone documents through our merge and diff drivers.
const attributesLine = ".milestones/**/*.yaml merge=milestone diff=milestone"

func newInitCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "create .milestones/ (layout, config, .gitignore, .gitattributes, merge/diff drivers) and commit it",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "backend", Value: config.Auto, Usage: "auto, file, hybrid or database"},
			&cli.StringFlag{Name: "database-type", Usage: "sqlite or postgresql (database backend)"},
			&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "commit message"},
			&cli.BoolFlag{Name: "hooks", Usage: "also install the git hooks (hybrid mode installs them anyway: they keep the index fresh)"},
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "[--backend auto|file|hybrid|database]"); err != nil {
				return err
			}
			return runInit(c.Context, env, initOptions{Backend: c.String("backend"), DatabaseType: c.String("database-type"),
				Message: c.String("message"), Hooks: c.Bool("hooks")})
		},
	}
}

// initOptions are init's flags.
type initOptions struct {
	Backend      string // auto, file, hybrid or database
	DatabaseType string // sqlite, postgresql or "" (the default)
	Message      string // the commit message ("" for ours)
	Hooks        bool   // also install the git hooks
}

// runInit is init: set up .milestones/ in one commit, then the backend's
// own store, then (--hooks, or a store with an index) the hooks. In a
// clone of an initialised repository it sets up what git does not carry.
func runInit(ctx context.Context, env *Env, opts initOptions) error {
	switch opts.Backend {
	case config.Auto, config.File, config.Hybrid, config.Database:
	default:
		return refused("--backend %q is not one of auto, file, hybrid, database", opts.Backend)
	}
	dbType := opts.DatabaseType
	if dbType != "" && dbType != "sqlite" && dbType != "postgresql" {
		return refused("--database-type %q is not one of sqlite, postgresql", dbType)
	}
	repo, err := openRepo(env)
	if err != nil {
		return err
	}
	current, err := config.ReadBackend(repo.WorkTree)
	if err != nil {
		return err
	}
	if current != "" {
		// A clone of an initialised repository: what git does not
		// carry (drivers, hooks) is set up here.
		fmt.Fprintf(env.Stderr, "git-milestone is already initialised in this repository (backend %s): setting up this clone\n", current)
		return setupClone(ctx, env, repo)
	}
	live := opts.Backend
	if live == config.Auto {
		live = config.File
	}
	res, err := commitInit(ctx, env, repo, opts.Backend, live, dbType, opts.Message)
	if err != nil {
		return err
	}
	log := eventlog.ForWorkTree(repo.WorkTree)
	if err := log.Append(eventlog.Event{Timestamp: env.Now(), Event: eventlog.StorageInitialized, Backend: live,
		Details: map[string]any{"configured": opts.Backend}}); err != nil {
		fmt.Fprintf(env.Stderr, "warning: %v\n", err)
	}
	s := &session{env: env}
	s.reportCommit(fmt.Sprintf("Initialised .milestones/ (backend %s)", live), res)
	indexed, err := initStore(ctx, env, repo, live, dbType)
	if err != nil {
		return err
	}
	// A store with an index gets its hooks as `setup` gives them to every
	// clone: they keep the index fresh.
	if opts.Hooks || indexed {
		return installHooks(ctx, env)
	}
	return nil
}

// commitInit makes init's commit (layout, config, .gitignore,
// .gitattributes), then creates the folders and configures the drivers.
func commitInit(ctx context.Context, env *Env, repo *gitrepo.Repo, backend, live, dbType, msg string) (storage.Result, error) {
	head, err := repo.Head()
	if err != nil {
		return storage.Result{}, err
	}
	if !opener.InWorkTree(live) && !head.Unborn && !isSQLite(env, dbType) {
		// Reach the server before committing anything: a server
		// that is down leaves the repository untouched.
		db, err := opener.OpenDatabase(ctx, repo, config.Default(), dbType, openerOptions(env, env.warn))
		if err != nil {
			return storage.Result{}, err
		}
		db.Close()
	}
	changes, err := initChanges(repo, backend, dbType)
	if err != nil {
		return storage.Result{}, err
	}
	attrsBefore, attrsErr := safefs.WorkTree(repo.WorkTree).ReadFile(".gitattributes")
	if msg == "" {
		msg = fmt.Sprintf("milestone: set up git-milestone (backend %s)\n", live)
	}
	res, err := opener.Commit(ctx, repo, opener.CommitOptions{Getenv: env.Getenv, Sign: env.commit.sign, Signoff: env.commit.signoff}, msg, changes)
	if err != nil {
		return storage.Result{}, err
	}
	if err := restoreAttributes(repo.WorkTree, attrsBefore, attrsErr == nil); err != nil {
		return storage.Result{}, fmt.Errorf("restore your .gitattributes edits: %w", err)
	}
	for _, d := range []string{"active", "completed"} {
		if err := safefs.WorkTree(repo.WorkTree).MkdirAll(".milestones/"+d, 0o755); err != nil {
			return storage.Result{}, err
		}
	}
	return res, configureDrivers(repo)
}

// initStore creates what the live backend keeps beside the files (the
// hybrid index, or the database's first row of this project: see
// opener.Create) and reports whether it keeps an index.
func initStore(ctx context.Context, env *Env, repo *gitrepo.Repo, live, dbType string) (indexed bool, err error) {
	b, err := opener.Create(ctx, repo, live, config.Default(), dbType, env.Now(), "init", openerOptions(env, env.warn))
	if err != nil {
		return false, err
	}
	_, indexed = b.(storage.Indexed)
	b.Close()
	return indexed, nil
}

// isSQLite reports whether init sets up the SQLite flavour of the database backend.
func isSQLite(env *Env, flag string) bool {
	if flag != "" {
		return flag == "sqlite"
	}
	if t := env.Getenv("DATABASE_TYPE"); t != "" {
		return t == "sqlite"
	}
	return config.Default().Storage.Database.Type == "sqlite"
}

// initChanges are the files init commits.
func initChanges(repo *gitrepo.Repo, backend, dbType string) ([]storage.Change, error) {
	cfg := config.DefaultYAML
	if backend != config.Auto {
		cfg = strings.Replace(cfg, "backend: auto ", "backend: "+backend+" ", 1)
	}
	if dbType != "" {
		cfg = strings.Replace(cfg, "type: sqlite ", "type: "+dbType+" ", 1)
	}
	live := backend
	if live == config.Auto {
		live = config.File
	}
	changes := []storage.Change{
		{Path: ".milestones/.gitignore", Content: []byte(gitignore)},
		// Both folders are always tracked: when one branch empties active/,
		// git would otherwise see active/ renamed to completed/ and turn a
		// milestone another branch added to active/ into a conflict.
		{Path: ".milestones/active/.keep", Content: nil},
		{Path: ".milestones/completed/.keep", Content: nil},
		{Path: config.BackendPath, Content: []byte(live + "\n")},
	}
	if _, err := safefs.WorkTree(repo.WorkTree).Lstat(config.ConfigPath); errors.Is(err, fs.ErrNotExist) {
		changes = append(changes, storage.Change{Path: config.ConfigPath, Content: []byte(cfg)})
	}
	// .gitattributes: our line is added to the committed version, so the
	// commit carries nothing of the user's own uncommitted edits.
	attrs, err := repo.ReadFile("HEAD", ".gitattributes")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		if head, herr := repo.Head(); herr != nil || !head.Unborn {
			return nil, fmt.Errorf("read HEAD:.gitattributes: %w", err)
		}
	}
	if withLine, added := addAttributesLine(attrs); added {
		changes = append(changes, storage.Change{Path: ".gitattributes", Content: withLine})
	}
	return changes, nil
}

// addAttributesLine appends attributesLine to a .gitattributes content
// unless it is there already.
func addAttributesLine(attrs []byte) ([]byte, bool) {
	if strings.Contains(string(attrs), attributesLine) {
		return attrs, false
	}
	out := append([]byte(nil), attrs...)
	if len(out) > 0 && !strings.HasSuffix(string(out), "\n") {
		out = append(out, '\n')
	}
	return append(out, []byte(attributesLine+"\n")...), true
}

// restoreAttributes puts the user's own uncommitted .gitattributes back
// in the work tree after init's commit, with our line added: their edit
// is still an unstaged change, as it was before.
func restoreAttributes(root string, before []byte, existed bool) error {
	if !existed {
		return nil
	}
	t := safefs.WorkTree(root)
	now, err := t.ReadFile(".gitattributes")
	if err != nil {
		return err
	}
	want, _ := addAttributesLine(before)
	if string(now) == string(want) {
		return nil
	}
	return t.WriteFile(".gitattributes", want, 0o644)
}

// configureDrivers registers the merge driver and the textconv in the
// repository's config.
func configureDrivers(repo *gitrepo.Repo) error {
	return repo.SetDrivers()
}
