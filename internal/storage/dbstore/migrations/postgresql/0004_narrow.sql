-- git-milestone database schema, version 4 (PostgreSQL): nothing to do.
-- On SQLite this version moves the documents out of the milestones rows
-- (narrow rows, a brief document in the status index); PostgreSQL keeps
-- its rows as they are (TOAST already stores large values apart).
SELECT 1;
