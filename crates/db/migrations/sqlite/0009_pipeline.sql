-- The pipeline (issue #11): signing events (集中签约活动) and the projects signed at them or on
-- their own (签约项目). A signed project at or above the inclusion threshold is also a project of
-- the library (project_id), entered at stage 签约 in the same transaction.

CREATE TABLE signing_events (
    id          INTEGER PRIMARY KEY NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    name        TEXT NOT NULL,
    held_on     TEXT NOT NULL,
    place       TEXT NOT NULL,
    organiser   TEXT NOT NULL,
    level       TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX signing_events_region_day ON signing_events(region_code, held_on);

CREATE TABLE signed_projects (
    id                    INTEGER PRIMARY KEY NOT NULL,
    region_code           TEXT NOT NULL REFERENCES regions(code),
    event_id              BIGINT REFERENCES signing_events(id),
    name                  TEXT NOT NULL,
    investor              TEXT NOT NULL,
    investor_origin       TEXT NOT NULL,
    contract_no           TEXT NOT NULL,
    contract_on           TEXT NOT NULL,
    agreed_investment_fen BIGINT NOT NULL,
    industry              TEXT NOT NULL,
    expected_start        TEXT,
    project_id            BIGINT REFERENCES projects(id),
    version               BIGINT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    UNIQUE (region_code, contract_no)
);
CREATE INDEX signed_projects_event ON signed_projects(event_id);
CREATE INDEX signed_projects_project ON signed_projects(project_id);
