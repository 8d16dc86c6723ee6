package index

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Full-text search has the semantics of storage.TextScore (every query
// word is a case-insensitive substring of the title, description, labels
// or owner) with the speed of an index and a bm25 rank:
//
//   - A query word has no white space, so it occurs in a text exactly when
//     it occurs in one of the text's words (its runs of non-space
//     characters, lower-cased).
//   - vocab holds every such word of the indexed milestones, and vocab_fts
//     indexes them by trigram: the words containing a query word of 3 or
//     more characters are found without a scan.
//   - milestones_fts indexes each milestone's words by a short key (an
//     FNV-64 hash, so that any word is one token of the ascii tokenizer):
//     the milestones using any of those words are one MATCH away, ranked
//     by bm25. A key collision could only add a candidate, which the
//     exact check of the records (storage.TextScore) drops.
//   - Words of 1 or 2 characters are looked up by scanning the vocabulary;
//     a fragment contained in more than maxExpansion words is checked with
//     instr() over docs.search instead.
//
// Building this costs about a tenth of a trigram index over the whole text.

// maxExpansion bounds the vocabulary words one query word may expand to;
// beyond it (a very short or very common fragment) the word is checked by
// scanning instead.
const maxExpansion = 400

// termKey is the milestones_fts token of a word.
func termKey(word string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(word); i++ {
		h ^= uint64(word[i])
		h *= 1099511628211
	}
	return "k" + strconv.FormatUint(h, 36)
}

// keys is the milestones_fts column text for a lower-cased field: the key
// of each of its words, in order.
func keys(lower string) string {
	words := strings.Fields(lower)
	for i, w := range words {
		words[i] = termKey(w)
	}
	return strings.Join(words, " ")
}

// addVocab records the words of rows that vocab does not have yet.
func addVocab(exec func(string, ...any) error, insertID func(string, ...any) (int64, bool, error), words map[string]bool) error {
	for w := range words {
		id, inserted, err := insertID(`INSERT OR IGNORE INTO vocab (term) VALUES (?)`, w)
		if err != nil {
			return err
		}
		if inserted {
			if err := exec(`INSERT INTO vocab_fts (rowid, term) VALUES (?, ?)`, id, w); err != nil {
				return err
			}
		}
	}
	return nil
}

// expand returns the keys of the vocabulary words containing word, or
// ok=false when there are more than maxExpansion of them.
func (ix *Index) expand(ctx context.Context, db querier, word string) (keys []string, ok bool, err error) {
	limit := maxExpansion
	if ix.tuning.maxExpansion > 0 {
		limit = ix.tuning.maxExpansion
	}
	var query string
	var args []any
	if utf8.RuneCountInString(word) >= 3 {
		query = `SELECT v.term FROM vocab_fts f JOIN vocab v ON v.id = f.rowid
		    WHERE vocab_fts MATCH ? AND instr(v.term, ?) > 0 LIMIT ?`
		args = []any{ftsPhrase(word), word, limit + 1}
	} else { // no trigram: scan the vocabulary (small next to the documents)
		query = `SELECT term FROM vocab WHERE instr(term, ?) > 0 LIMIT ?`
		args = []any{word, limit + 1}
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, false, err
		}
		keys = append(keys, termKey(t))
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return keys, len(keys) <= limit, nil
}

// ftsPhrase quotes a word for an FTS5 MATCH expression.
func ftsPhrase(w string) string { return `"` + strings.ReplaceAll(w, `"`, `""`) + `"` }
