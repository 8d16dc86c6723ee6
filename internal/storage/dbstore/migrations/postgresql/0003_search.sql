-- git-milestone database schema, version 2 (PostgreSQL): one meaning of
-- search on every backend. A query term matches when it is a substring of
-- the folded id, title, description, labels and owner
-- (storage.SearchText, folded in Go by internal/textfold, so no unaccent
-- extension is needed). search_text holds that text; the tool fills it for
-- existing rows in the same transaction (fillSearch in search.go). The
-- stemmed tsvector and its capped inputs are gone.
ALTER TABLE milestones DROP COLUMN search;
ALTER TABLE milestones DROP COLUMN fts_labels;
ALTER TABLE milestones DROP COLUMN fts_owner;
ALTER TABLE milestones DROP COLUMN fts_body;
ALTER TABLE milestones ADD COLUMN search_text TEXT COLLATE "C" NOT NULL DEFAULT '';

-- A pg_trgm GIN index finds the rows whose text contains a term of 3 or
-- more characters (LIKE '%term%') without a scan. pg_trgm is a trusted
-- extension (PostgreSQL 13 and later), but a server may not have it or a
-- role may not be allowed to create it: then there is no index, and
-- search scans the rows of the project with the same LIKE and strpos()
-- tests, with the same results.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'git-milestone: pg_trgm is not available (%), search scans instead of using an index', SQLERRM;
END $$;

DO $$
DECLARE
    trgm_schema name;
BEGIN
    SELECT n.nspname INTO trgm_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_trgm';
    IF trgm_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX milestones_search_trgm ON milestones USING GIN (search_text %I.gin_trgm_ops)', trgm_schema);
    END IF;
END $$;
