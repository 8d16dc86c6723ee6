-- git-milestone database schema, version 2 (SQLite): a human name per
-- project key, for roll-ups across the projects that share a database.
CREATE TABLE milestone_projects (
    project    TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) WITHOUT ROWID;
