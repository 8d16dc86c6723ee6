package index

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// TestBulkRebuildEqualsIncremental builds one index of the same documents
// twice: by the bulk path of a rebuild (secondary indexes dropped and made
// again, full-text rows in small batches, parsing a bounded window ahead)
// and document by document (the path of an ordinary refresh), and compares
// every table, the schema and the answers of both full-text indexes.
func TestBulkRebuildEqualsIncremental(t *testing.T) {
	dir, fs := newRepo(t)
	r := rand.New(rand.NewSource(11))
	n := bulkRows + 300
	var first string
	for i := 0; i < n; i++ {
		p := put(t, dir, randomMilestone(r, fmt.Sprintf("k-%04d", i)))
		if i == 0 {
			first = p
		}
	}
	writeFile(t, dir, filestore.Dir+"/active/bad-one.yaml", "title: [unclosed\n")

	// Document by document: a few paths first, so that the full refresh
	// that follows finds a non-blank index.
	slow := openAt(t, filepath.Join(dir, filestore.Dir, "slow.db"))
	if _, err := slow.RefreshPaths(ctx, fs, []string{first}); err != nil {
		t.Fatal(err)
	}
	refresh(t, slow, fs)

	bulk := openAt(t, filepath.Join(dir, filestore.Dir, "bulk.db"))
	bulk.tuning.ftsBatch = 97 // many batches, one of them partial
	refresh(t, bulk, fs)      // a first build
	if err := bulk.Rebuild(ctx, fs, nil); err != nil {
		t.Fatal(err)
	}

	for _, q := range []string{
		`SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY name`,
		`SELECT m.id, m.title, m.status, m.priority, m.created_at, m.updated_at, m.file_path, m.owner, m.start, m.due,
		    m.progress, m.closed_at, m.labels, m.depends_on, s.text, d.description, d.extra, d.source, d.doc
		    FROM milestones m JOIN docs d ON d.rid = m.rid JOIN search s ON s.rid = m.rid ORDER BY m.id`,
		`SELECT count(*) FROM docs`,
		`SELECT count(*) FROM search`,
		`SELECT label, id FROM labels ORDER BY label, id`,
		`SELECT path, id, kind, message FROM problems ORDER BY path`,
		`SELECT term FROM vocab ORDER BY term`,
		`SELECT count(*) FROM vocab_fts`,
		`SELECT bucket, length(data) FROM stat ORDER BY bucket`,
	} {
		a, b := dump(t, slow.db, q), dump(t, bulk.db, q)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s:\nincremental %d rows, bulk %d rows; first difference %s", q, len(a), len(b), firstDiff(a, b))
		}
	}
	if got := dump(t, bulk.db, `SELECT count(*) FROM milestones`); got[0] != fmt.Sprint(n) {
		t.Fatalf("bulk index holds %s milestones, want %d", got[0], n)
	}
	// milestones_fts: the milestones found by the key of every word.
	for _, term := range dump(t, bulk.db, `SELECT term FROM vocab ORDER BY term`) {
		q := `SELECT m.id FROM milestones_fts f JOIN milestones m ON m.rid = f.rowid WHERE milestones_fts MATCH ? ORDER BY m.id`
		a, b := dump(t, slow.db, q, termKey(term)), dump(t, bulk.db, q, termKey(term))
		if !reflect.DeepEqual(a, b) || len(b) == 0 {
			t.Fatalf("word %q: incremental finds %d milestones, bulk %d; first difference %s", term, len(a), len(b), firstDiff(a, b))
		}
	}
	// vocab_fts: the words a fragment expands to.
	for _, frag := range []string{"alp", "ele", "sta", "ünï", "traße", "k-00", "ab", "e"} {
		a, okA, err1 := slow.expand(ctx, slow.db, frag)
		b, okB, err2 := bulk.expand(ctx, bulk.db, frag)
		sort.Strings(a)
		sort.Strings(b)
		if err1 != nil || err2 != nil || okA != okB || !reflect.DeepEqual(a, b) {
			t.Fatalf("expand %q: incremental %v %v %v, bulk %v %v %v", frag, a, okA, err1, b, okB, err2)
		}
	}
	if rep := refresh(t, bulk, fs); rep.Changed() || rep.Rescanned {
		t.Fatalf("refresh after the bulk rebuild: %+v", rep)
	}
}

// openAt opens an index file of the test's repository by path.
func openAt(t *testing.T, path string) *Index {
	t.Helper()
	ix, err := Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// As openIndex: a clock 10 s ahead, so that no file is racy.
	ix.tuning.now = func() time.Time { return time.Now().Add(10 * time.Second) }
	t.Cleanup(func() { ix.Close() })
	return ix
}

// dump runs query and returns its rows, one string each.
func dump(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprintf("%v", v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func firstDiff(a, b []string) string {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("row %d:\n  %q\n  %q", i, a[i], b[i])
		}
	}
	return "in length"
}
