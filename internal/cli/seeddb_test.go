package cli

import (
	"bufio"
	"database/sql"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	_ "modernc.org/sqlite"
)

// scriptSeedDB is the testscript command `seed-db DB ROWS`: it creates the
// shell-era enterprise.db of the design note with modernc SQLite, exactly as
// initialize_database_storage does (milestones(id TEXT PRIMARY KEY, data
// TEXT, created_at TEXT, updated_at TEXT)), and inserts one row per line of
// ROWS ("id<TAB>json", the JSON that `yq e -o=json` makes of a document)
// as create_milestone_database does, with datetime('now').
func scriptSeedDB(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: seed-db DB ROWS")
	}
	db, err := sql.Open("sqlite", ts.MkAbs(args[0]))
	ts.Check(err)
	defer db.Close()
	_, err = db.Exec(`
            CREATE TABLE IF NOT EXISTS milestones (
                id TEXT PRIMARY KEY,
                data TEXT,
                created_at TEXT,
                updated_at TEXT
            );`)
	ts.Check(err)
	f, err := os.Open(ts.MkAbs(args[1]))
	ts.Check(err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, data, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		_, err := db.Exec(`INSERT INTO milestones (id, data, created_at, updated_at)
            VALUES (?, ?, datetime('now'), datetime('now'))`, id, data)
		ts.Check(err)
	}
	ts.Check(sc.Err())
}
