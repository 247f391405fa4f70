-- 考核办法 (issue #12): a region's assessment rules per year. A draft is edited freely; adopting
-- it writes a numbered version that is frozen (the database refuses changes); a change after
-- adoption is a new version with a reason.

CREATE TABLE assessment_drafts (
    id          INTEGER PRIMARY KEY NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    year        BIGINT NOT NULL,
    title       TEXT NOT NULL,
    tables      TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (region_code, year)
);

CREATE TABLE assessment_rules (
    id          INTEGER PRIMARY KEY NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    year        BIGINT NOT NULL,
    version_no  BIGINT NOT NULL,
    title       TEXT NOT NULL,
    doc_number  TEXT NOT NULL,
    adopted_on  TEXT NOT NULL,
    tables      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    adopted_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (region_code, year, version_no)
);
CREATE TRIGGER assessment_rules_frozen_update BEFORE UPDATE ON assessment_rules
BEGIN SELECT RAISE(ABORT, 'adopted assessment rules are frozen'); END;
CREATE TRIGGER assessment_rules_frozen_delete BEFORE DELETE ON assessment_rules
BEGIN SELECT RAISE(ABORT, 'adopted assessment rules are frozen'); END;
