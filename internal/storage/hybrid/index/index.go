// Package index is the hybrid backend's SQLite index, .milestones/index.db:
// a cache of the milestone documents under .milestones/active and
// .milestones/completed that answers queries without reading or parsing
// the files. It is never the source of truth: before answering, callers
// Refresh it, which compares each document file's stat data (size, mtime,
// ctime, inode, like git's own index, with git's "racy" rule) to what was
// indexed and re-reads only what changed. A missing, empty, garbage,
// corrupt or wrong-version file is moved aside and rebuilt, with one
// warning line.
//
// Several processes may query and refresh one index at once: the file is
// in WAL mode, write transactions are BEGIN IMMEDIATE with a long busy
// timeout, and a refresh that finds another process got there first
// re-checks under the write lock instead of failing.
package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite"

	"github.com/git-milestone/git-milestone/internal/safefs"
)

// Defaults for the Options of Open.
const (
	// DefaultBusyTimeout is how long a statement waits for another
	// process's write lock (SQLite busy_timeout).
	DefaultBusyTimeout = 15 * time.Second
	// DefaultLockWait is how long a repair of a broken index file waits
	// for other processes that are opening it.
	DefaultLockWait = 10 * time.Second
)

// ErrCorrupt is wrapped by errors of queries that found the index file
// damaged. The caller should Reset the index and Refresh it (Refresh and
// Rebuild do so themselves).
var ErrCorrupt = errors.New("the index is corrupt")

// Index is an open index.db. Its methods are safe for concurrent use.
type Index struct {
	path     string
	warn     func(string)
	busy     time.Duration
	lockWait time.Duration

	mu    sync.Mutex // guards db and ident; serialises refreshes in this process
	db    *sql.DB
	ident fileID // the file db was opened on

	tuning tuning // tests and benchmarks only
}

// Options tune Open; the zero value is the default.
type Options struct {
	BusyTimeout time.Duration // default DefaultBusyTimeout
	LockWait    time.Duration // default DefaultLockWait
}

// Open opens the index at path (normally <work tree>/.milestones/index.db),
// creating it if it is missing. A file that is empty, not SQLite, corrupt,
// not ours or of another schema version is moved aside to path+".broken"
// and replaced by an empty index, with one line through warn (nil: none);
// the caller's next Refresh fills it. Errors are left for what cannot be
// repaired (permissions, a file locked for longer than the busy timeout).
func Open(ctx context.Context, path string, warn func(string)) (*Index, error) {
	return OpenOptions(ctx, path, warn, Options{})
}

// OpenOptions is Open with options.
func OpenOptions(ctx context.Context, path string, warn func(string), opts Options) (*Index, error) {
	if warn == nil {
		warn = func(string) {}
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	if opts.LockWait <= 0 {
		opts.LockWait = DefaultLockWait
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	ix := &Index{path: abs, warn: warn, busy: opts.BusyTimeout, lockWait: opts.LockWait}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.open(ctx, nil); err != nil {
		return nil, err
	}
	return ix, nil
}

// Path is the index file.
func (ix *Index) Path() string { return ix.path }

// Close closes the database.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	// The closed handle stays: later calls fail with an *Error.
	return ix.db.Close()
}

// Reset replaces a broken index file (moved aside to path+".broken") by an
// empty index, unless another process already did; cause is why the caller
// thinks it is broken (a query error wrapping ErrCorrupt), for the warning.
// Refresh the index afterwards.
func (ix *Index) Reset(ctx context.Context, cause error) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.reset(ctx, cause)
}

func (ix *Index) reset(ctx context.Context, cause error) error {
	ix.db.Close()
	return ix.open(ctx, &brokenError{ident: ix.ident, reason: cause.Error()})
}

// fileID identifies a file (a replaced file has another one).
type fileID struct {
	exists   bool
	dev, ino uint64
}

func identify(path string) fileID {
	st, err := lstat(path)
	if err != nil || st.Type == typeNone {
		return fileID{}
	}
	return fileID{exists: true, dev: st.Dev, ino: st.Ino}
}

// brokenError says the index file identified by ident cannot be used.
type brokenError struct {
	ident  fileID
	reason string
}

func (e *brokenError) Error() string { return e.reason }

// open opens the index file into ix.db, repairing it when it is broken
// (broken != nil: the caller found this file broken). ix.mu is held.
//
// Repairs are serialised with the other processes by a flock on
// path+".lock": a process holds it shared while it opens the database and
// reads it for the first time (after which SQLite keeps the file, its WAL
// and its shared memory open, so a later replacement of the file cannot
// mix the old and new ones), and exclusively while it replaces the file.
func (ix *Index) open(ctx context.Context, broken *brokenError) error {
	if err := ix.openLocked(ctx, broken); err != nil {
		var ie *Error
		if errors.As(err, &ie) || ctx.Err() != nil {
			return err
		}
		return &Error{Op: "open", Path: ix.path, Err: err}
	}
	return nil
}

func (ix *Index) openLocked(ctx context.Context, broken *brokenError) error {
	if err := ix.checkFiles(); err != nil {
		return err
	}
	lf, err := ix.files().OpenFile(filepath.Base(ix.path)+".lock", os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return err
	}
	defer lf.Close()
	for attempt := 0; ; attempt++ {
		if err := ix.flock(ctx, lf, false, nil); err != nil {
			return err
		}
		if broken == nil {
			var db *sql.DB
			var id fileID
			db, id, err = ix.tryOpen(ctx)
			if err == nil {
				unflock(lf)
				ix.db, ix.ident = db, id
				return nil
			}
			if errors.Is(err, errReplaced) && attempt < 3 {
				unflock(lf)
				continue // someone else (rm, say) replaced it: look again
			}
			if !errors.As(err, &broken) {
				unflock(lf)
				return err
			}
		}
		unflock(lf)
		if attempt == 3 {
			return fmt.Errorf("%s (still broken after %d repairs)", broken.reason, attempt)
		}
		// Replace the broken file, unless another process already has.
		changed := func() bool { return identify(ix.path) != broken.ident }
		if err := ix.flock(ctx, lf, true, changed); err != nil {
			return fmt.Errorf("%s; cannot repair it now: %w", broken.reason, err)
		}
		var rerr error
		if !changed() {
			rerr = ix.replace(ctx, broken)
		}
		unflock(lf)
		if rerr != nil {
			return rerr
		}
		broken = nil
	}
}

// errLockWait is returned when the repair lock could not be taken in time.
var errLockWait = errors.New("other processes are using it")

// flock takes lf's flock, polling until ix.lockWait; it gives up early
// (returning nil without the lock) when stop reports true.
func (ix *Index) flock(ctx context.Context, lf *os.File, exclusive bool, stop func() bool) error {
	deadline := time.Now().Add(ix.lockWait)
	wait := time.Millisecond
	for {
		ok, err := tryFlock(lf, exclusive)
		if err != nil {
			return fmt.Errorf("lock %s: %w", lf.Name(), err)
		}
		if ok {
			return nil
		}
		if stop != nil && stop() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("lock %s: %w", lf.Name(), errLockWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

var sqliteHeader = []byte("SQLite format 3\x00")

// tryOpen opens and checks the index file. A file that is not a usable
// index gives a *brokenError; other errors are returned as they are.
func (ix *Index) tryOpen(ctx context.Context) (*sql.DB, fileID, error) {
	id := identify(ix.path)
	bad := func(format string, args ...any) (*sql.DB, fileID, error) {
		return nil, id, &brokenError{ident: id, reason: fmt.Sprintf(format, args...)}
	}
	st, err := lstat(ix.path)
	switch {
	case err != nil:
		return nil, id, err
	case st.Type == typeNone:
		return bad("it is missing")
	case st.Type != typeRegular:
		return bad("it is not a regular file")
	case st.Size == 0:
		return bad("it is empty")
	}
	f, err := ix.files().Open(filepath.Base(ix.path))
	if errors.Is(err, fs.ErrNotExist) {
		// Removed since the lstat above (rm, another process's repair):
		// look again.
		return nil, id, fmt.Errorf("%w: %v", errReplaced, err)
	}
	if err != nil {
		return nil, id, err
	}
	head := make([]byte, len(sqliteHeader))
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || string(head) != string(sqliteHeader) {
		return bad("it is not a SQLite database")
	}
	if err := ix.checkFiles(); err != nil {
		return nil, id, err
	}
	db, err := sql.Open("sqlite", ix.dsn(false))
	if err != nil {
		return nil, id, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	if err := verify(ctx, db); err != nil {
		db.Close()
		var b *brokenError
		switch {
		case identify(ix.path) != id:
			return nil, id, fmt.Errorf("%w: %v", errReplaced, err)
		case errors.As(err, &b):
			b.ident = id
			return nil, id, b
		case isCorrupt(err):
			return bad("%v", err)
		}
		return nil, id, err
	}
	return db, id, nil
}

// files is the index's folder. The folder itself was checked by the
// caller (hybrid.Open refuses a linked .milestones); the files in it are
// checked here.
func (ix *Index) files() safefs.Tree { return safefs.New(filepath.Dir(ix.path), "") }

// checkFiles refuses a link or special file at the index, its -wal, -shm,
// -journal or .lock, right before SQLite opens them by name. The window
// that remains (between this check and SQLite's open) is open only to a
// local process, not to repository content.
func (ix *Index) checkFiles() error {
	t, name := ix.files(), filepath.Base(ix.path)
	for _, suffix := range safefs.SQLiteSuffixes {
		err := t.CheckFile(name + suffix)
		var re *safefs.RefusedError
		if suffix == "" && errors.As(err, &re) && re.What == "a directory" {
			continue // a folder at the index is broken, not hostile: repaired (moved aside)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// errReplaced says the index file changed while it was being opened.
var errReplaced = errors.New("the index file was replaced while being opened")

// verify checks that db is an index of our schema version.
func verify(ctx context.Context, db *sql.DB) error {
	var app, version int64
	if err := db.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&app); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	switch {
	case app != applicationID:
		return &brokenError{reason: "it is not a git-milestone index"}
	case version > SchemaVersion:
		return &brokenError{reason: fmt.Sprintf("its schema version %d is newer than this git-milestone's (%d)", version, SchemaVersion)}
	case version != SchemaVersion:
		return &brokenError{reason: fmt.Sprintf("its schema version %d is not this git-milestone's (%d)", version, SchemaVersion)}
	}
	var gen int64
	if err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'gen'`).Scan(&gen); err != nil {
		if errors.Is(err, sql.ErrNoRows) || isSchemaError(err) {
			return &brokenError{reason: fmt.Sprintf("it is incomplete (%v)", err)}
		}
		return err
	}
	return nil
}

// replace moves the broken file aside and creates an empty index. The
// exclusive repair lock is held.
func (ix *Index) replace(ctx context.Context, broken *brokenError) error {
	aside := ""
	if st, _ := lstat(ix.path); st.Type != typeNone {
		if st.Type == typeRegular && st.Size == 0 {
			os.Remove(ix.path)
		} else {
			aside = ix.path + ".broken"
			os.RemoveAll(aside)
			if err := os.Rename(ix.path, aside); err != nil {
				return fmt.Errorf("repair: %w", err)
			}
		}
	}
	// A WAL left behind would be replayed into the new file.
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(ix.path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("repair: %w", err)
		}
	}
	if err := ix.create(ctx); err != nil {
		return err
	}
	switch {
	case aside != "":
		ix.warn(fmt.Sprintf("index %s: %s: moved it to %s and rebuilding the index", ix.path, broken.reason, filepath.Base(aside)))
	default:
		ix.warn(fmt.Sprintf("index %s: %s: building the index", ix.path, broken.reason))
	}
	return nil
}

// create writes an empty index at ix.path.
func (ix *Index) create(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Dir(ix.path), 0o777); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if err := ix.checkFiles(); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	db, err := sql.Open("sqlite", ix.dsn(true))
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	defer tx.Rollback()
	stmts := []string{
		fmt.Sprintf(`PRAGMA application_id = %d`, applicationID),
		fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion),
		schema,
		`INSERT INTO meta (key, value) VALUES ('gen', 0), ('created', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
		initSum,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	return nil
}

// dsn is the modernc.org/sqlite data source name of the index: WAL,
// BEGIN IMMEDIATE for every read-write transaction (a deferred one that
// upgrades to a write fails with SQLITE_BUSY whatever the busy timeout),
// and a long busy timeout. Without create, a missing file is an error
// rather than a new empty database.
func (ix *Index) dsn(create bool) string {
	mode := "rw"
	if create {
		mode = "rwc"
	}
	u := url.URL{Path: ix.path}
	return fmt.Sprintf("file:%s?mode=%s&_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=journal_size_limit(4194304)&_pragma=cache_size(%d)&_txlock=immediate",
		u.EscapedPath(), mode, ix.busy.Milliseconds(), -readCacheKiB)
}

// Page cache sizes, in KiB. A query reads each page of what it looks at
// about once, so a small cache costs it nothing and spares the memory (at
// 10,000 milestones SQLite's default of 2,000 KiB is a tenth of a list's
// peak RSS) and the time: a full cache recycles its pages, a growing one
// allocates and faults in a new one for every page read (128 KiB against
// 512: hybrid search at 10,000 -8%). It holds the b-trees' inner pages.
// A write of many documents keeps SQLite's default.
const (
	readCacheKiB  = 128
	writeCacheKiB = 2000
	// bigWrite is how many documents make a write big.
	bigWrite = 256
)

// SQLite result codes we act on.
const (
	sqliteCorrupt      = 11
	sqliteNotADB       = 26
	sqliteIOErrShort   = 522  // SQLITE_IOERR_SHORT_READ: a truncated file
	sqliteReadonlyMove = 1032 // SQLITE_READONLY_DBMOVED: the file was replaced under us
)

func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// isCorrupt reports whether err says the database file is damaged.
func isCorrupt(err error) bool {
	c := sqliteCode(err)
	return c&0xff == sqliteCorrupt || c&0xff == sqliteNotADB || c == sqliteIOErrShort
}

// isMoved reports whether err says the file was replaced under us.
func isMoved(err error) bool { return sqliteCode(err) == sqliteReadonlyMove }

// isSchemaError reports a statement that failed because a table or column
// is missing (a file that is SQLite but not, or not entirely, our schema).
func isSchemaError(err error) bool {
	return sqliteCode(err)&0xff == 1 // SQLITE_ERROR: "no such table" and friends
}

// corruptError marks a query error caused by a damaged index file.
type corruptError struct{ err error }

func (e *corruptError) Error() string   { return fmt.Sprintf("%v: %v", ErrCorrupt, e.err) }
func (e *corruptError) Unwrap() []error { return []error{ErrCorrupt, e.err} }

// Error is a failure of the index itself (as opposed to an answer such as
// "not found", or a problem of the work tree): the caller may answer from
// the files instead. Errors.Is(err, ErrCorrupt) tells a damaged file.
type Error struct {
	Op   string // what failed: "refresh", "query", ...
	Path string // the index file
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("%s (index %s): %v", e.Op, e.Path, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// wrap turns a database error into an *Error, marking corruption.
func (ix *Index) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ie *Error
	if errors.As(err, &ie) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if isCorrupt(err) {
		var ce *corruptError
		if !errors.As(err, &ce) {
			err = &corruptError{err: err}
		}
	}
	return &Error{Op: op, Path: ix.path, Err: err}
}
