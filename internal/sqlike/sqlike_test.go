package sqlike

import (
	"database/sql"
	"testing"

	_ "modernc.org/sqlite"
)

func TestPatternsOnSQLite(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases := []struct {
		text, pattern string
		want          bool
	}{
		{"100% done", Contains("0%"), true},
		{"1000 done", Contains("0%"), false},
		{"a_b", Contains("a_b"), true},
		{"axb", Contains("a_b"), false},
		{`c:\path`, Contains(`c:\`), true},
		{`c:/path`, Contains(`c:\`), false},
		{`x'); DROP TABLE t; --`, Contains(`'); DROP`), true},
		{"abc", Prefix("a%"), false},
		{"a%c", Prefix("a%"), true},
		{"%", Literal("%"), true},
		{"x", Literal("%"), false},
	}
	for _, c := range cases {
		var got bool
		if err := db.QueryRow(`SELECT ? LIKE ? ESCAPE '\'`, c.text, c.pattern).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%q LIKE %q = %v, want %v", c.text, c.pattern, got, c.want)
		}
	}
}
