-- 帮代办 (issue #11): a region's catalogue of approval items with the competent department and
-- the promised limit, the items run on each project's behalf with their log, and the support
-- measures (帮扶措施) for operating projects (后扶).

CREATE TABLE approval_catalogue (
    id          INTEGER PRIMARY KEY NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    name        TEXT NOT NULL,
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    limit_days  BIGINT NOT NULL,
    day_count   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    retired     BOOLEAN NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX approval_catalogue_region ON approval_catalogue(region_code, seq);

CREATE TABLE approval_items (
    id              INTEGER PRIMARY KEY NOT NULL,
    region_code     TEXT NOT NULL REFERENCES regions(code),
    project_id      BIGINT NOT NULL REFERENCES projects(id),
    catalogue_id    BIGINT REFERENCES approval_catalogue(id),
    name            TEXT NOT NULL,
    unit_id         BIGINT NOT NULL REFERENCES units(id),
    limit_days      BIGINT NOT NULL,
    day_count       TEXT NOT NULL,
    agent           TEXT NOT NULL,
    state           TEXT NOT NULL,
    received_on     TEXT,
    accepted_on     TEXT,
    completed_on    TEXT,
    pauses          TEXT NOT NULL,
    approval_no     TEXT,
    note            TEXT NOT NULL,
    problem_item_id BIGINT UNIQUE REFERENCES problem_items(id),
    version         BIGINT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX approval_items_region_state ON approval_items(region_code, state);
CREATE INDEX approval_items_project ON approval_items(project_id);
CREATE INDEX approval_items_unit ON approval_items(unit_id, state);

CREATE TABLE approval_events (
    id            INTEGER PRIMARY KEY NOT NULL,
    item_id       BIGINT NOT NULL REFERENCES approval_items(id),
    step          TEXT NOT NULL,
    on_day        TEXT NOT NULL,
    from_state    TEXT NOT NULL,
    to_state      TEXT NOT NULL,
    note          TEXT NOT NULL,
    approval_no   TEXT,
    actor         TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX approval_events_item ON approval_events(item_id, id);

CREATE TABLE support_measures (
    id          INTEGER PRIMARY KEY NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    project_id  BIGINT NOT NULL REFERENCES projects(id),
    text        TEXT NOT NULL,
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    measure_on  TEXT NOT NULL,
    actor       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX support_measures_project ON support_measures(project_id, measure_on);
CREATE INDEX support_measures_region ON support_measures(region_code, measure_on);
