//! 《重点项目建设简报》: drafts as composed, issued briefings frozen with their snapshot.

use crate::decode::{self, day};
use crate::{DbError, Tx, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::briefing::{BriefingState, Content, HeadDraft, Section, TaskDraft};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct BriefingRow {
    pub id: i64,
    pub region_code: RegionCode,
    pub year: i32,
    /// 第N期, once issued.
    pub seq: Option<i64>,
    pub state: BriefingState,
    pub head: HeadDraft,
    pub sections: Vec<Section>,
    pub tasks: Vec<TaskDraft>,
    /// The snapshot taken when issued (empty for a draft).
    pub content: Content,
    pub issued_on: Option<NaiveDate>,
    pub issued_by: String,
    pub created_by: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct BriefingRaw {
    id: i64,
    region_code: String,
    year: i64,
    seq: Option<i64>,
    state: String,
    title: String,
    editor: String,
    signer: String,
    send_to: String,
    copy_to: String,
    sections: String,
    tasks: String,
    content: String,
    issued_on: Option<String>,
    issued_by: String,
    created_by: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn json<T: serde::de::DeserializeOwned>(column: &'static str, s: &str) -> Result<T, DbError> {
    serde_json::from_str(s).map_err(|_| DbError::Decode(column, s.chars().take(80).collect()))
}

impl TryFrom<BriefingRaw> for BriefingRow {
    type Error = DbError;
    fn try_from(r: BriefingRaw) -> Result<BriefingRow, DbError> {
        Ok(BriefingRow {
            id: r.id,
            region_code: decode::region("briefings.region_code", &r.region_code)?,
            year: r.year as i32,
            seq: r.seq,
            state: decode::key("briefings.state", &r.state, BriefingState::from_key)?,
            head: HeadDraft {
                title: r.title,
                editor: r.editor,
                signer: r.signer,
                send_to: r.send_to,
                copy_to: r.copy_to,
            },
            sections: json("briefings.sections", &r.sections)?,
            tasks: json("briefings.tasks", &r.tasks)?,
            content: if r.content.is_empty() {
                Content::default()
            } else {
                json("briefings.content", &r.content)?
            },
            issued_on: decode::opt_date("briefings.issued_on", r.issued_on)?,
            issued_by: r.issued_by,
            created_by: r.created_by,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const SELECT: &str = "SELECT id, region_code, year, seq, state, title, editor, signer, send_to, copy_to,
    sections, tasks, content, issued_on, issued_by, created_by, version, created_at, updated_at FROM briefings";

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// What a draft holds as composed.
pub struct Draft<'a> {
    pub head: &'a HeadDraft,
    pub sections: &'a [Section],
    pub tasks: &'a [TaskDraft],
}

/// A new draft.
pub async fn insert_draft(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    d: &Draft<'_>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let (head, sections, tasks) = (d.head, d.sections, d.tasks);
    const SQL: &str = "INSERT INTO briefings (region_code, year, seq, state, title, editor, signer, send_to, copy_to,
        sections, tasks, content, issued_on, issued_by, created_by, version, created_at, updated_at)
        VALUES ($1, $2, NULL, 'draft', $3, $4, $5, $6, $7, $8, $9, '', NULL, '', $10, 1, $11, $11) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region.as_str())
        .bind(year as i64)
        .bind(&head.title)
        .bind(&head.editor)
        .bind(&head.signer)
        .bind(&head.send_to)
        .bind(&head.copy_to)
        .bind(to_json(&sections))
        .bind(to_json(&tasks))
        .bind(by)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

/// Changes a draft still at `version`: false when it was changed or issued meanwhile.
pub async fn update_draft(
    tx: &mut Tx,
    id: i64,
    version: i64,
    d: &Draft<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let (head, sections, tasks) = (d.head, d.sections, d.tasks);
    const SQL: &str =
        "UPDATE briefings SET title = $1, editor = $2, signer = $3, send_to = $4, copy_to = $5,
        sections = $6, tasks = $7, version = version + 1, updated_at = $8
        WHERE id = $9 AND version = $10 AND state = 'draft'";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(&head.title)
        .bind(&head.editor)
        .bind(&head.signer)
        .bind(&head.send_to)
        .bind(&head.copy_to)
        .bind(to_json(&sections))
        .bind(to_json(&tasks))
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(n == 1)
}

/// The next 期号 of a region's year.
pub async fn next_seq(tx: &mut Tx, region: &RegionCode, year: i32) -> Result<i64, DbError> {
    const SQL: &str = "SELECT seq FROM briefings WHERE region_code = $1 AND year = $2 AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region.as_str())
        .bind(year as i64)
        .fetch_optional(c)
        .await)?
    .unwrap_or(0)
        + 1)
}

/// Issues a draft still at `version` with its number and snapshot: false when it was changed
/// or issued meanwhile. After this the row is frozen (the database refuses changes).
/// What issuing writes: the 期号, the snapshot, the day and who.
pub struct Issue<'a> {
    pub seq: i64,
    pub content: &'a Content,
    pub on: NaiveDate,
    pub by: &'a str,
}

pub async fn issue(
    tx: &mut Tx,
    id: i64,
    version: i64,
    i: &Issue<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let (seq, content, on, by) = (i.seq, i.content, i.on, i.by);
    const SQL: &str = "UPDATE briefings SET state = 'issued', seq = $1, content = $2, issued_on = $3, issued_by = $4,
        version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7 AND state = 'draft'";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(seq)
        .bind(to_json(content))
        .bind(day(on))
        .bind(by)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))
    // another issue took the number meanwhile (PostgreSQL, several instances)
    .map_err(|e| DbError::from(e).on_duplicate("另一期简报刚刚以同一期号印发，请重试"))?;
    Ok(n == 1)
}

/// Discards a draft (an issued briefing cannot be deleted).
pub async fn delete_draft(tx: &mut Tx, id: i64, version: i64) -> Result<bool, DbError> {
    const SQL: &str = "DELETE FROM briefings WHERE id = $1 AND version = $2 AND state = 'draft'";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(n == 1)
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<BriefingRow>, DbError> {
    let sql = format!("{SELECT} WHERE id = $1");
    run!(tx, |c| sqlx::query_as::<_, BriefingRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(c)
    .await)?
    .map(BriefingRow::try_from)
    .transpose()
}

/// A region's briefings of a year: issued in 期号 order, then drafts newest first.
pub async fn of_year(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<BriefingRow>, DbError> {
    let sql = format!(
        "{SELECT} WHERE region_code = $1 AND year = $2
         ORDER BY CASE WHEN seq IS NULL THEN 1 ELSE 0 END, seq DESC, id DESC"
    );
    run!(tx, |c| sqlx::query_as::<_, BriefingRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(region.as_str())
    .bind(year as i64)
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(BriefingRow::try_from)
    .collect()
}

/// Briefings issued in a region's year and the tasks they assigned (`report annual`).
pub async fn issued_counts(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<(i64, i64), DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT COUNT(*) FROM briefings WHERE region_code >= $1 AND region_code < $2 AND year = $3 AND state = 'issued'";
    let n = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(year as i64)
        .fetch_one(c)
        .await)?;
    const TASKS: &str = "SELECT COUNT(*) FROM problem_items i JOIN briefings b ON b.id = i.briefing_id
        WHERE b.region_code >= $1 AND b.region_code < $2 AND b.year = $3 AND i.state <> 'withdrawn'";
    let t = run!(tx, |c| sqlx::query_scalar::<_, i64>(TASKS)
        .bind(&lo)
        .bind(&hi)
        .bind(year as i64)
        .fetch_one(c)
        .await)?;
    Ok((n, t))
}
