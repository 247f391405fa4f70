-- Issue #14: a province's project list without sorting the province on every page.
--
-- The totals of a filtered list (共 N 个, 总投资) are remembered by the server for the state of
-- the projects they were counted in (`repo::projects::list`, `TotalsMemo`). That state is this
-- row: every statement that changes `projects` or `project_units` (what the list filters and
-- totals by) sets it to a new random value in the same transaction. Random, not a counter: a
-- change that is rolled back, a restored backup or another database served by the same
-- process never shows a value that some other set of rows had, so remembered totals are never
-- taken for another state. Derived data: `keyproj copy` leaves it out.
CREATE TABLE list_generations (
    name TEXT NOT NULL PRIMARY KEY,
    n    BIGINT NOT NULL
);
-- 63 random bits (random() has 52; two draws)
CREATE FUNCTION list_generation_random() RETURNS BIGINT LANGUAGE sql VOLATILE AS
    $$ SELECT (floor(random() * 2147483648)::BIGINT * 4294967296) + floor(random() * 4294967296)::BIGINT $$;
INSERT INTO list_generations (name, n) VALUES ('projects', list_generation_random());

CREATE FUNCTION projects_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE list_generations SET n = list_generation_random() WHERE name = 'projects';
    RETURN NULL;
END $$;
CREATE TRIGGER projects_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION projects_generation_bump();
CREATE TRIGGER project_units_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON project_units
    FOR EACH STATEMENT EXECUTE FUNCTION projects_generation_bump();

-- The default order (by code, codes missing last): a province's first page walks it and stops
-- after 50 rows instead of sorting 20,000 (the list filters a province by a prefix of the
-- region code).
CREATE INDEX projects_in_code_order ON projects((CASE WHEN code IS NULL THEN 1 ELSE 0 END), code, id);
