package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/migrate"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// recoverInterruptedCommit finishes or undoes a tool commit whose process
// died (kill -9) while it held .git/index.lock, before anything reads the
// work tree: a switch commit killed between moving the branch and
// renaming the files would otherwise leave storage-backend.txt and the
// YAML files disagreeing with HEAD. It only acts when index.lock exists and
// was left by a git-milestone process that is gone (the transaction's recovery);
// a lock held by git or a live process is left alone, without waiting.
func recoverInterruptedCommit(ctx context.Context, env *Env, repo *gitrepo.Repo) {
	opener.RecoverInterruptedCommit(ctx, repo, env.Getenv, env.warn)
}

// journalFile records a migration in progress (migrate.Journal), in the
// git directory: local state of this clone, never committed, not under
// .milestones/.
const journalFile = "milestone-migration.json"

func journalPath(repo *gitrepo.Repo) string { return filepath.Join(repo.GitDir, journalFile) }

// removeJournal marks the migration finished (or fully undone).
func removeJournal(repo *gitrepo.Repo) {
	os.Remove(journalPath(repo))
}

// readJournal returns the journal of an interrupted migration, or nil.
func readJournal(repo *gitrepo.Repo) (*migrate.Journal, error) {
	return migrate.ReadJournal(journalPath(repo))
}

// interruptedMigration reports an interrupted migration for fsck: the
// journal is there and no migration holds the lock.
func (s *session) interruptedMigration() (*migrate.Journal, error) {
	j, err := readJournal(s.repo)
	if err != nil || j == nil {
		return j, err
	}
	if held, _ := lockHeld(s.tree(), MigrationLock); held {
		return nil, nil // running right now
	}
	return j, nil
}

// finishInterrupted completes or undoes the migration a killed process
// left, as migrate.Journal.Recovery decides from where it got: if its
// switch commit landed the steps after the switch are done (the old hybrid
// index removed, a PostgreSQL source cleared unless --keep-source, the
// index built); otherwise what it copied is removed (rollback_on_failure).
// The caller holds the migration lock. It reports what it did ("" when
// there was no interrupted migration).
func (s *session) finishInterrupted(ctx context.Context) (string, error) {
	j, err := readJournal(s.repo)
	if err != nil || j == nil {
		return "", err
	}
	r := j.Recovery(s.kind, s.liveDatabaseType())
	var did []string
	clear := func(dbType string, all func(storage.Database, context.Context) (int, error), what string) error {
		db, err := openDatabase(ctx, s.env, s.repo, s.cfg, dbType, s.warn)
		if err != nil {
			return fmt.Errorf("open the %s database: %w", dbType, err)
		}
		defer db.Close()
		n, err := all(db, ctx)
		if err != nil {
			return err
		}
		did = append(did, fmt.Sprintf(what, n))
		return nil
	}
	if r.RemoveOldIndex {
		s.removeIndex()
		did = append(did, "removed the old index")
	}
	if r.RemovePartialIndex {
		s.removeIndex()
		did = append(did, "removed the partial index")
	}
	if r.ClearSource {
		if err := clear(j.FromType, storage.Database.DeleteProject, "removed this project's %d milestone(s) from the PostgreSQL database"); err != nil {
			return "", fmt.Errorf("finish the interrupted %s: %w", j, err)
		}
	}
	if r.ClearTarget {
		if err := clear(j.ToType, storage.Database.DeleteAll, "removed %d copied milestone(s) from the target database"); err != nil {
			return "", fmt.Errorf("undo the interrupted %s: %w", j, err)
		}
	}
	if r.BuildIndex {
		if err := buildIndex(ctx, s.env, s.repo); err != nil {
			s.warn(fmt.Sprintf("index: %v (it will be rebuilt by the next command)", err))
		} else {
			did = append(did, "built the index")
		}
	}
	removeJournal(s.repo)
	if r.Landed {
		return fmt.Sprintf("finished the interrupted %s (its switch had landed): %s", j, orNothing(did)), nil
	}
	return fmt.Sprintf("undid the interrupted %s (its switch had not landed; %s is still the backend): %s", j, describe(s.kind, s.liveDatabaseType()), orNothing(did)), nil
}

// liveDatabaseType is the type of the live database, "" in file modes.
func (s *session) liveDatabaseType() string {
	if db, ok := s.backend.(storage.Database); ok {
		return db.Type()
	}
	if s.kind == config.Database {
		return s.cfg.Storage.Database.Type
	}
	return ""
}

func orNothing(did []string) string {
	if len(did) == 0 {
		return "nothing was left to do"
	}
	return strings.Join(did, "; ")
}

// finishInterruptedLocked takes the migration lock and finishes an
// interrupted migration (fsck --repair).
func (s *session) finishInterruptedLocked(ctx context.Context) (string, error) {
	release, err := lock.Acquire(ctx, s.tree(), MigrationLock, 0, s.warn)
	if errors.Is(err, lock.ErrLocked) {
		return "", fmt.Errorf("another migration is running: %w", err)
	}
	if err != nil {
		return "", err
	}
	defer release()
	return s.finishInterrupted(ctx)
}
