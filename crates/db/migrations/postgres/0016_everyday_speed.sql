-- Issue #14: the everyday lists at the SQL floor.

-- How many items each region has per year and state, kept by triggers in the same transaction
-- as the change, so the list's "共 N 条" for a whole region (all, open, or one state) is a sum
-- of a few rows instead of a count over every item. Derived data: `keyproj copy` leaves it out
-- (the destination's triggers rebuild it).
CREATE TABLE problem_item_counts (
    region_code TEXT NOT NULL,
    year        BIGINT NOT NULL,
    state       TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (region_code, year, state)
);
INSERT INTO problem_item_counts (region_code, year, state, n)
    SELECT region_code, year, state, COUNT(*) FROM problem_items GROUP BY region_code, year, state;

-- Statement-level with transition tables: a bulk insert adds its counts once per key, not once
-- per row (per-row updates of one counter row in one transaction pile up row versions). Keys
-- are changed in sorted order, so two transactions lock counter rows in the same order.
CREATE FUNCTION problem_item_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO problem_item_counts (region_code, year, state, n)
        SELECT region_code, year, state, COUNT(*) FROM new_rows
        GROUP BY region_code, year, state ORDER BY region_code, year, state
        ON CONFLICT (region_code, year, state) DO UPDATE SET n = problem_item_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE FUNCTION problem_item_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO problem_item_counts (region_code, year, state, n)
        SELECT region_code, year, state, SUM(d) FROM (
            SELECT region_code, year, state, -1 AS d FROM old_rows
            UNION ALL SELECT region_code, year, state, 1 AS d FROM new_rows) c
        GROUP BY region_code, year, state HAVING SUM(d) <> 0 ORDER BY region_code, year, state
        ON CONFLICT (region_code, year, state) DO UPDATE SET n = problem_item_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE FUNCTION problem_item_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO problem_item_counts (region_code, year, state, n)
        SELECT region_code, year, state, -COUNT(*) FROM old_rows
        GROUP BY region_code, year, state ORDER BY region_code, year, state
        ON CONFLICT (region_code, year, state) DO UPDATE SET n = problem_item_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE TRIGGER problem_item_counts_insert AFTER INSERT ON problem_items
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION problem_item_counts_add();
CREATE TRIGGER problem_item_counts_update AFTER UPDATE ON problem_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION problem_item_counts_change();
CREATE TRIGGER problem_item_counts_delete AFTER DELETE ON problem_items
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION problem_item_counts_remove();

-- Newest first over a city or the province (a county's list walks the unique
-- (region_code, year, seq) index); the region code makes the filter index-only.
CREATE INDEX problem_items_newest ON problem_items(year, seq, region_code);
-- "The same item from the same person a moment ago" (a form sent twice): found by its title,
-- which the planner knows to be selective without seeing the bound value.
CREATE INDEX problem_items_twin ON problem_items(region_code, title, created_at);
