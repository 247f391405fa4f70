-- Monthly dispatch: annual plans, milestones, monthly reports with revisions, colour rules,
-- exemptions and published colour tables. Keep in step with ../postgres/0003_dispatch.sql.

CREATE TABLE plan_years (
    region_code TEXT NOT NULL REFERENCES regions(code),
    year        BIGINT NOT NULL,
    frozen_at   TEXT,
    frozen_by   TEXT NOT NULL,
    version     BIGINT NOT NULL,
    PRIMARY KEY (region_code, year)
);

CREATE TABLE plans (
    id              INTEGER PRIMARY KEY NOT NULL,
    project_id      BIGINT NOT NULL REFERENCES projects(id),
    year            BIGINT NOT NULL,
    category        TEXT NOT NULL,
    annual_plan_fen BIGINT NOT NULL,
    targets         TEXT NOT NULL,
    monthly_fen     TEXT NOT NULL,
    version         BIGINT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (project_id, year)
);
CREATE INDEX plans_year ON plans(year);

-- Changes to a frozen (adopted) plan: old and new values with the reason.
CREATE TABLE plan_revisions (
    id          INTEGER PRIMARY KEY NOT NULL,
    plan_id     BIGINT NOT NULL REFERENCES plans(id),
    before_json TEXT NOT NULL,
    after_json  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    user_id     BIGINT,
    username    TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX plan_revisions_plan ON plan_revisions(plan_id);

CREATE TABLE plan_milestones (
    id            INTEGER PRIMARY KEY NOT NULL,
    plan_id       BIGINT NOT NULL REFERENCES plans(id),
    name          TEXT NOT NULL,
    planned_month TEXT NOT NULL,
    actual_month  TEXT,
    sort_order    BIGINT NOT NULL,
    version       BIGINT NOT NULL
);
CREATE INDEX plan_milestones_plan ON plan_milestones(plan_id);

CREATE TABLE monthly_reports (
    id                   INTEGER PRIMARY KEY NOT NULL,
    project_id           BIGINT NOT NULL REFERENCES projects(id),
    month                TEXT NOT NULL,
    status               TEXT NOT NULL,
    month_investment_fen BIGINT NOT NULL,
    progress             TEXT NOT NULL,
    next_plan            TEXT NOT NULL,
    problems             TEXT NOT NULL,
    first_submitted_on   TEXT NOT NULL,
    submitted_by         TEXT NOT NULL,
    submitted_at         TEXT NOT NULL,
    reviewed_by          TEXT,
    reviewed_at          TEXT,
    return_reason        TEXT NOT NULL,
    revision             BIGINT NOT NULL,
    version              BIGINT NOT NULL,
    UNIQUE (project_id, month)
);
CREATE INDEX monthly_reports_month ON monthly_reports(month, status);

-- Every earlier state of an approved report that was corrected, with the reason.
CREATE TABLE report_revisions (
    id                   INTEGER PRIMARY KEY NOT NULL,
    report_id            BIGINT NOT NULL REFERENCES monthly_reports(id),
    revision             BIGINT NOT NULL,
    month_investment_fen BIGINT NOT NULL,
    progress             TEXT NOT NULL,
    next_plan            TEXT NOT NULL,
    problems             TEXT NOT NULL,
    reason               TEXT NOT NULL,
    user_id              BIGINT,
    username             TEXT NOT NULL,
    at                   TEXT NOT NULL
);
CREATE INDEX report_revisions_report ON report_revisions(report_id);

CREATE TABLE colour_rules (
    id          INTEGER PRIMARY KEY NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    year        BIGINT NOT NULL,
    version_no  BIGINT NOT NULL,
    rules_json  TEXT NOT NULL,
    deadline_day BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    username    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (region_code, year, version_no)
);

CREATE TABLE colour_exemptions (
    id         INTEGER PRIMARY KEY NOT NULL,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    month      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    username   TEXT NOT NULL,
    at         TEXT NOT NULL,
    UNIQUE (project_id, month)
);

CREATE TABLE colour_issues (
    id                INTEGER PRIMARY KEY NOT NULL,
    region_code       TEXT NOT NULL REFERENCES regions(code),
    year              BIGINT NOT NULL,
    number            BIGINT NOT NULL,
    as_of_month       TEXT NOT NULL,
    rules_id          BIGINT NOT NULL REFERENCES colour_rules(id),
    corrects_issue_id BIGINT REFERENCES colour_issues(id),
    note              TEXT NOT NULL,
    published_by      TEXT NOT NULL,
    published_at      TEXT NOT NULL,
    UNIQUE (region_code, year, number)
);

-- The frozen rows of a published issue: what was shown, never recomputed.
CREATE TABLE colour_issue_rows (
    id                   INTEGER PRIMARY KEY NOT NULL,
    issue_id             BIGINT NOT NULL REFERENCES colour_issues(id),
    seq                  BIGINT NOT NULL,
    project_id           BIGINT NOT NULL REFERENCES projects(id),
    category             TEXT NOT NULL,
    level                TEXT NOT NULL,
    name                 TEXT NOT NULL,
    content_scale        TEXT NOT NULL,
    total_investment_fen BIGINT NOT NULL,
    annual_plan_fen      BIGINT NOT NULL,
    completed_ytd_fen    BIGINT NOT NULL,
    completion_bp        BIGINT,
    baseline_bp          BIGINT NOT NULL,
    progress             TEXT NOT NULL,
    leader_name          TEXT NOT NULL,
    lead_unit_name       TEXT NOT NULL,
    responsible_units    TEXT NOT NULL,
    colour               TEXT NOT NULL,
    reasons              TEXT NOT NULL
);
CREATE INDEX colour_issue_rows_issue ON colour_issue_rows(issue_id);

CREATE TRIGGER colour_issue_rows_frozen_update BEFORE UPDATE ON colour_issue_rows
BEGIN SELECT RAISE(ABORT, 'published colour tables are frozen'); END;
CREATE TRIGGER colour_issue_rows_frozen_delete BEFORE DELETE ON colour_issue_rows
BEGIN SELECT RAISE(ABORT, 'published colour tables are frozen'); END;
CREATE TRIGGER colour_issues_frozen_update BEFORE UPDATE ON colour_issues
BEGIN SELECT RAISE(ABORT, 'published colour tables are frozen'); END;
CREATE TRIGGER colour_issues_frozen_delete BEFORE DELETE ON colour_issues
BEGIN SELECT RAISE(ABORT, 'published colour tables are frozen'); END;
