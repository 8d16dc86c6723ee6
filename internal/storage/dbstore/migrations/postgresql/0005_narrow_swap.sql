-- git-milestone database schema, version 5 (PostgreSQL): nothing changes
-- (see version 4).
SELECT 1;
