//! Issued documents (交办单, 督办函, 会议纪要): numbered in their series and frozen once issued
//! (a trigger refuses any later change, on both engines).

use crate::decode::{self, day, opt_day};
use crate::{DbError, Tx, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::ids::{DocumentId, ItemId, MeetingId, UnitId};
use keyproj_domain::problem::DocumentKind;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DocumentRow {
    pub id: DocumentId,
    pub region_code: RegionCode,
    pub kind: DocumentKind,
    pub year: i32,
    pub seq: i64,
    pub number: String,
    pub item_id: Option<ItemId>,
    pub meeting_id: Option<MeetingId>,
    pub recipient_unit_id: Option<UnitId>,
    pub title: String,
    /// The frozen content (JSON the service reads).
    pub content: String,
    pub reply_by: Option<NaiveDate>,
    pub issued_on: NaiveDate,
    pub issued_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct DocumentRaw {
    id: i64,
    region_code: String,
    kind: String,
    year: i64,
    seq: i64,
    number: String,
    item_id: Option<i64>,
    meeting_id: Option<i64>,
    recipient_unit_id: Option<i64>,
    title: String,
    content: String,
    reply_by: Option<String>,
    issued_on: String,
    issued_by: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<DocumentRaw> for DocumentRow {
    type Error = DbError;
    fn try_from(r: DocumentRaw) -> Result<DocumentRow, DbError> {
        Ok(DocumentRow {
            id: DocumentId(r.id),
            region_code: decode::region("documents.region_code", &r.region_code)?,
            kind: decode::key("documents.kind", &r.kind, DocumentKind::from_key)?,
            year: r.year as i32,
            seq: r.seq,
            number: r.number,
            item_id: r.item_id.map(ItemId),
            meeting_id: r.meeting_id.map(MeetingId),
            recipient_unit_id: r.recipient_unit_id.map(UnitId),
            title: r.title,
            content: r.content,
            reply_by: decode::opt_date("documents.reply_by", r.reply_by)?,
            issued_on: decode::date("documents.issued_on", &r.issued_on)?,
            issued_by: r.issued_by,
            created_at: r.created_at,
        })
    }
}

const DOC_COLS: &str = "id, region_code, kind, year, seq, number, item_id, meeting_id, recipient_unit_id, title, content, reply_by, issued_on, issued_by, created_at";

#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub region_code: &'a RegionCode,
    pub kind: DocumentKind,
    pub year: i32,
    /// The number's prefix (e.g. 桃重项督); the sequence is the series' next in the year.
    pub prefix: &'a str,
    /// A number given from outside the series (a 交办单 carries its item's number).
    pub fixed_number: Option<(&'a str, i64)>,
    pub item_id: Option<ItemId>,
    pub meeting_id: Option<MeetingId>,
    pub recipient_unit_id: Option<UnitId>,
    pub title: &'a str,
    pub content: &'a str,
    pub reply_by: Option<NaiveDate>,
    pub issued_on: NaiveDate,
    pub issued_by: &'a str,
    /// For a letter, the deadline it was issued against: one letter of a kind per item and
    /// deadline (a unique index).
    pub for_deadline: Option<NaiveDate>,
}

/// Issues a document: it gets its number and is frozen from then on. Returns (id, number).
pub async fn insert_document(
    tx: &mut Tx,
    d: &NewDocument<'_>,
    now: DateTime<Utc>,
) -> Result<(DocumentId, String), DbError> {
    let series = d.kind.series();
    let (number, seq) = match d.fixed_number {
        Some((n, s)) => (n.to_string(), s),
        None => {
            const SEQ: &str = "SELECT seq FROM documents WHERE region_code = $1 AND series = $2 AND year = $3 ORDER BY seq DESC LIMIT 1";
            let seq = run!(tx, |c| sqlx::query_scalar::<_, i64>(SEQ)
                .bind(d.region_code.as_str())
                .bind(series)
                .bind(d.year as i64)
                .fetch_optional(c)
                .await)?
            .unwrap_or(0)
                + 1;
            (
                keyproj_domain::problem::document_number(d.prefix, d.year, seq),
                seq,
            )
        }
    };
    const SQL: &str = "INSERT INTO documents (region_code, kind, series, year, seq, number, item_id, meeting_id, recipient_unit_id,
        title, content, reply_by, issued_on, issued_by, created_at, for_deadline)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(d.region_code.as_str())
        .bind(d.kind.key())
        .bind(series)
        .bind(d.year as i64)
        .bind(seq)
        .bind(&number)
        .bind(d.item_id.map(|i| i.get()))
        .bind(d.meeting_id.map(|m| m.get()))
        .bind(d.recipient_unit_id.map(|u| u.get()))
        .bind(d.title)
        .bind(d.content)
        .bind(opt_day(d.reply_by))
        .bind(day(d.issued_on))
        .bind(d.issued_by)
        .bind(now)
        .bind(opt_day(d.for_deadline).unwrap_or_default())
        .fetch_one(c)
        .await)?;
    Ok((DocumentId(id), number))
}

async fn select(tx: &mut Tx, filter: &str, id: i64) -> Result<Vec<DocumentRow>, DbError> {
    let sql = format!("SELECT {DOC_COLS} FROM documents WHERE {filter} = $1 ORDER BY id");
    run!(tx, |c| sqlx::query_as::<_, DocumentRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(DocumentRow::try_from)
    .collect()
}

pub async fn get_document(tx: &mut Tx, id: DocumentId) -> Result<Option<DocumentRow>, DbError> {
    Ok(select(tx, "id", id.get()).await?.pop())
}

pub async fn documents_of_item(tx: &mut Tx, item_id: ItemId) -> Result<Vec<DocumentRow>, DbError> {
    select(tx, "item_id", item_id.get()).await
}

pub async fn documents_of_meeting(
    tx: &mut Tx,
    meeting_id: MeetingId,
) -> Result<Vec<DocumentRow>, DbError> {
    select(tx, "meeting_id", meeting_id.get()).await
}
