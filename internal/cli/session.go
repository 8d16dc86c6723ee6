package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/cache"
)

// session is an opened repository with its configuration and backend.
type session struct {
	env     *Env
	repo    *gitrepo.Repo
	cfg     config.Config
	kind    string          // file | hybrid | database
	backend storage.Backend // nil when a cache answers (openReader)
	read    storage.Reader  // what queries use: the backend, or the cache
	cache   *cache.Store
	log     *eventlog.Log
	started time.Time
	// noDBEvents: events go to the JSONL log only (the database stopped
	// being the store and this project's rows were removed from it).
	noDBEvents bool
	// snapshot: .milestones/ is outside a sparse checkout and is read
	// from HEAD (a temporary copy, removed by close); writes are refused.
	snapshot func()
}

var errNotInitialised = errors.New("this repository has no milestones yet: run `git milestone init`")

// openRepo finds the repository around env.Dir (the one refuseEarly
// found a moment ago, if it did: found once, its config read once).
func openRepo(env *Env) (*gitrepo.Repo, error) {
	if repo := env.early; repo != nil {
		env.early = nil
		return repo, nil
	}
	repo, err := gitrepo.OpenEnv(env.Dir, env.Getenv)
	if err != nil {
		return nil, err
	}
	env.repo = repo
	return repo, nil
}

// open opens the repository and its backend. Commands close it with close.
func open(ctx context.Context, env *Env) (*session, error) {
	s, err := prepare(env)
	if err != nil {
		return nil, err
	}
	if s.backend, err = s.openBackend(ctx, s.kind); err != nil {
		return nil, err
	}
	s.read = s.backend
	return s, nil
}

// openReader opens a session for a read-only command. In database mode
// with performance.cache_enabled (and without --no-cache), queries are
// answered from .milestones/cache/ while younger than cache_ttl, and the
// database is only connected to on a miss.
func openReader(ctx context.Context, env *Env, noCache bool) (*session, error) {
	s, err := prepare(env)
	if err != nil {
		return nil, err
	}
	perf := s.cfg.Storage.Performance
	// The cache is for a store outside the work tree (the database):
	// the files themselves answer as fast.
	if opener.InWorkTree(s.kind) || !perf.CacheEnabled || perf.CacheTTL <= 0 || noCache {
		if s.backend, err = s.openBackend(ctx, s.kind); err != nil {
			return nil, err
		}
		s.read = s.backend
		return s, nil
	}
	dc, err := databaseConfig(s.env, s.repo, s.cfg, "", s.warn)
	if err != nil {
		return nil, err
	}
	// The cache's file names depend on a secret of this clone (in the git
	// config, never committed): cache files planted in the repository
	// can never be taken for answers.
	salt, _ := s.repo.ConfigGet("milestone.cacheSalt")
	if salt == "" {
		var b [16]byte
		rand.Read(b[:])
		salt = hex.EncodeToString(b[:])
		if err := s.repo.ConfigSet("milestone.cacheSalt", salt); err != nil {
			noCache = true // without a stored secret the cache is not used
		}
	}
	if noCache {
		if s.backend, err = s.openBackend(ctx, s.kind); err != nil {
			return nil, err
		}
		s.read = s.backend
		return s, nil
	}
	scope := salt + " " + dc.Type + " " + opener.RedactURL(dc.URL) + " " + dc.ProjectKey
	c := cache.New(s.tree(), s.cacheDir(), time.Duration(perf.CacheTTL)*time.Second, scope, func() (storage.Backend, error) {
		return s.openBackend(ctx, s.kind)
	})
	s.cache, s.read = c, c
	return s, nil
}

// cacheDir holds the read cache.
func (s *session) cacheDir() string { return ".milestones/cache" }

// tree is the work tree as an untrusted folder: the door to .milestones/.
func (s *session) tree() safefs.Tree { return safefs.WorkTree(s.repo.WorkTree) }

// prepare opens the repository and reads its configuration.
func prepare(env *Env) (*session, error) {
	started := time.Now()
	repo, err := openRepo(env)
	if err != nil {
		return nil, err
	}
	recoverInterruptedCommit(context.Background(), env, repo)
	kind, err := config.ReadBackend(repo.WorkTree)
	if err != nil {
		return nil, err
	}
	if h := resolveHint(repo); h != "" && !env.hinted {
		env.hinted = true
		env.warn(h)
	}
	var snapshot func()
	if kind == "" {
		if repo, snapshot, err = sparseSnapshot(repo); err != nil {
			return nil, err
		}
		if kind, err = config.ReadBackend(repo.WorkTree); err != nil || kind == "" {
			if snapshot != nil {
				snapshot()
			}
			if err == nil {
				err = errNotInitialised
			}
			return nil, err
		}
	}
	cfg, err := config.Load(repo.WorkTree)
	if err != nil {
		if snapshot != nil {
			snapshot()
		}
		return nil, &refusedError{err}
	}
	return &session{env: env, repo: repo, cfg: cfg, kind: kind, started: started, snapshot: snapshot,
		log: eventlog.ForWorkTree(repo.WorkTree)}, nil
}

func (s *session) openBackend(ctx context.Context, kind string) (storage.Backend, error) {
	return opener.Open(ctx, s.repo, kind, s.cfg, openerOptions(s.env, s.warn))
}

func (s *session) close() {
	if s.backend != nil {
		s.backend.Close()
	}
	if s.cache != nil {
		s.cache.Close()
	}
	if s.snapshot != nil {
		s.snapshot()
		s.snapshot = nil
	}
}

// warn writes a warning line to stderr.
func (s *session) warn(msg string) { s.env.warn(msg) }

// warn writes a warning line to stderr.
func (env *Env) warn(msg string) { fmt.Fprintf(env.Stderr, "warning: %s\n", msg) }

// warnProblems names every document a query could not read, as warnings.
// Queries use problemsError instead (a partial answer fails); this stays
// for code written against it.
func (s *session) warnProblems(problems []storage.Problem) {
	for _, p := range problems {
		s.warn(p.Err.Error() + " (skipped)")
	}
}

// problemsError names on stderr every document a query could not read
// and returns the error (exit 1) that makes the partial answer a failure;
// nil when every document was read. Commands print what they could read
// first.
func (s *session) problemsError(problems []storage.Problem) error {
	if len(problems) == 0 {
		return nil
	}
	for _, p := range problems {
		fmt.Fprintf(s.env.Stderr, "error: %s\n", printable(p.Err.Error()))
	}
	seed := false
	for _, p := range problems {
		seed = seed || mentionsSeedWord(p.Err.Error())
	}
	hint := "`git milestone fsck` says how to fix each"
	if seed {
		hint += " (words of the shell-era store: `git milestone import --from seed` converts such documents)"
	}
	fmt.Fprintf(s.env.Stderr, "git-milestone: %d document(s) could not be read, so this answer is incomplete: %s\n", len(problems), hint)
	return &silentError{code: ExitFailed}
}

// today is the current date, YYYY-MM-DD, in local time.
func (s *session) today() string { return s.env.Now().Format(time.DateOnly) }

// now is the current time as a document timestamp.
func (s *session) now() string { return s.env.Now().UTC().Format(time.RFC3339) }

// resolve turns an id or unique prefix into an id.
func (s *session) resolve(ctx context.Context, arg string) (string, error) {
	if arg == "" {
		return "", refused("a milestone id is required")
	}
	if r, ok := s.read.(storage.PrefixResolver); ok {
		return r.ResolveID(ctx, arg) // reads only the ids under the prefix
	}
	ids, err := s.read.IDs(ctx)
	if err != nil {
		return "", err
	}
	return milestone.Resolve(ids, arg)
}

// record appends events plus a performance_metric for op.
func (s *session) record(op string, success bool, events ...eventlog.Event) {
	if !success {
		events = nil // a refused or failed operation changed nothing: only its metric is logged
	}
	for i := range events {
		events[i].Backend = s.kind
		events[i].Timestamp = s.env.Now()
	}
	events = append(events, eventlog.Event{
		Timestamp: s.env.Now(), Event: eventlog.PerformanceMetric, Backend: s.kind,
		Details: map[string]any{"operation": op, "duration_ms": float64(time.Since(s.started).Microseconds()) / 1000, "success": success},
	})
	if success {
		defer s.autoSwitch(context.Background())
	}
	actor := ""
	if _, ok := s.backend.(storage.EventStore); ok {
		actor = s.env.Getenv("GIT_AUTHOR_EMAIL")
		if a, _, err := s.repo.Identity(s.env.Getenv); err == nil {
			actor = a.Email
		}
	}
	s.appendEvents(actor, events...)
}

// appendEvents writes events to the JSONL log and, in database mode, to
// the database's events table (with actor, who made the change; "" for
// the tool's own events). A failure is a warning: the change is made.
func (s *session) appendEvents(actor string, events ...eventlog.Event) {
	if err := s.log.Append(events...); err != nil {
		s.warn(err.Error())
	}
	db, ok := s.backend.(storage.EventStore)
	if !ok || s.noDBEvents {
		return
	}
	rows := make([]storage.Event, len(events))
	for i, e := range events {
		rows[i] = storage.Event{Timestamp: e.Timestamp, Event: e.Event,
			MilestoneID: e.MilestoneID, Backend: e.Backend, Actor: actor, Details: e.Details}
	}
	if err := db.AppendEvents(context.Background(), rows...); err != nil {
		s.warn(err.Error())
	}
	if pc, ok := s.backend.(storage.ProjectCatalog); ok {
		s.registerProject(context.Background(), pc) // names this project in other projects' roll-ups
	}
}

// reportCommit tells the user on stderr what a mutation committed.
func (s *session) reportCommit(what string, res storage.Result) {
	switch {
	case res.Commit == "":
		fmt.Fprintf(s.env.Stderr, "%s\n", what)
	case res.Detached:
		fmt.Fprintf(s.env.Stderr, "%s (commit %s on a detached HEAD: it is on no branch)\n", what, short(res.Commit))
	default:
		fmt.Fprintf(s.env.Stderr, "%s (commit %s on %s)\n", what, short(res.Commit), shortRef(res.Branch))
	}
}

func short(h string) string {
	if len(h) > 7 {
		return h[:7]
	}
	return h
}

func shortRef(ref string) string {
	const p = "refs/heads/"
	if len(ref) > len(p) && ref[:len(p)] == p {
		return ref[len(p):]
	}
	return ref
}

// commitMessage is the message of a tool commit: milestone(<id>): <what>.
func commitMessage(override, id, what string) string {
	if override != "" {
		return override + "\n\nMilestone-Id: " + id + "\n"
	}
	return fmt.Sprintf("milestone(%s): %s\n\nMilestone-Id: %s\n", id, what, id)
}

// update runs a mutation on the backend while holding the migration lock,
// so a migration never misses a change made during it (our processes
// already queue on one lock per repository, so this costs no concurrency).
func (s *session) update(ctx context.Context, opts storage.UpdateOptions, fn func(storage.Tx) error) (storage.Result, error) {
	if s.snapshot != nil {
		return storage.Result{}, errSparse
	}
	release, err := lock.Acquire(ctx, s.tree(), MigrationLock, 60*time.Second, s.warn)
	if errors.Is(err, lock.ErrLocked) {
		return storage.Result{}, fmt.Errorf("a migration is running: %w", err)
	}
	if err != nil {
		return storage.Result{}, err
	}
	defer release()
	s.ensureDrivers()
	s.applyCommitChoice(&opts)
	res, err := s.backend.Update(ctx, opts, fn)
	if err == nil {
		// Our own writes are never hidden by our read cache.
		if cerr := cache.Invalidate(s.tree(), s.cacheDir()); cerr != nil {
			s.warn(cerr.Error())
		}
	}
	return res, err
}
