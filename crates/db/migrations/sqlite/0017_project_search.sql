-- Issue #14: the project list's free-text search reads one column kept for it.
--
-- `search_text` is the name, code, national code and tags in one text, one per line (a typed
-- query is one line, so it never matches across two fields), normalised in Rust exactly as the
-- typed query is (`keyproj_domain::search`: full-width letters as ASCII, Unicode lower case),
-- so both engines find the same rows. The repository writes it with every insert and update;
-- rows that predate it are filled when the database is migrated (`fill_search_text`), which is
-- why it starts empty here: SQL's lower() does not fold as Rust does. The list filters
-- `search_text LIKE '%…%'` instead of four LIKEs over four lower-cased columns, and the index
-- below holds it with what the filtered list sorts and totals by, so a province-wide search
-- reads the index alone.
ALTER TABLE projects ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

CREATE INDEX projects_search ON projects(region_code, stage, search_text, total_investment_fen, code);
