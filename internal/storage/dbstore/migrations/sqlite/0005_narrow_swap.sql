-- git-milestone database schema, version 5 (SQLite): narrow milestone rows,
-- step 2 (see version 4): milestones_narrow takes the place of milestones,
-- with the same indexes, but that the status index holds each row's brief
-- document: a list by status (the default list: the open ones) reads its
-- rows from that index alone, a few contiguous pages, instead of one table
-- page per row.
DROP TABLE milestones;
ALTER TABLE milestones_narrow RENAME TO milestones;
CREATE INDEX milestones_status   ON milestones (project, status, id, brief);
CREATE INDEX milestones_priority ON milestones (project, priority, id);
CREATE INDEX milestones_due      ON milestones (project, due, id);
CREATE INDEX milestones_owner    ON milestones (project, owner, id);
-- stats: the counts by status and by priority and the overdue count read
-- this index alone; the oldest and newest milestones are its two ends.
CREATE INDEX milestones_stats    ON milestones (project, status, priority, due);
CREATE INDEX milestones_created  ON milestones (project, created_at, id);
