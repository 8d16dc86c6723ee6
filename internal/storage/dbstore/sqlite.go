package dbstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteBusyTimeoutMS is how long a writer waits for the database lock.
// The busy handler is unfair (tech-notes section 5: one writer waited 4 s
// while another kept the lock), so it is generous.
const sqliteBusyTimeoutMS = 30000

// sqliteReaders is the size of the SQLite reader pool.
const sqliteReaders = 4

// notSQLiteError refuses a file that is not a usable SQLite database.
type notSQLiteError struct {
	path   string
	reason string
	err    error
	seed   bool // the shell-era database of the design note
	other  bool // a SQLite database of something else
}

func (e *notSQLiteError) Error() string {
	msg := fmt.Sprintf("%s: %s; refusing to use it (the file was left unchanged)", e.path, e.reason)
	if e.err != nil {
		msg += ": " + e.err.Error()
	}
	return msg
}

func (e *notSQLiteError) Unwrap() error { return e.err }

// sqliteDSN is the URI for path: WAL, a long busy timeout, immediate
// write transactions (deferred ones fail with SQLITE_BUSY_SNAPSHOT despite
// the timeout) and synchronous=NORMAL: in WAL mode a commit then survives
// any process crash and never corrupts the file; only an OS crash or power
// loss can lose the last commits (FULL cost 1.6 ms more per update).
func sqliteDSN(path string, readOnly bool) string {
	dsn := sqliteURI(path)
	if readOnly {
		return dsn + "&mode=ro"
	}
	return dsn + "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// sqliteReaderDSN is the URI of the reader pool's connections: query-only,
// the same busy timeout, no journal pragmas (a reader finds WAL from the
// file; the writer sets it, and a new file is created by the writer's
// first migration), and a small page cache: it holds the b-trees' inner
// pages, and recycling its pages is cheaper than allocating a new one for
// every page a query reads (against SQLite's 2,000 KiB, at 10,000: search
// -19%, list -11%, stats -29%). mmap_size was as fast but counts the mapped
// file in the process's RSS (search 23 -> 35 MiB).
func sqliteReaderDSN(path string) string {
	return sqliteURI(path) + "&_pragma=query_only(1)&_pragma=cache_size(-128)"
}

// sqliteURI is the file URI of path with the busy timeout every
// connection takes (a path's %, ? and # escaped: they are data).
func sqliteURI(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	return fmt.Sprintf("file:%s?_pragma=busy_timeout(%d)", esc, sqliteBusyTimeoutMS)
}

func openSQLite(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Path == "" {
		return nil, errors.New("open SQLite database: no path")
	}
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", cfg.Path, err)
	}
	if err := checkSQLiteFile(ctx, path); err != nil {
		return nil, err
	}
	s := &Store{d: sqliteDialect, project: cfg.ProjectKey, timeout: cfg.QueryTimeout, where: cfg.Path}
	s.db, err = sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", cfg.Path, err)
	}
	s.db.SetMaxOpenConns(1) // the one writer connection
	s.db.SetMaxIdleConns(1)
	s.rdb, err = sql.Open("sqlite", sqliteReaderDSN(path))
	if err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open SQLite database %s: %w", cfg.Path, err)
	}
	s.rdb.SetMaxOpenConns(sqliteReaders)
	s.rdb.SetMaxIdleConns(sqliteReaders)
	return s, nil
}

// checkSQLiteFile refuses an existing file that is not a SQLite database,
// before SQLite is allowed anywhere near it. A missing or empty file is a
// new database. A database not in WAL mode is integrity-checked read-only
// first, because switching it to WAL writes its header.
func checkSQLiteFile(ctx context.Context, path string) error {
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if fi, err := os.Lstat(path + suffix); err == nil && !fi.Mode().IsRegular() {
			return &notSQLiteError{path: path + suffix, reason: "is not a regular file (a link or a special file): refused"}
		}
	}
	info, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		dir := filepath.Dir(path)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("open SQLite database %s: directory %s does not exist", path, dir)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	if info.IsDir() {
		return &notSQLiteError{path: path, reason: "is a directory, not a SQLite database"}
	}
	if !info.Mode().IsRegular() {
		return &notSQLiteError{path: path, reason: "is not a regular file (a link or a special file): refused"}
	}
	if info.Size() == 0 {
		return nil
	}
	wal, err := checkSQLiteHeader(path, info.Size())
	if err != nil || wal {
		return err // WAL already: opening it writes nothing to the file
	}
	return probeSQLiteFile(ctx, path)
}

// checkSQLiteHeader reads the 100-byte header of a non-empty file and
// refuses one that is not a sound SQLite header for a file of this size.
// wal says the database is in WAL mode already.
func checkSQLiteHeader(path string, size int64) (wal bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	hdr := make([]byte, 100)
	_, err = io.ReadFull(f, hdr)
	f.Close()
	if err != nil || !bytes.HasPrefix(hdr, []byte("SQLite format 3\x00")) {
		return false, &notSQLiteError{path: path, reason: "is not a SQLite database"}
	}
	pageSize := int64(binary.BigEndian.Uint16(hdr[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	switch {
	case pageSize < 512 || pageSize&(pageSize-1) != 0,
		hdr[18] < 1 || hdr[18] > 2 || hdr[19] < 1 || hdr[19] > 2,
		hdr[21] != 64 || hdr[22] != 32 || hdr[23] != 32,
		size%pageSize != 0:
		return false, &notSQLiteError{path: path, reason: "is a corrupt SQLite database (bad header or size)"}
	}
	return hdr[18] == 2 && hdr[19] == 2, nil
}

// probeSQLiteFile integrity-checks a database read-only and refuses one
// that is corrupt or holds some other program's tables.
func probeSQLiteFile(ctx context.Context, path string) error {
	probe, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		return fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	defer probe.Close()
	var res string
	if err := probe.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return &notSQLiteError{path: path, reason: "is a corrupt SQLite database", err: err}
	}
	if res != "ok" {
		return &notSQLiteError{path: path, reason: "is a corrupt SQLite database: " + res}
	}
	var ours, tables int
	err = probe.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE name = 'milestone_schema'), count(*)
 FROM sqlite_schema WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\'`).Scan(&ours, &tables)
	if err != nil {
		return &notSQLiteError{path: path, reason: "is a corrupt SQLite database", err: err}
	}
	if ours == 0 && tables > 0 {
		if isSeedDB(ctx, probe) {
			return &notSQLiteError{path: path, seed: true, reason: "is the shell-era database of the design note, not this tool's: " +
				"bring its milestones in with `git milestone import --from seed " + path + "` (move it aside first if it is the store's own path)"}
		}
		return errForeignSQLite(path)
	}
	return nil
}

func errForeignSQLite(path string) error {
	return &notSQLiteError{path: path, other: true, reason: "is a SQLite database of something else than git-milestone (it has tables but no milestone_schema)"}
}

// sqliteCode is the primary SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code() & 0xff
	}
	return 0
}

// sqliteCorrupt reports whether err says the file is not a database or is
// damaged.
func sqliteCorrupt(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CORRUPT || c == sqlite3.SQLITE_NOTADB
}

// extendedSQLiteCode is the extended SQLite result code of err, or 0.
func extendedSQLiteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}
