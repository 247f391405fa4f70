-- 《重点项目建设简报》 (issue #12): a numbered issue per year. A draft keeps its sections and
-- tasks as composed; issuing numbers it, snapshots its computed blocks into `content` and turns
-- its tasks into problem-list items (which point back to it). An issued briefing never changes
-- again: the database refuses.

CREATE TABLE briefings (
    id           INTEGER PRIMARY KEY NOT NULL,
    region_code  TEXT NOT NULL REFERENCES regions(code),
    year         BIGINT NOT NULL,
    seq          BIGINT,
    state        TEXT NOT NULL,
    title        TEXT NOT NULL,
    editor       TEXT NOT NULL,
    signer       TEXT NOT NULL,
    send_to      TEXT NOT NULL,
    copy_to      TEXT NOT NULL,
    sections     TEXT NOT NULL,
    tasks        TEXT NOT NULL,
    content      TEXT NOT NULL,
    issued_on    TEXT,
    issued_by    TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (region_code, year, seq)
);
CREATE INDEX briefings_region_year ON briefings(region_code, year);
CREATE TRIGGER briefings_frozen_update BEFORE UPDATE ON briefings
WHEN OLD.state = 'issued'
BEGIN SELECT RAISE(ABORT, 'issued briefings are frozen'); END;
CREATE TRIGGER briefings_frozen_delete BEFORE DELETE ON briefings
WHEN OLD.state = 'issued'
BEGIN SELECT RAISE(ABORT, 'issued briefings are frozen'); END;

ALTER TABLE problem_items ADD COLUMN briefing_id BIGINT REFERENCES briefings(id);
CREATE INDEX problem_items_briefing ON problem_items(briefing_id);
