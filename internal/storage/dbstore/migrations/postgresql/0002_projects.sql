-- git-milestone database schema, version 2 (PostgreSQL): a human name per
-- project key, for roll-ups across the repositories that share a database.
CREATE TABLE milestone_projects (
    project    TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
