//! Problem-list items: registering, reading, the workflow and supervision fields, the list.

use crate::decode::{self, day, id_list, opt_day};

use crate::{DbError, Param, Tx, Where, bind_params, direct, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::ids::{ItemId, LeaderId, MeetingId, PatrolId, ProjectId, UnitId};
use keyproj_domain::problem::{Alert, Category, DayCount, ItemKind, Level, Source, State};
use keyproj_domain::{RegionCode, ReportMonth};
use rusqlite::ToSql;
use serde::Serialize;

/// An item as the service sees it: every field in its domain type.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRow {
    pub id: ItemId,
    pub region_code: RegionCode,
    pub year: i32,
    pub seq: i64,
    pub number: String,
    pub kind: ItemKind,
    pub source: Source,
    pub category: Category,
    pub level: Level,
    pub project_id: Option<ProjectId>,
    pub title: String,
    pub description: String,
    pub raised_by: String,
    pub raised_unit_id: UnitId,
    pub raised_on: NaiveDate,
    pub state: State,
    pub extension_pending: bool,
    pub verified: bool,
    pub handler_unit_id: Option<UnitId>,
    pub assisting_unit_ids: Vec<UnitId>,
    pub assigning_leader_id: Option<LeaderId>,
    pub assigned_on: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub day_count: DayCount,
    pub requested_deadline: Option<NaiveDate>,
    pub resolution: String,
    pub closed_on: Option<NaiveDate>,
    pub close_days: Option<i64>,
    /// The supervision ladder's last step (none before the first notice).
    pub alert: Option<Alert>,
    pub yellow_reply_by: Option<NaiveDate>,
    pub interview: bool,
    pub parent_id: Option<ItemId>,
    pub meeting_id: Option<MeetingId>,
    /// The 简报 that assigned it.
    pub briefing_id: Option<i64>,
    pub patrol_id: Option<PatrolId>,
    pub report_month: Option<ReportMonth>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub project_name: Option<String>,
    pub handler_unit_name: Option<String>,
    pub raised_unit_name: String,
    pub leader_name: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct ItemRaw {
    id: i64,
    region_code: String,
    year: i64,
    seq: i64,
    number: String,
    kind: String,
    source: String,
    category: String,
    level: String,
    project_id: Option<i64>,
    title: String,
    description: String,
    raised_by: String,
    raised_unit_id: i64,
    raised_on: String,
    state: String,
    extension_pending: bool,
    verified: bool,
    handler_unit_id: Option<i64>,
    assisting_unit_ids: String,
    assigning_leader_id: Option<i64>,
    assigned_on: Option<String>,
    deadline: Option<String>,
    day_count: String,
    requested_deadline: Option<String>,
    resolution: String,
    closed_on: Option<String>,
    close_days: Option<i64>,
    alert: String,
    yellow_reply_by: Option<String>,
    interview: bool,
    parent_id: Option<i64>,
    meeting_id: Option<i64>,
    briefing_id: Option<i64>,
    patrol_id: Option<i64>,
    report_month: Option<String>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    project_name: Option<String>,
    handler_unit_name: Option<String>,
    raised_unit_name: String,
    leader_name: Option<String>,
}

impl TryFrom<ItemRaw> for ItemRow {
    type Error = DbError;
    fn try_from(r: ItemRaw) -> Result<ItemRow, DbError> {
        Ok(ItemRow {
            id: ItemId(r.id),
            region_code: decode::region("problem_items.region_code", &r.region_code)?,
            year: r.year as i32,
            seq: r.seq,
            number: r.number,
            kind: decode::key("problem_items.kind", &r.kind, ItemKind::from_key)?,
            source: decode::key("problem_items.source", &r.source, Source::from_key)?,
            category: decode::key("problem_items.category", &r.category, Category::from_key)?,
            level: decode::key("problem_items.level", &r.level, Level::from_key)?,
            project_id: r.project_id.map(ProjectId),
            title: r.title,
            description: r.description,
            raised_by: r.raised_by,
            raised_unit_id: UnitId(r.raised_unit_id),
            raised_on: decode::date("problem_items.raised_on", &r.raised_on)?,
            state: decode::key("problem_items.state", &r.state, State::from_key)?,
            extension_pending: r.extension_pending,
            verified: r.verified,
            handler_unit_id: r.handler_unit_id.map(UnitId),
            assisting_unit_ids: decode::ids(
                "problem_items.assisting_unit_ids",
                &r.assisting_unit_ids,
            )?,
            assigning_leader_id: r.assigning_leader_id.map(LeaderId),
            assigned_on: decode::opt_date("problem_items.assigned_on", r.assigned_on)?,
            deadline: decode::opt_date("problem_items.deadline", r.deadline)?,
            day_count: decode::key("problem_items.day_count", &r.day_count, DayCount::from_key)?,
            requested_deadline: decode::opt_date(
                "problem_items.requested_deadline",
                r.requested_deadline,
            )?,
            resolution: r.resolution,
            closed_on: decode::opt_date("problem_items.closed_on", r.closed_on)?,
            close_days: r.close_days,
            alert: decode::opt_key("problem_items.alert", &r.alert, Alert::from_key)?,
            yellow_reply_by: decode::opt_date("problem_items.yellow_reply_by", r.yellow_reply_by)?,
            interview: r.interview,
            parent_id: r.parent_id.map(ItemId),
            meeting_id: r.meeting_id.map(MeetingId),
            briefing_id: r.briefing_id,
            patrol_id: r.patrol_id.map(PatrolId),
            report_month: decode::opt_month("problem_items.report_month", r.report_month)?,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            project_name: r.project_name,
            handler_unit_name: r.handler_unit_name,
            raised_unit_name: r.raised_unit_name,
            leader_name: r.leader_name,
        })
    }
}

pub(super) const ITEM_COLS: &str = "SELECT i.id, i.region_code, i.year, i.seq, i.number, i.kind, i.source, i.category, i.level, i.project_id,
    i.title, i.description, i.raised_by, i.raised_unit_id, i.raised_on, i.state, i.extension_pending, i.verified,
    i.handler_unit_id, i.assisting_unit_ids, i.assigning_leader_id, i.assigned_on, i.deadline, i.day_count,
    i.requested_deadline, i.resolution, i.closed_on, i.close_days, i.alert, i.yellow_reply_by, i.interview,
    i.parent_id, i.meeting_id, i.briefing_id, i.patrol_id, i.report_month, i.version, i.created_at, i.updated_at,
    p.name AS project_name, hu.name AS handler_unit_name, ru.name AS raised_unit_name, l.name AS leader_name";
pub(super) const ITEM_JOINS: &str = " LEFT JOIN projects p ON p.id = i.project_id
    LEFT JOIN units hu ON hu.id = i.handler_unit_id
    JOIN units ru ON ru.id = i.raised_unit_id
    LEFT JOIN leaders l ON l.id = i.assigning_leader_id";

impl ItemRaw {
    /// How many values [`ITEM_COLS`] selects (the order is the struct's; the storage tests
    /// read every field back).
    #[cfg(test)]
    const DIRECT_COLUMNS: usize = 43;

    /// Reads [`ITEM_COLS`] by position from a row read on the caller's thread (a lookup by
    /// name for each of 43 values would cost more than reading them).
    fn direct(r: &rusqlite::Row<'_>) -> Result<ItemRaw, DbError> {
        use crate::direct::at;
        Ok(ItemRaw {
            id: at(r, 0, "problem_items.id")?,
            region_code: at(r, 1, "problem_items.region_code")?,
            year: at(r, 2, "problem_items.year")?,
            seq: at(r, 3, "problem_items.seq")?,
            number: at(r, 4, "problem_items.number")?,
            kind: at(r, 5, "problem_items.kind")?,
            source: at(r, 6, "problem_items.source")?,
            category: at(r, 7, "problem_items.category")?,
            level: at(r, 8, "problem_items.level")?,
            project_id: at(r, 9, "problem_items.project_id")?,
            title: at(r, 10, "problem_items.title")?,
            description: at(r, 11, "problem_items.description")?,
            raised_by: at(r, 12, "problem_items.raised_by")?,
            raised_unit_id: at(r, 13, "problem_items.raised_unit_id")?,
            raised_on: at(r, 14, "problem_items.raised_on")?,
            state: at(r, 15, "problem_items.state")?,
            extension_pending: at(r, 16, "problem_items.extension_pending")?,
            verified: at(r, 17, "problem_items.verified")?,
            handler_unit_id: at(r, 18, "problem_items.handler_unit_id")?,
            assisting_unit_ids: at(r, 19, "problem_items.assisting_unit_ids")?,
            assigning_leader_id: at(r, 20, "problem_items.assigning_leader_id")?,
            assigned_on: at(r, 21, "problem_items.assigned_on")?,
            deadline: at(r, 22, "problem_items.deadline")?,
            day_count: at(r, 23, "problem_items.day_count")?,
            requested_deadline: at(r, 24, "problem_items.requested_deadline")?,
            resolution: at(r, 25, "problem_items.resolution")?,
            closed_on: at(r, 26, "problem_items.closed_on")?,
            close_days: at(r, 27, "problem_items.close_days")?,
            alert: at(r, 28, "problem_items.alert")?,
            yellow_reply_by: at(r, 29, "problem_items.yellow_reply_by")?,
            interview: at(r, 30, "problem_items.interview")?,
            parent_id: at(r, 31, "problem_items.parent_id")?,
            meeting_id: at(r, 32, "problem_items.meeting_id")?,
            briefing_id: at(r, 33, "problem_items.briefing_id")?,
            patrol_id: at(r, 34, "problem_items.patrol_id")?,
            report_month: at(r, 35, "problem_items.report_month")?,
            version: at(r, 36, "problem_items.version")?,
            created_at: at(r, 37, "problem_items.created_at")?,
            updated_at: at(r, 38, "problem_items.updated_at")?,
            project_name: at(r, 39, "project_name")?,
            handler_unit_name: at(r, 40, "handler_unit_name")?,
            raised_unit_name: at(r, 41, "raised_unit_name")?,
            leader_name: at(r, 42, "leader_name")?,
        })
    }

    /// Runs a page's statement: on the caller's thread where it can ([`Tx::on_thread`]),
    /// through sqlx otherwise.
    async fn fetch_all(tx: &mut Tx, sql: &str, params: &[Param]) -> Result<Vec<Self>, DbError> {
        if let Some(on_thread) = tx.on_thread().await? {
            return on_thread.rows(sql, &direct::refs(params), ItemRaw::direct);
        }
        Ok(run!(tx, |c| bind_params!(
            sqlx::query_as::<_, ItemRaw>(sqlx::AssertSqlSafe(sql.to_string())),
            params
        )
        .fetch_all(c)
        .await)?)
    }
}

fn decode_all(raw: Vec<ItemRaw>) -> Result<Vec<ItemRow>, DbError> {
    raw.into_iter().map(ItemRow::try_from).collect()
}

/// What a new item carries when it is registered.
#[derive(Debug, Clone)]
pub struct NewItem<'a> {
    pub region_code: &'a RegionCode,
    pub year: i32,
    pub number_prefix: &'a str,
    pub kind: ItemKind,
    pub source: Source,
    pub category: Category,
    pub level: Level,
    pub project_id: Option<ProjectId>,
    pub title: &'a str,
    pub description: &'a str,
    pub raised_by: &'a str,
    pub raised_unit_id: UnitId,
    pub raised_on: NaiveDate,
    pub day_count: DayCount,
    pub parent_id: Option<ItemId>,
    pub meeting_id: Option<MeetingId>,
    pub briefing_id: Option<i64>,
    pub patrol_id: Option<PatrolId>,
    pub report_month: Option<ReportMonth>,
}

/// Registers an item with the next number of its region and year; returns (id, number).
/// Makes this transaction the region's only registrar of items until it ends: the next number
/// (the last one plus one) and the check for a form sent twice must not interleave with another
/// registration of the region. SQLite has one writer at a time already; PostgreSQL takes a lock
/// per region, released at commit (several instances share it).
pub async fn lock_registration(tx: &mut Tx, region: &RegionCode) -> Result<(), DbError> {
    if let Tx::Postgres(t) = tx {
        // region codes are at most six digits, so the code itself is the lock's key
        let key: i32 = region.as_str().parse().unwrap_or(0);
        sqlx::query("SELECT pg_advisory_xact_lock(7262002, $1)")
            .bind(key)
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

pub async fn insert_item(
    tx: &mut Tx,
    n: &NewItem<'_>,
    now: DateTime<Utc>,
) -> Result<(ItemId, String), DbError> {
    // ORDER BY … LIMIT 1 walks the unique index from its end on both engines (MAX() with stale
    // statistics made PostgreSQL read every number of the year, for every new one)
    const SEQ: &str = "SELECT seq FROM problem_items WHERE region_code = $1 AND year = $2 ORDER BY seq DESC LIMIT 1";
    const SQL: &str = "INSERT INTO problem_items (region_code, year, seq, number, kind, source, category, level, project_id,
        title, description, raised_by, raised_unit_id, raised_on, state, extension_pending, verified, handler_unit_id,
        assisting_unit_ids, assigning_leader_id, assigned_on, deadline, day_count, requested_deadline, resolution,
        closed_on, close_days, alert, yellow_reply_by, interview, parent_id, meeting_id, patrol_id, report_month, version,
        created_at, updated_at, briefing_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'registered', FALSE, FALSE, NULL,
        '', NULL, NULL, NULL, $15, NULL, '', NULL, NULL, '', NULL, FALSE, $16, $17, $18, $19, 1, $20, $20, $21) RETURNING id";
    if let Some(c) = tx.direct_write().await? {
        let year = n.year as i64;
        let seq = direct::first_on(c, SEQ, &[&n.region_code.as_str(), &year], |r| {
            direct::at::<i64>(r, 0, "seq")
        })?
        .unwrap_or(0)
            + 1;
        let number = keyproj_domain::problem::document_number(n.number_prefix, n.year, seq);
        let id = direct::first_on(
            c,
            SQL,
            &[
                &n.region_code.as_str(),
                &year,
                &seq,
                &number,
                &n.kind.key(),
                &n.source.key(),
                &n.category.key(),
                &n.level.key(),
                &n.project_id.map(|p| p.get()),
                &n.title,
                &n.description,
                &n.raised_by,
                &n.raised_unit_id.get(),
                &day(n.raised_on),
                &n.day_count.key(),
                &n.parent_id.map(|p| p.get()),
                &n.meeting_id.map(|m| m.get()),
                &n.patrol_id.map(|p| p.get()),
                &n.report_month.map(|m| m.to_string()),
                &direct::Time(now),
                &n.briefing_id,
            ],
            |r| direct::at::<i64>(r, 0, "id"),
        )?
        .ok_or_else(|| DbError::Decode("problem_items.id", "no id returned".into()))?;
        return Ok((ItemId(id), number));
    }
    let seq = run!(tx, |c| sqlx::query_scalar::<_, i64>(SEQ)
        .bind(n.region_code.as_str())
        .bind(n.year as i64)
        .fetch_optional(c)
        .await)?
    .unwrap_or(0)
        + 1;
    let number = keyproj_domain::problem::document_number(n.number_prefix, n.year, seq);
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.region_code.as_str())
        .bind(n.year as i64)
        .bind(seq)
        .bind(&number)
        .bind(n.kind.key())
        .bind(n.source.key())
        .bind(n.category.key())
        .bind(n.level.key())
        .bind(n.project_id.map(|p| p.get()))
        .bind(n.title)
        .bind(n.description)
        .bind(n.raised_by)
        .bind(n.raised_unit_id.get())
        .bind(day(n.raised_on))
        .bind(n.day_count.key())
        .bind(n.parent_id.map(|p| p.get()))
        .bind(n.meeting_id.map(|m| m.get()))
        .bind(n.patrol_id.map(|p| p.get()))
        .bind(n.report_month.map(|m| m.to_string()))
        .bind(now)
        .bind(n.briefing_id)
        .fetch_one(c)
        .await)?;
    Ok((ItemId(id), number))
}

pub async fn get_item(tx: &mut Tx, id: ItemId) -> Result<Option<ItemRow>, DbError> {
    let sql = format!("{ITEM_COLS} FROM problem_items i{ITEM_JOINS} WHERE i.id = $1");
    run!(tx, |c| sqlx::query_as::<_, ItemRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(ItemRow::try_from)
    .transpose()
}

/// Writes the workflow fields of an item if nobody changed it since `row.version` was read;
/// returns false on a stale version. Supervision fields are left alone (see [`set_alert`]).
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
        .bind(row.id.get())
        .bind(row.version)
        .bind(row.state.key())
        .bind(row.extension_pending)
        .bind(row.verified)
        .bind(row.handler_unit_id.map(|u| u.get()))
        .bind(id_list(&row.assisting_unit_ids))
        .bind(row.assigning_leader_id.map(|l| l.get()))
        .bind(opt_day(row.assigned_on))
        .bind(opt_day(row.deadline))
        .bind(opt_day(row.requested_deadline))
        .bind(&row.resolution)
        .bind(opt_day(row.closed_on))
        .bind(row.close_days)
        .bind(row.day_count.key())
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
    id: ItemId,
    alert: Alert,
    yellow_reply_by: Option<NaiveDate>,
    interview: bool,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE problem_items SET alert = $2, yellow_reply_by = COALESCE($3, yellow_reply_by), interview = $4 WHERE id = $1";
    run!(tx, |c| sqlx::query(SQL)
        .bind(id.get())
        .bind(alert.key())
        .bind(opt_day(yellow_reply_by))
        .bind(interview)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// A granted extension starts the ladder again: no alert and no 黄 reply date (the 约谈 flag,
/// a fact about what happened, stays).
pub async fn clear_alert(tx: &mut Tx, id: ItemId) -> Result<(), DbError> {
    const SQL: &str = "UPDATE problem_items SET alert = '', yellow_reply_by = NULL WHERE id = $1";
    run!(tx, |c| sqlx::query(SQL)
        .bind(id.get())
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// An item of the same title and project the same person registered since `since` (a form
/// sent twice): (id, number).
pub async fn recent_twin(
    tx: &mut Tx,
    region: &RegionCode,
    title: &str,
    project_id: Option<ProjectId>,
    raised_by: &str,
    since: DateTime<Utc>,
) -> Result<Option<(ItemId, String)>, DbError> {
    const SQL: &str = "SELECT id, number FROM problem_items WHERE region_code = $1 AND title = $2
                AND COALESCE(project_id, 0) = $3 AND raised_by = $4 AND created_at >= $5 ORDER BY id LIMIT 1";
    let project = project_id.map(|p| p.get()).unwrap_or(0);
    if let Some(c) = tx.direct_write().await? {
        let params: [&dyn ToSql; 5] = [
            &region.as_str(),
            &title,
            &project,
            &raised_by,
            &direct::Time(since),
        ];
        return direct::first_on(c, SQL, &params, |r| {
            Ok((ItemId(direct::at(r, 0, "id")?), direct::at(r, 1, "number")?))
        });
    }
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, String)>(SQL)
        .bind(region.as_str())
        .bind(title)
        .bind(project_id.map(|p| p.get()).unwrap_or(0))
        .bind(raised_by)
        .bind(since)
        .fetch_optional(c)
        .await)?
    .map(|(id, n)| (ItemId(id), n)))
}

/// The item already raised from a project's monthly report, if any: (id, number).
pub async fn raised_from_report(
    tx: &mut Tx,
    project_id: ProjectId,
    month: ReportMonth,
) -> Result<Option<(ItemId, String)>, DbError> {
    const SQL: &str = "SELECT id, number FROM problem_items WHERE project_id = $1 AND report_month = $2 ORDER BY id LIMIT 1";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, String)>(SQL)
        .bind(project_id.get())
        .bind(month.to_string())
        .fetch_optional(c)
        .await)?
    .map(|(id, n)| (ItemId(id), n)))
}

/// Whose items a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemScope {
    Region,
    /// Items the unit handles, assists with or raised.
    Unit(UnitId),
    /// Items the unit raised or handles.
    Owner(UnitId),
}

/// A list's filter; the scope is set by the service from the actor, never from the request.
#[derive(Debug, Clone)]
pub struct ItemFilter {
    pub region: RegionCode,
    pub scope: ItemScope,
    pub q: Option<String>,
    pub state: Option<State>,
    /// Every state but closed and withdrawn.
    pub open_only: bool,
    /// Open with the unit and past the deadline on this day.
    pub overdue_on: Option<NaiveDate>,
    pub source: Option<Source>,
    pub category: Option<Category>,
    pub kind: Option<ItemKind>,
    pub handler_unit_id: Option<UnitId>,
    pub project_id: Option<ProjectId>,
    pub meeting_id: Option<MeetingId>,
    pub briefing_id: Option<i64>,
    pub year: Option<i32>,
    pub alert: Option<Alert>,
    pub limit: i64,
    pub offset: i64,
}

impl ItemFilter {
    /// Every item of the scope, newest first, the first page of 50.
    pub fn new(region: RegionCode, scope: ItemScope) -> Self {
        ItemFilter {
            region,
            scope,
            q: None,
            state: None,
            open_only: false,
            overdue_on: None,
            source: None,
            category: None,
            kind: None,
            handler_unit_id: None,
            project_id: None,
            meeting_id: None,
            briefing_id: None,
            year: None,
            alert: None,
            limit: 50,
            offset: 0,
        }
    }
}

fn item_where(f: &ItemFilter) -> Where {
    let mut w = Where::default();
    w.in_region("i.region_code", &f.region);
    match f.scope {
        ItemScope::Region => {}
        ItemScope::Unit(u) => w.push(
            "(i.handler_unit_id = ? OR i.raised_unit_id = ? OR i.assisting_unit_ids LIKE ?)",
            vec![
                Param::I64(u.get()),
                Param::I64(u.get()),
                Param::Text(format!("%,{u},%")),
            ],
        ),
        ItemScope::Owner(u) => w.push(
            "(i.handler_unit_id = ? OR i.raised_unit_id = ?)",
            vec![Param::I64(u.get()), Param::I64(u.get())],
        ),
    }
    if let Some(q) = f.q.as_ref().filter(|q| !q.trim().is_empty()) {
        // typed text is matched literally: LIKE's wildcards are escaped, not dropped (a lone
        // "%" used to match every item)
        let esc = q
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let like = format!("%{esc}%");
        w.push(
            "(i.title LIKE ? ESCAPE '\\' OR i.number LIKE ? ESCAPE '\\' OR i.description LIKE ? ESCAPE '\\')",
            vec![
                Param::Text(like.clone()),
                Param::Text(like.clone()),
                Param::Text(like),
            ],
        );
    }
    if let Some(s) = f.state {
        w.push("i.state = ?", vec![Param::Text(s.key().into())]);
    }
    if f.open_only {
        w.push("i.state NOT IN ('closed', 'withdrawn')", vec![]);
    }
    if let Some(d) = f.overdue_on {
        w.push(
            "i.state IN ('assigned', 'in_progress') AND i.deadline < ?",
            vec![Param::Text(day(d))],
        );
    }
    for (col, v) in [
        ("i.source", f.source.map(|x| x.key())),
        ("i.category", f.category.map(|x| x.key())),
        ("i.kind", f.kind.map(|x| x.key())),
        ("i.alert", f.alert.map(|x| x.key())),
    ] {
        if let Some(v) = v {
            w.push(&format!("{col} = ?"), vec![Param::Text(v.into())]);
        }
    }
    for (col, v) in [
        ("i.handler_unit_id", f.handler_unit_id.map(|x| x.get())),
        ("i.project_id", f.project_id.map(|x| x.get())),
        ("i.meeting_id", f.meeting_id.map(|x| x.get())),
        ("i.briefing_id", f.briefing_id),
        ("i.year", f.year.map(i64::from)),
    ] {
        if let Some(v) = v {
            w.push(&format!("{col} = ?"), vec![Param::I64(v)]);
        }
    }
    w
}

/// The filter over `problem_item_counts` that counts the same items as [`item_where`], when
/// the filter is one the kept counts can answer: a whole region (no unit scope), by year and
/// state only. The same column names (`i.region_code`, `i.state`, `i.year`) keep the
/// conditions identical.
fn counted_where(f: &ItemFilter) -> Option<Where> {
    let plain = matches!(f.scope, ItemScope::Region)
        && f.q.as_ref().is_none_or(|q| q.trim().is_empty())
        && f.overdue_on.is_none()
        && f.source.is_none()
        && f.category.is_none()
        && f.kind.is_none()
        && f.alert.is_none()
        && f.handler_unit_id.is_none()
        && f.project_id.is_none()
        && f.meeting_id.is_none()
        && f.briefing_id.is_none();
    if !plain {
        return None;
    }
    let mut w = Where::default();
    w.in_region("i.region_code", &f.region);
    if let Some(s) = f.state {
        w.push("i.state = ?", vec![Param::Text(s.key().into())]);
    }
    if f.open_only {
        w.push("i.state NOT IN ('closed', 'withdrawn')", vec![]);
    }
    if let Some(y) = f.year {
        w.push("i.year = ?", vec![Param::I64(y.into())]);
    }
    Some(w)
}

/// A page of items (newest first) and the count of all that match.
pub async fn list_items(tx: &mut Tx, f: &ItemFilter) -> Result<(Vec<ItemRow>, i64), DbError> {
    let w = item_where(f);
    let n = w.next_placeholder();
    let sql = format!(
                "{ITEM_COLS}
         FROM (SELECT i.id FROM problem_items i{} ORDER BY i.year DESC, i.seq DESC LIMIT ${} OFFSET ${}) k
         JOIN problem_items i ON i.id = k.id{ITEM_JOINS} ORDER BY i.year DESC, i.seq DESC",
        w.sql(),
        n,
                n + 1,
    );
    let (count_sql, count_params) = match counted_where(f) {
        Some(c) => (
            format!(
                "SELECT CAST(COALESCE(SUM(i.n), 0) AS BIGINT) FROM problem_item_counts i{}",
                c.sql()
            ),
            c.params,
        ),
        None => (
            format!("SELECT COUNT(*) FROM problem_items i{}", w.sql()),
            w.params.clone(),
        ),
    };
    let mut params = w.params;
    params.extend([Param::I64(f.limit), Param::I64(f.offset)]);
    let rows = ItemRaw::fetch_all(tx, &sql, &params).await?;
    let count = direct::count(tx, &count_sql, &count_params).await?;
    Ok((decode_all(rows)?, count))
}

/// What the supervision job needs of an item the unit must act on.
#[derive(Debug, Clone)]
pub struct WatchedRow {
    pub id: ItemId,
    pub region_code: RegionCode,
    pub state: State,
    pub deadline: NaiveDate,
    pub alert: Option<Alert>,
    pub yellow_reply_by: Option<NaiveDate>,
    pub handler_unit_id: UnitId,
    pub number: String,
    pub title: String,
}

#[derive(sqlx::FromRow)]
struct WatchedRaw {
    id: i64,
    region_code: String,
    state: String,
    deadline: String,
    alert: String,
    yellow_reply_by: Option<String>,
    handler_unit_id: i64,
    number: String,
    title: String,
}

/// Open items with the unit whose deadline is on or before `deadline_before` (the end of the
/// reminder window); items already at 红 are done with supervision.
pub async fn watched(
    tx: &mut Tx,
    region: &RegionCode,
    deadline_before: NaiveDate,
) -> Result<Vec<WatchedRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT id, region_code, state, deadline, alert, yellow_reply_by, handler_unit_id, number, title
        FROM problem_items
        WHERE region_code >= $1 AND region_code < $2 AND state IN ('assigned', 'in_progress')
          AND alert <> 'red' AND deadline IS NOT NULL AND handler_unit_id IS NOT NULL AND deadline <= $3
        ORDER BY id";
    let raw = run!(tx, |c| sqlx::query_as::<_, WatchedRaw>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(day(deadline_before))
        .fetch_all(c)
        .await)?;
    raw.into_iter()
        .map(|r| {
            Ok(WatchedRow {
                id: ItemId(r.id),
                region_code: decode::region("problem_items.region_code", &r.region_code)?,
                state: decode::key("problem_items.state", &r.state, State::from_key)?,
                deadline: decode::date("problem_items.deadline", &r.deadline)?,
                alert: decode::opt_key("problem_items.alert", &r.alert, Alert::from_key)?,
                yellow_reply_by: decode::opt_date(
                    "problem_items.yellow_reply_by",
                    r.yellow_reply_by,
                )?,
                handler_unit_id: UnitId(r.handler_unit_id),
                number: r.number,
                title: r.title,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_reader_reads_as_many_values_as_the_columns_select() {
        let selected = ITEM_COLS.trim_start_matches("SELECT").split(',').count();
        assert_eq!(selected, ItemRaw::DIRECT_COLUMNS);
    }
}
