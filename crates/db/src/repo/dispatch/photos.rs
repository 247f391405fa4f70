//! Site photos of a monthly report (the bytes are in the object store under generated keys).

use crate::decode::month;
use crate::{DbError, Tx, run};
use chrono::{DateTime, Utc};
use keyproj_domain::ReportMonth;
use keyproj_domain::ids::{PhotoId, ProjectId};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct PhotoRow {
    pub id: PhotoId,
    pub project_id: ProjectId,
    pub month: ReportMonth,
    pub object_key: String,
    pub thumb_key: String,
    pub width: i64,
    pub height: i64,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PhotoRaw {
    id: i64,
    project_id: i64,
    month: String,
    object_key: String,
    thumb_key: String,
    width: i64,
    height: i64,
    size_bytes: i64,
    uploaded_by: String,
    at: DateTime<Utc>,
}

impl TryFrom<PhotoRaw> for PhotoRow {
    type Error = DbError;
    fn try_from(r: PhotoRaw) -> Result<PhotoRow, DbError> {
        Ok(PhotoRow {
            id: PhotoId(r.id),
            project_id: ProjectId(r.project_id),
            month: month("report_photos.month", &r.month)?,
            object_key: r.object_key,
            thumb_key: r.thumb_key,
            width: r.width,
            height: r.height,
            size_bytes: r.size_bytes,
            uploaded_by: r.uploaded_by,
            at: r.at,
        })
    }
}

const PHOTO_COLS: &str =
    "id, project_id, month, object_key, thumb_key, width, height, size_bytes, uploaded_by, at";

/// A photo as stored: generated object keys, its size, and the SHA-256 of the uploaded bytes.
pub struct NewPhoto<'a> {
    pub project_id: ProjectId,
    pub month: ReportMonth,
    pub object_key: &'a str,
    pub thumb_key: &'a str,
    pub width: i64,
    pub height: i64,
    pub size_bytes: i64,
    pub uploaded_by: &'a str,
    pub content_hash: &'a str,
}

pub async fn insert_photo(
    tx: &mut Tx,
    p: &NewPhoto<'_>,
    now: DateTime<Utc>,
) -> Result<PhotoId, DbError> {
    const SQL: &str = "INSERT INTO report_photos (project_id, month, object_key, thumb_key, width, height, size_bytes, uploaded_by, at, content_hash)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(p.project_id.get())
        .bind(p.month.to_string())
        .bind(p.object_key)
        .bind(p.thumb_key)
        .bind(p.width)
        .bind(p.height)
        .bind(p.size_bytes)
        .bind(p.uploaded_by)
        .bind(now)
        .bind(p.content_hash)
        .fetch_one(c)
        .await)
    .map(PhotoId)
    .map_err(|e| DbError::from(e).on_duplicate("这张照片已经上传过了"))
}

/// Whether the same picture (by the hash of its uploaded bytes) is already on the month.
pub async fn photo_exists(
    tx: &mut Tx,
    project_id: ProjectId,
    m: ReportMonth,
    content_hash: &str,
) -> Result<bool, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM report_photos WHERE project_id = $1 AND month = $2 AND content_hash = $3";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(project_id.get())
        .bind(m.to_string())
        .bind(content_hash)
        .fetch_one(c)
        .await)?
        > 0)
}

pub async fn photos_of(
    tx: &mut Tx,
    project_id: ProjectId,
    m: ReportMonth,
) -> Result<Vec<PhotoRow>, DbError> {
    let sql = format!(
        "SELECT {PHOTO_COLS} FROM report_photos WHERE project_id = $1 AND month = $2 ORDER BY id"
    );
    run!(tx, |c| sqlx::query_as::<_, PhotoRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(project_id.get())
    .bind(m.to_string())
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(PhotoRow::try_from)
    .collect()
}

/// Removes a photo's row (its files are removed by the caller once this has committed).
pub async fn delete_photo(tx: &mut Tx, id: PhotoId) -> Result<u64, DbError> {
    const SQL: &str = "DELETE FROM report_photos WHERE id = $1";
    Ok(run!(tx, |c| sqlx::query(SQL)
        .bind(id.get())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?)
}

pub async fn get_photo(tx: &mut Tx, id: PhotoId) -> Result<Option<PhotoRow>, DbError> {
    let sql = format!("SELECT {PHOTO_COLS} FROM report_photos WHERE id = $1");
    run!(tx, |c| sqlx::query_as::<_, PhotoRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(PhotoRow::try_from)
    .transpose()
}
