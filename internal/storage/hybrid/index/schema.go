package index

// SchemaVersion is the layout of index.db this package writes. It is kept in
// PRAGMA user_version; a file with another version (older or newer) is
// moved aside and rebuilt, never migrated: the index is a cache.
//
//	1: milestones (the seed's columns first) + labels + milestones_fts
//	   (trigram) + problems + stat (git-index-like freshness data) + meta.
//	2: every field in its own column (a Record is built without JSON
//	   decoding), the large ones in docs with the source, the JSON
//	   document and the search text;
//	   milestones_fts over word keys, vocab + vocab_fts (see search.go).
//	3: search matches folded text (storage.SearchText: case and accents
//	   folded, the id included); milestones_fts has one column of word
//	   keys; docs.search comes first in its row (cheap to reach).
//	4: the search text moved from docs to its own narrow table, search
//	   (confirming 3,000 candidates read all 10 MB of docs at 10,000).
//	5: indexes idx_stats (status, priority, due) and idx_created_id
//	   (created_at, id): stats reads one index and two index ends.
//	6: meta 'statsum' and 'racy' sum up the stat table (statsum.go): an
//	   unchanged work tree is proved fresh without loading it; index
//	   idx_status_id (status, id).
const SchemaVersion = 6

// applicationID marks index.db as ours (PRAGMA application_id, "mile").
const applicationID = 0x6d696c65

// schema creates an empty index. The seed's table milestones(id, title,
// status, priority, created_at, updated_at, file_path) and its indexes
// idx_status, idx_priority and idx_created_at keep their names and columns
// (scripts read them with sqlite3); the columns after file_path are ours.
//
// milestones.rid is the rowid of the milestone's rows in docs and
// milestones_fts. It is an explicit column because VACUUM may renumber
// implicit rowids. search.text is the text search matches
// (storage.SearchText: folded id, title, description, labels and owner,
// one per line), kept as a BLOB so instr() compares bytes. Search
// (search.go) finds the words of the vocabulary that contain a query term
// with the trigram index vocab_fts, then the milestones that use those
// words with milestones_fts, which indexes each word of a milestone by a
// short key, and confirms each candidate with instr() over search.text.
const schema = `
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value ANY
) WITHOUT ROWID;

CREATE TABLE milestones (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    status      TEXT NOT NULL,
    priority    TEXT NOT NULL,
    created_at  TEXT,
    updated_at  TEXT,
    file_path   TEXT NOT NULL UNIQUE,
    owner       TEXT,
    start       TEXT,
    due         TEXT,
    progress    INTEGER,
    closed_at   TEXT,
    labels      TEXT,    -- one per line
    depends_on  TEXT,    -- one per line
    rid         INTEGER NOT NULL UNIQUE
);
CREATE INDEX idx_status     ON milestones (status);
CREATE INDEX idx_priority   ON milestones (priority);
CREATE INDEX idx_created_at ON milestones (created_at);
CREATE INDEX idx_owner      ON milestones (owner);
CREATE INDEX idx_due        ON milestones (due);
-- stats: the counts by status and priority and the overdue count in one
-- pass over an index, and the oldest and newest by created_at then id
-- without sorting every tie.
CREATE INDEX idx_stats      ON milestones (status, priority, due);
CREATE INDEX idx_created_id ON milestones (created_at, id);
-- list --status S: the rows of one status in id order, without a sort.
CREATE INDEX idx_status_id  ON milestones (status, id);

CREATE TABLE labels (
    label TEXT NOT NULL,
    id    TEXT NOT NULL,
    PRIMARY KEY (label, id)
) WITHOUT ROWID;
CREATE INDEX idx_labels_id ON labels (id);

-- The large parts of a milestone, apart so that milestones stays narrow
-- (filters, sorts and counts read few pages): its description, unknown
-- keys (a JSON array of [key, value] in document order), the document
-- itself and the milestone as one JSON object (the show --json object,
-- without path).
CREATE TABLE docs (
    rid         INTEGER PRIMARY KEY,
    description TEXT,
    extra       TEXT,
    source      TEXT NOT NULL,
    doc         TEXT NOT NULL
);

-- The folded text search matches (storage.SearchText), apart from the
-- documents so that confirming a search's candidates reads a narrow table.
CREATE TABLE search (
    rid  INTEGER PRIMARY KEY,
    text BLOB NOT NULL
);

CREATE VIRTUAL TABLE milestones_fts USING fts5(
    words, content = '', contentless_delete = 1, tokenize = 'ascii'
);

-- Every word (run of non-white-space characters) of the indexed
-- milestones' search text. It only grows between rebuilds: a word no
-- milestone uses any more matches nothing.
CREATE TABLE vocab (
    id   INTEGER PRIMARY KEY,
    term TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE vocab_fts USING fts5(
    term, content = '', tokenize = 'trigram'
);

-- Documents that could not be indexed: kind 'doc' is a document file that
-- does not parse or cannot be read (id set: it still counts as an id, as in
-- file mode); kind 'scan' is a directory entry refused by the scan
-- (symbolic link, id present in both folders).
CREATE TABLE problems (
    path    TEXT PRIMARY KEY,
    id      TEXT,
    kind    TEXT NOT NULL,
    message TEXT NOT NULL
) WITHOUT ROWID;

-- Freshness data, like git's index: per document file its size, mtime,
-- ctime, inode, device, content hash and when it was checked, packed in 256
-- buckets by path hash (see stat.go) so that a check loads them in one query.
CREATE TABLE stat (
    bucket INTEGER PRIMARY KEY,
    data   BLOB NOT NULL
);
`
