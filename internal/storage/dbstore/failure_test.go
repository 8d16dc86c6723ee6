package dbstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

func TestCorruptSQLiteRefusedAndUnchanged(t *testing.T) {
	// A real database of ours, to damage.
	good := filepath.Join(t.TempDir(), "good.db")
	s, err := Open(context.Background(), Config{Type: TypeSQLite, Path: good, ProjectKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	recs := newGenerator(1).records(300)
	if err := s.Import(context.Background(), recs, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	img, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(img) < 8*4096 || img[18] != 2 {
		t.Fatalf("unexpected test database: %d bytes, header byte 18 = %d", len(img), img[18])
	}
	garbage := func(b []byte, from, n int) []byte {
		b = bytes.Clone(b)
		for i := from; i < from+n && i < len(b); i++ {
			b[i] = byte(i*7 + 13)
		}
		return b
	}
	// Another program's SQLite database, in rollback-journal mode.
	foreign := filepath.Join(t.TempDir(), "foreign.db")
	fdb, _ := sql.Open("sqlite", foreign)
	if _, err := fdb.Exec(`CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')`); err != nil {
		t.Fatal(err)
	}
	fdb.Close()
	foreignImg, _ := os.ReadFile(foreign)

	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"text file", []byte("this is not a database\n"), "not a SQLite database"},
		{"random bytes", garbage(make([]byte, 8192), 0, 8192), "not a SQLite database"},
		{"truncated header", img[:50], "not a SQLite database"},
		{"truncated mid-page", img[:len(img)-100], "corrupt"},
		{"bad page size", append(append(bytes.Clone(img[:16]), 0x03, 0x00), img[18:]...), "corrupt"},
		{"schema page garbage", garbage(img, 100, 4000), "corrupt"},
		{"rollback mode, garbage pages", append(append(bytes.Clone(img[:18]), 1, 1), garbage(img, 4096, 3*4096)[20:]...), "corrupt"},
		{"foreign database", foreignImg, "something else"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "enterprise.db")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			before := sha256.Sum256(c.data)
			s, err := Open(context.Background(), Config{Type: TypeSQLite, Path: path, ProjectKey: "p"})
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "unchanged") {
				t.Errorf("error %q lacks %q", err, c.want)
			}
			after, _ := os.ReadFile(path)
			if sha256.Sum256(after) != before {
				t.Error("the file was changed")
			}
		})
	}
	// A damaged data page is not caught at open, but queries fail and the
	// file is never "repaired" over.
	t.Run("data pages garbage", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "enterprise.db")
		bad := garbage(img, len(img)-6*4096, 5*4096)
		os.WriteFile(path, bad, 0o644)
		s, err := Open(context.Background(), Config{Type: TypeSQLite, Path: path, ProjectKey: "p"})
		if err == nil {
			_, _, err = s.List(context.Background(), storage.Query{All: true})
			s.Close()
		}
		t.Logf("damaged data pages: %v", err)
		if after, _ := os.ReadFile(path); !bytes.Equal(after, bad) {
			t.Error("the file was changed")
		}
	})
	// An empty file is a new database.
	t.Run("empty file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "enterprise.db")
		os.WriteFile(path, nil, 0o644)
		s, err := Open(context.Background(), Config{Type: TypeSQLite, Path: path, ProjectKey: "p"})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
}

func TestServerDown(t *testing.T) {
	// Something that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	const pw = "hunter2-s3cret"
	// Each attempt must end with the error of its cause: a refused
	// connection at once, a silent server by the connect timeout (without
	// it the attempt would hang until the test binary's own timeout).
	for _, c := range []struct{ name, url, cause string }{
		{"refused", "postgres://postgres:" + pw + "@127.0.0.1:1/db?sslmode=disable", "refused"},
		{"silent", "postgres://postgres:" + pw + "@" + ln.Addr().String() + "/db?sslmode=disable", "connect timeout (700ms)"},
		{"password in query", "postgres://127.0.0.1:1/db?sslmode=disable&user=postgres&password=" + pw, "refused"},
		{"key=value", "host=127.0.0.1 port=1 user=postgres password=" + pw + " sslmode=disable", "refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			const timeout = 700 * time.Millisecond
			start := time.Now()
			_, err := Open(context.Background(), Config{Type: TypePostgreSQL, URL: c.url, ProjectKey: "p", ConnectTimeout: timeout})
			took := time.Since(start)
			if err == nil {
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), c.cause) {
				t.Errorf("error does not say %q: %v", c.cause, err)
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("the password is in the error: %v", err)
			}
			if !strings.Contains(err.Error(), "connect") {
				t.Errorf("unclear error: %v", err)
			}
			t.Logf("%s after %s", err, took.Round(time.Millisecond))
		})
	}
}

func TestQueryTimeout(t *testing.T) {
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		cfg := d.config("p")
		cfg.QueryTimeout = 300 * time.Millisecond
		s, err := Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if d.kind == TypePostgreSQL {
			// pool_size is honoured too.
			if got := s.pool.Config().MaxConns; got != int32(cfg.PoolSize) {
				t.Errorf("pool size %d, want %d", got, cfg.PoolSize)
			}
		}
		slow := `SELECT pg_sleep(5)`
		if d.kind == TypeSQLite {
			slow = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c`
		}
		start := time.Now()
		sctx, cancel := s.stmtCtx(ctx)
		_, err = s.rdb.ExecContext(sctx, slow)
		err = s.wrap(sctx, "slow statement", err)
		cancel()
		took := time.Since(start)
		if !errors.Is(err, ErrQueryTimeout) || !strings.Contains(err.Error(), "query_timeout (300ms)") {
			t.Fatalf("slow statement: %v, want a query_timeout error", err)
		}
		t.Logf("%v (after %s)", err, took.Round(time.Millisecond))
		// The store still works afterwards, and a caller's own cancel is not
		// reported as a query_timeout.
		m := milestone.Milestone{ID: "after", Title: "After", Status: milestone.Active, Priority: milestone.Low}
		create(t, s, rec(t, m))
		cctx, ccancel := context.WithCancel(ctx)
		ccancel()
		if _, err := s.Get(cctx, "after"); err == nil || errors.Is(err, ErrQueryTimeout) {
			t.Errorf("cancelled Get = %v", err)
		}
	})
}

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u:secret@host:5432/db?sslmode=disable", "postgres://u:xxxxx@host:5432/db?sslmode=disable"},
		{"postgresql://u@host/db", "postgresql://u@host/db"},
		{"postgres://host/db?password=secret&user=u", "postgres://host/db?password=xxxxx&user=u"},
		{"postgres://u:p%40ss@host/db", "postgres://u:xxxxx@host/db"},
		{"host=h user=u password=secret dbname=d", "host=h user=u password=xxxxx dbname=d"},
		{"host=h password='se cret' dbname=d", "host=h password=xxxxx dbname=d"},
		{"postgres://u:sec ret@ho st/db", "postgres://xxxxx@ho st/db"},
		{"postgres://u:p@ss@host/db", "postgres://xxxxx@host/db"},
		{"postgres://u:p%zz@host/db", "postgres://xxxxx@host/db"},
		{"postgres://u:pa/ss@host/db", "postgres://xxxxx@host/db"},
		{"postgres://u:pa:ss@host/db", "postgres://u:xxxxx@host/db"},
		{"postgres://u:p?a#s@host/db", "postgres://xxxxx@host/db"},
		{"", ""},
	} {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestEscapeText(t *testing.T) {
	in := []string{"", "a", "\x00", "\x01", "\x02", "a\x00", "a\x00b", "a\x01", "a\x01\x02", "ab", "\x00\x00", "\x01\x00", "é\x00"}
	for _, a := range in {
		if got := unescapeText(escapeText(a)); got != a {
			t.Errorf("round trip %q -> %q", a, got)
		}
		if strings.Contains(escapeText(a), "\x00") {
			t.Errorf("escape %q keeps NUL", a)
		}
		for _, b := range in {
			if (a < b) != (escapeText(a) < escapeText(b)) || (a == b) != (escapeText(a) == escapeText(b)) {
				t.Errorf("order of %q, %q not kept", a, b)
			}
		}
	}
}

func TestQueriesUseIndexes(t *testing.T) {
	recs := newGenerator(11).records(2000)
	eachDialect(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t, "plan")
		if err := s.Import(ctx, recs, nil); err != nil {
			t.Fatal(err)
		}
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if d.kind == TypePostgreSQL {
			conn.ExecContext(ctx, `ANALYZE`)
			conn.ExecContext(ctx, `SET enable_seqscan = off`)
		}
		for _, c := range []struct {
			q    storage.Query
			want []string // any of these in the plan
		}{
			{storage.Query{Statuses: []milestone.Status{milestone.Blocked}, Limit: 50}, []string{"milestones_status", "milestones_pkey", "PRIMARY KEY", "sqlite_autoindex_milestones_1"}},
			{storage.Query{All: true, Labels: []string{"web"}}, []string{"milestone_labels_pkey", "PRIMARY KEY"}},
			{storage.Query{All: true, Owner: "user3@example.com"}, []string{"milestones_owner"}},
			{storage.Query{All: true, Priorities: []milestone.Priority{milestone.Critical}, Sort: "priority"}, []string{"milestones_priority"}},
			{storage.Query{All: true, DueBefore: "2026-02-01", Sort: "due"}, []string{"milestones_due"}},
			{storage.Query{Text: "kalomix"}, []string{"milestones_search", "VIRTUAL TABLE INDEX"}},
		} {
			stmt, a, err := s.listSQL(c.q)
			if err != nil {
				t.Fatal(err)
			}
			explain := "EXPLAIN "
			if d.kind == TypeSQLite {
				explain = "EXPLAIN QUERY PLAN "
			}
			rows, err := conn.QueryContext(ctx, explain+stmt, a...)
			if err != nil {
				t.Fatal(err)
			}
			var plan strings.Builder
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				rows.Scan(ptrs...)
				plan.WriteString(strings.TrimSpace(strings.Trim(strings.ReplaceAll(strings.Join(strings.Fields(strings.TrimSpace(toString(vals[len(vals)-1]))), " "), "\n", " "), " ")) + "\n")
			}
			rows.Close()
			ok := false
			for _, w := range c.want {
				ok = ok || strings.Contains(plan.String(), w)
			}
			if !ok || strings.Contains(plan.String(), "SCAN m\n") || strings.Contains(plan.String(), "Seq Scan on milestones ") {
				t.Errorf("%+v: plan does not use %v:\n%s", c.q, c.want, plan.String())
			}
		}
	})
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func TestIndexKey(t *testing.T) {
	base := strings.Repeat("é", 300) // 600 bytes
	vals := []string{"", "a", base, base + base, base + base + "x", base + base + "y", strings.Repeat("\x00", 600),
		strings.Repeat("\x00", 601), strings.Repeat("\x01", 600), base[:2] + strings.Repeat("z", 2000)}
	for _, a := range vals {
		ka := indexKey(a)
		if len(ka) > maxIndexKey+100 || strings.Contains(ka, "\x00") || !utf8.ValidString(ka) {
			t.Errorf("indexKey(%.10q...) = %d bytes %q", a, len(ka), ka[:20])
		}
		if len(escapeText(a)) <= maxIndexKey && strings.Contains(ka, "\x01\x03") {
			t.Errorf("short key %q has the long-key marker", ka)
		}
		for _, b := range vals {
			if (a == b) != (ka == indexKey(b)) {
				t.Errorf("indexKey equality of %.10q and %.10q", a, b)
			}
		}
	}
}

// TestSecretsNeverPrinted: passwords with unescaped @, :, %, / and the
// like, in URLs that parse and URLs that do not: no part of the password is
// in the error, a malformed URL is refused (ErrBadURL), and an unreachable
// server is a connect error.
func TestSecretsNeverPrinted(t *testing.T) {
	passwords := []string{"Zq@9Kx7Wv", "Zq:9@Kx7Wv", "Zq%9Kx:7Wv", "Zq%zz@Kx/7Wv", "Zq9@@Kx#7Wv", "Zq 9?Kx%417Wv", "Zq9Kx7Wv#"}
	for _, pw := range passwords {
		for _, form := range []string{
			"postgres://postgres:%s@127.0.0.1:1/db?sslmode=disable",
			"postgresql://postgres:%s@127.0.0.1:1/db?connect_timeout=1",
			"postgres://127.0.0.1:1/db?sslmode=disable&password=%s",
		} {
			u := fmt.Sprintf(form, pw)
			_, err := Open(context.Background(), Config{Type: TypePostgreSQL, URL: u, ProjectKey: "p", ConnectTimeout: 500 * time.Millisecond})
			if err == nil {
				t.Fatalf("%s: opened", u)
			}
			msg := err.Error() + " " + RedactURL(u)
			for i := 0; i+3 <= len(pw); i++ {
				if part := pw[i : i+3]; strings.Contains(msg, part) {
					t.Errorf("password part %q printed for %s: %s", part, u, msg)
				}
			}
			if !errors.Is(err, ErrBadURL) && !strings.Contains(err.Error(), "connect") {
				t.Errorf("%s: unclear error: %v", u, err)
			}
		}
	}
	// A URL that does not parse is refused as input, with the whole
	// user-info masked.
	_, err := Open(context.Background(), Config{Type: TypePostgreSQL, URL: "postgres://bob:Zq%zz/9@127.0.0.1:1/db", ProjectKey: "p"})
	if !errors.Is(err, ErrBadURL) || !strings.Contains(err.Error(), "postgres://xxxxx@127.0.0.1:1/db") || strings.Contains(err.Error(), "bob") {
		t.Errorf("malformed URL: %v", err)
	}
}
