-- Issue #14: a county's project list in its default order (by code, codes missing last) from
-- an index that starts with the county: the page's ids are read in order and the read stops
-- after the page, where the county's projects were sorted on every request before (40 µs of
-- the page's 300 µs on SQLite for 300 projects, BENCHMARKS.md, eighth pass).
CREATE INDEX projects_region_in_code_order ON projects(region_code, (CASE WHEN code IS NULL THEN 1 ELSE 0 END), code, id);
