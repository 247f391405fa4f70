-- The problem list (一单三制): meetings and patrols that feed it, items and their workflow
-- events, issued documents (frozen), the holiday calendar and supervision rules per region and
-- year, notifications with per-user reads, and the webhook outbox with its delivery log.

CREATE TABLE meetings (
    id               INTEGER PRIMARY KEY NOT NULL,
    region_code      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    held_on          TEXT NOT NULL,
    place            TEXT NOT NULL,
    chair_leader_id  BIGINT REFERENCES leaders(id),
    attending_units  TEXT NOT NULL,
    project_ids      TEXT NOT NULL,
    minutes          TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX meetings_region_day ON meetings(region_code, held_on);

CREATE TABLE patrols (
    id           INTEGER PRIMARY KEY NOT NULL,
    region_code  TEXT NOT NULL,
    patrol_on    TEXT NOT NULL,
    inspector    TEXT NOT NULL,
    project_ids  TEXT NOT NULL,
    findings     TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX patrols_region_day ON patrols(region_code, patrol_on);

CREATE TABLE problem_items (
    id                  INTEGER PRIMARY KEY NOT NULL,
    region_code         TEXT NOT NULL,
    year                BIGINT NOT NULL,
    seq                 BIGINT NOT NULL,
    number              TEXT NOT NULL,
    kind                TEXT NOT NULL,
    source              TEXT NOT NULL,
    category            TEXT NOT NULL,
    level               TEXT NOT NULL,
    project_id          BIGINT REFERENCES projects(id),
    title               TEXT NOT NULL,
    description         TEXT NOT NULL,
    raised_by           TEXT NOT NULL,
    raised_unit_id      BIGINT NOT NULL REFERENCES units(id),
    raised_on           TEXT NOT NULL,
    state               TEXT NOT NULL,
    extension_pending   BOOLEAN NOT NULL,
    verified            BOOLEAN NOT NULL,
    handler_unit_id     BIGINT REFERENCES units(id),
    -- ids as ",3,7," so that a unit's items are found with one LIKE on both engines
    assisting_unit_ids  TEXT NOT NULL,
    assigning_leader_id BIGINT REFERENCES leaders(id),
    assigned_on         TEXT,
    deadline            TEXT,
    day_count           TEXT NOT NULL,
    requested_deadline  TEXT,
    resolution          TEXT NOT NULL,
    closed_on           TEXT,
    -- days from assignment to closure, counted as the item's deadline is (for averages)
    close_days          BIGINT,
    alert               TEXT NOT NULL,
    yellow_reply_by     TEXT,
    interview           BOOLEAN NOT NULL,
    parent_id           BIGINT REFERENCES problem_items(id),
    meeting_id          BIGINT REFERENCES meetings(id),
    patrol_id           BIGINT REFERENCES patrols(id),
    report_month        TEXT,
    version             BIGINT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (region_code, year, seq)
);
CREATE INDEX problem_items_region_state ON problem_items(region_code, state);
CREATE INDEX problem_items_handler ON problem_items(handler_unit_id, state);
CREATE INDEX problem_items_raised_unit ON problem_items(raised_unit_id);
CREATE INDEX problem_items_project ON problem_items(project_id);
CREATE INDEX problem_items_meeting ON problem_items(meeting_id);
-- covers the statistics query: one pass over the index, never the table
CREATE INDEX problem_items_stats ON problem_items(region_code, handler_unit_id, source, category,
    assigning_leader_id, assigned_on, raised_on, state, deadline, closed_on, close_days, alert);

-- Files attached to an item (a reply's evidence, a resolution) or a patrol (site photos):
-- content-checked, stored in the object store under generated names.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY NOT NULL,
    owner_type   TEXT NOT NULL,
    owner_id     BIGINT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    object_key   TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX attachments_owner ON attachments(owner_type, owner_id);

CREATE TABLE problem_events (
    id            INTEGER PRIMARY KEY NOT NULL,
    item_id       BIGINT NOT NULL REFERENCES problem_items(id),
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    actor_unit_id BIGINT NOT NULL,
    step          TEXT NOT NULL,
    note          TEXT NOT NULL,
    from_state    TEXT NOT NULL,
    to_state      TEXT NOT NULL,
    deadline      TEXT
);
CREATE INDEX problem_events_item ON problem_events(item_id, id);

-- Issued documents never change: 交办单, 督办函 and 会议纪要 keep the content they were issued with.
CREATE TABLE documents (
    id                INTEGER PRIMARY KEY NOT NULL,
    region_code       TEXT NOT NULL,
    kind              TEXT NOT NULL,
    series            TEXT NOT NULL,
    year              BIGINT NOT NULL,
    seq               BIGINT NOT NULL,
    number            TEXT NOT NULL,
    item_id           BIGINT REFERENCES problem_items(id),
    meeting_id        BIGINT REFERENCES meetings(id),
    recipient_unit_id BIGINT REFERENCES units(id),
    title             TEXT NOT NULL,
    content           TEXT NOT NULL,
    reply_by          TEXT,
    issued_on         TEXT NOT NULL,
    issued_by         TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    UNIQUE (region_code, series, year, seq)
);
-- one document of each kind per item: a second supervision run cannot issue a letter twice
CREATE UNIQUE INDEX documents_item_kind ON documents(item_id, kind) WHERE item_id IS NOT NULL;
CREATE INDEX documents_recipient ON documents(recipient_unit_id, id);
CREATE TRIGGER documents_frozen_update BEFORE UPDATE ON documents
BEGIN SELECT RAISE(ABORT, 'issued documents are frozen'); END;
CREATE TRIGGER documents_frozen_delete BEFORE DELETE ON documents
BEGIN SELECT RAISE(ABORT, 'issued documents are frozen'); END;

CREATE TABLE holidays (
    region_code TEXT NOT NULL,
    day         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (region_code, day)
);

CREATE TABLE supervision_rules (
    region_code TEXT NOT NULL,
    year        BIGINT NOT NULL,
    rules       TEXT NOT NULL,
    version     BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (region_code, year)
);

CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY NOT NULL,
    region_code TEXT NOT NULL,
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    kind        TEXT NOT NULL,
    item_id     BIGINT REFERENCES problem_items(id),
    document_id BIGINT REFERENCES documents(id),
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX notifications_unit ON notifications(unit_id, id);

CREATE TABLE notification_reads (
    notification_id BIGINT NOT NULL REFERENCES notifications(id),
    user_id         BIGINT NOT NULL REFERENCES users(id),
    read_at         TEXT NOT NULL,
    PRIMARY KEY (notification_id, user_id)
);

CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY NOT NULL,
    notification_id BIGINT NOT NULL REFERENCES notifications(id),
    payload         TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(delivered_at, next_attempt_at);

CREATE TABLE webhook_attempts (
    id        INTEGER PRIMARY KEY NOT NULL,
    outbox_id BIGINT NOT NULL REFERENCES webhook_outbox(id),
    at        TEXT NOT NULL,
    status    BIGINT,
    error     TEXT NOT NULL
);
CREATE INDEX webhook_attempts_outbox ON webhook_attempts(outbox_id);

-- Daily jobs: the first instance to claim the day runs the job.
CREATE TABLE job_runs (
    name     TEXT PRIMARY KEY NOT NULL,
    last_day TEXT NOT NULL,
    run_at   TEXT NOT NULL
);
