-- git-milestone database schema, version 1 (PostgreSQL).
-- Text columns use the "C" collation so that ORDER BY is byte order, the
-- order the file backends sort in. title, owner and label hold the text
-- escaped by dbstore (NUL cannot be stored in PostgreSQL text), and the
-- indexed ones are shortened when very long (B-tree entries are limited);
-- doc holds the exact milestone JSON (type json keeps key order and \u0000
-- escapes). The fts_* columns hold capped text for the tsvector (1 MB max).
CREATE TABLE milestone_schema (
    version    INTEGER PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE milestones (
    project    TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    title      TEXT COLLATE "C" NOT NULL,
    status     TEXT COLLATE "C" NOT NULL,
    priority   TEXT COLLATE "C" NOT NULL,
    owner      TEXT COLLATE "C" NOT NULL DEFAULT '',
    due        TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at TEXT COLLATE "C" NOT NULL DEFAULT '',
    updated_at TEXT COLLATE "C" NOT NULL DEFAULT '',
    source     TEXT NOT NULL,
    doc        JSON NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    fts_labels TEXT NOT NULL DEFAULT '',
    fts_owner  TEXT NOT NULL DEFAULT '',
    fts_body   TEXT NOT NULL DEFAULT '',
    search     TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english', left(title, 4096)), 'A') ||
        setweight(to_tsvector('english', fts_labels), 'B') ||
        setweight(to_tsvector('english', fts_owner), 'C') ||
        setweight(to_tsvector('english', fts_body), 'D')) STORED,
    PRIMARY KEY (project, id)
) WITH (toast_tuple_target = 8160); -- no compression below 8 kB: cheaper loads and reads
CREATE INDEX milestones_status   ON milestones (project, status, id);
CREATE INDEX milestones_priority ON milestones (project, priority, id);
CREATE INDEX milestones_due      ON milestones (project, due, id);
CREATE INDEX milestones_owner    ON milestones (project, owner, id);
CREATE INDEX milestones_search   ON milestones USING GIN (search);

CREATE TABLE milestone_labels (
    project TEXT COLLATE "C" NOT NULL,
    id      TEXT COLLATE "C" NOT NULL,
    label   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (project, label, id)
);
CREATE INDEX milestone_labels_milestone ON milestone_labels (project, id);

CREATE TABLE milestone_events (
    seq          BIGSERIAL PRIMARY KEY,
    project      TEXT COLLATE "C" NOT NULL,
    ts           TIMESTAMPTZ NOT NULL,
    event        TEXT NOT NULL,
    milestone_id TEXT NOT NULL DEFAULT '',
    backend      TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL DEFAULT '',
    details      JSON NOT NULL DEFAULT '{}'
);
CREATE INDEX milestone_events_project ON milestone_events (project, seq);
CREATE INDEX milestone_events_time    ON milestone_events (project, ts);
