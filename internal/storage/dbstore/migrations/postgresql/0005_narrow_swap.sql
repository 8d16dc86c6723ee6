-- git-milestone database schema, version 5 (PostgreSQL): the index on the
-- creation time that SQLite's version 5 creates too. stats reads the time
-- at either end from it, then the first id of its ties; without it each
-- end was a scan of the whole project (340 ms each at 100,000 milestones).
CREATE INDEX milestones_created ON milestones (project, created_at, id);
