//! The problem list's figures: one pass over the items per period, and the year's totals the
//! annual report states.

use crate::decode::{self, day};
use crate::{DbError, Param, Tx, bind_params, run};
use chrono::NaiveDate;
use keyproj_domain::RegionCode;
use keyproj_domain::ids::{LeaderId, ProjectId, UnitId};
use keyproj_domain::problem::{Category, Source};
use serde::Serialize;

/// Figures of one (handling unit, source, category, assigning leader) group over a period:
/// the `a_` sums count items assigned in the period, the `r_` sums items raised in it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PeriodRow {
    pub handler_unit_id: Option<UnitId>,
    pub source: Source,
    pub category: Category,
    pub assigning_leader_id: Option<LeaderId>,
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

#[derive(sqlx::FromRow)]
struct PeriodRaw {
    handler_unit_id: Option<i64>,
    source: String,
    category: String,
    assigning_leader_id: Option<i64>,
    a_count: i64,
    a_closed: i64,
    a_closed_on_time: i64,
    a_overdue: i64,
    a_close_days: i64,
    a_letters: i64,
    r_count: i64,
    r_closed: i64,
    r_overdue: i64,
}

impl TryFrom<PeriodRaw> for PeriodRow {
    type Error = DbError;
    fn try_from(r: PeriodRaw) -> Result<PeriodRow, DbError> {
        Ok(PeriodRow {
            handler_unit_id: r.handler_unit_id.map(UnitId),
            source: decode::key("problem_items.source", &r.source, Source::from_key)?,
            category: decode::key("problem_items.category", &r.category, Category::from_key)?,
            assigning_leader_id: r.assigning_leader_id.map(LeaderId),
            a_count: r.a_count,
            a_closed: r.a_closed,
            a_closed_on_time: r.a_closed_on_time,
            a_overdue: r.a_overdue,
            a_close_days: r.a_close_days,
            a_letters: r.a_letters,
            r_count: r.r_count,
            r_closed: r.r_closed,
            r_overdue: r.r_overdue,
        })
    }
}

/// Every statistic of a period in one pass over the items (a covering index serves it);
/// `from`..`to` (exclusive); `today` decides what is overdue.
pub async fn period_stats(
    tx: &mut Tx,
    region: &RegionCode,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
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
    run!(tx, |c| sqlx::query_as::<_, PeriodRaw>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(day(from))
        .bind(day(to))
        .bind(day(today))
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(PeriodRow::try_from)
    .collect()
}

/// The year's totals the reference states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct YearTotals {
    pub raised: i64,
    pub assigned: i64,
    pub closed: i64,
    /// Open with the unit and past the deadline today.
    pub overdue: i64,
}

pub async fn year_totals(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    today: NaiveDate,
) -> Result<YearTotals, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT COUNT(*),
        CAST(COALESCE(SUM(CASE WHEN i.assigned_on IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT),
        CAST(COALESCE(SUM(CASE WHEN i.state = 'closed' THEN 1 ELSE 0 END), 0) AS BIGINT),
        CAST(COALESCE(SUM(CASE WHEN i.state IN ('assigned', 'in_progress') AND i.deadline < $4 THEN 1 ELSE 0 END), 0) AS BIGINT)
        FROM problem_items i WHERE i.region_code >= $1 AND i.region_code < $2 AND i.year = $3 AND i.state <> 'withdrawn'";
    let (raised, assigned, closed, overdue) =
        run!(tx, |c| sqlx::query_as::<_, (i64, i64, i64, i64)>(SQL)
            .bind(&lo)
            .bind(&hi)
            .bind(year as i64)
            .bind(day(today))
            .fetch_one(c)
            .await)?;
    Ok(YearTotals {
        raised,
        assigned,
        closed,
        overdue,
    })
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
    project_ids: &[ProjectId],
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
    params.extend(project_ids.iter().map(|i| Param::I64(i.get())));
    Ok(run!(tx, |c| bind_params!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
        params
    )
    .fetch_one(c)
    .await)?)
}
