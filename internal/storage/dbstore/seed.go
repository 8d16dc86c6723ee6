package dbstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
)

// SeedRow is one row of the shell-era enterprise.db of the design note:
// milestones(id, data, created_at, updated_at), the document as JSON in data.
type SeedRow struct {
	ID                   string
	Data                 []byte
	CreatedAt, UpdatedAt string
}

// ReadSeed reads every row of a shell-era enterprise.db, by id, read-only
// (the file is never written). A file that is not a SQLite database, or
// has no milestones table with id and data columns, is refused.
func ReadSeed(ctx context.Context, path string) ([]SeedRow, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, &notSQLiteError{path: path, reason: "is not a regular file"}
	}
	if err := checkSQLiteFile(ctx, path); err != nil && !isForeign(err) {
		return nil, err
	}
	db, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	if !isSeedDB(ctx, db) {
		return nil, &notSQLiteError{path: path, reason: "has no shell-era table milestones(id, data, created_at, updated_at)"}
	}
	rows, err := db.QueryContext(ctx, `SELECT CAST(id AS TEXT), CAST(data AS BLOB), coalesce(CAST(created_at AS TEXT), ''),
 coalesce(CAST(updated_at AS TEXT), '') FROM milestones ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer rows.Close()
	var out []SeedRow
	for rows.Next() {
		var r SeedRow
		var id sql.NullString
		if err := rows.Scan(&id, &r.Data, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		r.ID = id.String
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// isForeign reports a sound SQLite database that is not this tool's
// (the shell era's, or another): ReadSeed looks at its tables itself.
func isForeign(err error) bool {
	e, ok := err.(*notSQLiteError)
	return ok && (e.seed || e.other)
}

// isSeedDB reports whether db has the shell era's milestones table (a
// data column beside id).
func isSeedDB(ctx context.Context, db *sql.DB) bool {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('milestones') WHERE name IN ('id', 'data')`).Scan(&n)
	return err == nil && n == 2
}
