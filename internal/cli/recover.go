package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/storage/dbstore"
	"github.com/git-milestone/git-milestone/internal/txn"
)

// recoverInterruptedCommit finishes or undoes a tool commit whose process
// died (kill -9) while it held .git/index.lock, before anything reads the
// work tree: a switch commit killed between moving the branch and
// renaming the files would otherwise leave storage-backend.txt and the
// YAML files disagreeing with HEAD. It only acts when index.lock exists and
// was left by a git-milestone process that is gone (txn.Begin's recovery);
// a lock held by git or a live process is left alone, without waiting.
func recoverInterruptedCommit(ctx context.Context, env *Env, repo *gitrepo.Repo) {
	if _, err := os.Lstat(filepath.Join(repo.GitDir, "index.lock")); err != nil {
		return
	}
	tx, err := txn.Begin(ctx, repo, txn.Options{Getenv: env.Getenv, Warn: env.warn,
		IndexLockTimeout: time.Millisecond, LockTimeout: time.Millisecond})
	if err != nil {
		return // someone else's lock, or a live transaction: not ours to touch
	}
	tx.Close()
}

// journalFile records a migration in progress, in the git directory (local
// state of this clone, never committed, not under .milestones/).
const journalFile = "milestone-migration.json"

// journal is what a migration killed half-way left to finish or undo.
type journal struct {
	From       string `json:"from"`
	FromType   string `json:"from_type,omitempty"`
	To         string `json:"to"`
	ToType     string `json:"to_type,omitempty"`
	KeepSource bool   `json:"keep_source,omitempty"`
	Rollback   bool   `json:"rollback"`
	Started    string `json:"started"`
}

func journalPath(repo *gitrepo.Repo) string { return filepath.Join(repo.GitDir, journalFile) }

// writeJournal records the migration m is about to make, durably.
func (m *migration) writeJournal(from, fromType, toType string) error {
	j := journal{From: from, FromType: fromType, To: m.to, ToType: toType, KeepSource: m.keepSource,
		Rollback: m.rollback, Started: m.s.env.Now().UTC().Format(time.RFC3339)}
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	path := journalPath(m.s.repo)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(append(data, '\n')); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// removeJournal marks the migration finished (or fully undone).
func removeJournal(repo *gitrepo.Repo) {
	os.Remove(journalPath(repo))
}

// readJournal returns the journal of an interrupted migration, or nil.
func readJournal(repo *gitrepo.Repo) (*journal, error) {
	path := journalPath(repo)
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > 64<<10 {
		return nil, fmt.Errorf("%s is not a migration journal (not a small regular file): remove it", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var j journal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%s: %w (remove it if no migration was interrupted)", path, err)
	}
	for _, k := range []string{j.From, j.To} {
		switch k {
		case config.File, config.Hybrid, config.Database:
		default:
			return nil, fmt.Errorf("%s: backend %q is not one of file, hybrid, database", path, k)
		}
	}
	return &j, nil
}

func (j *journal) String() string {
	return fmt.Sprintf("migration from %s to %s started %s", describe(j.From, j.FromType), describe(j.To, j.ToType), j.Started)
}

// interruptedMigration reports an interrupted migration for fsck: the
// journal is there and no migration holds the lock.
func (s *session) interruptedMigration() (*journal, error) {
	j, err := readJournal(s.repo)
	if err != nil || j == nil {
		return j, err
	}
	if held, _ := lockHeld(filepath.Join(s.repo.WorkTree, MigrationLock)); held {
		return nil, nil // running right now
	}
	return j, nil
}

// finishInterrupted completes or undoes the migration a killed process
// left, according to where it got: if its switch commit landed (the live
// backend is its target) the steps after the switch are done (the old
// hybrid index removed, a PostgreSQL source cleared unless --keep-source);
// otherwise what it copied into the target is removed (rollback_on_failure).
// The caller holds the migration lock. It reports what it did ("" when
// there was nothing to do).
func (s *session) finishInterrupted(ctx context.Context) (string, error) {
	j, err := readJournal(s.repo)
	if err != nil || j == nil {
		return "", err
	}
	landed := s.kind == j.To && (j.To != config.Database || s.liveDatabaseType() == j.ToType || j.ToType == "")
	var did []string
	if landed {
		if j.From == config.Hybrid && j.To != config.Hybrid {
			s.removeIndex()
			did = append(did, "removed the old index")
		}
		if j.From == config.Database && j.FromType == dbstore.TypePostgreSQL && !j.KeepSource && j.To != config.Database {
			db, err := openDatabase(ctx, s.env, s.repo, s.cfg, j.FromType, s.warn)
			if err != nil {
				return "", fmt.Errorf("finish the interrupted %s: remove this project's rows from the PostgreSQL database: %w", j, err)
			}
			n, err := db.DeleteProject(ctx)
			db.Close()
			if err != nil {
				return "", fmt.Errorf("finish the interrupted %s: %w", j, err)
			}
			did = append(did, fmt.Sprintf("removed this project's %d milestone(s) from the PostgreSQL database", n))
		}
		if j.To == config.Hybrid {
			if err := buildIndex(ctx, s.env, s.repo); err != nil {
				s.warn(fmt.Sprintf("index: %v (it will be rebuilt by the next command)", err))
			} else {
				did = append(did, "built the index")
			}
		}
		removeJournal(s.repo)
		return fmt.Sprintf("finished the interrupted %s (its switch had landed): %s", j, orNothing(did)), nil
	}
	if s.kind == j.From && j.Rollback {
		switch j.To {
		case config.Database:
			if j.From != config.Database || j.FromType != j.ToType {
				db, err := openDatabase(ctx, s.env, s.repo, s.cfg, j.ToType, s.warn)
				if err != nil {
					return "", fmt.Errorf("undo the interrupted %s: open the target database: %w", j, err)
				}
				n, err := db.DeleteAll(ctx)
				db.Close()
				if err != nil {
					return "", fmt.Errorf("undo the interrupted %s: %w", j, err)
				}
				did = append(did, fmt.Sprintf("removed %d copied milestone(s) from the target database", n))
			}
		case config.Hybrid:
			s.removeIndex()
			did = append(did, "removed the partial index")
		}
	}
	removeJournal(s.repo)
	return fmt.Sprintf("undid the interrupted %s (its switch had not landed; %s is still the backend): %s", j, describe(s.kind, s.liveDatabaseType()), orNothing(did)), nil
}

// liveDatabaseType is the type of the live database, "" in file modes.
func (s *session) liveDatabaseType() string {
	if db, ok := s.backend.(*dbstore.Store); ok {
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
	release, err := lock.Acquire(ctx, filepath.Join(s.repo.WorkTree, MigrationLock), 0, s.warn)
	if err != nil {
		return "", fmt.Errorf("another migration is running: %w", err)
	}
	defer release()
	return s.finishInterrupted(ctx)
}
