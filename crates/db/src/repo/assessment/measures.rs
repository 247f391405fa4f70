//! The records a scoring round reads, narrow and per period: planned projects with their units,
//! approved investment, reports due and exempted months, colour marks of the published tables
//! (corrected issues left out), problem items by handler, supervision letters by recipient and
//! completed 帮代办 items. Each query is one portable SQL text over a region's subtree.

use crate::decode;
use crate::{DbError, Tx, run};
use chrono::NaiveDate;
use keyproj_domain::pipeline::ApprovalState;
use keyproj_domain::pipeline::approvals::{Pauses, decode_pauses};
use keyproj_domain::problem::DayCount;
use keyproj_domain::problem::State as ItemState;
use keyproj_domain::{Money, RegionCode, ReportMonth};

/// A project planned in the year.
#[derive(Debug, Clone)]
pub struct PlannedProject {
    pub id: i64,
    pub name: String,
    pub lead_unit_id: Option<i64>,
    pub township_unit_id: Option<i64>,
    pub owner_unit_id: Option<i64>,
    pub planned_start: Option<ReportMonth>,
    pub actual_start: Option<ReportMonth>,
    pub planned_completion: Option<ReportMonth>,
    pub actual_completion: Option<ReportMonth>,
    pub annual_plan: Money,
    /// The monthly split (empty when the plan is not split).
    pub monthly: Vec<Money>,
}

#[derive(sqlx::FromRow)]
struct PlannedRaw {
    id: i64,
    name: String,
    lead_unit_id: Option<i64>,
    township_unit_id: Option<i64>,
    owner_unit_id: Option<i64>,
    planned_start: Option<String>,
    actual_start: Option<String>,
    planned_completion: Option<String>,
    actual_completion: Option<String>,
    annual_plan_fen: i64,
    monthly_fen: String,
}

pub async fn planned_projects(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<PlannedProject>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT p.id, p.name, p.lead_unit_id, p.township_unit_id, p.owner_unit_id, p.planned_start, p.actual_start,
            p.planned_completion, p.actual_completion, pl.annual_plan_fen, pl.monthly_fen
        FROM plans pl JOIN projects p ON p.id = pl.project_id
        WHERE p.region_code >= $1 AND p.region_code < $2 AND pl.year = $3 ORDER BY p.id";
    run!(tx, |c| sqlx::query_as::<_, PlannedRaw>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(year as i64)
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|r| {
        Ok(PlannedProject {
            id: r.id,
            name: r.name,
            lead_unit_id: r.lead_unit_id,
            township_unit_id: r.township_unit_id,
            owner_unit_id: r.owner_unit_id,
            planned_start: decode::opt_month("projects.planned_start", r.planned_start)?,
            actual_start: decode::opt_month("projects.actual_start", r.actual_start)?,
            planned_completion: decode::opt_month(
                "projects.planned_completion",
                r.planned_completion,
            )?,
            actual_completion: decode::opt_month(
                "projects.actual_completion",
                r.actual_completion,
            )?,
            annual_plan: Money::from_fen(r.annual_plan_fen),
            monthly: crate::repo::dispatch::plans::monthly_of("plans.monthly_fen", &r.monthly_fen)?,
        })
    })
    .collect()
}

/// (project, responsible unit) of the year's planned projects.
pub async fn responsible_units(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<(i64, i64)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT pu.project_id, pu.unit_id FROM project_units pu
        JOIN plans pl ON pl.project_id = pu.project_id JOIN projects p ON p.id = pu.project_id
        WHERE p.region_code >= $1 AND p.region_code < $2 AND pl.year = $3";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, i64)>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(year as i64)
        .fetch_all(c)
        .await)?)
}

/// Approved investment per project from `from` to `to` (months, inclusive).
pub async fn approved_investment(
    tx: &mut Tx,
    region: &RegionCode,
    from: ReportMonth,
    to: ReportMonth,
) -> Result<Vec<(i64, i64)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT r.project_id, CAST(SUM(r.month_investment_fen) AS BIGINT) FROM monthly_reports r
        JOIN projects p ON p.id = r.project_id
        WHERE p.region_code >= $1 AND p.region_code < $2 AND r.status = 'approved' AND r.month >= $3 AND r.month <= $4
        GROUP BY r.project_id";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, i64)>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(c)
        .await)?)
}

/// A report of the period as first submitted (any status: timeliness counts the first
/// submission).
#[derive(Debug, Clone, Copy)]
pub struct SubmittedReport {
    pub id: i64,
    pub project_id: i64,
    pub month: ReportMonth,
    pub first_submitted_on: NaiveDate,
}

pub async fn submitted_reports(
    tx: &mut Tx,
    region: &RegionCode,
    from: ReportMonth,
    to: ReportMonth,
) -> Result<Vec<SubmittedReport>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str =
        "SELECT r.id, r.project_id, r.month, r.first_submitted_on FROM monthly_reports r
        JOIN projects p ON p.id = r.project_id
        WHERE p.region_code >= $1 AND p.region_code < $2 AND r.month >= $3 AND r.month <= $4";
    run!(tx, |c| sqlx::query_as::<_, (i64, i64, String, String)>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|(id, project_id, month, first)| {
        Ok(SubmittedReport {
            id,
            project_id,
            month: decode::month("monthly_reports.month", &month)?,
            first_submitted_on: decode::date("monthly_reports.first_submitted_on", &first)?,
        })
    })
    .collect()
}

/// Exempted (project, month) pairs of the period (正当理由, suspension by decision).
pub async fn exemptions(
    tx: &mut Tx,
    region: &RegionCode,
    from: ReportMonth,
    to: ReportMonth,
) -> Result<Vec<(i64, ReportMonth)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT e.project_id, e.month FROM colour_exemptions e JOIN projects p ON p.id = e.project_id
        WHERE p.region_code >= $1 AND p.region_code < $2 AND e.month >= $3 AND e.month <= $4";
    run!(tx, |c| sqlx::query_as::<_, (i64, String)>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|(p, m)| Ok((p, decode::month("colour_exemptions.month", &m)?)))
    .collect()
}

/// A red or yellow row of a published colour table of the period that no later issue corrects.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    pub issue_id: i64,
    pub month: ReportMonth,
    pub project_id: i64,
    pub red: bool,
}

pub async fn colour_marks(
    tx: &mut Tx,
    region: &RegionCode,
    from: ReportMonth,
    to: ReportMonth,
) -> Result<Vec<Mark>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT i.id, i.as_of_month, r.project_id, r.colour FROM colour_issue_rows r
        JOIN colour_issues i ON i.id = r.issue_id
        WHERE i.region_code >= $1 AND i.region_code < $2 AND i.as_of_month >= $3 AND i.as_of_month <= $4
          AND r.colour IN ('red', 'yellow')
          AND NOT EXISTS (SELECT 1 FROM colour_issues c WHERE c.corrects_issue_id = i.id)";
    run!(tx, |c| sqlx::query_as::<_, (i64, String, i64, String)>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|(issue_id, month, project_id, colour)| {
        Ok(Mark {
            issue_id,
            month: decode::month("colour_issues.as_of_month", &month)?,
            project_id,
            red: colour == "red",
        })
    })
    .collect()
}

/// A problem item assigned in the period, by its handling unit (withdrawn items left out).
#[derive(Debug, Clone)]
pub struct HandledItem {
    pub id: i64,
    pub number: String,
    pub handler_unit_id: i64,
    pub state: ItemState,
    pub deadline: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
}

pub async fn handled_items(
    tx: &mut Tx,
    region: &RegionCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<HandledItem>, DbError> {
    let (lo, hi) = region.subtree_range();
    type Raw = (i64, String, i64, String, Option<String>, Option<String>);
    const SQL: &str =
        "SELECT id, number, handler_unit_id, state, deadline, closed_on FROM problem_items
        WHERE region_code >= $1 AND region_code < $2 AND handler_unit_id IS NOT NULL
          AND assigned_on >= $3 AND assigned_on <= $4 AND state <> 'withdrawn' ORDER BY id";
    run!(tx, |c| sqlx::query_as::<_, Raw>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(decode::day(from))
        .bind(decode::day(to))
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|(id, number, unit, state, deadline, closed_on)| {
        Ok(HandledItem {
            id,
            number,
            handler_unit_id: unit,
            state: decode::key("problem_items.state", &state, ItemState::from_key)?,
            deadline: decode::opt_date("problem_items.deadline", deadline)?,
            closed_on: decode::opt_date("problem_items.closed_on", closed_on)?,
        })
    })
    .collect()
}

/// A supervision letter issued in the period: (id, number, kind key, recipient unit).
pub async fn letters(
    tx: &mut Tx,
    region: &RegionCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i64, String, String, i64)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT id, number, kind, recipient_unit_id FROM documents
        WHERE region_code >= $1 AND region_code < $2 AND kind IN ('letter_blue', 'letter_yellow', 'letter_red')
          AND recipient_unit_id IS NOT NULL AND issued_on >= $3 AND issued_on <= $4 ORDER BY id";
    Ok(run!(tx, |c| {
        sqlx::query_as::<_, (i64, String, String, i64)>(SQL)
            .bind(&lo)
            .bind(&hi)
            .bind(decode::day(from))
            .bind(decode::day(to))
            .fetch_all(c)
            .await
    })?)
}

/// A 帮代办 item completed in the period, with what its clock needs.
#[derive(Debug, Clone)]
pub struct DoneApproval {
    pub id: i64,
    pub name: String,
    pub unit_id: i64,
    pub accepted_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub pauses: Pauses,
    pub limit_days: u32,
    pub day_count: DayCount,
}

pub async fn done_approvals(
    tx: &mut Tx,
    region: &RegionCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DoneApproval>, DbError> {
    let (lo, hi) = region.subtree_range();
    type Raw = (
        i64,
        String,
        i64,
        Option<String>,
        Option<String>,
        String,
        i64,
        String,
    );
    const SQL: &str = "SELECT a.id, p.name || '：' || a.name, a.unit_id, a.accepted_on, a.completed_on, a.pauses, a.limit_days, a.day_count
        FROM approval_items a JOIN projects p ON p.id = a.project_id
        WHERE a.region_code >= $1 AND a.region_code < $2 AND a.state = $3 AND a.completed_on >= $4 AND a.completed_on <= $5
        ORDER BY a.id";
    run!(tx, |c| sqlx::query_as::<_, Raw>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(ApprovalState::Done.key())
        .bind(decode::day(from))
        .bind(decode::day(to))
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(
        |(id, name, unit_id, accepted, completed, pauses, limit_days, day_count)| {
            Ok(DoneApproval {
                id,
                name,
                unit_id,
                accepted_on: decode::opt_date("approval_items.accepted_on", accepted)?,
                completed_on: decode::opt_date("approval_items.completed_on", completed)?,
                pauses: decode_pauses(&pauses)
                    .ok_or_else(|| DbError::Decode("approval_items.pauses", pauses.clone()))?,
                limit_days: u32::try_from(limit_days).map_err(|_| {
                    DbError::Decode("approval_items.limit_days", limit_days.to_string())
                })?,
                day_count: decode::key("approval_items.day_count", &day_count, DayCount::from_key)?,
            })
        },
    )
    .collect()
}
