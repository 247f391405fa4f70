//! Files attached to records (the bytes live in the object store under `object_key`).

use crate::{DbError, Tx, run};
use chrono::{DateTime, Utc};
use keyproj_domain::attachment::Owner;
use keyproj_domain::ids::AttachmentId;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentRow {
    pub id: AttachmentId,
    pub owner: Owner,
    pub file_name: String,
    pub content_type: String,
    pub object_key: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AttachmentRaw {
    id: i64,
    owner_type: String,
    owner_id: i64,
    file_name: String,
    content_type: String,
    object_key: String,
    size_bytes: i64,
    uploaded_by: String,
    at: DateTime<Utc>,
}

impl TryFrom<AttachmentRaw> for AttachmentRow {
    type Error = DbError;
    fn try_from(r: AttachmentRaw) -> Result<AttachmentRow, DbError> {
        Ok(AttachmentRow {
            id: AttachmentId(r.id),
            owner: Owner::from_parts(&r.owner_type, r.owner_id)
                .ok_or(DbError::Decode("attachments.owner_type", r.owner_type))?,
            file_name: r.file_name,
            content_type: r.content_type,
            object_key: r.object_key,
            size_bytes: r.size_bytes,
            uploaded_by: r.uploaded_by,
            at: r.at,
        })
    }
}

const ATTACHMENT_COLS: &str =
    "id, owner_type, owner_id, file_name, content_type, object_key, size_bytes, uploaded_by, at";

/// A stored file as recorded.
#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    pub owner: Owner,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub object_key: &'a str,
    pub size_bytes: i64,
    pub uploaded_by: &'a str,
}

pub async fn insert_attachment(
    tx: &mut Tx,
    a: &NewAttachment<'_>,
    now: DateTime<Utc>,
) -> Result<AttachmentId, DbError> {
    const SQL: &str = "INSERT INTO attachments (owner_type, owner_id, file_name, content_type, object_key, size_bytes, uploaded_by, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    let (owner_type, owner_id) = a.owner.parts();
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(owner_type)
        .bind(owner_id)
        .bind(a.file_name)
        .bind(a.content_type)
        .bind(a.object_key)
        .bind(a.size_bytes)
        .bind(a.uploaded_by)
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok(AttachmentId(id))
}

pub async fn attachments_of(tx: &mut Tx, owner: Owner) -> Result<Vec<AttachmentRow>, DbError> {
    let sql = format!(
        "SELECT {ATTACHMENT_COLS} FROM attachments WHERE owner_type = $1 AND owner_id = $2 ORDER BY id"
    );
    let (owner_type, owner_id) = owner.parts();
    run!(tx, |c| sqlx::query_as::<_, AttachmentRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(owner_type)
    .bind(owner_id)
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(AttachmentRow::try_from)
    .collect()
}

pub async fn get_attachment(
    tx: &mut Tx,
    id: AttachmentId,
) -> Result<Option<AttachmentRow>, DbError> {
    let sql = format!("SELECT {ATTACHMENT_COLS} FROM attachments WHERE id = $1");
    run!(tx, |c| sqlx::query_as::<_, AttachmentRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(AttachmentRow::try_from)
    .transpose()
}
