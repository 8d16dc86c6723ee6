package index

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Search has the semantics of storage.SearchText and storage.MatchText
// (every folded query term is a substring of the folded id, title,
// description, labels or owner; results by id unless sorted otherwise)
// with the speed of an index:
//
//   - A term has no white space, so it occurs in the search text exactly
//     when it occurs in one of the text's words (its runs of
//     non-white-space characters).
//   - vocab holds every such word of the indexed milestones, and vocab_fts
//     indexes them by trigram: the words containing a term of 3 or more
//     characters are found without a scan (and checked with instr()).
//   - milestones_fts indexes each milestone's distinct words by a short key
//     (an FNV-64 hash, so that any word is one token of the ascii
//     tokenizer): the milestones using any of those words are one MATCH
//     away.
//   - Terms of 1 or 2 characters are looked up by scanning the vocabulary
//     (small next to the documents); a term contained in more than
//     maxExpansion words is checked with instr() over search.text instead.
//   - Every candidate is confirmed with instr() over search.text in the
//     same statement, so a key collision never adds a result and LIMIT
//     counts only true matches.
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

// keys is the milestones_fts column text for a search text: the key of
// each of its distinct words, in order of first use.
func keys(search string) string {
	words := strings.Fields(search)
	seen := make(map[string]bool, len(words))
	out := words[:0]
	for _, w := range words {
		if !seen[w] {
			seen[w] = true
			out = append(out, termKey(w))
		}
	}
	return strings.Join(out, " ")
}

// addVocab records the words of rows that vocab does not have yet: the
// vocab rows first, in sorted order (neighbouring B-tree pages), many per
// statement, then the vocab_fts rows of the new ones in one statement
// (FTS5 flushes its pending terms at each statement savepoint:
// alternating the two wrote a segment per word). New rows get ids above
// the largest one (an INTEGER PRIMARY KEY without AUTOINCREMENT).
func addVocab(ctx context.Context, q querier, exec func(string, ...any) error, words map[string]struct{}) error {
	if len(words) == 0 {
		return nil
	}
	sorted := make([]string, 0, len(words))
	for w := range words {
		sorted = append(sorted, w)
	}
	sort.Strings(sorted)
	var before int64
	if err := q.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM vocab`).Scan(&before); err != nil {
		return err
	}
	const per = 256 // rows per INSERT
	args := make([]any, 0, per)
	for start := 0; start < len(sorted); start += per {
		chunk := sorted[start:min(start+per, len(sorted))]
		args = args[:0]
		for _, w := range chunk {
			args = append(args, w)
		}
		if err := exec(`INSERT OR IGNORE INTO vocab (term) VALUES `+valuesList(len(chunk), 1), args...); err != nil {
			return err
		}
	}
	return exec(`INSERT INTO vocab_fts (rowid, term) SELECT id, term FROM vocab WHERE id > ? ORDER BY id`, before)
}

// valuesList is the VALUES list of n rows of cols parameters: (?, ?), (?, ?).
func valuesList(n, cols int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(row+", ", n-1) + row
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
