// Package dbstore is the database backend (SPEC section 5): milestones in
// one SQL schema, on PostgreSQL (pgx) or on an embedded SQLite file
// (modernc.org/sqlite). Every row is scoped by a project key so that many
// repositories can share one database. Documents are kept whole (the YAML
// source byte for byte and the milestone JSON) beside indexed columns;
// writes use optimistic concurrency on a per-row version; search matches
// text folded in Go, indexed by FTS5 trigrams (SQLite) or a pg_trgm GIN
// index (PostgreSQL), see search.go. What differs between the two
// databases (statements, error codes, how an instant is bound) is one
// dialect value, chosen at Open: see dialect.go.
package dbstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// Database types accepted in Config.Type.
const (
	TypeSQLite     = "sqlite"
	TypePostgreSQL = "postgresql"
)

// Defaults applied by Open to zero Config fields.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultPoolSize       = 10
)

// Config says which database to open and how.
type Config struct {
	Type string // "sqlite" or "postgresql"
	// URL is the PostgreSQL connection string. It is never printed: every
	// error and message carries RedactURL(URL).
	URL string
	// Path is the SQLite file (normally .milestones/enterprise.db).
	Path string
	// ProjectKey scopes every row; many repositories share one database.
	ProjectKey string
	// PoolSize is the maximum number of connections (PostgreSQL);
	// 0 means DefaultPoolSize.
	PoolSize int
	// QueryTimeout cancels a statement that runs longer; 0 means none.
	QueryTimeout time.Duration
	// ConnectTimeout bounds connecting to the server; 0 means
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// URLFromRepository says the URL came from a committed file, which
	// anyone who can push may have written: then no password but the
	// URL's own is sent (not PGPASSWORD, not ~/.pgpass), so a hostile
	// repository cannot have the user's credentials sent to its server.
	URLFromRepository bool
}

// Store is a storage.Backend on a SQL database. It is safe for concurrent
// use by several goroutines.
type Store struct {
	d       *dialect // the SQL of the database's type, chosen once at Open
	project string
	timeout time.Duration
	where   string // the database, for messages (URL redacted)

	connectTimeout time.Duration
	importChunk    int // rows per COPY and progress report; 0: importChunk (tests set it)

	db   *sql.DB // writes (SQLite: the single writer connection)
	rdb  *sql.DB // reads (SQLite: a separate reader pool; PostgreSQL: db)
	pool *pgxpool.Pool
	// scrub hides the password in error messages (PostgreSQL).
	scrub func(string) string
	// borrowed marks a Scoped view: its connections belong to another Store.
	borrowed bool
}

var _ storage.Backend = (*Store)(nil)

// SchemaTooNewError refuses a database migrated by a newer git-milestone.
type SchemaTooNewError struct {
	Database int // the database's schema version
	Binary   int // the newest version this binary knows
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this git-milestone (%d): upgrade git-milestone", e.Database, e.Binary)
}

// ErrQueryTimeout is wrapped by errors of statements cancelled because they
// ran longer than Config.QueryTimeout.
var ErrQueryTimeout = errors.New("query_timeout exceeded")

// Open connects to the database, applies the embedded migrations it lacks
// (one transaction each) and returns the store. It refuses a database whose
// schema is newer than this binary and a SQLite file that is corrupt or not
// SQLite, which it never writes to.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.ProjectKey == "" {
		return nil, errors.New("open database: the project key is empty")
	}
	if strings.ContainsRune(cfg.ProjectKey, 0) || !utf8.ValidString(cfg.ProjectKey) {
		return nil, fmt.Errorf("open database: the project key %q is not valid UTF-8 text", cfg.ProjectKey)
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
		if cfg.QueryTimeout > 0 && cfg.QueryTimeout < cfg.ConnectTimeout {
			cfg.ConnectTimeout = cfg.QueryTimeout // a down server is told as promptly as a slow query
		}
	}
	if cfg.PoolSize <= 0 {
		cfg.PoolSize = DefaultPoolSize
	}
	if cfg.QueryTimeout < 0 {
		cfg.QueryTimeout = 0
	}
	var (
		s   *Store
		err error
	)
	switch cfg.Type {
	case TypeSQLite:
		s, err = openSQLite(ctx, cfg)
	case TypePostgreSQL:
		s, err = openPostgres(ctx, cfg)
	default:
		return nil, fmt.Errorf("open database: type %q is not one of %s, %s", cfg.Type, TypeSQLite, TypePostgreSQL)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrateRetry(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// migrateRetry runs migrate, again while SQLite answers SQLITE_BUSY
// without waiting (it does so to connections that open a new database
// while another one is switching it to WAL).
func (s *Store) migrateRetry(ctx context.Context) error {
	deadline := time.Now().Add(sqliteBusyTimeoutMS * time.Millisecond)
	for {
		err := s.migrate(ctx)
		if !s.d.busy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Name reports "database".
func (s *Store) Name() string { return "database" }

// Type reports the database type: "sqlite" or "postgresql".
func (s *Store) Type() string { return s.d.name }

// ProjectKey reports the project key the store is scoped to.
func (s *Store) ProjectKey() string { return s.project }

// Close releases the connections.
func (s *Store) Close() error {
	if s.borrowed {
		return nil
	}
	var errs []error
	if s.rdb != nil && s.rdb != s.db {
		errs = append(errs, s.rdb.Close())
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	if s.pool != nil {
		s.pool.Close()
	}
	return errors.Join(errs...)
}

// wrap adds context to a database error: the operation, the database, a
// clear message for a statement cancelled by query_timeout, and never the
// password.
func (s *Store) wrap(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	err = s.stmtErr(ctx, err)
	e := fmt.Errorf("%s (%s database %s): %w", op, s.d.name, s.where, err)
	if s.scrub != nil {
		return &scrubbedError{msg: s.scrub(e.Error()), err: e}
	}
	return e
}

func (s *Store) isTimeout(ctx context.Context, err error) bool {
	var te *timeoutError
	if s.timeout <= 0 || errors.As(err, &te) {
		return false
	}
	if errors.Is(context.Cause(ctx), ErrQueryTimeout) {
		return true
	}
	return s.d.serverTimeout(err)
}

// stmtErr marks err as a query_timeout cancellation when it is one.
func (s *Store) stmtErr(ctx context.Context, err error) error {
	if err != nil && s.isTimeout(ctx, err) {
		return &timeoutError{limit: s.timeout, err: err}
	}
	return err
}

// stmtCtx bounds one statement by the query timeout. PostgreSQL enforces
// it on the server (statement_timeout), so only SQLite needs a deadline.
func (s *Store) stmtCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout > 0 && s.d.clientDeadline {
		return context.WithTimeoutCause(ctx, s.timeout, ErrQueryTimeout)
	}
	return ctx, func() {}
}

type timeoutError struct {
	limit time.Duration
	err   error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("statement cancelled after query_timeout (%s): %v", e.limit, e.err)
}

func (e *timeoutError) Unwrap() []error { return []error{ErrQueryTimeout, e.err} }

// scrubbedError is an error whose message had the password removed.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// kvPassword finds the password of a key=value connection string; it is
// compiled on first use (only a database URL to redact needs it).
var kvPassword = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)`)
})

// RedactURL returns a database URL (or key=value connection string) with
// its password masked; a URL that does not parse has its whole user-info
// part masked.
func RedactURL(raw string) string {
	d, _ := parseDSN(raw)
	return d.shown
}
