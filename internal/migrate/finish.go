package migrate

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Interrupted returns the journal of a migration a killed process left
// in repo (for fsck), or nil: none, or one is running right now (its
// lock is held).
func Interrupted(repo *gitrepo.Repo) (*Journal, error) {
	j, err := ReadJournal(JournalPath(repo))
	if err != nil || j == nil {
		return j, err
	}
	if st, err := lock.Probe(safefs.WorkTree(repo.WorkTree), LockFile); err == nil && st.Held {
		return nil, nil // running right now
	}
	return j, nil
}

// FinishInterrupted takes the migration lock and completes or undoes the
// migration a killed process left in o.Repo, as Journal.Recovery decides
// from where it got (o.From and o.Source are the live backend): if its
// switch commit landed the steps after the switch are done (the old
// hybrid index removed, a PostgreSQL source cleared unless it was kept,
// the index built); otherwise what it copied is removed
// (rollback_on_failure). It reports what it did ("" when there was no
// interrupted migration).
func FinishInterrupted(ctx context.Context, o Options) (string, error) {
	release, err := acquireLock(ctx, o.Repo, o.Hooks.Warn)
	if err != nil {
		return "", err
	}
	defer release()
	return finishInterrupted(ctx, New(o))
}

func finishInterrupted(ctx context.Context, m *Migration) (string, error) {
	o := m.o
	j, err := ReadJournal(JournalPath(o.Repo))
	if err != nil || j == nil {
		return "", err
	}
	liveType := m.liveType()
	r := j.Recovery(o.From, liveType)
	var did []string
	clear := func(dbType string, all func(storage.Database, context.Context) (int, error), what string) error {
		db, err := opener.OpenDatabase(ctx, o.Repo, o.Config, dbType, m.openerOptions())
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
		m.removeIndex()
		did = append(did, "removed the old index")
	}
	if r.RemovePartialIndex {
		m.removeIndex()
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
	if r.BuildIndex && m.buildIndex(ctx) {
		did = append(did, "built the index")
	}
	os.Remove(JournalPath(o.Repo))
	if r.Landed {
		return fmt.Sprintf("finished the interrupted %s (its switch had landed): %s", j, orNothing(did)), nil
	}
	return fmt.Sprintf("undid the interrupted %s (its switch had not landed; %s is still the backend): %s", j, Describe(o.From, liveType), orNothing(did)), nil
}

// liveType is the type of the live database, "" in the file modes.
func (m *Migration) liveType() string {
	if t := m.FromType(); t != "" {
		return t
	}
	if m.o.From == config.Database {
		return m.o.Config.Storage.Database.Type
	}
	return ""
}

func orNothing(did []string) string {
	if len(did) == 0 {
		return "nothing was left to do"
	}
	return strings.Join(did, "; ")
}

// removeIndex deletes the hybrid index of repo (and its WAL files).
func removeIndex(repo *gitrepo.Repo, h Hooks) {
	t := safefs.WorkTree(repo.WorkTree)
	for _, f := range []string{opener.IndexFile, opener.IndexFile + "-wal", opener.IndexFile + "-shm"} {
		if err := t.Remove(f); err != nil {
			h.warn(fmt.Sprintf("remove %s: %v", f, err))
		}
	}
}
