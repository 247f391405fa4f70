-- Issue #14: the project list's free-text search reads one column kept for it.
--
-- `search_text` is the name, code, national code and tags, lower-cased and joined by line
-- breaks (a typed query has none, so it never matches across two fields). The list filters
-- `search_text LIKE '%…%'` instead of four LIKEs over four lower-cased columns, and the index
-- below holds it with what the filtered list sorts and totals by, so a province-wide search
-- reads the index alone. Triggers keep it in the same statement as the change; PostgreSQL
-- computes the same expression as a stored generated column. Derived data: `keyproj copy`
-- does not copy it.
ALTER TABLE projects ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE projects SET search_text = lower(name || char(10) || COALESCE(code, '') || char(10) || COALESCE(national_code, '') || char(10) || tags);

CREATE TRIGGER projects_search_text_insert AFTER INSERT ON projects
BEGIN
    UPDATE projects SET search_text = lower(NEW.name || char(10) || COALESCE(NEW.code, '') || char(10) || COALESCE(NEW.national_code, '') || char(10) || NEW.tags)
        WHERE id = NEW.id;
END;

CREATE TRIGGER projects_search_text_update AFTER UPDATE OF name, code, national_code, tags ON projects
BEGIN
    UPDATE projects SET search_text = lower(NEW.name || char(10) || COALESCE(NEW.code, '') || char(10) || COALESCE(NEW.national_code, '') || char(10) || NEW.tags)
        WHERE id = NEW.id;
END;

CREATE INDEX projects_search ON projects(region_code, stage, search_text, total_investment_fen, code);
ANALYZE projects;
