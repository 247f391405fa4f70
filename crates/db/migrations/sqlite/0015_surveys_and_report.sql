-- 满意度调查, the 自评报告 and the indicator templates (issue #13).

-- The indicator tree a region scores a year by (its finance bureau's notice), when it is not
-- the national default: weights, rules, grades and the document basis, as one checked text.
CREATE TABLE evaluation_templates (
    id           INTEGER PRIMARY KEY NOT NULL,
    region_code  TEXT NOT NULL REFERENCES regions(code),
    year         BIGINT NOT NULL,
    template     TEXT NOT NULL,
    version      BIGINT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (region_code, year)
);

-- A survey is handed out on numbered slips; each slip's link carries its serial and a
-- signature under the survey's own key, so slips can be printed again at any time and no
-- token is stored. A serial answers once: the answers' unique key enforces it.

CREATE TABLE surveys (
    id             INTEGER PRIMARY KEY NOT NULL,
    region_code    TEXT NOT NULL REFERENCES regions(code),
    year           BIGINT NOT NULL,
    questionnaire  TEXT NOT NULL,
    opens_on       TEXT NOT NULL,
    closes_on      TEXT NOT NULL,
    link_key       TEXT NOT NULL,
    slips          BIGINT NOT NULL,
    closed_at      TEXT,
    version        BIGINT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX surveys_region_year ON surveys(region_code, year);

CREATE TABLE survey_answers (
    id           INTEGER PRIMARY KEY NOT NULL,
    survey_id    BIGINT NOT NULL REFERENCES surveys(id),
    serial       BIGINT NOT NULL,
    answer       TEXT NOT NULL,
    answered_at  TEXT NOT NULL,
    UNIQUE (survey_id, serial)
);

-- The report's own words (目标, 四's further text, 六, 七, the basis), kept until issued.
CREATE TABLE evaluation_report_texts (
    id           INTEGER PRIMARY KEY NOT NULL,
    region_code  TEXT NOT NULL REFERENCES regions(code),
    year         BIGINT NOT NULL,
    texts        TEXT NOT NULL,
    version      BIGINT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (region_code, year)
);

-- The issued report, frozen as composed: its figures never move afterwards.
CREATE TABLE evaluation_reports (
    id           INTEGER PRIMARY KEY NOT NULL,
    region_code  TEXT NOT NULL REFERENCES regions(code),
    year         BIGINT NOT NULL,
    seq          BIGINT NOT NULL,
    number       TEXT NOT NULL,
    content      TEXT NOT NULL,
    issued_on    TEXT NOT NULL,
    issued_by    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (region_code, year)
);
CREATE TRIGGER evaluation_reports_frozen_update BEFORE UPDATE ON evaluation_reports
BEGIN SELECT RAISE(ABORT, 'issued reports are frozen'); END;
CREATE TRIGGER evaluation_reports_frozen_delete BEFORE DELETE ON evaluation_reports
BEGIN SELECT RAISE(ABORT, 'issued reports are frozen'); END;
