package dbstore

import (
	"database/sql"
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
}

var sqliteDialect = &dialect{
	name:           TypeSQLite,
	now:            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
	timeArg:        func(t time.Time) any { return utcMicro(t).Format(sqliteTimeFormat) },
	updateTx:       nil,
	clientDeadline: true,
	uniqueViolation: func(err error) bool {
		return sqliteCode(err) == 19 && (extendedSQLiteCode(err) == 1555 || extendedSQLiteCode(err) == 2067)
	},
	serverTimeout: never,
	busy:          func(err error) bool { return sqliteCode(err) == sqlite3.SQLITE_BUSY },
	corrupt:       sqliteCorrupt,
}

var postgresDialect = &dialect{
	name:            TypePostgreSQL,
	now:             "now()",
	timeArg:         func(t time.Time) any { return utcMicro(t) },
	updateTx:        &sql.TxOptions{Isolation: sql.LevelSerializable},
	clientDeadline:  false,
	uniqueViolation: func(err error) bool { return pgCode(err) == "23505" },
	serverTimeout: func(err error) bool {
		return pgCode(err) == "57014" && strings.Contains(err.Error(), "statement timeout")
	},
	busy:    never,
	corrupt: never,
}

func utcMicro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func never(error) bool { return false }
