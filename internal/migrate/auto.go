package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Hysteresis is the share of a threshold below which the automatic switch
// goes back down (80%): between it and the threshold the backend stays as
// it is, so a count that hovers at the threshold does not flap.
const (
	hysteresisNum = 4
	hysteresisDen = 5
)

// BelowHysteresis reports whether n is below 80% of threshold.
func BelowHysteresis(n, threshold int) bool { return n*hysteresisDen < threshold*hysteresisNum }

// AutoTarget decides the automatic file <-> hybrid switch of a repository
// on backend kind with open milestones and users (people who changed
// milestones in the last 30 days; asked only when needed, as counting
// them costs a git log). It returns the backend to move to ("" to stay)
// and why, in words. Up: at the file_to_hybrid milestone or users
// threshold. Down: only when both are below 80% of their threshold. The
// automatic switch never leaves git: database is never an answer, and a
// database backend never moves.
func AutoTarget(kind string, open int, users func() (int, error), t config.Thresholds) (to, reason string, err error) {
	mLimit, uLimit := t.MilestoneCount.FileToHybrid, t.ConcurrentUsers.FileToHybrid
	switch kind {
	case config.File:
		if open >= mLimit {
			return config.Hybrid, fmt.Sprintf("%d open milestones (threshold %d)", open, mLimit), nil
		}
		u, err := users()
		if err != nil {
			return "", "", err
		}
		if u >= uLimit {
			return config.Hybrid, fmt.Sprintf("%s changed milestones in 30 days (threshold %d)", People(u), uLimit), nil
		}
	case config.Hybrid:
		if !BelowHysteresis(open, mLimit) {
			return "", "", nil
		}
		u, err := users()
		if err != nil {
			return "", "", err
		}
		if BelowHysteresis(u, uLimit) {
			return config.File, fmt.Sprintf("%d open milestones and %s, below 80%% of the thresholds (%d, %d)", open, People(u), mLimit, uLimit), nil
		}
	}
	return "", "", nil
}

// People is "1 person" or "N people".
func People(n int) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
}

// Recommendation is the backend that fits a repository's figures, and why.
type Recommendation struct {
	Kind string
	// DatabaseType is set when Kind is the database: postgresql when more
	// than one person writes (a local SQLite file is not shared by
	// clones), else sqlite.
	DatabaseType string
	Reasons      []string
}

// Recommend picks the backend for a number of open milestones and users
// (people who changed milestones in the last 30 days).
func Recommend(t config.Thresholds, open, users int) Recommendation {
	kind, reasons := recommend(t, open, users)
	r := Recommendation{Kind: kind, Reasons: reasons}
	if kind != config.Database {
		return r
	}
	r.DatabaseType = opener.SQLite
	if users > 1 {
		r.DatabaseType = opener.PostgreSQL
		r.Reasons = append(r.Reasons, fmt.Sprintf("%d people write: a shared PostgreSQL server, not a local SQLite file (.milestones/enterprise.db is not in git, so clones do not share it)", users))
	} else {
		r.Reasons = append(r.Reasons, "one person writes: a local SQLite file fits (.milestones/enterprise.db, not in git; PostgreSQL once others join)")
	}
	return r
}

func recommend(t config.Thresholds, open, users int) (string, []string) {
	mc, uc := t.MilestoneCount, t.ConcurrentUsers
	switch {
	case open < mc.FileToHybrid && users < uc.FileToHybrid:
		return config.File, []string{
			fmt.Sprintf("%d open milestone(s) < %d (file_to_hybrid)", open, mc.FileToHybrid),
			fmt.Sprintf("%d user(s) in 30 days < %d (file_to_hybrid)", users, uc.FileToHybrid)}
	case open < mc.HybridToDatabase && users < uc.HybridToDatabase:
		var r []string
		if open >= mc.FileToHybrid {
			r = append(r, fmt.Sprintf("%d open milestone(s) >= %d (file_to_hybrid)", open, mc.FileToHybrid))
		}
		if users >= uc.FileToHybrid {
			r = append(r, fmt.Sprintf("%d user(s) in 30 days >= %d (file_to_hybrid)", users, uc.FileToHybrid))
		}
		return config.Hybrid, append(r, fmt.Sprintf("below %d open milestones and %d users (hybrid_to_database)", mc.HybridToDatabase, uc.HybridToDatabase))
	}
	var r []string
	if open >= mc.HybridToDatabase {
		r = append(r, fmt.Sprintf("%d open milestone(s) >= %d (hybrid_to_database)", open, mc.HybridToDatabase))
	}
	if users >= uc.HybridToDatabase {
		r = append(r, fmt.Sprintf("%d user(s) in 30 days >= %d (hybrid_to_database)", users, uc.HybridToDatabase))
	}
	return config.Database, r
}

// OpenCount counts the open milestones of b: the automatic switch asks
// after every change. The file modes count the files of the open folder
// (storage.OpenCounter: one listing, where hybrid statistics would first
// lstat every document); a database counts them in SQL (its statistics).
func OpenCount(ctx context.Context, b storage.Reader) (int, error) {
	if c, ok := b.(storage.OpenCounter); ok {
		return c.OpenCount(ctx)
	}
	st, _, err := storage.ReadStats(ctx, b, "") // today only dates the overdue count
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range milestone.Statuses {
		if !s.Closed() {
			n += st.ByStatus[string(s)]
		}
	}
	return n, nil
}

// Users counts the distinct people who changed milestones since a time:
// the actors of the events where the backend keeps them (the database),
// else the commit authors of .milestones/ (emails, case folded).
func Users(ctx context.Context, repo *gitrepo.Repo, b storage.Backend, since time.Time) (int, error) {
	if db, ok := b.(storage.EventStore); ok {
		return db.Actors(ctx, since)
	}
	emails, err := repo.AuthorEmails(since, ".milestones")
	if err != nil {
		if head, herr := repo.Head(); herr == nil && head.Unborn {
			return 0, nil
		}
		return 0, fmt.Errorf("count users: %w", err)
	}
	seen := map[string]bool{}
	for _, e := range emails {
		seen[strings.ToLower(e)] = true
	}
	return len(seen), nil
}

// usersWindow is how far back the thresholds count users.
const usersWindow = 30 * 24 * time.Hour

// RecentUsers counts the people who changed milestones in the 30 days
// before now (Users): the figure the thresholds compare.
func RecentUsers(ctx context.Context, repo *gitrepo.Repo, b storage.Backend, now time.Time) (int, error) {
	return Users(ctx, repo, b, now.Add(-usersWindow))
}

// Auto is the automatic switch between file and hybrid, run after a
// change when the config says backend: auto with auto_migrate (o.From and
// o.Source are the live backend; To, Auto, Backup and Rollback are set
// here). It switches up when the open milestones or the people writing
// reach the file_to_hybrid thresholds, and back down only when both are
// below 80% of them (hysteresis: no flapping at the threshold). Each
// switch is one commit and one event; Auto returns the one line that says
// so ("" when nothing moved). Moves into or out of a database are only
// ever made by an explicit migration. An error is a warning: the change
// that ran it is made. An *InvalidError carries the documents that keep
// the switch from reading the source.
func Auto(ctx context.Context, o Options) (string, error) {
	st := o.Config.Storage
	if st.Backend != config.Auto || !st.Migration.AutoMigrate || !opener.InWorkTree(o.From) {
		return "", nil
	}
	if j, err := ReadJournal(JournalPath(o.Repo)); err != nil {
		return "", nil
	} else if j != nil {
		if !opener.InWorkTree(j.From) || !opener.InWorkTree(j.To) {
			return "", nil // a migration into or out of a database is finished by migrate or fsck --repair
		}
		// An automatic (or manual) file <-> hybrid move was killed: finish
		// or undo it quietly, then decide afresh. (The live backend is
		// what the work tree says: finishing never changes it.)
		if _, err := FinishInterrupted(ctx, o); err != nil {
			return "", err
		}
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	open, err := OpenCount(ctx, o.Source)
	if err != nil {
		return "", nil
	}
	users := func() (int, error) { return RecentUsers(ctx, o.Repo, o.Source, now()) }
	to, reason, err := AutoTarget(o.From, open, users, st.Thresholds)
	if err != nil || to == "" {
		return "", nil
	}
	o.To, o.ToType, o.Auto = to, "", true
	o.Backup, o.Rollback, o.SkipInvalid = st.Migration.BackupBeforeMigration, st.Migration.RollbackOnFailure, false
	out, err := switchTo(ctx, New(o))
	if err != nil {
		return "", fmt.Errorf("%s: automatic switch to the %s backend failed: %w", reason, to, err)
	}
	where := ""
	if out.Result.Commit != "" {
		where = fmt.Sprintf(" (commit %s", shortHash(out.Result.Commit))
		if out.Result.Branch != "" {
			where += " on " + out.Result.Branch
		}
		if out.BackupDir != "" {
			where += "; backup " + out.BackupDir
		}
		where += ")"
	}
	return fmt.Sprintf("%s: switched to the %s backend automatically%s", reason, to, where), nil
}

// switchTo runs m whole: lock, read, migrate.
func switchTo(ctx context.Context, m *Migration) (Outcome, error) {
	release, err := m.Lock(ctx)
	if err != nil {
		return Outcome{}, err
	}
	defer release()
	recs, problems, err := m.ReadSource(ctx)
	if err != nil {
		return Outcome{}, err
	}
	return m.Run(ctx, recs, problems)
}

func shortHash(h string) string {
	if len(h) > 7 {
		return h[:7]
	}
	return h
}

// Unpin commits storage.backend: auto, ending the pin an explicit
// migration set, under the migration lock (waiting up to a minute for a
// running one). The caller then lets the automatic switch decide (Auto).
func Unpin(ctx context.Context, repo *gitrepo.Repo, getenv func(string) string, warn func(string)) (storage.Result, error) {
	t := safefs.WorkTree(repo.WorkTree)
	release, err := lock.Acquire(ctx, t, LockFile, 60*time.Second, warn)
	if errors.Is(err, lock.ErrLocked) {
		return storage.Result{}, fmt.Errorf("a migration is running: %w", err)
	}
	if err != nil {
		return storage.Result{}, err
	}
	defer release()
	data, err := t.ReadFile(config.ConfigPath)
	if errors.Is(err, os.ErrNotExist) {
		data = []byte(config.DefaultYAML)
	} else if err != nil {
		return storage.Result{}, err
	}
	out, err := config.SetValues(data, config.Auto, "")
	if err != nil {
		return storage.Result{}, err
	}
	return opener.Commit(ctx, repo, opener.CommitOptions{Getenv: getenv, Warn: warn},
		"milestone: backend auto\n\nThe automatic file <-> hybrid switch decides again (storage.backend: auto).\n",
		[]storage.Change{{Path: config.ConfigPath, Content: out}})
}
