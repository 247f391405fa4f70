-- keyproj foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql:
-- same tables, columns and nullability (checked by the schema-parity test).

CREATE TABLE regions (
    code        TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    parent_code TEXT REFERENCES regions(code)
);

CREATE TABLE units (
    id          INTEGER PRIMARY KEY NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    contact     TEXT NOT NULL,
    phone       TEXT NOT NULL,
    sort_order  BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (region_code, name)
);

CREATE TABLE leaders (
    id          INTEGER PRIMARY KEY NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    name        TEXT NOT NULL,
    title       TEXT NOT NULL,
    phone       TEXT NOT NULL,
    sort_order  BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (region_code, name)
);

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY NOT NULL,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    unit_id              BIGINT NOT NULL REFERENCES units(id),
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    disabled             BOOLEAN NOT NULL,
    failed_logins        BIGINT NOT NULL,
    locked_until         TEXT,
    password_changed_at  TEXT NOT NULL,
    last_login_at        TEXT,
    version              BIGINT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users(id),
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY NOT NULL,
    at          TEXT NOT NULL,
    user_id     BIGINT,
    username    TEXT NOT NULL,
    unit_id     BIGINT,
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT,
    before_json TEXT,
    after_json  TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity_type, entity_id);
CREATE INDEX audit_user ON audit_log(user_id);
CREATE INDEX audit_at ON audit_log(at);

-- The audit trail is append-only: no UPDATE or DELETE, whoever asks.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE inclusion_thresholds (
    region_code TEXT NOT NULL REFERENCES regions(code),
    class       TEXT NOT NULL,
    min_fen     BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (region_code, class)
);

CREATE TABLE projects (
    id                   INTEGER PRIMARY KEY NOT NULL,
    region_code          TEXT NOT NULL REFERENCES regions(code),
    code                 TEXT,
    name                 TEXT NOT NULL,
    national_code        TEXT UNIQUE,
    level                TEXT NOT NULL,
    stage                TEXT NOT NULL,
    industry             TEXT NOT NULL,
    township_unit_id     BIGINT REFERENCES units(id),
    owner_unit_id        BIGINT REFERENCES units(id),
    content_scale        TEXT NOT NULL,
    total_investment_fen BIGINT NOT NULL,
    funding_sources      TEXT NOT NULL,
    planned_start        TEXT,
    planned_completion   TEXT,
    actual_start         TEXT,
    actual_completion    TEXT,
    leader_id            BIGINT REFERENCES leaders(id),
    lead_unit_id         BIGINT REFERENCES units(id),
    parent_id            BIGINT REFERENCES projects(id),
    location             TEXT NOT NULL,
    tags                 TEXT NOT NULL,
    below_threshold      BOOLEAN NOT NULL,
    version              BIGINT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (region_code, code)
);
CREATE INDEX projects_region_name ON projects(region_code, name);
CREATE INDEX projects_lead ON projects(lead_unit_id);
CREATE INDEX projects_owner ON projects(owner_unit_id);
CREATE INDEX projects_leader ON projects(leader_id);
CREATE INDEX projects_parent ON projects(parent_id);

CREATE TABLE project_units (
    project_id BIGINT NOT NULL REFERENCES projects(id),
    unit_id    BIGINT NOT NULL REFERENCES units(id),
    PRIMARY KEY (project_id, unit_id)
);
CREATE INDEX project_units_unit ON project_units(unit_id);

CREATE TABLE project_stage_changes (
    id         INTEGER PRIMARY KEY NOT NULL,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    from_stage TEXT,
    to_stage   TEXT NOT NULL,
    changed_on TEXT NOT NULL,
    reason     TEXT NOT NULL,
    user_id    BIGINT,
    username   TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX stage_changes_project ON project_stage_changes(project_id);
