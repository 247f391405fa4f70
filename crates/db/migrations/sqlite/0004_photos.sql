-- Site photos of monthly reports: re-encoded images in the object store, addressed by
-- generated keys (never the uploaded file name).
CREATE TABLE report_photos (
    id          INTEGER PRIMARY KEY NOT NULL,
    project_id  BIGINT NOT NULL REFERENCES projects(id),
    month       TEXT NOT NULL,
    object_key  TEXT NOT NULL,
    thumb_key   TEXT NOT NULL,
    width       BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX report_photos_project_month ON report_photos(project_id, month);
