package dbstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is everything that differs between the two SQL databases: the
// statements of each side by side, and the few behaviours SQL alone does
// not express (how an instant is bound, which error codes mean what).
// Open picks one for the store; call sites read s.d and never ask which
// database they talk to. Every statement takes its values as bound
// parameters ($1, $2, ...; modernc SQLite reads them too).
type dialect struct {
	// name is the Config.Type of the dialect, shown in messages and the
	// folder of its embedded migrations.
	name string

	// now is the SQL expression of the current instant, in the form the
	// schema stores it.
	now string
	// timeArg is the bound value of an instant, in UTC to the microsecond
	// (SQLite: fixed-width text, so text order is time order).
	timeArg func(time.Time) any
	// timeValue reads back an instant stored through timeArg, as the
	// driver scans it into an any.
	timeValue func(any) (time.Time, error)

	// updateTx are the options of Update's transactions. PostgreSQL runs
	// them SERIALIZABLE on top of the row versions, so that what fn read
	// but did not write (tx.All for a rename, say) cannot change under it
	// either; SQLite write transactions are serialised anyway (BEGIN
	// IMMEDIATE).
	updateTx *sql.TxOptions
	// clientDeadline says the query timeout is a deadline on the
	// statement's context (SQLite). PostgreSQL enforces it on the server
	// (statement_timeout).
	clientDeadline bool

	// uniqueViolation reports a duplicate primary key.
	uniqueViolation func(error) bool
	// serverTimeout reports a statement the server cancelled because it
	// ran longer than statement_timeout.
	serverTimeout func(error) bool
	// busy reports an error that means "try again shortly" while opening
	// (SQLite answers SQLITE_BUSY without waiting to a connection that
	// opens a new database while another one switches it to WAL).
	busy func(error) bool
	// corrupt reports an error that says the database file is damaged or
	// not a database.
	corrupt func(error) bool

	// insertRow, updateRow and deleteRow write one milestone row of
	// project and keep its search text (SQLite: the row's milestones_fts
	// row) and document (SQLite: its milestone_docs row); updateRow and
	// deleteRow report false when the row no longer has version v.
	insertRow func(ctx context.Context, tx *sql.Tx, project string, r row) error
	updateRow func(ctx context.Context, tx *sql.Tx, project string, r row, v int64) (bool, error)
	deleteRow func(ctx context.Context, tx *sql.Tx, project, id string, v int64) (bool, error)
	// Where a milestone's source and document are read, in milestones m:
	// docCols selects the source and the JSON document, from the tables
	// that docJoin adds; briefCol is a JSON document that has at least
	// the fields a table shows (SQLite keeps the whole document apart,
	// in milestone_docs, so that rows stay narrow).
	docCols, docJoin, briefCol string
	// storesBrief says rows keep a brief document (row.brief) of their own.
	storesBrief bool
	// statsOnePass says one GROUP BY status, priority reads a narrow
	// index (SQLite's milestones_stats); otherwise stats counts each
	// column from its own index (stats.go).
	statsOnePass bool
	// countRows is a bound on the number of milestones, cheap enough to
	// size List's records by (SQLite: the largest rid, one b-tree descent;
	// counting a project's rows stepped through all of them, 2 ms at
	// 10,000; PostgreSQL: empty, not worth a round trip).
	countRows string
	// insertLabels adds labels ($3, bound as labelsArg makes it) to the
	// milestone $2 of project $1.
	insertLabels string
	labelsArg    func([]string) any
	// oldest and newest select the id of the milestone of project $1
	// created first and last (ties: the smallest id).
	oldest, newest string
	// clearRows deletes the search rows (and documents) of every
	// milestone of project $1; run before the milestones themselves are
	// deleted.
	clearRows []string

	// searchWhere adds to where the conditions that select the milestones
	// whose search text holds every term (folded, at least one), and
	// returns the FROM clause to use (search.go).
	searchWhere func(terms []string, a *args, where *[]string) (from string)
	// searchSource selects rid (0 where there is none), project, id and
	// doc of every row, whose search text storeSearch then writes (the
	// search migration: the text is folded in Go).
	searchSource string
	storeSearch  func(ctx context.Context, tx *sql.Tx, rows []searchRow) error

	// Schema migrations (migrate.go). hasSchemaTable says whether the
	// version table exists (one row, scanned as a bool). firstVersion is
	// the store's first statement, which reads the schema version
	// (PostgreSQL: connecting within the connect timeout). refuseForeign
	// checks a database without a version before it is migrated.
	// lockMigration serialises concurrent migrations in tx (SQLite: BEGIN
	// IMMEDIATE already has).
	hasSchemaTable string
	firstVersion   func(s *Store, ctx context.Context) (int, error)
	refuseForeign  func(s *Store, ctx context.Context) error
	lockMigration  func(ctx context.Context, tx *sql.Tx) error

	// importRows bulk-loads the rows of a stream in one transaction
	// (import.go): binary COPY on PostgreSQL, chunk by chunk while the
	// next chunk is being prepared; prepared inserts with explicit rowids
	// on SQLite.
	importRows func(s *Store, ctx context.Context, rows *rowStream, progress func(int)) error
}

var sqliteDialect = &dialect{
	name:    TypeSQLite,
	now:     "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
	timeArg: func(t time.Time) any { return utcMicro(t).Format(sqliteTimeFormat) },
	timeValue: func(v any) (time.Time, error) {
		s, ok := v.(string)
		if !ok {
			return time.Time{}, fmt.Errorf("unexpected timestamp %T", v)
		}
		t, err := time.Parse(sqliteTimeFormat, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("timestamp %q: %w", s, err)
		}
		return t, nil
	},
	updateTx:       nil,
	clientDeadline: true,
	uniqueViolation: func(err error) bool {
		return sqliteCode(err) == 19 && (extendedSQLiteCode(err) == 1555 || extendedSQLiteCode(err) == 2067)
	},
	serverTimeout: never,
	busy:          func(err error) bool { return sqliteCode(err) == sqlite3.SQLITE_BUSY },
	corrupt:       sqliteCorrupt,

	insertRow:    sqliteInsertRow,
	updateRow:    sqliteUpdateRow,
	deleteRow:    sqliteDeleteRow,
	insertLabels: `INSERT INTO milestone_labels (project, id, label) SELECT $1, $2, value FROM json_each($3)`,
	labelsArg: func(labels []string) any {
		b, _ := json.Marshal(labels)
		return string(b)
	},
	clearRows: []string{`DELETE FROM milestones_fts WHERE rowid IN (SELECT rid FROM milestones WHERE project = $1)`,
		`DELETE FROM milestone_docs WHERE rid IN (SELECT rid FROM milestones WHERE project = $1)`},
	oldest:       oldestQuery,
	newest:       newestQuery,
	docCols:      "d.source, d.doc",
	docJoin:      " JOIN milestone_docs d ON d.rid = m.rid",
	briefCol:     "m.brief",
	storesBrief:  true,
	statsOnePass: true,
	countRows:    `SELECT coalesce(max(rid), 0) FROM milestones`,

	searchWhere:  sqliteSearchWhere,
	searchSource: `SELECT rid, project, id, doc FROM milestones`,
	storeSearch:  sqliteStoreSearch,

	hasSchemaTable: `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'milestone_schema'`,
	firstVersion:   (*Store).sqliteFirstSchemaVersion,
	refuseForeign:  (*Store).sqliteRefuseForeign,
	lockMigration:  func(context.Context, *sql.Tx) error { return nil },

	importRows: (*Store).importSQLite,
}

var postgresDialect = &dialect{
	name:    TypePostgreSQL,
	now:     "now()",
	timeArg: func(t time.Time) any { return utcMicro(t) },
	timeValue: func(v any) (time.Time, error) {
		t, ok := v.(time.Time)
		if !ok {
			return time.Time{}, fmt.Errorf("unexpected timestamp %T", v)
		}
		return t.UTC(), nil
	},
	updateTx:        &sql.TxOptions{Isolation: sql.LevelSerializable},
	clientDeadline:  false,
	uniqueViolation: func(err error) bool { return pgCode(err) == "23505" },
	serverTimeout: func(err error) bool {
		return pgCode(err) == "57014" && strings.Contains(err.Error(), "statement timeout")
	},
	busy:    never,
	corrupt: never,

	insertRow:    pgInsertRow,
	updateRow:    pgUpdateRow,
	deleteRow:    pgDeleteRow,
	insertLabels: `INSERT INTO milestone_labels (project, id, label) SELECT $1, $2, unnest($3::text[])`,
	labelsArg:    func(labels []string) any { return labels },
	clearRows:    nil, // search_text, source and doc are columns of milestones
	// No index on created_at: one pass with a top-1 sort (max() over the
	// text was four times slower at 100,000).
	oldest:   oldestQuery,
	newest:   newestQuery,
	docCols:  "m.source, m.doc",
	docJoin:  "",
	briefCol: "m.doc",

	searchWhere:  pgSearchWhere,
	searchSource: `SELECT 0, project, id, doc FROM milestones`,
	storeSearch:  pgStoreSearch,

	// pg_tables, not to_regclass: a catalog cache lookup may not yet see a
	// table another session created while this one waited for the
	// migration lock.
	hasSchemaTable: `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables
 WHERE schemaname = current_schema() AND tablename = 'milestone_schema')`,
	firstVersion:  (*Store).pgFirstSchemaVersion,
	refuseForeign: func(*Store, context.Context) error { return nil },
	lockMigration: pgLockMigration,

	importRows: (*Store).importPostgres,
}

func utcMicro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func never(error) bool { return false }

// Writes of one milestone row, side by side.
const (
	sqliteInsert = `INSERT INTO milestones (project, id, title, status, priority, owner, due, created_at, updated_at,
 brief, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1) RETURNING rid`
	pgInsert = `INSERT INTO milestones (project, id, title, status, priority, owner, due, created_at, updated_at,
 source, doc, version, search_text)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12)`

	sqliteUpdate = `UPDATE milestones SET title = $3, status = $4, priority = $5, owner = $6, due = $7, created_at = $8,
 updated_at = $9, brief = $10, version = version + 1
 WHERE project = $1 AND id = $2 AND version = $11 RETURNING rid`
	pgUpdate = `UPDATE milestones SET title = $3, status = $4, priority = $5, owner = $6, due = $7, created_at = $8,
 updated_at = $9, source = $10, doc = $11, search_text = $12, version = version + 1
 WHERE project = $1 AND id = $2 AND version = $13`

	sqliteDelete = `DELETE FROM milestones WHERE project = $1 AND id = $2 AND version = $3 RETURNING rid`
	pgDelete     = `DELETE FROM milestones WHERE project = $1 AND id = $2 AND version = $3`

	sqliteInsertFTS = `INSERT INTO milestones_fts (rowid, search) VALUES ($1, $2)`
	sqliteDeleteFTS = `DELETE FROM milestones_fts WHERE rowid = $1`
	sqliteSetDoc    = `INSERT OR REPLACE INTO milestone_docs (rid, source, doc) VALUES ($1, $2, $3)`
	sqliteDeleteDoc = `DELETE FROM milestone_docs WHERE rid = $1`
)

// columnArgs are the arguments $1 to $9 of the statements above.
func columnArgs(project string, r *row) []any {
	return []any{project, r.id, r.title, r.status, r.priority, r.owner, r.due, r.created, r.updated}
}

func sqliteInsertRow(ctx context.Context, tx *sql.Tx, project string, r row) error {
	var rid int64
	if err := tx.QueryRowContext(ctx, sqliteInsert, append(columnArgs(project, &r), r.brief)...).Scan(&rid); err != nil {
		return err
	}
	return sqliteWriteDoc(ctx, tx, rid, &r)
}

// sqliteWriteDoc writes the document and search rows of row rid.
func sqliteWriteDoc(ctx context.Context, tx *sql.Tx, rid int64, r *row) error {
	if _, err := tx.ExecContext(ctx, sqliteSetDoc, rid, r.source, r.doc); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, sqliteInsertFTS, rid, r.search)
	return err
}

func pgInsertRow(ctx context.Context, tx *sql.Tx, project string, r row) error {
	_, err := tx.ExecContext(ctx, pgInsert, append(columnArgs(project, &r), r.source, r.doc, r.search)...)
	return err
}

func sqliteUpdateRow(ctx context.Context, tx *sql.Tx, project string, r row, v int64) (bool, error) {
	var rid int64
	err := tx.QueryRowContext(ctx, sqliteUpdate, append(columnArgs(project, &r), r.brief, v)...).Scan(&rid)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, sqliteDeleteFTS, rid); err != nil {
		return false, err
	}
	return true, sqliteWriteDoc(ctx, tx, rid, &r)
}

func pgUpdateRow(ctx context.Context, tx *sql.Tx, project string, r row, v int64) (bool, error) {
	return affected(tx.ExecContext(ctx, pgUpdate, append(columnArgs(project, &r), r.source, r.doc, r.search, v)...))
}

func sqliteDeleteRow(ctx context.Context, tx *sql.Tx, project, id string, v int64) (bool, error) {
	var rid int64
	err := tx.QueryRowContext(ctx, sqliteDelete, project, id, v).Scan(&rid)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, q := range []string{sqliteDeleteFTS, sqliteDeleteDoc} {
		if _, err := tx.ExecContext(ctx, q, rid); err != nil {
			return false, err
		}
	}
	return true, nil
}

func pgDeleteRow(ctx context.Context, tx *sql.Tx, project, id string, v int64) (bool, error) {
	return affected(tx.ExecContext(ctx, pgDelete, project, id, v))
}

// affected reports whether a statement changed a row.
func affected(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	return true, nil
}

// oldestQuery and newestQuery find, in the (project, created_at, id) index
// of either flavour, the time at one end, then the first id of its ties,
// without sorting them (ORDER BY created_at DESC, id would read every tie).
const (
	oldestQuery = `SELECT id FROM milestones WHERE project = $1 AND created_at =
 (SELECT min(created_at) FROM milestones WHERE project = $1 AND created_at <> '') ORDER BY id LIMIT 1`
	newestQuery = `SELECT id FROM milestones WHERE project = $1 AND created_at =
 (SELECT max(created_at) FROM milestones WHERE project = $1 AND created_at <> '') ORDER BY id LIMIT 1`
)
