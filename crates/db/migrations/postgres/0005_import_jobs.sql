-- Workbook imports run as jobs so that any instance can show their progress and result.
CREATE TABLE import_jobs (
    id          TEXT PRIMARY KEY NOT NULL,
    region_code TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    phase       TEXT NOT NULL,
    done        BIGINT NOT NULL,
    total       BIGINT NOT NULL,
    outcome     TEXT,
    result      TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX import_jobs_created_by ON import_jobs(created_by, created_at);
