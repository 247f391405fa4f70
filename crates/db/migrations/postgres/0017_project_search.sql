-- Issue #14: the project list's free-text search reads one column kept for it.
--
-- `search_text` is the name, code, national code and tags, lower-cased and joined by line
-- breaks (a typed query has none, so it never matches across two fields). The list filters
-- `search_text LIKE '%…%'` instead of four LIKEs over four lower-cased columns, and the index
-- below holds it with what the filtered list sorts and totals by. SQLite keeps the same
-- expression with triggers. Derived data: `keyproj copy` does not copy it.
ALTER TABLE projects ADD COLUMN search_text TEXT NOT NULL
    GENERATED ALWAYS AS (lower(name || chr(10) || COALESCE(code, '') || chr(10) || COALESCE(national_code, '') || chr(10) || tags)) STORED;

CREATE INDEX projects_search ON projects(region_code, stage, search_text, total_investment_fen, code);
ANALYZE projects;
