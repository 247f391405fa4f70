-- Trust fixes before a pilot. Keep in step with ../postgres/0007_trust.sql.

-- Failed logins counted per client address, per typed name from an address, and per typed name
-- (unknown names are counted like real ones, so the answers never tell them apart).
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY NOT NULL,
    username     TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    window_start TEXT NOT NULL,
    locked_until TEXT,
    updated_at   TEXT NOT NULL
);
CREATE INDEX login_throttle_username ON login_throttle(username);

-- The head of the audit chain, kept outside the table it protects and signed with the audit
-- key: deleting the newest rows (even after dropping the triggers) no longer goes unnoticed.
CREATE TABLE audit_head (
    id         BIGINT PRIMARY KEY NOT NULL,
    last_id    BIGINT NOT NULL,
    last_hash  TEXT NOT NULL,
    row_count  BIGINT NOT NULL,
    signature  TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;

-- Signed checkpoints of the chain (every 1,000 rows and the first row of each day), append-only.
CREATE TABLE audit_checkpoints (
    id        INTEGER PRIMARY KEY NOT NULL,
    audit_id  BIGINT NOT NULL,
    hash      TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    at        TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;

-- An import job names the instance running it and beats while it runs, so a job whose
-- instance died is marked failed (at start-up and when its heartbeat is old).
ALTER TABLE import_jobs ADD COLUMN instance_id TEXT NOT NULL DEFAULT '';
ALTER TABLE import_jobs ADD COLUMN heartbeat_at TEXT;

-- A letter is issued once per item, kind and deadline: after an extension the ladder starts
-- again from the new deadline with new numbered letters.
ALTER TABLE documents ADD COLUMN for_deadline TEXT NOT NULL DEFAULT '';
DROP INDEX documents_item_kind;
CREATE UNIQUE INDEX documents_item_kind ON documents(item_id, kind, for_deadline) WHERE item_id IS NOT NULL;

-- A photo is stored once per project and month: reloading the page after an upload, or choosing
-- the same picture twice, does not add it again.
ALTER TABLE report_photos ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX report_photos_content ON report_photos(project_id, month, content_hash) WHERE content_hash <> '';
