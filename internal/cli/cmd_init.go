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
	"github.com/git-milestone/git-milestone/internal/githooks"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/txn"
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
			&cli.BoolFlag{Name: "hooks", Usage: "also install the git hooks (hybrid: they keep the index fresh)"},
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "[--backend auto|file|hybrid|database]"); err != nil {
				return err
			}
			backend := c.String("backend")
			switch backend {
			case config.Auto, config.File, config.Hybrid, config.Database:
			default:
				return refused("--backend %q is not one of auto, file, hybrid, database", backend)
			}
			if t := c.String("database-type"); t != "" && t != "sqlite" && t != "postgresql" {
				return refused("--database-type %q is not one of sqlite, postgresql", t)
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
				return setupClone(c.Context, env, repo)
			}
			live := backend
			if live == config.Auto {
				live = config.File
			}
			warn := env.warn
			head, err := repo.Head()
			if err != nil {
				return err
			}
			if live == config.Database && !head.Unborn && !isSQLite(env, c.String("database-type")) {
				// Reach the server before committing anything: a server
				// that is down leaves the repository untouched.
				db, err := openDatabase(c.Context, env, repo, config.Default(), c.String("database-type"), warn)
				if err != nil {
					return err
				}
				db.Close()
			}
			changes, err := initChanges(repo, backend, c.String("database-type"))
			if err != nil {
				return err
			}
			attrsBefore, attrsErr := safefs.WorkTree(repo.WorkTree).ReadFile(".gitattributes")
			tx, err := txn.Begin(c.Context, repo, txn.Options{Getenv: env.Getenv, Sign: env.commit.sign, Signoff: env.commit.signoff})
			if err != nil {
				return err
			}
			defer tx.Close()
			msg := c.String("message")
			if msg == "" {
				msg = fmt.Sprintf("milestone: set up git-milestone (backend %s)\n", live)
			}
			res, err := tx.Commit(msg, changes)
			if err != nil {
				return err
			}
			tx.Close()
			if err := restoreAttributes(repo.WorkTree, attrsBefore, attrsErr == nil); err != nil {
				return fmt.Errorf("restore your .gitattributes edits: %w", err)
			}
			for _, d := range []string{"active", "completed"} {
				if err := safefs.WorkTree(repo.WorkTree).MkdirAll(".milestones/"+d, 0o755); err != nil {
					return err
				}
			}
			if err := configureDrivers(repo); err != nil {
				return err
			}
			log := eventlog.ForWorkTree(repo.WorkTree)
			if err := log.Append(eventlog.Event{Timestamp: env.Now(), Event: eventlog.StorageInitialized, Backend: live,
				Details: map[string]any{"configured": backend}}); err != nil {
				fmt.Fprintf(env.Stderr, "warning: %v\n", err)
			}
			s := &session{env: env}
			s.reportCommit(fmt.Sprintf("Initialised .milestones/ (backend %s)", live), storageResult(res))
			switch live {
			case config.Hybrid:
				if err := buildIndex(c.Context, env, repo); err != nil {
					return err
				}
			case config.Database:
				db, err := openDatabase(c.Context, env, repo, config.Default(), c.String("database-type"), warn)
				if err != nil {
					return err
				}
				// The project's first row: from now on the database is
				// recognisably this project's store (dbstore.HasProject).
				err = registerProject(c.Context, db, env, "init")
				db.Close()
				if err != nil {
					return err
				}
			}
			if c.Bool("hooks") {
				o, err := hookOptions(c.Context, env)
				if err != nil {
					return err
				}
				rep, err := githooks.Install(o)
				if err != nil {
					return err
				}
				return printHookReport(env, false, rep)
			}
			if live == config.Hybrid {
				fmt.Fprintln(env.Stderr, "hint: `git milestone hooks install` keeps the index fresh from git's hooks and validates milestone commits")
			}
			return nil
		},
	}
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

// buildIndex creates the hybrid index of a freshly set-up repository.
func buildIndex(ctx context.Context, env *Env, repo *gitrepo.Repo) error {
	// No index exists yet: that is the point, not worth a warning.
	st, ix, err := openIndex(ctx, repo, env, env.warn, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	return ix.Rebuild(ctx, st.Files(), nil)
}

// initChanges are the files init commits.
func initChanges(repo *gitrepo.Repo, backend, dbType string) ([]txn.Change, error) {
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
	changes := []txn.Change{
		{Path: ".milestones/.gitignore", Content: []byte(gitignore)},
		// Both folders are always tracked: when one branch empties active/,
		// git would otherwise see active/ renamed to completed/ and turn a
		// milestone another branch added to active/ into a conflict.
		{Path: ".milestones/active/.keep", Content: nil},
		{Path: ".milestones/completed/.keep", Content: nil},
		{Path: config.BackendPath, Content: []byte(live + "\n")},
	}
	if _, err := safefs.WorkTree(repo.WorkTree).Lstat(config.ConfigPath); errors.Is(err, fs.ErrNotExist) {
		changes = append(changes, txn.Change{Path: config.ConfigPath, Content: []byte(cfg)})
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
		changes = append(changes, txn.Change{Path: ".gitattributes", Content: withLine})
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
