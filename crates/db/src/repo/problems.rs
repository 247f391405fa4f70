//! The problem list: items and their events, issued documents, the holiday calendar,
//! supervision rules, meetings, patrols, notifications, the webhook outbox and daily job claims.
//! Dates are `YYYY-MM-DD` text on both engines (they compare as text).

use crate::{DbError, Param, Tx, Where, bind_params, run};
use chrono::{DateTime, Utc};
use keyproj_domain::RegionCode;
use serde::Serialize;

// --- items -------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ItemRow {
    pub id: i64,
    pub region_code: String,
    pub year: i64,
    pub seq: i64,
    pub number: String,
    pub kind: String,
    pub source: String,
    pub category: String,
    pub level: String,
    pub project_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub raised_by: String,
    pub raised_unit_id: i64,
    pub raised_on: String,
    pub state: String,
    pub extension_pending: bool,
    pub verified: bool,
    pub handler_unit_id: Option<i64>,
    pub assisting_unit_ids: String,
    pub assigning_leader_id: Option<i64>,
    pub assigned_on: Option<String>,
    pub deadline: Option<String>,
    pub day_count: String,
    pub requested_deadline: Option<String>,
    pub resolution: String,
    pub closed_on: Option<String>,
    pub close_days: Option<i64>,
    pub alert: String,
    pub yellow_reply_by: Option<String>,
    pub interview: bool,
    pub parent_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub patrol_id: Option<i64>,
    pub report_month: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    // joined names
    pub project_name: Option<String>,
    pub handler_unit_name: Option<String>,
    pub raised_unit_name: String,
    pub leader_name: Option<String>,
}

const ITEM_COLS: &str = "SELECT i.id, i.region_code, i.year, i.seq, i.number, i.kind, i.source, i.category, i.level, i.project_id,
    i.title, i.description, i.raised_by, i.raised_unit_id, i.raised_on, i.state, i.extension_pending, i.verified,
    i.handler_unit_id, i.assisting_unit_ids, i.assigning_leader_id, i.assigned_on, i.deadline, i.day_count,
    i.requested_deadline, i.resolution, i.closed_on, i.close_days, i.alert, i.yellow_reply_by, i.interview,
    i.parent_id, i.meeting_id, i.patrol_id, i.report_month, i.version, i.created_at, i.updated_at,
    p.name AS project_name, hu.name AS handler_unit_name, ru.name AS raised_unit_name, l.name AS leader_name";
const ITEM_JOINS: &str = " LEFT JOIN projects p ON p.id = i.project_id
    LEFT JOIN units hu ON hu.id = i.handler_unit_id
    JOIN units ru ON ru.id = i.raised_unit_id
    LEFT JOIN leaders l ON l.id = i.assigning_leader_id";

/// What a new item carries when it is registered.
#[derive(Debug, Clone)]
pub struct NewItem<'a> {
    pub region_code: &'a str,
    pub year: i64,
    pub number_prefix: &'a str,
    pub kind: &'a str,
    pub source: &'a str,
    pub category: &'a str,
    pub level: &'a str,
    pub project_id: Option<i64>,
    pub title: &'a str,
    pub description: &'a str,
    pub raised_by: &'a str,
    pub raised_unit_id: i64,
    pub raised_on: &'a str,
    pub day_count: &'a str,
    pub parent_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub patrol_id: Option<i64>,
    pub report_month: Option<&'a str>,
}

/// Registers an item with the next number of its region and year; returns (id, number).
pub async fn insert_item(
    tx: &mut Tx,
    n: &NewItem<'_>,
    now: DateTime<Utc>,
) -> Result<(i64, String), DbError> {
    // ORDER BY … LIMIT 1 walks the unique index from its end on both engines (MAX() with stale
    // statistics made PostgreSQL read every number of the year, for every new one)
    const SEQ: &str = "SELECT seq FROM problem_items WHERE region_code = $1 AND year = $2 ORDER BY seq DESC LIMIT 1";
    let seq = run!(tx, |c| sqlx::query_scalar::<_, i64>(SEQ)
        .bind(n.region_code)
        .bind(n.year)
        .fetch_optional(c)
        .await)?
    .unwrap_or(0)
        + 1;
    let number = keyproj_domain::problem::document_number(n.number_prefix, n.year as i32, seq);
    const SQL: &str = "INSERT INTO problem_items (region_code, year, seq, number, kind, source, category, level, project_id,
        title, description, raised_by, raised_unit_id, raised_on, state, extension_pending, verified, handler_unit_id,
        assisting_unit_ids, assigning_leader_id, assigned_on, deadline, day_count, requested_deadline, resolution,
        closed_on, close_days, alert, yellow_reply_by, interview, parent_id, meeting_id, patrol_id, report_month, version,
        created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'registered', FALSE, FALSE, NULL,
        '', NULL, NULL, NULL, $15, NULL, '', NULL, NULL, '', NULL, FALSE, $16, $17, $18, $19, 1, $20, $20) RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.region_code)
        .bind(n.year)
        .bind(seq)
        .bind(&number)
        .bind(n.kind)
        .bind(n.source)
        .bind(n.category)
        .bind(n.level)
        .bind(n.project_id)
        .bind(n.title)
        .bind(n.description)
        .bind(n.raised_by)
        .bind(n.raised_unit_id)
        .bind(n.raised_on)
        .bind(n.day_count)
        .bind(n.parent_id)
        .bind(n.meeting_id)
        .bind(n.patrol_id)
        .bind(n.report_month)
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok((id, number))
}

pub async fn get_item(tx: &mut Tx, id: i64) -> Result<Option<ItemRow>, DbError> {
    let sql = format!("{ITEM_COLS} FROM problem_items i{ITEM_JOINS} WHERE i.id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, ItemRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

/// Writes the workflow fields of an item if nobody changed it since `row.version` was read;
/// returns false on a stale version. Supervision fields are left alone (see `set_alert`).
pub async fn update_workflow(
    tx: &mut Tx,
    row: &ItemRow,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE problem_items SET state = $3, extension_pending = $4, verified = $5, handler_unit_id = $6,
        assisting_unit_ids = $7, assigning_leader_id = $8, assigned_on = $9, deadline = $10, requested_deadline = $11,
        resolution = $12, closed_on = $13, close_days = $14, day_count = $15, version = version + 1, updated_at = $16
        WHERE id = $1 AND version = $2";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(row.id)
        .bind(row.version)
        .bind(&row.state)
        .bind(row.extension_pending)
        .bind(row.verified)
        .bind(row.handler_unit_id)
        .bind(&row.assisting_unit_ids)
        .bind(row.assigning_leader_id)
        .bind(&row.assigned_on)
        .bind(&row.deadline)
        .bind(&row.requested_deadline)
        .bind(&row.resolution)
        .bind(&row.closed_on)
        .bind(row.close_days)
        .bind(&row.day_count)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records a supervision step (the alert level, a 黄 letter's reply date, the 约谈 flag). A new
/// deadline (granted extension) clears the ladder through [`clear_alert`].
pub async fn set_alert(
    tx: &mut Tx,
    id: i64,
    alert: &str,
    yellow_reply_by: Option<&str>,
    interview: bool,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE problem_items SET alert = $2, yellow_reply_by = COALESCE($3, yellow_reply_by), interview = $4 WHERE id = $1";
    run!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(alert)
        .bind(yellow_reply_by)
        .bind(interview)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// The item already raised from a project's monthly report, if any: (id, number).
pub async fn raised_from_report(
    tx: &mut Tx,
    project_id: i64,
    month: &str,
) -> Result<Option<(i64, String)>, DbError> {
    const SQL: &str = "SELECT id, number FROM problem_items WHERE project_id = $1 AND report_month = $2 ORDER BY id LIMIT 1";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, String)>(SQL)
        .bind(project_id)
        .bind(month)
        .fetch_optional(c)
        .await)?)
}

/// A granted extension starts the ladder again: no alert and no 黄 reply date (the 约谈 flag,
/// a fact about what happened, stays).
pub async fn clear_alert(tx: &mut Tx, id: i64) -> Result<(), DbError> {
    const SQL: &str = "UPDATE problem_items SET alert = '', yellow_reply_by = NULL WHERE id = $1";
    run!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemScope {
    Region,
    /// Items the unit handles, assists with or raised.
    Unit(i64),
    /// Items the unit raised or handles.
    Owner(i64),
}

#[derive(Debug, Clone)]
pub struct ItemFilter {
    pub region: RegionCode,
    pub scope: ItemScope,
    pub q: Option<String>,
    pub state: Option<String>,
    /// "open": every state but closed and withdrawn; "overdue": open with the unit past deadline.
    pub open_only: bool,
    pub overdue_on: Option<String>,
    pub source: Option<String>,
    pub category: Option<String>,
    pub kind: Option<String>,
    pub handler_unit_id: Option<i64>,
    pub project_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub year: Option<i64>,
    pub alert: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

fn item_where(f: &ItemFilter) -> Where {
    let mut w = Where::default();
    let (lo, hi) = f.region.subtree_range();
    w.push(
        "i.region_code >= ? AND i.region_code < ?",
        vec![Param::Text(lo), Param::Text(hi)],
    );
    match f.scope {
        ItemScope::Region => {}
        ItemScope::Unit(u) => w.push(
            "(i.handler_unit_id = ? OR i.raised_unit_id = ? OR i.assisting_unit_ids LIKE ?)",
            vec![
                Param::I64(u),
                Param::I64(u),
                Param::Text(format!("%,{u},%")),
            ],
        ),
        ItemScope::Owner(u) => w.push(
            "(i.handler_unit_id = ? OR i.raised_unit_id = ?)",
            vec![Param::I64(u), Param::I64(u)],
        ),
    }
    if let Some(q) = f.q.as_ref().filter(|q| !q.trim().is_empty()) {
        let like = format!("%{}%", q.trim().replace(['%', '_'], ""));
        w.push(
            "(i.title LIKE ? OR i.number LIKE ? OR i.description LIKE ?)",
            vec![
                Param::Text(like.clone()),
                Param::Text(like.clone()),
                Param::Text(like),
            ],
        );
    }
    if let Some(s) = &f.state {
        w.push("i.state = ?", vec![Param::Text(s.clone())]);
    }
    if f.open_only {
        w.push("i.state NOT IN ('closed', 'withdrawn')", vec![]);
    }
    if let Some(d) = &f.overdue_on {
        w.push(
            "i.state IN ('assigned', 'in_progress') AND i.deadline < ?",
            vec![Param::Text(d.clone())],
        );
    }
    for (col, v) in [
        ("i.source", &f.source),
        ("i.category", &f.category),
        ("i.kind", &f.kind),
        ("i.alert", &f.alert),
    ] {
        if let Some(v) = v {
            w.push(&format!("{col} = ?"), vec![Param::Text(v.clone())]);
        }
    }
    for (col, v) in [
        ("i.handler_unit_id", f.handler_unit_id),
        ("i.project_id", f.project_id),
        ("i.meeting_id", f.meeting_id),
        ("i.year", f.year),
    ] {
        if let Some(v) = v {
            w.push(&format!("{col} = ?"), vec![Param::I64(v)]);
        }
    }
    w
}

/// A page of items (newest first) and the count of all that match.
pub async fn list_items(tx: &mut Tx, f: &ItemFilter) -> Result<(Vec<ItemRow>, i64), DbError> {
    let w = item_where(f);
    let n = w.next_placeholder();
    let sql = format!(
        "{ITEM_COLS} FROM (SELECT i.id FROM problem_items i{} ORDER BY i.year DESC, i.seq DESC LIMIT ${} OFFSET ${}) k
         JOIN problem_items i ON i.id = k.id{ITEM_JOINS} ORDER BY i.year DESC, i.seq DESC",
        w.sql(),
        n,
        n + 1
    );
    let count_sql = format!("SELECT COUNT(*) FROM problem_items i{}", w.sql());
    let rows = run!(tx, |c| bind_params!(
        sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql.clone())),
        w.params
    )
    .bind(f.limit)
    .bind(f.offset)
    .fetch_all(c)
    .await)?;
    let count = run!(tx, |c| bind_params!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql.clone())),
        w.params
    )
    .fetch_one(c)
    .await)?;
    Ok((rows, count))
}

/// Items the unit must act on while their deadline runs, for the supervision job: id, state,
/// deadline, alert, yellow reply date, region, handler unit, number, title.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WatchedRow {
    pub id: i64,
    pub region_code: String,
    pub state: String,
    pub deadline: String,
    pub alert: String,
    pub yellow_reply_by: Option<String>,
    pub handler_unit_id: i64,
    pub number: String,
    pub title: String,
    pub year: i64,
}

/// Open items with the unit past `cutoff` minus the reminder window are the only candidates;
/// items already at 红 are done with supervision.
pub async fn watched(
    tx: &mut Tx,
    region: &RegionCode,
    deadline_before: &str,
) -> Result<Vec<WatchedRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT id, region_code, state, deadline, alert, yellow_reply_by, handler_unit_id, number, title, year
        FROM problem_items
        WHERE region_code >= $1 AND region_code < $2 AND state IN ('assigned', 'in_progress')
          AND alert <> 'red' AND deadline IS NOT NULL AND handler_unit_id IS NOT NULL AND deadline <= $3
        ORDER BY id";
    Ok(run!(tx, |c| sqlx::query_as::<_, WatchedRow>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(deadline_before)
        .fetch_all(c)
        .await)?)
}

// --- events ------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub item_id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_unit_id: i64,
    pub step: String,
    pub note: String,
    pub from_state: String,
    pub to_state: String,
    pub deadline: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_event(
    tx: &mut Tx,
    item_id: i64,
    actor: &str,
    actor_unit_id: i64,
    step: &str,
    note: &str,
    from_state: &str,
    to_state: &str,
    deadline: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO problem_events (item_id, at, actor, actor_unit_id, step, note, from_state, to_state, deadline)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(item_id)
        .bind(now)
        .bind(actor)
        .bind(actor_unit_id)
        .bind(step)
        .bind(note)
        .bind(from_state)
        .bind(to_state)
        .bind(deadline)
        .fetch_one(c)
        .await)?)
}

pub async fn events_of(tx: &mut Tx, item_id: i64) -> Result<Vec<EventRow>, DbError> {
    const SQL: &str =
        "SELECT id, item_id, at, actor, actor_unit_id, step, note, from_state, to_state, deadline
        FROM problem_events WHERE item_id = $1 ORDER BY id";
    Ok(run!(tx, |c| sqlx::query_as::<_, EventRow>(SQL)
        .bind(item_id)
        .fetch_all(c)
        .await)?)
}

// --- documents ---------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct DocumentRow {
    pub id: i64,
    pub region_code: String,
    pub kind: String,
    pub series: String,
    pub year: i64,
    pub seq: i64,
    pub number: String,
    pub item_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub recipient_unit_id: Option<i64>,
    pub title: String,
    pub content: String,
    pub reply_by: Option<String>,
    pub issued_on: String,
    pub issued_by: String,
    pub created_at: DateTime<Utc>,
}

const DOC_COLS: &str = "id, region_code, kind, series, year, seq, number, item_id, meeting_id, recipient_unit_id, title, content, reply_by, issued_on, issued_by, created_at";

#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub region_code: &'a str,
    pub kind: &'a str,
    pub series: &'a str,
    pub year: i64,
    /// The number's prefix (e.g. 桃重项督); the sequence is the series' next in the year.
    pub prefix: &'a str,
    /// A number given from outside the series (a 交办单 carries its item's number).
    pub fixed_number: Option<(&'a str, i64)>,
    pub item_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub recipient_unit_id: Option<i64>,
    pub title: &'a str,
    pub content: &'a str,
    pub reply_by: Option<&'a str>,
    pub issued_on: &'a str,
    pub issued_by: &'a str,
    /// For a letter, the deadline it was issued against ("" for other documents): one letter
    /// of a kind per item and deadline.
    pub for_deadline: &'a str,
}

/// Issues a document: it gets its number and is frozen from then on.
pub async fn insert_document(
    tx: &mut Tx,
    d: &NewDocument<'_>,
    now: DateTime<Utc>,
) -> Result<(i64, String), DbError> {
    let (number, seq) = match d.fixed_number {
        Some((n, s)) => (n.to_string(), s),
        None => {
            const SEQ: &str = "SELECT seq FROM documents WHERE region_code = $1 AND series = $2 AND year = $3 ORDER BY seq DESC LIMIT 1";
            let seq = run!(tx, |c| sqlx::query_scalar::<_, i64>(SEQ)
                .bind(d.region_code)
                .bind(d.series)
                .bind(d.year)
                .fetch_optional(c)
                .await)?
            .unwrap_or(0)
                + 1;
            (
                keyproj_domain::problem::document_number(d.prefix, d.year as i32, seq),
                seq,
            )
        }
    };
    const SQL: &str = "INSERT INTO documents (region_code, kind, series, year, seq, number, item_id, meeting_id, recipient_unit_id,
        title, content, reply_by, issued_on, issued_by, created_at, for_deadline)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(d.region_code)
        .bind(d.kind)
        .bind(d.series)
        .bind(d.year)
        .bind(seq)
        .bind(&number)
        .bind(d.item_id)
        .bind(d.meeting_id)
        .bind(d.recipient_unit_id)
        .bind(d.title)
        .bind(d.content)
        .bind(d.reply_by)
        .bind(d.issued_on)
        .bind(d.issued_by)
        .bind(now)
        .bind(d.for_deadline)
        .fetch_one(c)
        .await)?;
    Ok((id, number))
}

pub async fn get_document(tx: &mut Tx, id: i64) -> Result<Option<DocumentRow>, DbError> {
    let sql = format!("SELECT {DOC_COLS} FROM documents WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, DocumentRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn documents_of_item(tx: &mut Tx, item_id: i64) -> Result<Vec<DocumentRow>, DbError> {
    let sql = format!("SELECT {DOC_COLS} FROM documents WHERE item_id = $1 ORDER BY id");
    Ok(run!(tx, |c| sqlx::query_as::<_, DocumentRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(item_id)
    .fetch_all(c)
    .await)?)
}

pub async fn documents_of_meeting(
    tx: &mut Tx,
    meeting_id: i64,
) -> Result<Vec<DocumentRow>, DbError> {
    let sql = format!("SELECT {DOC_COLS} FROM documents WHERE meeting_id = $1 ORDER BY id");
    Ok(run!(tx, |c| sqlx::query_as::<_, DocumentRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(meeting_id)
    .fetch_all(c)
    .await)?)
}

// --- calendar and rules ------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct HolidayRow {
    pub day: String,
    /// `holiday` or `workday` (a weekend day made a working day).
    pub kind: String,
    pub name: String,
}

pub async fn holidays(tx: &mut Tx, region: &str, year: i32) -> Result<Vec<HolidayRow>, DbError> {
    const SQL: &str = "SELECT day, kind, name FROM holidays WHERE region_code = $1 AND day >= $2 AND day < $3 ORDER BY day";
    Ok(run!(tx, |c| sqlx::query_as::<_, HolidayRow>(SQL)
        .bind(region)
        .bind(format!("{year}-01-01"))
        .bind(format!("{}-01-01", year + 1))
        .fetch_all(c)
        .await)?)
}

/// Holidays and makeup days from `from` on (deadlines may run into the next year).
pub async fn holidays_from(
    tx: &mut Tx,
    region: &str,
    from: &str,
) -> Result<Vec<HolidayRow>, DbError> {
    const SQL: &str =
        "SELECT day, kind, name FROM holidays WHERE region_code = $1 AND day >= $2 ORDER BY day";
    Ok(run!(tx, |c| sqlx::query_as::<_, HolidayRow>(SQL)
        .bind(region)
        .bind(from)
        .fetch_all(c)
        .await)?)
}

/// Replaces a year's calendar of a region.
pub async fn replace_holidays(
    tx: &mut Tx,
    region: &str,
    year: i32,
    rows: &[HolidayRow],
) -> Result<(), DbError> {
    const DEL: &str = "DELETE FROM holidays WHERE region_code = $1 AND day >= $2 AND day < $3";
    run!(tx, |c| sqlx::query(DEL)
        .bind(region)
        .bind(format!("{year}-01-01"))
        .bind(format!("{}-01-01", year + 1))
        .execute(c)
        .await
        .map(|_| ()))?;
    const INS: &str = "INSERT INTO holidays (region_code, day, kind, name) VALUES ($1, $2, $3, $4)";
    for r in rows {
        run!(tx, |c| sqlx::query(INS)
            .bind(region)
            .bind(&r.day)
            .bind(&r.kind)
            .bind(&r.name)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// The stored rules (JSON) of a region and year, with their version.
pub async fn rules(tx: &mut Tx, region: &str, year: i32) -> Result<Option<(String, i64)>, DbError> {
    const SQL: &str =
        "SELECT rules, version FROM supervision_rules WHERE region_code = $1 AND year = $2";
    Ok(run!(tx, |c| sqlx::query_as::<_, (String, i64)>(SQL)
        .bind(region)
        .bind(year as i64)
        .fetch_optional(c)
        .await)?)
}

/// Saves rules if `version` is current (0 = none stored yet); false on a stale version.
pub async fn save_rules(
    tx: &mut Tx,
    region: &str,
    year: i32,
    rules: &str,
    version: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    if version == 0 {
        const SQL: &str = "INSERT INTO supervision_rules (region_code, year, rules, version, updated_by, updated_at)
            VALUES ($1, $2, $3, 1, $4, $5) ON CONFLICT (region_code, year) DO NOTHING";
        let n = run!(tx, |c| sqlx::query(SQL)
            .bind(region)
            .bind(year as i64)
            .bind(rules)
            .bind(by)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        return Ok(n == 1);
    }
    const SQL: &str = "UPDATE supervision_rules SET rules = $3, version = version + 1, updated_by = $5, updated_at = $6
        WHERE region_code = $1 AND year = $2 AND version = $4";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(region)
        .bind(year as i64)
        .bind(rules)
        .bind(version)
        .bind(by)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// --- meetings and patrols ----------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct MeetingRow {
    pub id: i64,
    pub region_code: String,
    pub kind: String,
    pub held_on: String,
    pub place: String,
    pub chair_leader_id: Option<i64>,
    pub attending_units: String,
    pub project_ids: String,
    pub minutes: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub chair_name: Option<String>,
    pub item_count: i64,
}

const MEETING_SELECT: &str =
    "SELECT m.id, m.region_code, m.kind, m.held_on, m.place, m.chair_leader_id, m.attending_units,
    m.project_ids, m.minutes, m.created_by, m.created_at, l.name AS chair_name,
    (SELECT COUNT(*) FROM problem_items i WHERE i.meeting_id = m.id) AS item_count
    FROM meetings m LEFT JOIN leaders l ON l.id = m.chair_leader_id";

#[allow(clippy::too_many_arguments)]
pub async fn insert_meeting(
    tx: &mut Tx,
    region: &str,
    kind: &str,
    held_on: &str,
    place: &str,
    chair_leader_id: Option<i64>,
    attending_units: &str,
    project_ids: &str,
    minutes: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO meetings (region_code, kind, held_on, place, chair_leader_id, attending_units, project_ids, minutes, created_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region)
        .bind(kind)
        .bind(held_on)
        .bind(place)
        .bind(chair_leader_id)
        .bind(attending_units)
        .bind(project_ids)
        .bind(minutes)
        .bind(by)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

pub async fn get_meeting(tx: &mut Tx, id: i64) -> Result<Option<MeetingRow>, DbError> {
    let sql = format!("{MEETING_SELECT} WHERE m.id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, MeetingRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn list_meetings(
    tx: &mut Tx,
    region: &RegionCode,
    year: Option<i32>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MeetingRow>, i64), DbError> {
    let (lo, hi) = region.subtree_range();
    let (from, to) = match year {
        Some(y) => (format!("{y}-01-01"), format!("{}-01-01", y + 1)),
        None => ("0000".into(), "9999".into()),
    };
    let sql = format!(
        "{MEETING_SELECT} WHERE m.region_code >= $1 AND m.region_code < $2 AND m.held_on >= $3 AND m.held_on < $4
         ORDER BY m.held_on DESC, m.id DESC LIMIT $5 OFFSET $6"
    );
    let rows = run!(tx, |c| sqlx::query_as::<_, MeetingRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .bind(limit)
    .bind(offset)
    .fetch_all(c)
    .await)?;
    const COUNT: &str = "SELECT COUNT(*) FROM meetings m WHERE m.region_code >= $1 AND m.region_code < $2 AND m.held_on >= $3 AND m.held_on < $4";
    let n = run!(tx, |c| sqlx::query_scalar::<_, i64>(COUNT)
        .bind(&lo)
        .bind(&hi)
        .bind(&from)
        .bind(&to)
        .fetch_one(c)
        .await)?;
    Ok((rows, n))
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PatrolRow {
    pub id: i64,
    pub region_code: String,
    pub patrol_on: String,
    pub inspector: String,
    pub project_ids: String,
    pub findings: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub item_count: i64,
}

const PATROL_SELECT: &str = "SELECT t.id, t.region_code, t.patrol_on, t.inspector, t.project_ids, t.findings, t.created_by, t.created_at,
    (SELECT COUNT(*) FROM problem_items i WHERE i.patrol_id = t.id) AS item_count FROM patrols t";

#[allow(clippy::too_many_arguments)]
pub async fn insert_patrol(
    tx: &mut Tx,
    region: &str,
    patrol_on: &str,
    inspector: &str,
    project_ids: &str,
    findings: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO patrols (region_code, patrol_on, inspector, project_ids, findings, created_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region)
        .bind(patrol_on)
        .bind(inspector)
        .bind(project_ids)
        .bind(findings)
        .bind(by)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

pub async fn get_patrol(tx: &mut Tx, id: i64) -> Result<Option<PatrolRow>, DbError> {
    let sql = format!("{PATROL_SELECT} WHERE t.id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, PatrolRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn list_patrols(
    tx: &mut Tx,
    region: &RegionCode,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PatrolRow>, i64), DbError> {
    let (lo, hi) = region.subtree_range();
    let sql = format!(
        "{PATROL_SELECT} WHERE t.region_code >= $1 AND t.region_code < $2 ORDER BY t.patrol_on DESC, t.id DESC LIMIT $3 OFFSET $4"
    );
    let rows = run!(tx, |c| sqlx::query_as::<_, PatrolRow>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(limit)
    .bind(offset)
    .fetch_all(c)
    .await)?;
    const COUNT: &str =
        "SELECT COUNT(*) FROM patrols t WHERE t.region_code >= $1 AND t.region_code < $2";
    let n = run!(tx, |c| sqlx::query_scalar::<_, i64>(COUNT)
        .bind(&lo)
        .bind(&hi)
        .fetch_one(c)
        .await)?;
    Ok((rows, n))
}

// --- notifications and the webhook outbox ------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub item_id: Option<i64>,
    pub document_id: Option<i64>,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

/// A notification to a unit.
#[allow(clippy::too_many_arguments)]
pub async fn notify(
    tx: &mut Tx,
    region: &str,
    unit_id: i64,
    kind: &str,
    item_id: Option<i64>,
    document_id: Option<i64>,
    text: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO notifications (region_code, unit_id, kind, item_id, document_id, text, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region)
        .bind(unit_id)
        .bind(kind)
        .bind(item_id)
        .bind(document_id)
        .bind(text)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

/// Queues a notification for the webhook, in the same transaction as the notification.
pub async fn enqueue_webhook(
    tx: &mut Tx,
    notification_id: i64,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const OUT: &str = "INSERT INTO webhook_outbox (notification_id, payload, attempts, next_attempt_at, delivered_at, last_error, created_at)
        VALUES ($1, $2, 0, $3, NULL, '', $3)";
    run!(tx, |c| sqlx::query(OUT)
        .bind(notification_id)
        .bind(payload)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn notifications_for(
    tx: &mut Tx,
    unit_id: i64,
    user_id: i64,
    limit: i64,
) -> Result<Vec<NotificationRow>, DbError> {
    const SQL: &str = "SELECT n.id, n.kind, n.item_id, n.document_id, n.text, n.created_at,
        CASE WHEN r.user_id IS NULL THEN FALSE ELSE TRUE END AS read
        FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = $2
        WHERE n.unit_id = $1 ORDER BY n.id DESC LIMIT $3";
    Ok(run!(tx, |c| sqlx::query_as::<_, NotificationRow>(SQL)
        .bind(unit_id)
        .bind(user_id)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

pub async fn unread_count(tx: &mut Tx, unit_id: i64, user_id: i64) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM notifications n
        WHERE n.unit_id = $1 AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = $2)";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(unit_id)
        .bind(user_id)
        .fetch_one(c)
        .await)?)
}

/// Marks every notification of the unit up to `up_to_id` read for the user.
pub async fn mark_read(
    tx: &mut Tx,
    unit_id: i64,
    user_id: i64,
    up_to_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    const SQL: &str = "INSERT INTO notification_reads (notification_id, user_id, read_at)
        SELECT n.id, $2, $4 FROM notifications n WHERE n.unit_id = $1 AND n.id <= $3
        ON CONFLICT (notification_id, user_id) DO NOTHING";
    Ok(run!(tx, |c| sqlx::query(SQL)
        .bind(unit_id)
        .bind(user_id)
        .bind(up_to_id)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub notification_id: i64,
    pub payload: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
}

const OUTBOX_COLS: &str =
    "id, notification_id, payload, attempts, next_attempt_at, delivered_at, last_error, created_at";

/// Undelivered entries whose next attempt is due.
pub async fn outbox_due(
    tx: &mut Tx,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<OutboxRow>, DbError> {
    let sql = format!(
        "SELECT {OUTBOX_COLS} FROM webhook_outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, OutboxRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(now)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

/// Claims an entry for one attempt by pushing its next attempt out (another instance will not
/// pick it meanwhile); false if someone else claimed it first.
pub async fn claim_outbox(
    tx: &mut Tx,
    id: i64,
    seen_next: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE webhook_outbox SET next_attempt_at = $3 WHERE id = $1 AND next_attempt_at = $2 AND delivered_at IS NULL";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(seen_next)
        .bind(until)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records an attempt: delivered, or failed with the time of the next one.
pub async fn record_attempt(
    tx: &mut Tx,
    id: i64,
    status: Option<i64>,
    error: &str,
    delivered: bool,
    next_attempt_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const LOG: &str =
        "INSERT INTO webhook_attempts (outbox_id, at, status, error) VALUES ($1, $2, $3, $4)";
    run!(tx, |c| sqlx::query(LOG)
        .bind(id)
        .bind(now)
        .bind(status)
        .bind(error)
        .execute(c)
        .await
        .map(|_| ()))?;
    const UPD: &str = "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = $2,
        delivered_at = CASE WHEN $3 THEN $4 ELSE NULL END, next_attempt_at = $5 WHERE id = $1";
    run!(tx, |c| sqlx::query(UPD)
        .bind(id)
        .bind(error)
        .bind(delivered)
        .bind(now)
        .bind(next_attempt_at)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AttemptRow {
    pub id: i64,
    pub outbox_id: i64,
    pub at: DateTime<Utc>,
    pub status: Option<i64>,
    pub error: String,
}

/// The delivery log, newest first.
pub async fn attempts(tx: &mut Tx, limit: i64) -> Result<Vec<AttemptRow>, DbError> {
    const SQL: &str =
        "SELECT id, outbox_id, at, status, error FROM webhook_attempts ORDER BY id DESC LIMIT $1";
    Ok(run!(tx, |c| sqlx::query_as::<_, AttemptRow>(SQL)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

pub async fn outbox(tx: &mut Tx, limit: i64) -> Result<Vec<OutboxRow>, DbError> {
    let sql = format!("SELECT {OUTBOX_COLS} FROM webhook_outbox ORDER BY id DESC LIMIT $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, OutboxRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

// --- daily jobs --------------------------------------------------------------------------

/// Claims `day` for the named job; true for exactly one caller per day, whichever instance.
pub async fn claim_day(
    tx: &mut Tx,
    name: &str,
    day: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO job_runs (name, last_day, run_at) VALUES ($1, $2, $3)
        ON CONFLICT (name) DO UPDATE SET last_day = excluded.last_day, run_at = excluded.run_at
        WHERE job_runs.last_day < excluded.last_day";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(name)
        .bind(day)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Gives back a day claimed by a run that then failed as a whole, so the next try runs it.
pub async fn unclaim_day(tx: &mut Tx, name: &str, day: &str) -> Result<(), DbError> {
    const SQL: &str = "DELETE FROM job_runs WHERE name = $1 AND last_day = $2";
    run!(tx, |c| sqlx::query(SQL)
        .bind(name)
        .bind(day)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

// --- statistics --------------------------------------------------------------------------

/// Figures of one (handling unit, source, category, assigning leader) group over a period:
/// the `a_` sums count items assigned in the period, the `r_` sums items raised in it.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct PeriodRow {
    pub handler_unit_id: Option<i64>,
    pub source: String,
    pub category: String,
    pub assigning_leader_id: Option<i64>,
    pub a_count: i64,
    pub a_closed: i64,
    pub a_closed_on_time: i64,
    pub a_overdue: i64,
    pub a_close_days: i64,
    pub a_letters: i64,
    pub r_count: i64,
    pub r_closed: i64,
    pub r_overdue: i64,
}

/// Every statistic of a period in one pass over the items (a covering index serves it);
/// `from`..`to` are text dates, `today` decides what is overdue.
pub async fn period_stats(
    tx: &mut Tx,
    region: &RegionCode,
    from: &str,
    to: &str,
    today: &str,
) -> Result<Vec<PeriodRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT i.handler_unit_id, i.source, i.category, i.assigning_leader_id,
        CAST(COALESCE(SUM(CASE WHEN i.assigned_on >= $3 AND i.assigned_on < $4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS a_count,
        CAST(COALESCE(SUM(CASE WHEN i.assigned_on >= $3 AND i.assigned_on < $4 AND i.state = 'closed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS a_closed,
        CAST(COALESCE(SUM(CASE WHEN i.assigned_on >= $3 AND i.assigned_on < $4 AND i.state = 'closed' AND i.closed_on <= i.deadline THEN 1 ELSE 0 END), 0) AS BIGINT) AS a_closed_on_time,
        CAST(COALESCE(SUM(CASE WHEN i.assigned_on >= $3 AND i.assigned_on < $4 AND i.state IN ('assigned', 'in_progress') AND i.deadline < $5 THEN 1 ELSE 0 END), 0) AS BIGINT) AS a_overdue,
        CAST(COALESCE(SUM(CASE WHEN i.assigned_on >= $3 AND i.assigned_on < $4 AND i.state = 'closed' THEN i.close_days ELSE 0 END), 0) AS BIGINT) AS a_close_days,
        CAST(COALESCE(SUM(CASE WHEN i.assigned_on >= $3 AND i.assigned_on < $4 THEN COALESCE(l.n, 0) ELSE 0 END), 0) AS BIGINT) AS a_letters,
        CAST(COALESCE(SUM(CASE WHEN i.raised_on >= $3 AND i.raised_on < $4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS r_count,
        CAST(COALESCE(SUM(CASE WHEN i.raised_on >= $3 AND i.raised_on < $4 AND i.state = 'closed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS r_closed,
        CAST(COALESCE(SUM(CASE WHEN i.raised_on >= $3 AND i.raised_on < $4 AND i.state IN ('assigned', 'in_progress') AND i.deadline < $5 THEN 1 ELSE 0 END), 0) AS BIGINT) AS r_overdue
        FROM problem_items i
        LEFT JOIN (SELECT item_id, COUNT(*) AS n FROM documents
                   WHERE kind IN ('letter_yellow', 'letter_red') AND item_id IS NOT NULL GROUP BY item_id) l
          ON l.item_id = i.id
        WHERE i.region_code >= $1 AND i.region_code < $2 AND i.state <> 'withdrawn'
          AND ((i.assigned_on >= $3 AND i.assigned_on < $4) OR (i.raised_on >= $3 AND i.raised_on < $4))
        GROUP BY i.handler_unit_id, i.source, i.category, i.assigning_leader_id";
    Ok(run!(tx, |c| sqlx::query_as::<_, PeriodRow>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(from)
        .bind(to)
        .bind(today)
        .fetch_all(c)
        .await)?)
}

/// The year's totals the reference states: (raised, assigned, closed, overdue now).
pub async fn year_totals(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    today: &str,
) -> Result<(i64, i64, i64, i64), DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT COUNT(*),
        CAST(COALESCE(SUM(CASE WHEN i.assigned_on IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT),
        CAST(COALESCE(SUM(CASE WHEN i.state = 'closed' THEN 1 ELSE 0 END), 0) AS BIGINT),
        CAST(COALESCE(SUM(CASE WHEN i.state IN ('assigned', 'in_progress') AND i.deadline < $4 THEN 1 ELSE 0 END), 0) AS BIGINT)
        FROM problem_items i WHERE i.region_code >= $1 AND i.region_code < $2 AND i.year = $3 AND i.state <> 'withdrawn'";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, i64, i64, i64)>(
        SQL
    )
    .bind(&lo)
    .bind(&hi)
    .bind(year as i64)
    .bind(today)
    .fetch_one(c)
    .await)?)
}

/// Meetings held in the year.
pub async fn meetings_in_year(tx: &mut Tx, region: &RegionCode, year: i32) -> Result<i64, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT COUNT(*) FROM meetings WHERE region_code >= $1 AND region_code < $2 AND held_on >= $3 AND held_on < $4";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(format!("{year}-01-01"))
        .bind(format!("{}-01-01", year + 1))
        .fetch_one(c)
        .await)?)
}

/// Items of the year assigned from meetings or briefings (交办任务 the reference counts): linked
/// to a meeting record, or raised from a 简报 (briefings are not records of their own yet).
pub async fn assigned_from_meetings(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<i64, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT COUNT(*) FROM problem_items WHERE region_code >= $1 AND region_code < $2 AND year = $3
        AND assigned_on IS NOT NULL AND state <> 'withdrawn'
        AND (meeting_id IS NOT NULL OR source = 'briefing')";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(year as i64)
        .fetch_one(c)
        .await)?)
}

/// Items of the given projects closed in the year (后扶 support).
pub async fn closed_for_projects_in_year(
    tx: &mut Tx,
    project_ids: &[i64],
    year: i32,
) -> Result<i64, DbError> {
    if project_ids.is_empty() {
        return Ok(0);
    }
    let placeholders: Vec<String> = (3..project_ids.len() + 3)
        .map(|i| format!("${i}"))
        .collect();
    let sql = format!(
        "SELECT COUNT(*) FROM problem_items WHERE state = 'closed' AND closed_on >= $1 AND closed_on < $2 AND project_id IN ({})",
        placeholders.join(", ")
    );
    let mut params = vec![
        Param::Text(format!("{year}-01-01")),
        Param::Text(format!("{}-01-01", year + 1)),
    ];
    params.extend(project_ids.iter().map(|i| Param::I64(*i)));
    Ok(run!(tx, |c| bind_params!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
        params
    )
    .fetch_one(c)
    .await)?)
}

/// One generated item for benchmark datasets.
#[derive(Debug, Clone)]
pub struct BulkItem {
    pub seq: i64,
    pub source: &'static str,
    pub category: &'static str,
    pub handler_unit_id: i64,
    pub raised_on: String,
    pub state: &'static str,
    pub deadline: String,
    pub closed_on: Option<String>,
    pub close_days: Option<i64>,
}

/// Items in bulk (benchmark datasets): many rows per statement, all assigned.
pub async fn insert_items_bulk(
    tx: &mut Tx,
    region: &str,
    year: i64,
    prefix: &str,
    raised_unit_id: i64,
    rows: &[BulkItem],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for chunk in rows.chunks(400) {
        let mut sql = String::from(
            "INSERT INTO problem_items (region_code, year, seq, number, kind, source, category, level, project_id,
            title, description, raised_by, raised_unit_id, raised_on, state, extension_pending, verified, handler_unit_id,
            assisting_unit_ids, assigning_leader_id, assigned_on, deadline, day_count, requested_deadline, resolution,
            closed_on, close_days, alert, yellow_reply_by, interview, parent_id, meeting_id, patrol_id, report_month, version,
            created_at, updated_at) VALUES ",
        );
        let mut params: Vec<Param> = vec![];
        for (k, r) in chunk.iter().enumerate() {
            let b = 5 + k * 10;
            if k > 0 {
                sql.push_str(", ");
            }
            let closed = if r.state == "closed" { "TRUE" } else { "FALSE" };
            sql.push_str(&format!(
                "($1, $2, ${b}, ${n}, 'problem', ${src}, ${cat}, '1', NULL, '生成的事项', '', 'bench', $3, ${on}, ${st}, FALSE, {closed}, ${h},
                '', NULL, ${on}, ${dl}, 'working', NULL, '', NULLIF(${co}, ''), NULLIF(${cd}, -1), '', NULL, FALSE, NULL, NULL, NULL, NULL, 1, $4, $4)",
                n = b + 1,
                src = b + 2,
                cat = b + 3,
                on = b + 4,
                st = b + 5,
                h = b + 6,
                dl = b + 7,
                co = b + 8,
                cd = b + 9,
            ));
            params.push(Param::I64(r.seq));
            params.push(Param::Text(keyproj_domain::problem::document_number(
                prefix,
                year as i32,
                r.seq,
            )));
            params.push(Param::Text(r.source.into()));
            params.push(Param::Text(r.category.into()));
            params.push(Param::Text(r.raised_on.clone()));
            params.push(Param::Text(r.state.into()));
            params.push(Param::I64(r.handler_unit_id));
            params.push(Param::Text(r.deadline.clone()));
            params.push(Param::Text(r.closed_on.clone().unwrap_or_default()));
            params.push(Param::I64(r.close_days.unwrap_or(-1)));
        }
        run!(tx, |c| bind_params!(
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(region)
                .bind(year)
                .bind(raised_unit_id)
                .bind(now),
            params
        )
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}

// --- attachments -------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AttachmentRow {
    pub id: i64,
    pub owner_type: String,
    pub owner_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub object_key: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub at: DateTime<Utc>,
}

const ATTACHMENT_COLS: &str =
    "id, owner_type, owner_id, file_name, content_type, object_key, size_bytes, uploaded_by, at";

#[allow(clippy::too_many_arguments)]
pub async fn insert_attachment(
    tx: &mut Tx,
    owner_type: &str,
    owner_id: i64,
    file_name: &str,
    content_type: &str,
    object_key: &str,
    size: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO attachments (owner_type, owner_id, file_name, content_type, object_key, size_bytes, uploaded_by, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(owner_type)
        .bind(owner_id)
        .bind(file_name)
        .bind(content_type)
        .bind(object_key)
        .bind(size)
        .bind(by)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

pub async fn attachments_of(
    tx: &mut Tx,
    owner_type: &str,
    owner_id: i64,
) -> Result<Vec<AttachmentRow>, DbError> {
    let sql = format!(
        "SELECT {ATTACHMENT_COLS} FROM attachments WHERE owner_type = $1 AND owner_id = $2 ORDER BY id"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, AttachmentRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(owner_type)
    .bind(owner_id)
    .fetch_all(c)
    .await)?)
}

pub async fn get_attachment(tx: &mut Tx, id: i64) -> Result<Option<AttachmentRow>, DbError> {
    let sql = format!("SELECT {ATTACHMENT_COLS} FROM attachments WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, AttachmentRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}
