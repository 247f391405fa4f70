//! 帮代办: the region's catalogue of approval items and the items run on each project's behalf
//! with their log.

use crate::decode::{self, day, opt_day};
use crate::{DbError, Param, Tx, Where, bind_params, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::ids::{ApprovalItemId, CatalogueEntryId, ItemId, ProjectId, UnitId};
use keyproj_domain::pipeline::approvals::{
    CatalogueFields, Clock, Pauses, decode_pauses, encode_pauses,
};
use keyproj_domain::pipeline::{ApprovalState, ApprovalStep};
use keyproj_domain::problem::calendar::DayCount;
use serde::Serialize;

// --- the catalogue -----------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueRow {
    pub id: CatalogueEntryId,
    pub region_code: RegionCode,
    pub name: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub limit_days: u32,
    pub day_count: DayCount,
    pub seq: i64,
    /// No longer offered for new items (kept for those that name it).
    pub retired: bool,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct CatalogueRaw {
    id: i64,
    region_code: String,
    name: String,
    unit_id: i64,
    unit_name: String,
    limit_days: i64,
    day_count: String,
    seq: i64,
    retired: bool,
    version: i64,
}

impl TryFrom<CatalogueRaw> for CatalogueRow {
    type Error = DbError;
    fn try_from(r: CatalogueRaw) -> Result<CatalogueRow, DbError> {
        Ok(CatalogueRow {
            id: CatalogueEntryId(r.id),
            region_code: decode::region("approval_catalogue.region_code", &r.region_code)?,
            name: r.name,
            unit_id: UnitId(r.unit_id),
            unit_name: r.unit_name,
            limit_days: u32::try_from(r.limit_days).map_err(|_| {
                DbError::Decode("approval_catalogue.limit_days", r.limit_days.to_string())
            })?,
            day_count: decode::key(
                "approval_catalogue.day_count",
                &r.day_count,
                DayCount::from_key,
            )?,
            seq: r.seq,
            retired: r.retired,
            version: r.version,
        })
    }
}

const CATALOGUE_SELECT: &str = "SELECT c.id, c.region_code, c.name, c.unit_id, u.name AS unit_name, c.limit_days,
    c.day_count, c.seq, c.retired, c.version FROM approval_catalogue c JOIN units u ON u.id = c.unit_id";

/// The catalogue of a region (not of the regions below: each county keeps its own), in order.
pub async fn list_catalogue(
    tx: &mut Tx,
    region: &RegionCode,
) -> Result<Vec<CatalogueRow>, DbError> {
    let sql = format!("{CATALOGUE_SELECT} WHERE c.region_code = $1 ORDER BY c.seq, c.id");
    run!(tx, |c| sqlx::query_as::<_, CatalogueRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(region.as_str())
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(CatalogueRow::try_from)
    .collect()
}

pub async fn get_catalogue(
    tx: &mut Tx,
    id: CatalogueEntryId,
) -> Result<Option<CatalogueRow>, DbError> {
    let sql = format!("{CATALOGUE_SELECT} WHERE c.id = $1");
    run!(tx, |c| sqlx::query_as::<_, CatalogueRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(CatalogueRow::try_from)
    .transpose()
}

pub async fn insert_catalogue(
    tx: &mut Tx,
    region: &RegionCode,
    f: &CatalogueFields,
    now: DateTime<Utc>,
) -> Result<CatalogueEntryId, DbError> {
    const SQL: &str = "INSERT INTO approval_catalogue (region_code, name, unit_id, limit_days, day_count, seq, retired, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(seq), 0) + 1 FROM approval_catalogue WHERE region_code = $1), FALSE, 1, $6, $6)
        RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region.as_str())
        .bind(&f.name)
        .bind(f.unit_id.get())
        .bind(f.limit_days as i64)
        .bind(f.day_count.key())
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok(CatalogueEntryId(id))
}

/// Changes an entry if it is still at `version`; false when someone changed it meanwhile.
pub async fn update_catalogue(
    tx: &mut Tx,
    id: CatalogueEntryId,
    f: &CatalogueFields,
    retired: bool,
    version: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE approval_catalogue SET name = $1, unit_id = $2, limit_days = $3, day_count = $4, retired = $5,
        version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(&f.name)
        .bind(f.unit_id.get())
        .bind(f.limit_days as i64)
        .bind(f.day_count.key())
        .bind(retired)
        .bind(now)
        .bind(id.get())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// --- the items ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalRow {
    pub id: ApprovalItemId,
    pub region_code: RegionCode,
    pub project_id: ProjectId,
    pub project_name: String,
    /// The project's owner (业主) unit: owners see their projects' items.
    pub owner_unit_id: Option<UnitId>,
    pub catalogue_id: Option<CatalogueEntryId>,
    pub name: String,
    /// The competent department.
    pub unit_id: UnitId,
    pub unit_name: String,
    pub limit_days: u32,
    pub day_count: DayCount,
    /// The agent's login (代办员).
    pub agent: String,
    pub state: ApprovalState,
    pub received_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub pauses: Pauses,
    pub approval_no: Option<String>,
    pub note: String,
    /// The problem-list item it was raised as, when overdue.
    pub problem_item_id: Option<ItemId>,
    pub version: i64,
}

impl ApprovalRow {
    /// The item's clock against its promised limit.
    pub fn clock(&self) -> Clock<'_> {
        Clock {
            state: self.state,
            accepted_on: self.accepted_on,
            completed_on: self.completed_on,
            pauses: &self.pauses,
            limit_days: self.limit_days,
            day_count: self.day_count,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ApprovalRaw {
    id: i64,
    region_code: String,
    project_id: i64,
    project_name: String,
    owner_unit_id: Option<i64>,
    catalogue_id: Option<i64>,
    name: String,
    unit_id: i64,
    unit_name: String,
    limit_days: i64,
    day_count: String,
    agent: String,
    state: String,
    received_on: Option<String>,
    accepted_on: Option<String>,
    completed_on: Option<String>,
    pauses: String,
    approval_no: Option<String>,
    note: String,
    problem_item_id: Option<i64>,
    version: i64,
}

impl TryFrom<ApprovalRaw> for ApprovalRow {
    type Error = DbError;
    fn try_from(r: ApprovalRaw) -> Result<ApprovalRow, DbError> {
        Ok(ApprovalRow {
            id: ApprovalItemId(r.id),
            region_code: decode::region("approval_items.region_code", &r.region_code)?,
            project_id: ProjectId(r.project_id),
            project_name: r.project_name,
            owner_unit_id: r.owner_unit_id.map(UnitId),
            catalogue_id: r.catalogue_id.map(CatalogueEntryId),
            name: r.name,
            unit_id: UnitId(r.unit_id),
            unit_name: r.unit_name,
            limit_days: u32::try_from(r.limit_days).map_err(|_| {
                DbError::Decode("approval_items.limit_days", r.limit_days.to_string())
            })?,
            day_count: decode::key("approval_items.day_count", &r.day_count, DayCount::from_key)?,
            agent: r.agent,
            state: decode::key("approval_items.state", &r.state, ApprovalState::from_key)?,
            received_on: decode::opt_date("approval_items.received_on", r.received_on)?,
            accepted_on: decode::opt_date("approval_items.accepted_on", r.accepted_on)?,
            completed_on: decode::opt_date("approval_items.completed_on", r.completed_on)?,
            pauses: decode_pauses(&r.pauses)
                .ok_or_else(|| DbError::Decode("approval_items.pauses", r.pauses.clone()))?,
            approval_no: r.approval_no,
            note: r.note,
            problem_item_id: r.problem_item_id.map(ItemId),
            version: r.version,
        })
    }
}

const ITEM_SELECT: &str = "SELECT a.id, a.region_code, a.project_id, p.name AS project_name, p.owner_unit_id,
    a.catalogue_id, a.name, a.unit_id, u.name AS unit_name, a.limit_days, a.day_count, a.agent, a.state,
    a.received_on, a.accepted_on, a.completed_on, a.pauses, a.approval_no, a.note, a.problem_item_id, a.version
    FROM approval_items a JOIN projects p ON p.id = a.project_id JOIN units u ON u.id = a.unit_id";

/// An item as written.
pub struct NewApproval<'a> {
    pub region: &'a RegionCode,
    pub project_id: ProjectId,
    pub catalogue_id: Option<CatalogueEntryId>,
    pub name: &'a str,
    pub unit_id: UnitId,
    pub limit_days: u32,
    pub day_count: DayCount,
    pub agent: &'a str,
    pub state: ApprovalState,
    pub received_on: Option<NaiveDate>,
    pub note: &'a str,
}

pub async fn insert_item(
    tx: &mut Tx,
    n: &NewApproval<'_>,
    now: DateTime<Utc>,
) -> Result<ApprovalItemId, DbError> {
    const SQL: &str = "INSERT INTO approval_items (region_code, project_id, catalogue_id, name, unit_id, limit_days, day_count,
        agent, state, received_on, accepted_on, completed_on, pauses, approval_no, note, problem_item_id, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, '', NULL, $11, NULL, 1, $12, $12) RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.region.as_str())
        .bind(n.project_id.get())
        .bind(n.catalogue_id.map(|c| c.get()))
        .bind(n.name)
        .bind(n.unit_id.get())
        .bind(n.limit_days as i64)
        .bind(n.day_count.key())
        .bind(n.agent)
        .bind(n.state.key())
        .bind(opt_day(n.received_on))
        .bind(n.note)
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok(ApprovalItemId(id))
}

pub async fn get_item(tx: &mut Tx, id: ApprovalItemId) -> Result<Option<ApprovalRow>, DbError> {
    let sql = format!("{ITEM_SELECT} WHERE a.id = $1");
    run!(tx, |c| sqlx::query_as::<_, ApprovalRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(ApprovalRow::try_from)
    .transpose()
}

/// A project's item of this name (the first, should there be two), if any.
pub async fn find_item(
    tx: &mut Tx,
    project: ProjectId,
    name: &str,
) -> Result<Option<ApprovalRow>, DbError> {
    // the live one first (not refused or withdrawn), then the latest
    let sql = format!(
        "{ITEM_SELECT} WHERE a.project_id = $1 AND a.name = $2
         ORDER BY CASE WHEN a.state IN ('refused', 'withdrawn') THEN 1 ELSE 0 END, a.id DESC LIMIT 1"
    );
    run!(tx, |c| sqlx::query_as::<_, ApprovalRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(project.get())
    .bind(name)
    .fetch_optional(c)
    .await)?
    .map(ApprovalRow::try_from)
    .transpose()
}

/// An item's state and dates after a step, written if it is still at `version`.
pub struct ItemUpdate<'a> {
    pub id: ApprovalItemId,
    pub version: i64,
    pub state: ApprovalState,
    pub received_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub pauses: &'a [(NaiveDate, Option<NaiveDate>)],
    pub approval_no: Option<&'a str>,
}

/// False when someone changed the item meanwhile.
pub async fn update_item(
    tx: &mut Tx,
    u: &ItemUpdate<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE approval_items SET state = $1, received_on = $2, accepted_on = $3, completed_on = $4,
        pauses = $5, approval_no = $6, version = version + 1, updated_at = $7 WHERE id = $8 AND version = $9";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(u.state.key())
        .bind(opt_day(u.received_on))
        .bind(opt_day(u.accepted_on))
        .bind(opt_day(u.completed_on))
        .bind(encode_pauses(u.pauses))
        .bind(u.approval_no)
        .bind(now)
        .bind(u.id.get())
        .bind(u.version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Links the problem-list item an overdue item was raised as; false when it already has one
/// (raised by someone else a moment ago): never twice.
pub async fn set_problem(
    tx: &mut Tx,
    id: ApprovalItemId,
    problem: ItemId,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE approval_items SET problem_item_id = $1, version = version + 1 WHERE id = $2 AND problem_item_id IS NULL";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(problem.get())
        .bind(id.get())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Whose items a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalScope {
    /// The whole region (center staff, county leaders).
    Region,
    /// Where the unit is the competent department.
    Department(UnitId),
    /// The items of the unit's projects (owners).
    Owner(UnitId),
}

#[derive(Debug, Clone)]
pub struct ApprovalFilter {
    pub region: RegionCode,
    pub scope: ApprovalScope,
    pub q: Option<String>,
    pub state: Option<ApprovalState>,
    /// Not done, refused or withdrawn.
    pub open_only: bool,
    pub project_id: Option<ProjectId>,
    pub unit_id: Option<UnitId>,
    pub agent: Option<String>,
    /// None: every matching row (the overdue list and the statistics compute in days).
    pub limit: Option<i64>,
    pub offset: i64,
}

impl ApprovalFilter {
    pub fn new(region: RegionCode, scope: ApprovalScope) -> ApprovalFilter {
        ApprovalFilter {
            region,
            scope,
            q: None,
            state: None,
            open_only: false,
            project_id: None,
            unit_id: None,
            agent: None,
            limit: None,
            offset: 0,
        }
    }
}

fn item_where(f: &ApprovalFilter) -> Where {
    let mut w = Where::default();
    let (lo, hi) = f.region.subtree_range();
    w.push(
        "a.region_code >= ? AND a.region_code < ?",
        vec![Param::Text(lo), Param::Text(hi)],
    );
    match f.scope {
        ApprovalScope::Region => {}
        ApprovalScope::Department(u) => w.push("a.unit_id = ?", vec![Param::I64(u.get())]),
        ApprovalScope::Owner(u) => w.push(
            "a.project_id IN (SELECT id FROM projects WHERE owner_unit_id = ?)",
            vec![Param::I64(u.get())],
        ),
    }
    if let Some(q) = f.q.as_ref().filter(|q| !q.trim().is_empty()) {
        let like = format!("%{}%", q.trim().replace(['%', '_'], ""));
        w.push(
            "(a.name LIKE ? OR a.approval_no LIKE ? OR a.project_id IN (SELECT id FROM projects WHERE name LIKE ?))",
            vec![
                Param::Text(like.clone()),
                Param::Text(like.clone()),
                Param::Text(like),
            ],
        );
    }
    if let Some(s) = f.state {
        w.push("a.state = ?", vec![Param::Text(s.key().into())]);
    }
    if f.open_only {
        w.push("a.state NOT IN ('done', 'refused', 'withdrawn')", vec![]);
    }
    if let Some(p) = f.project_id {
        w.push("a.project_id = ?", vec![Param::I64(p.get())]);
    }
    if let Some(u) = f.unit_id {
        w.push("a.unit_id = ?", vec![Param::I64(u.get())]);
    }
    if let Some(a) = f.agent.as_ref().filter(|a| !a.is_empty()) {
        w.push("a.agent = ?", vec![Param::Text(a.clone())]);
    }
    w
}

/// The matching items (by project, then id) and the count of all that match.
pub async fn list_items(
    tx: &mut Tx,
    f: &ApprovalFilter,
) -> Result<(Vec<ApprovalRow>, i64), DbError> {
    let w = item_where(f);
    let rows = match f.limit {
        Some(limit) => {
            let n = w.next_placeholder();
            // the page's ids first (the indexes decide), then the joins for those rows only
            let sql = format!(
                "{ITEM_SELECT} JOIN (SELECT a.id FROM approval_items a{} ORDER BY a.project_id DESC, a.id LIMIT ${n} OFFSET ${}) k ON k.id = a.id
                 ORDER BY a.project_id DESC, a.id",
                w.sql(),
                n + 1
            );
            run!(tx, |c| bind_params!(
                sqlx::query_as::<_, ApprovalRaw>(sqlx::AssertSqlSafe(sql.clone())),
                w.params
            )
            .bind(limit)
            .bind(f.offset)
            .fetch_all(c)
            .await)?
        }
        None => {
            // every matching row (statistics, the overdue list, exports): one pass, no page
            let sql = format!("{ITEM_SELECT}{} ORDER BY a.project_id DESC, a.id", w.sql());
            run!(tx, |c| bind_params!(
                sqlx::query_as::<_, ApprovalRaw>(sqlx::AssertSqlSafe(sql.clone())),
                w.params
            )
            .fetch_all(c)
            .await)?
        }
    };
    let rows: Vec<ApprovalRow> = rows
        .into_iter()
        .map(ApprovalRow::try_from)
        .collect::<Result<_, _>>()?;
    let count = if f.limit.is_none() {
        rows.len() as i64
    } else {
        let count_sql = format!("SELECT COUNT(*) FROM approval_items a{}", w.sql());
        run!(tx, |c| bind_params!(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql.clone())),
            w.params
        )
        .fetch_one(c)
        .await)?
    };
    Ok((rows, count))
}

/// What an item's clock and the statistics need, and nothing else (the statistics read every
/// item of a province: nine narrow columns, no joins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRow {
    pub unit_id: UnitId,
    pub agent: String,
    pub state: ApprovalState,
    pub received_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub pauses: Pauses,
    pub limit_days: u32,
    pub day_count: DayCount,
}

impl ClockRow {
    pub fn clock(&self) -> Clock<'_> {
        Clock {
            state: self.state,
            accepted_on: self.accepted_on,
            completed_on: self.completed_on,
            pauses: &self.pauses,
            limit_days: self.limit_days,
            day_count: self.day_count,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ClockRaw {
    unit_id: i64,
    agent: String,
    state: String,
    received_on: Option<String>,
    accepted_on: Option<String>,
    completed_on: Option<String>,
    pauses: String,
    limit_days: i64,
    day_count: String,
}

/// The clocks of every item matching `f` (its page is ignored).
pub async fn clock_rows(tx: &mut Tx, f: &ApprovalFilter) -> Result<Vec<ClockRow>, DbError> {
    let w = item_where(f);
    let sql = format!(
        "SELECT a.unit_id, a.agent, a.state, a.received_on, a.accepted_on, a.completed_on, a.pauses, a.limit_days, a.day_count
         FROM approval_items a{}",
        w.sql()
    );
    run!(tx, |c| bind_params!(
        sqlx::query_as::<_, ClockRaw>(sqlx::AssertSqlSafe(sql.clone())),
        w.params
    )
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(|r| {
        Ok(ClockRow {
            unit_id: UnitId(r.unit_id),
            agent: r.agent,
            state: decode::key("approval_items.state", &r.state, ApprovalState::from_key)?,
            received_on: decode::opt_date("approval_items.received_on", r.received_on)?,
            accepted_on: decode::opt_date("approval_items.accepted_on", r.accepted_on)?,
            completed_on: decode::opt_date("approval_items.completed_on", r.completed_on)?,
            pauses: decode_pauses(&r.pauses)
                .ok_or_else(|| DbError::Decode("approval_items.pauses", r.pauses.clone()))?,
            limit_days: u32::try_from(r.limit_days).map_err(|_| {
                DbError::Decode("approval_items.limit_days", r.limit_days.to_string())
            })?,
            day_count: decode::key("approval_items.day_count", &r.day_count, DayCount::from_key)?,
        })
    })
    .collect()
}

/// How many items each project has, by state (for progress strips and the conversion figures).
pub async fn states_by_project(
    tx: &mut Tx,
    region: &RegionCode,
    project: Option<ProjectId>,
) -> Result<Vec<(ProjectId, ApprovalState, i64)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT project_id, state, COUNT(*) FROM approval_items
        WHERE region_code >= $1 AND region_code < $2 AND ($3 = 0 OR project_id = $3) GROUP BY project_id, state";
    run!(tx, |c| sqlx::query_as::<_, (i64, String, i64)>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(project.map(|p| p.get()).unwrap_or(0))
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|(p, s, n)| {
        Ok((
            ProjectId(p),
            decode::key("approval_items.state", &s, ApprovalState::from_key)?,
            n,
        ))
    })
    .collect()
}

/// One line of an item's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalEventRow {
    pub step: ApprovalStep,
    pub on: NaiveDate,
    pub from_state: ApprovalState,
    pub to_state: ApprovalState,
    pub note: String,
    pub approval_no: Option<String>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct EventRaw {
    step: String,
    on_day: String,
    from_state: String,
    to_state: String,
    note: String,
    approval_no: Option<String>,
    actor: String,
    at: DateTime<Utc>,
}

pub struct NewApprovalEvent<'a> {
    pub item_id: ApprovalItemId,
    pub step: ApprovalStep,
    pub on: NaiveDate,
    pub from_state: ApprovalState,
    pub to_state: ApprovalState,
    pub note: &'a str,
    pub approval_no: Option<&'a str>,
    pub actor: &'a str,
}

pub async fn insert_event(
    tx: &mut Tx,
    e: &NewApprovalEvent<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO approval_events (item_id, step, on_day, from_state, to_state, note, approval_no, actor, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    run!(tx, |c| sqlx::query(SQL)
        .bind(e.item_id.get())
        .bind(e.step.key())
        .bind(day(e.on))
        .bind(e.from_state.key())
        .bind(e.to_state.key())
        .bind(e.note)
        .bind(e.approval_no)
        .bind(e.actor)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn events_of(
    tx: &mut Tx,
    item: ApprovalItemId,
) -> Result<Vec<ApprovalEventRow>, DbError> {
    const SQL: &str = "SELECT step, on_day, from_state, to_state, note, approval_no, actor, at FROM approval_events
        WHERE item_id = $1 ORDER BY id";
    run!(tx, |c| sqlx::query_as::<_, EventRaw>(SQL)
        .bind(item.get())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|r| {
        Ok(ApprovalEventRow {
            step: decode::key("approval_events.step", &r.step, ApprovalStep::from_key)?,
            on: decode::date("approval_events.on_day", &r.on_day)?,
            from_state: decode::key(
                "approval_events.from_state",
                &r.from_state,
                ApprovalState::from_key,
            )?,
            to_state: decode::key(
                "approval_events.to_state",
                &r.to_state,
                ApprovalState::from_key,
            )?,
            note: r.note,
            approval_no: r.approval_no,
            actor: r.actor,
            at: r.at,
        })
    })
    .collect()
}

/// A generated item (benchmarks): written many rows per statement.
#[derive(Debug, Clone)]
pub struct BulkApproval {
    pub region: RegionCode,
    pub project_id: ProjectId,
    pub name: String,
    pub unit_id: UnitId,
    pub limit_days: u32,
    pub agent: String,
    pub state: ApprovalState,
    pub received_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub pauses: Pauses,
}

/// Writes generated items, 500 rows per statement (13 bound values a row stays under both
/// engines' limits on bound parameters).
pub async fn insert_items_bulk(
    tx: &mut Tx,
    rows: &[BulkApproval],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const COLS: usize = 13;
    for chunk in rows.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO approval_items (region_code, project_id, name, unit_id, limit_days, agent, state, received_on,
             accepted_on, completed_on, pauses, created_at, updated_at, approval_no, catalogue_id, day_count, note, problem_item_id, version) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * COLS;
            sql.push('(');
            for k in 1..=COLS {
                sql.push_str(&format!("${}, ", b + k));
            }
            sql.push_str("NULL, NULL, 'working', '', NULL, 1)");
        }
        let mut params: Vec<Param> = Vec::with_capacity(chunk.len() * COLS);
        for r in chunk {
            params.extend([
                Param::Text(r.region.to_string()),
                Param::I64(r.project_id.get()),
                Param::Text(r.name.clone()),
                Param::I64(r.unit_id.get()),
                Param::I64(r.limit_days as i64),
                Param::Text(r.agent.clone()),
                Param::Text(r.state.key().into()),
                Param::Text(opt_day(r.received_on).unwrap_or_default()),
                Param::Text(opt_day(r.accepted_on).unwrap_or_default()),
                Param::Text(opt_day(r.completed_on).unwrap_or_default()),
                Param::Text(encode_pauses(&r.pauses)),
                Param::Time(now),
                Param::Time(now),
            ]);
        }
        run!(tx, |c| bind_params!(
            sqlx::query(sqlx::AssertSqlSafe(sql.clone())),
            params
        )
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}
