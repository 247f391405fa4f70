-- Issue #14: the project list remembers each listed project's responsible units (names, in
-- the units' order) for the state of the projects they were read in, as it remembers totals
-- (`repo::projects::list`, `UNITS`). A unit renamed or reordered changes what a list shows
-- without touching `projects` or `project_units`, so it is part of that state too.
CREATE TRIGGER units_generation_update AFTER UPDATE OF name, sort_order ON units
    FOR EACH STATEMENT EXECUTE FUNCTION projects_generation_bump();
CREATE TRIGGER units_generation_delete AFTER DELETE OR TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION projects_generation_bump();
