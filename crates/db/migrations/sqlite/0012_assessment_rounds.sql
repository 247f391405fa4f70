-- 考核 scoring (issue #12): a round scores a period under the 考核办法 in force. Its scores keep
-- the drill-down (values and the records behind them); typed entries and units' objections are
-- rows of their own. Publishing writes a numbered notice whose content never changes (the
-- database refuses), and a published round's scores are frozen with it; a correction is a new
-- round and a new notice.

CREATE TABLE assessment_rounds (
    id                INTEGER PRIMARY KEY NOT NULL,
    region_code       TEXT NOT NULL REFERENCES regions(code),
    year              BIGINT NOT NULL,
    period            TEXT NOT NULL,
    rules_id          BIGINT NOT NULL REFERENCES assessment_rules(id),
    state             TEXT NOT NULL,
    opened_on         TEXT,
    objection_until   TEXT,
    corrects_round_id BIGINT REFERENCES assessment_rounds(id),
    computed_by       TEXT NOT NULL,
    computed_at       TEXT NOT NULL,
    version           BIGINT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX assessment_rounds_region ON assessment_rounds(region_code, year, period);

CREATE TABLE assessment_scores (
    id        INTEGER PRIMARY KEY NOT NULL,
    round_id  BIGINT NOT NULL REFERENCES assessment_rounds(id),
    kind      TEXT NOT NULL,
    unit_id   BIGINT NOT NULL REFERENCES units(id),
    total     BIGINT NOT NULL,
    lines     TEXT NOT NULL,
    UNIQUE (round_id, kind, unit_id)
);
CREATE INDEX assessment_scores_unit ON assessment_scores(unit_id);

CREATE TABLE assessment_entries (
    id           INTEGER PRIMARY KEY NOT NULL,
    round_id     BIGINT NOT NULL REFERENCES assessment_rounds(id),
    kind         TEXT NOT NULL,
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    indicator_no BIGINT NOT NULL,
    value        BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    evidence     TEXT NOT NULL,
    entered_by   TEXT NOT NULL,
    at           TEXT NOT NULL,
    UNIQUE (round_id, kind, unit_id, indicator_no)
);

CREATE TABLE assessment_objections (
    id           INTEGER PRIMARY KEY NOT NULL,
    round_id     BIGINT NOT NULL REFERENCES assessment_rounds(id),
    kind         TEXT NOT NULL,
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    indicator_no BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    raised_by    TEXT NOT NULL,
    raised_at    TEXT NOT NULL,
    state        TEXT NOT NULL,
    points       BIGINT,
    decision     TEXT NOT NULL,
    decided_by   TEXT NOT NULL,
    decided_at   TEXT,
    version      BIGINT NOT NULL
);
CREATE INDEX assessment_objections_round ON assessment_objections(round_id, unit_id);

CREATE TABLE assessment_notices (
    id                 INTEGER PRIMARY KEY NOT NULL,
    region_code        TEXT NOT NULL REFERENCES regions(code),
    year               BIGINT NOT NULL,
    seq                BIGINT NOT NULL,
    number             TEXT NOT NULL,
    round_id           BIGINT NOT NULL REFERENCES assessment_rounds(id),
    title              TEXT NOT NULL,
    content            TEXT NOT NULL,
    corrects_notice_id BIGINT REFERENCES assessment_notices(id),
    issued_on          TEXT NOT NULL,
    issued_by          TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    UNIQUE (region_code, year, seq),
    UNIQUE (round_id)
);
CREATE TRIGGER assessment_notices_frozen_update BEFORE UPDATE ON assessment_notices
BEGIN SELECT RAISE(ABORT, 'published assessment notices are frozen'); END;
CREATE TRIGGER assessment_notices_frozen_delete BEFORE DELETE ON assessment_notices
BEGIN SELECT RAISE(ABORT, 'published assessment notices are frozen'); END;
CREATE TRIGGER assessment_scores_frozen_update BEFORE UPDATE ON assessment_scores
WHEN (SELECT state FROM assessment_rounds WHERE id = OLD.round_id) = 'published'
BEGIN SELECT RAISE(ABORT, 'published assessment scores are frozen'); END;
CREATE TRIGGER assessment_scores_frozen_delete BEFORE DELETE ON assessment_scores
WHEN (SELECT state FROM assessment_rounds WHERE id = OLD.round_id) = 'published'
BEGIN SELECT RAISE(ABORT, 'published assessment scores are frozen'); END;
