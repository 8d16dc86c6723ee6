package dbstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// migrationSteps are the parts of migrations SQL cannot do, run in the
// migration's transaction after its SQL, by the name after the version
// ("0003_search.sql" is "search").
var migrationSteps = map[string]func(ctx context.Context, d *dialect, tx *sql.Tx) error{
	"search": fillSearch,
	"narrow": fillBrief,
}

// fillBrief fills milestones_narrow, in migration 0004 on SQLite, with
// every row of milestones, of every project, in rid order, and its brief
// document. A stored document that does not decode is kept as its brief:
// reading it reports the problem.
func fillBrief(ctx context.Context, d *dialect, tx *sql.Tx) error {
	if d.name != TypeSQLite {
		return nil
	}
	const cols = `rid, project, id, title, status, priority, owner, due, created_at, updated_at, version`
	rows, err := tx.QueryContext(ctx, `SELECT m.`+strings.ReplaceAll(cols, ", ", ", m.")+`, d.doc
	    FROM milestones m JOIN milestone_docs d ON d.rid = m.rid ORDER BY m.rid`)
	if err != nil {
		return fmt.Errorf("fill brief documents: %w", err)
	}
	var all [][]any
	for rows.Next() {
		v := make([]any, 12) // the 11 columns as read, then brief
		dest := make([]any, 12)
		for i := range v {
			dest[i] = &v[i]
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return fmt.Errorf("fill brief documents: %w", err)
		}
		doc, _ := v[11].(string)
		if b, ok := v[11].([]byte); ok {
			doc = string(b)
		}
		v[11] = doc
		if m, err := decodeDoc(doc); err == nil {
			if v[11], err = briefJSON(m); err != nil {
				rows.Close()
				return err
			}
		}
		all = append(all, v)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("fill brief documents: %w", err)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO milestones_narrow (`+cols+`, brief)
	    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`)
	if err != nil {
		return fmt.Errorf("fill brief documents: %w", err)
	}
	defer st.Close()
	for _, v := range all {
		if _, err := st.ExecContext(ctx, v...); err != nil {
			return fmt.Errorf("fill brief documents: %w", err)
		}
	}
	return nil
}

// migrationStep is the name of a migration file without its version and
// extension.
func migrationStep(file string) string {
	_, name, _ := strings.Cut(strings.TrimSuffix(file, ".sql"), "_")
	return name
}

// migration is one embedded schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// pgMigrationLock is the advisory lock key that serialises concurrent
// migrations of one PostgreSQL database ("gitmile" in ASCII).
const pgMigrationLock = 0x6769746d696c65

// migrations lists the embedded migrations of a dialect by version. File
// names are NNNN_name.sql; versions must run 1, 2, 3, ... without gaps.
func migrations(kind string) ([]migration, error) {
	dir := path.Join("migrations", kind)
	ents, err := migrationFS.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations %s: %w", dir, err)
	}
	var ms []migration
	for _, e := range ents {
		n, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("embedded migration %s/%s: name is not NNNN_name.sql", dir, e.Name())
		}
		b, err := migrationFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("embedded migrations %s: expected version %d, found %s", dir, i+1, m.name)
		}
	}
	return ms, nil
}

// SchemaVersion is the newest schema version this binary knows for a
// database kind (TypeSQLite, TypePostgreSQL). Each flavour has its own
// versions: a change to one does not make older binaries refuse the other
// (a PostgreSQL database a team shares is not bumped by a SQLite-only
// change).
func SchemaVersion(kind string) int {
	ms, _ := migrations(kind)
	return len(ms)
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// schemaVersion reads the database's schema version: 0 when the version
// table does not exist yet.
func (s *Store) schemaVersion(ctx context.Context, q queryer) (int, error) {
	var exists bool
	err := q.QueryRowContext(ctx, s.d.hasSchemaTable).Scan(&exists)
	if err != nil || !exists {
		return 0, err
	}
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT max(version) FROM milestone_schema`).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// sqliteFirstSchemaVersion is the first statement of a SQLite store. It
// reads through the reader pool, so that a read-only command opens one
// connection (SQLite parses the whole schema once per connection); the
// writer is opened only to migrate or write.
func (s *Store) sqliteFirstSchemaVersion(ctx context.Context) (int, error) {
	v, err := s.schemaVersion(ctx, s.rdb)
	if err != nil {
		return 0, s.openErr(ctx, "read schema version", err)
	}
	return v, nil
}

// pgFirstSchemaVersion is the first statement of a PostgreSQL store: it
// connects, within the connect timeout, and takes one round trip.
func (s *Store) pgFirstSchemaVersion(ctx context.Context) (int, error) {
	cctx, cancel := context.WithTimeout(ctx, s.connectTimeout)
	defer cancel()
	var v sql.NullInt64
	err := s.db.QueryRowContext(cctx, `SELECT max(version) FROM milestone_schema`).Scan(&v)
	if pgUndefinedTable(err) { // a new database
		return 0, nil
	}
	if err != nil {
		return 0, s.connectErr(ctx, cctx, err)
	}
	return int(v.Int64), nil
}

// migrate applies the migrations the database lacks, each in its own
// transaction, and refuses a database newer than the binary.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations(s.d.name)
	if err != nil {
		return err
	}
	cur, err := s.d.firstVersion(s, ctx)
	if err != nil {
		return err
	}
	if cur > len(ms) {
		return &SchemaTooNewError{Database: cur, Binary: len(ms)}
	}
	if cur == 0 {
		if err := s.d.refuseForeign(s, ctx); err != nil {
			return err
		}
	}
	for _, m := range ms[cur:] {
		if err := s.applyMigration(ctx, m, len(ms)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, m migration, newest int) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.openErr(ctx, "begin migration", err)
	}
	defer tx.Rollback()
	if err := s.d.lockMigration(ctx, tx); err != nil {
		return s.wrap(ctx, "lock for migration", err)
	}
	// Another process may have migrated while we waited for the lock.
	cur, err := s.schemaVersion(ctx, tx)
	if err != nil {
		return s.openErr(ctx, "read schema version", err)
	}
	if cur > newest {
		return &SchemaTooNewError{Database: cur, Binary: newest}
	}
	if cur >= m.version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return s.wrap(ctx, "apply migration "+m.name, err)
	}
	if fill := migrationSteps[migrationStep(m.name)]; fill != nil {
		if err := fill(ctx, s.d, tx); err != nil {
			return s.wrap(ctx, "apply migration "+m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO milestone_schema (version) VALUES ($1)`, m.version); err != nil {
		return s.wrap(ctx, "record migration "+m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(ctx, "commit migration "+m.name, err)
	}
	return nil
}

// sqliteRefuseForeign refuses a SQLite file without a schema version
// that holds tables: it is some other program's database.
func (s *Store) sqliteRefuseForeign(ctx context.Context) error {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\'`).Scan(&n)
	if err != nil {
		return s.openErr(ctx, "read schema", err)
	}
	if n > 0 {
		return errForeignSQLite(s.where)
	}
	return nil
}

// pgLockMigration takes the transaction-scoped advisory lock that
// serialises concurrent migrations of one PostgreSQL database.
func pgLockMigration(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgMigrationLock))
	return err
}

// openErr wraps an error met while opening: a damaged SQLite file is
// refused with a clear message.
func (s *Store) openErr(ctx context.Context, op string, err error) error {
	if s.d.corrupt(err) {
		return &notSQLiteError{path: s.where, reason: "is a corrupt SQLite database", err: err}
	}
	return s.wrap(ctx, op, err)
}
