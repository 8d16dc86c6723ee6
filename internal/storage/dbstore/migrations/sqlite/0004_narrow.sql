-- git-milestone database schema, version 4 (SQLite): narrow milestone rows,
-- step 1. A list reads a few hundred rows spread over the whole table:
-- with the YAML source and the JSON document in each row (about 1 kB),
-- that was most of the table's pages. They move to milestone_docs (same
-- rid), and the rows keep brief, the JSON document without the
-- description and unknown keys (what a table shows). The new rows go into
-- milestones_narrow, filled by the tool in the same transaction
-- (fillBrief in migrate.go: brief is computed in Go), packed in rid order;
-- version 5 puts it in the place of milestones. PostgreSQL has no
-- version 4 (TOAST already keeps large values out of its rows).
CREATE TABLE milestone_docs (
    rid    INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    doc    TEXT NOT NULL
);
INSERT INTO milestone_docs (rid, source, doc) SELECT rid, source, doc FROM milestones;
CREATE TABLE milestones_narrow (
    rid        INTEGER PRIMARY KEY,
    project    TEXT NOT NULL,
    id         TEXT NOT NULL,
    title      TEXT NOT NULL,
    status     TEXT NOT NULL,
    priority   TEXT NOT NULL,
    owner      TEXT NOT NULL DEFAULT '',
    due        TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT '',
    brief      TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (project, id)
);
