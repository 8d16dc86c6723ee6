-- git-milestone database schema, version 4 (PostgreSQL): nothing changes.
-- Versions 4 and 5 narrow the SQLite table (0004_narrow.sql there);
-- PostgreSQL keeps the document in its row (TOAST moves large values out
-- of line), and the versions of both flavours stay in step.
SELECT 1;
