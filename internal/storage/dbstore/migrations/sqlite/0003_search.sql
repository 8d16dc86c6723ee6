-- git-milestone database schema, version 2 (SQLite): one meaning of search
-- on every backend. A query term matches when it is a substring of the
-- folded id, title, description, labels and owner (storage.SearchText,
-- folded in Go by internal/textfold). milestones_fts now stores that text
-- (rowid = milestones.rid) and indexes it by trigram, so that a term of 3
-- or more characters is found without a scan; shorter terms are checked
-- with instr() over the stored text. The tool fills it for existing rows
-- in the same transaction (fillSearch in search.go).
DROP TABLE milestones_fts;
CREATE VIRTUAL TABLE milestones_fts USING fts5(
    search, tokenize = 'trigram case_sensitive 1'
);
