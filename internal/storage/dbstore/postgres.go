package dbstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

func openPostgres(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URL == "" {
		return nil, errors.New("open PostgreSQL database: no URL (set DATABASE_URL or git config milestone.databaseUrl)")
	}
	// Parsed once: what may be shown, and every secret to keep out of
	// messages. A URL that does not parse is refused with its whole
	// user-info part masked.
	d, err := parseDSN(cfg.URL)
	if err != nil {
		return nil, err
	}
	where := d.shown
	s := &Store{d: postgresDialect, project: cfg.ProjectKey, timeout: cfg.QueryTimeout, where: where,
		connectTimeout: cfg.ConnectTimeout}
	s.scrub = func(msg string) string {
		return d.scrub(strings.ReplaceAll(msg, cfg.URL, where))
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's reason, with every secret scrubbed (its own redaction
		// leaves parts of some passwords).
		reason := err.Error()
		if i := strings.Index(reason, "`: "); i >= 0 {
			reason = reason[i+3:] // drop pgx's "cannot parse `URL`" prefix
		}
		return nil, &URLError{Shown: where, Reason: s.scrub(reason)}
	}
	if pw := pcfg.ConnConfig.Password; len(pw) >= 2 {
		d.secrets = append(d.secrets, pw)
	}
	if cfg.URLFromRepository && !d.hasPassword {
		pcfg.ConnConfig.Password = "" // not PGPASSWORD or ~/.pgpass: the server is the repository's choice
	}
	pcfg.MaxConns = int32(cfg.PoolSize)
	pcfg.MinConns = 0
	pcfg.ConnConfig.ConnectTimeout = cfg.ConnectTimeout
	if pcfg.ConnConfig.RuntimeParams == nil {
		pcfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	if cfg.QueryTimeout > 0 {
		ms := cfg.QueryTimeout.Milliseconds()
		if ms < 1 {
			ms = 1
		}
		pcfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(ms, 10)
	}
	if _, ok := pcfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		pcfg.ConnConfig.RuntimeParams["application_name"] = "git-milestone"
	}
	if !strings.Contains(cfg.URL, "default_query_exec_mode") {
		// One round trip per statement (no prepare): a CLI process runs
		// each statement about once on a fresh connection.
		pcfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	s.pool, err = pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, s.wrap(ctx, "connect", err)
	}
	s.db = stdlib.OpenDBFromPool(s.pool)
	s.rdb = s.db
	return s, nil
}

// connectErr explains a failure of the first statement, which is when the
// pool connects.
func (s *Store) connectErr(ctx, cctx context.Context, err error) error {
	if ctx.Err() == nil && (cctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)) {
		err = fmt.Errorf("no answer within the connect timeout (%s): %w", s.connectTimeout, err)
	}
	return s.wrap(ctx, "connect", err)
}

// pgCode is the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// pgUndefinedTable reports whether err is PostgreSQL's undefined_table
// (42P01): a table not created yet, or dropped meanwhile.
func pgUndefinedTable(err error) bool { return pgCode(err) == "42P01" }
