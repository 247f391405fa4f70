-- 部门整体支出绩效自评 (issue #13): the department's ledger of a year (决算 figures and the items
-- answered rather than computed) as one checked document; every change is a new version with
-- its audit row.

CREATE TABLE evaluation_ledgers (
    id           INTEGER PRIMARY KEY NOT NULL,
    region_code  TEXT NOT NULL REFERENCES regions(code),
    year         BIGINT NOT NULL,
    ledger       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    updated_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (region_code, year)
);
