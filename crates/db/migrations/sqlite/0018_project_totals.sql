-- Issue #14: a province's project list without sorting the province on every page.
--
-- The totals of a filtered list (共 N 个, 总投资) are remembered by the server for the state of
-- the projects they were counted in (`repo::projects::list`, `TotalsMemo`). That state is this
-- row: every change to `projects` or `project_units` (what the list filters and totals by)
-- sets it to a new random value in the same transaction. Random, not a counter: a change that
-- is rolled back, a restored backup or another database served by the same process never
-- shows a value that some other set of rows had, so remembered totals are never taken for
-- another state. Derived data: `keyproj copy` leaves it out.
CREATE TABLE list_generations (
    name TEXT NOT NULL PRIMARY KEY,
    n    BIGINT NOT NULL
);
INSERT INTO list_generations (name, n) VALUES ('projects', random());

CREATE TRIGGER projects_generation_insert AFTER INSERT ON projects
BEGIN
    UPDATE list_generations SET n = random() WHERE name = 'projects';
END;
CREATE TRIGGER projects_generation_update AFTER UPDATE ON projects
BEGIN
    UPDATE list_generations SET n = random() WHERE name = 'projects';
END;
CREATE TRIGGER projects_generation_delete AFTER DELETE ON projects
BEGIN
    UPDATE list_generations SET n = random() WHERE name = 'projects';
END;
CREATE TRIGGER project_units_generation_insert AFTER INSERT ON project_units
BEGIN
    UPDATE list_generations SET n = random() WHERE name = 'projects';
END;
CREATE TRIGGER project_units_generation_update AFTER UPDATE ON project_units
BEGIN
    UPDATE list_generations SET n = random() WHERE name = 'projects';
END;
CREATE TRIGGER project_units_generation_delete AFTER DELETE ON project_units
BEGIN
    UPDATE list_generations SET n = random() WHERE name = 'projects';
END;

-- The default order (by code, codes missing last) as an index that also holds what a
-- province-wide filter reads: a province's first page walks it and stops after 50 rows
-- instead of sorting 20,000 (the list filters a province by a prefix of the region code,
-- which no index serves, so this is the way in).
CREATE INDEX projects_in_code_order ON projects((CASE WHEN code IS NULL THEN 1 ELSE 0 END), code, id, region_code, stage, search_text);
