package dbstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/sqlike"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/textfold"
)

// Search in the database has the meaning it has on every backend
// (storage.SearchText, storage.MatchText): every folded term of the query
// is a substring of the folded id, title, description, labels or owner;
// results come in the order of the query's sort key, by id by default.
// The folded text is computed in Go and stored:
//
//   - SQLite: in milestones_fts (rowid = milestones.rid), an FTS5 table with
//     the trigram tokenizer. Terms of 3 or more characters select the
//     candidates with MATCH (a quoted phrase: its text is never FTS5
//     syntax); every term is then confirmed with instr() over the stored
//     text, which is also how terms of 1 or 2 characters (too short for a
//     trigram) are matched.
//   - PostgreSQL: in milestones.search_text, with a pg_trgm GIN index when
//     the extension could be created (migration 0002). Terms of 3 or more
//     characters are matched with LIKE '%term%' (escaped: the index can
//     serve it), shorter ones with strpos(). Both are exact.

// searchWhere adds to where the conditions that select the milestones
// matching text, and returns the FROM clause to use. ok is false when
// the query has no terms (it matches nothing).
func (s *Store) searchWhere(text string, a *args, where *[]string) (from string, ok bool) {
	terms := textfold.Terms(text)
	if len(terms) == 0 {
		return "", false
	}
	return s.d.searchWhere(terms, a, where), true
}

func sqliteSearchWhere(terms []string, a *args, where *[]string) string {
	var phrases []string
	var exact []string
	for _, t := range terms {
		if utf8.RuneCountInString(t) >= 3 {
			phrases = append(phrases, ftsPhrase(t))
		}
		exact = append(exact, "instr(f.search, "+a.add(t)+") > 0")
	}
	if len(phrases) > 0 {
		*where = append(*where, "milestones_fts MATCH "+a.add(strings.Join(phrases, " AND ")))
	}
	*where = append(*where, exact...)
	return "milestones m JOIN milestones_fts f ON f.rowid = m.rid"
}

func pgSearchWhere(terms []string, a *args, where *[]string) string {
	for _, t := range terms {
		if utf8.RuneCountInString(t) >= 3 {
			*where = append(*where, "m.search_text LIKE "+a.add(sqlike.Contains(t))+` ESCAPE E'\\'`)
		} else {
			*where = append(*where, "strpos(m.search_text, "+a.add(t)+") > 0")
		}
	}
	return "milestones m"
}

// ftsPhrase quotes a term as an FTS5 phrase: whatever it holds is text.
func ftsPhrase(t string) string { return `"` + strings.ReplaceAll(t, `"`, `""`) + `"` }

// searchRow is one milestone whose search text the search migration
// writes.
type searchRow struct {
	project, id, text string
	rid               int64
}

// fillSearch stores the folded search text of every existing row, of
// every project, in the transaction of migration 0002 (the text is folded
// in Go, so SQL cannot compute it). A stored document that does not
// decode gets the text of its id alone; reading it reports the problem.
func fillSearch(ctx context.Context, d *dialect, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, d.searchSource)
	if err != nil {
		return fmt.Errorf("fill search text: %w", err)
	}
	var all []searchRow
	for rows.Next() {
		var p searchRow
		var doc []byte
		if err := rows.Scan(&p.rid, &p.project, &p.id, &doc); err != nil {
			rows.Close()
			return fmt.Errorf("fill search text: %w", err)
		}
		m, err := decodeDoc(string(doc))
		if err != nil {
			m = milestone.Milestone{}
		}
		m.ID = p.id
		p.text = storage.SearchText(&m)
		all = append(all, p)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("fill search text: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fill search text: %w", err)
	}
	return d.storeSearch(ctx, tx, all)
}

func sqliteStoreSearch(ctx context.Context, tx *sql.Tx, all []searchRow) error {
	st, err := tx.PrepareContext(ctx, sqliteInsertFTS)
	if err != nil {
		return fmt.Errorf("fill search text: %w", err)
	}
	defer st.Close()
	for _, p := range all {
		if _, err := st.ExecContext(ctx, p.rid, p.text); err != nil {
			return fmt.Errorf("fill search text of %s: %w", p.id, err)
		}
	}
	return nil
}

func pgStoreSearch(ctx context.Context, tx *sql.Tx, all []searchRow) error {
	const batch = 1000
	for start := 0; start < len(all); start += batch {
		chunk := all[start:min(start+batch, len(all))]
		projects, ids, texts := make([]string, len(chunk)), make([]string, len(chunk)), make([]string, len(chunk))
		for i, p := range chunk {
			projects[i], ids[i], texts[i] = p.project, p.id, p.text
		}
		_, err := tx.ExecContext(ctx, `UPDATE milestones m SET search_text = v.t
 FROM unnest($1::text[], $2::text[], $3::text[]) AS v(p, i, t) WHERE m.project = v.p AND m.id = v.i`, projects, ids, texts)
		if err != nil {
			return fmt.Errorf("fill search text: %w", err)
		}
	}
	return nil
}
