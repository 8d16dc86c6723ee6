package index

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// snapshot is the freshness state as stored.
type snapshot struct {
	gen   int64
	dirs  map[string]entry // folder path -> its stat data at the last scan
	files []entry          // the documents' entries, for the loaded buckets
	// loaded lists the buckets read (nil: all of them).
	loaded map[int]bool
}

// load reads the snapshot: every bucket, or only those of paths.
func load(ctx context.Context, q querier, paths []string) (*snapshot, error) {
	s := &snapshot{dirs: map[string]entry{}}
	var dirs []byte
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM meta WHERE key IN ('gen', 'dirs')`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k string
		var v any
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return nil, err
		}
		switch k {
		case "gen":
			n, ok := v.(int64)
			if !ok {
				rows.Close()
				return nil, &corruptError{err: fmt.Errorf("meta gen is %T", v)}
			}
			s.gen = n
		case "dirs":
			b, _ := v.([]byte)
			dirs = b
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := decodeEntries(dirs, func(e entry) { s.dirs[e.path] = e }); err != nil {
		return nil, &corruptError{err: err}
	}
	query := `SELECT bucket, data FROM stat`
	var args []any
	if paths != nil {
		s.loaded = map[int]bool{}
		var marks []string
		for _, p := range paths {
			b := bucketOf(p)
			if !s.loaded[b] {
				s.loaded[b] = true
				marks = append(marks, "?")
				args = append(args, b)
			}
		}
		if len(args) == 0 {
			return s, nil
		}
		query += ` WHERE bucket IN (` + strings.Join(marks, ",") + `)`
	}
	if paths == nil {
		// Every entry is loaded: size the slice once, sparing the copies
		// and page faults of growing it 10,000 entries long.
		var size sql.NullInt64
		if err := q.QueryRowContext(ctx, `SELECT sum(length(data)) FROM stat`).Scan(&size); err != nil {
			return nil, err
		}
		s.files = make([]entry, 0, size.Int64/shortEntrySize+1)
	}
	rows, err = q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var b int
		var data sql.RawBytes // decodeEntries copies what it keeps
		if err := rows.Scan(&b, &data); err != nil {
			return nil, err
		}
		if err := decodeEntries(data, func(e entry) { s.files = append(s.files, e) }); err != nil {
			return nil, &corruptError{err: err}
		}
	}
	return s, rows.Err()
}

// scanProblemsChanged reports whether the stored scan problems differ from ps.
func scanProblemsChanged(ctx context.Context, q querier, ps []storage.Problem) (bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT path, message FROM problems WHERE kind = 'scan' ORDER BY path`)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var stored []string
	for rows.Next() {
		var p, m string
		if err := rows.Scan(&p, &m); err != nil {
			return false, err
		}
		stored = append(stored, p+"\x00"+m)
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	var now []string
	for _, p := range ps {
		now = append(now, p.Path+"\x00"+p.Err.Error())
	}
	sort.Strings(now)
	return strings.Join(stored, "\n") != strings.Join(now, "\n"), nil
}

// loadDirs reads the folders' stat data recorded at the last scan.
func loadDirs(ctx context.Context, q querier) (map[string]entry, error) {
	var data []byte
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'dirs'`).Scan(&data)
	if err != nil {
		return nil, err
	}
	dirs := map[string]entry{}
	err = decodeEntries(data, func(e entry) { dirs[e.path] = e })
	return dirs, err
}
