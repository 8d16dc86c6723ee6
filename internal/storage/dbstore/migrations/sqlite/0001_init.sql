-- git-milestone database schema, version 1 (SQLite).
-- milestones_fts (contentless FTS5) shares the rowid of milestones, which
-- is an explicit INTEGER PRIMARY KEY so that VACUUM never renumbers it.
-- doc holds the exact milestone JSON, source the YAML document.
CREATE TABLE milestone_schema (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE milestones (
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
    source     TEXT NOT NULL,
    doc        TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (project, id)
);
CREATE INDEX milestones_status   ON milestones (project, status, id);
CREATE INDEX milestones_priority ON milestones (project, priority, id);
CREATE INDEX milestones_due      ON milestones (project, due, id);
CREATE INDEX milestones_owner    ON milestones (project, owner, id);

CREATE TABLE milestone_labels (
    project TEXT NOT NULL,
    id      TEXT NOT NULL,
    label   TEXT NOT NULL,
    PRIMARY KEY (project, label, id)
) WITHOUT ROWID;
CREATE INDEX milestone_labels_milestone ON milestone_labels (project, id);

CREATE VIRTUAL TABLE milestones_fts USING fts5(
    title, description, labels, owner,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TABLE milestone_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    project      TEXT NOT NULL,
    ts           TEXT NOT NULL,
    event        TEXT NOT NULL,
    milestone_id TEXT NOT NULL DEFAULT '',
    backend      TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL DEFAULT '',
    details      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX milestone_events_project ON milestone_events (project, seq);
CREATE INDEX milestone_events_time    ON milestone_events (project, ts);
