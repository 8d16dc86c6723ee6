// Package sqlike escapes user text for SQL LIKE patterns, the same way on
// SQLite and PostgreSQL. The text is always a bound parameter; escaping
// keeps its %, _ and \ literal:
//
//	WHERE col LIKE ? ESCAPE '\'        -- args: sqlike.Contains(text)
package sqlike

import "strings"

// Escape is the escape character the patterns use; write ESCAPE '\' after
// LIKE (both SQLite and PostgreSQL accept it).
const Escape = `\`

var escaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Literal returns s as a LIKE pattern that matches exactly s.
func Literal(s string) string { return escaper.Replace(s) }

// Contains returns a LIKE pattern that matches any text holding s.
func Contains(s string) string { return "%" + Literal(s) + "%" }

// Prefix returns a LIKE pattern that matches any text starting with s.
func Prefix(s string) string { return Literal(s) + "%" }
