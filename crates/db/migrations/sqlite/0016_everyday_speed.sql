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

CREATE TRIGGER problem_item_counts_insert AFTER INSERT ON problem_items
BEGIN
    INSERT INTO problem_item_counts (region_code, year, state, n) VALUES (NEW.region_code, NEW.year, NEW.state, 1)
        ON CONFLICT (region_code, year, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER problem_item_counts_update AFTER UPDATE OF region_code, year, state ON problem_items
    WHEN OLD.region_code <> NEW.region_code OR OLD.year <> NEW.year OR OLD.state <> NEW.state
BEGIN
    UPDATE problem_item_counts SET n = n - 1
        WHERE region_code = OLD.region_code AND year = OLD.year AND state = OLD.state;
    INSERT INTO problem_item_counts (region_code, year, state, n) VALUES (NEW.region_code, NEW.year, NEW.state, 1)
        ON CONFLICT (region_code, year, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER problem_item_counts_delete AFTER DELETE ON problem_items
BEGIN
    UPDATE problem_item_counts SET n = n - 1
        WHERE region_code = OLD.region_code AND year = OLD.year AND state = OLD.state;
END;

-- Newest first over a city or the province (a county's list walks the unique
-- (region_code, year, seq) index); the region code makes the filter index-only.
CREATE INDEX problem_items_newest ON problem_items(year, seq, region_code);
-- "The same item from the same person a moment ago" (a form sent twice): found by its title,
-- which the planner knows to be selective without seeing the bound value.
CREATE INDEX problem_items_twin ON problem_items(region_code, title, created_at);
