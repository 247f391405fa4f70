//! Annual plans, milestones, monthly reports, colour rules, exemptions and published colour
//! tables.

use crate::{DbError, Param, Tx, bind_params, run};
use chrono::{DateTime, Utc};
use keyproj_domain::RegionCode;
use serde::Serialize;

// --- plans -------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PlanRow {
    pub id: i64,
    pub project_id: i64,
    pub year: i64,
    pub category: String,
    pub annual_plan_fen: i64,
    pub targets: String,
    /// Twelve fen amounts joined by commas, or empty (no monthly split).
    pub monthly_fen: String,
    pub version: i64,
}

const PLAN_COLS: &str =
    "id, project_id, year, category, annual_plan_fen, targets, monthly_fen, version";

pub struct PlanValues<'a> {
    pub category: &'a str,
    pub annual_plan_fen: i64,
    pub targets: &'a str,
    pub monthly_fen: &'a str,
}

pub async fn get_plan(tx: &mut Tx, project_id: i64, year: i64) -> Result<Option<PlanRow>, DbError> {
    let sql = format!("SELECT {PLAN_COLS} FROM plans WHERE project_id = $1 AND year = $2");
    Ok(run!(tx, |c| sqlx::query_as::<_, PlanRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(project_id)
    .bind(year)
    .fetch_optional(c)
    .await)?)
}

pub async fn get_plan_by_id(tx: &mut Tx, id: i64) -> Result<Option<PlanRow>, DbError> {
    let sql = format!("SELECT {PLAN_COLS} FROM plans WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, PlanRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn insert_plan(
    tx: &mut Tx,
    project_id: i64,
    year: i64,
    v: &PlanValues<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO plans (project_id, year, category, annual_plan_fen, targets, monthly_fen, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(project_id)
        .bind(year)
        .bind(v.category)
        .bind(v.annual_plan_fen)
        .bind(v.targets)
        .bind(v.monthly_fen)
        .bind(now)
        .fetch_one(c)
        .await)
    .map_err(|e| DbError::from(e).on_duplicate("该项目本年度已有计划"))
}

pub async fn update_plan(
    tx: &mut Tx,
    id: i64,
    version: i64,
    v: &PlanValues<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE plans SET category = $1, annual_plan_fen = $2, targets = $3, monthly_fen = $4, version = version + 1,
        updated_at = $5 WHERE id = $6 AND version = $7";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(v.category)
        .bind(v.annual_plan_fen)
        .bind(v.targets)
        .bind(v.monthly_fen)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    super::expect_one(n)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_plan_revision(
    tx: &mut Tx,
    plan_id: i64,
    before: &str,
    after: &str,
    reason: &str,
    user_id: Option<i64>,
    username: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO plan_revisions (plan_id, before_json, after_json, reason, user_id, username, at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    run!(tx, |c| sqlx::query(SQL)
        .bind(plan_id)
        .bind(before)
        .bind(after)
        .bind(reason)
        .bind(user_id)
        .bind(username)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PlanRevisionRow {
    pub id: i64,
    pub before_json: String,
    pub after_json: String,
    pub reason: String,
    pub username: String,
    pub at: DateTime<Utc>,
}

pub async fn plan_revisions(tx: &mut Tx, plan_id: i64) -> Result<Vec<PlanRevisionRow>, DbError> {
    const SQL: &str = "SELECT id, before_json, after_json, reason, username, at FROM plan_revisions WHERE plan_id = $1 ORDER BY id";
    Ok(run!(tx, |c| sqlx::query_as::<_, PlanRevisionRow>(SQL)
        .bind(plan_id)
        .fetch_all(c)
        .await)?)
}

/// A plan with the project facts the year's tables need.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PlanLine {
    pub plan_id: i64,
    pub project_id: i64,
    pub region_code: String,
    pub code: Option<String>,
    pub name: String,
    pub level: String,
    pub stage: String,
    pub content_scale: String,
    pub total_investment_fen: i64,
    pub planned_start: Option<String>,
    pub actual_start: Option<String>,
    pub actual_completion: Option<String>,
    pub owner_unit_id: Option<i64>,
    pub lead_unit_id: Option<i64>,
    pub leader_name: Option<String>,
    pub lead_unit_name: Option<String>,
    pub category: String,
    pub annual_plan_fen: i64,
    pub targets: String,
    pub monthly_fen: String,
    pub version: i64,
}

/// The plan entries of a year in a region (and below), in project-code order. `unit` limits
/// them to the projects a unit leads, owns or is responsible for; `owner` to those it owns.
pub async fn plan_lines(
    tx: &mut Tx,
    region: &RegionCode,
    year: i64,
    unit: Option<i64>,
    owner_only: bool,
) -> Result<Vec<PlanLine>, DbError> {
    let (lo, hi) = region.subtree_range();
    let mut sql = String::from(
        "SELECT pl.id AS plan_id, p.id AS project_id, p.region_code, p.code, p.name, p.level, p.stage, p.content_scale,
            p.total_investment_fen, p.planned_start, p.actual_start, p.actual_completion, p.owner_unit_id, p.lead_unit_id,
            l.name AS leader_name, lu.name AS lead_unit_name, pl.category, pl.annual_plan_fen, pl.targets, pl.monthly_fen, pl.version
         FROM plans pl JOIN projects p ON p.id = pl.project_id
         LEFT JOIN leaders l ON l.id = p.leader_id
         LEFT JOIN units lu ON lu.id = p.lead_unit_id
         WHERE pl.year = $1 AND p.region_code >= $2 AND p.region_code < $3",
    );
    let mut params = vec![Param::I64(year), Param::Text(lo), Param::Text(hi)];
    if let Some(u) = unit {
        if owner_only {
            sql.push_str(" AND p.owner_unit_id = $4");
        } else {
            sql.push_str(" AND (p.lead_unit_id = $4 OR p.owner_unit_id = $4 OR EXISTS (SELECT 1 FROM project_units pu WHERE pu.project_id = p.id AND pu.unit_id = $4))");
        }
        params.push(Param::I64(u));
    }
    sql.push_str(" ORDER BY CASE WHEN p.code IS NULL THEN 1 ELSE 0 END, p.code, p.id");
    Ok(run!(tx, |c| bind_params!(
        sqlx::query_as::<_, PlanLine>(sqlx::AssertSqlSafe(sql)),
        params
    )
    .fetch_all(c)
    .await)?)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PlanYearRow {
    pub region_code: String,
    pub year: i64,
    pub frozen_at: Option<DateTime<Utc>>,
    pub frozen_by: String,
    pub version: i64,
}

pub async fn plan_year(
    tx: &mut Tx,
    region: &str,
    year: i64,
) -> Result<Option<PlanYearRow>, DbError> {
    const SQL: &str = "SELECT region_code, year, frozen_at, frozen_by, version FROM plan_years WHERE region_code = $1 AND year = $2";
    Ok(run!(tx, |c| sqlx::query_as::<_, PlanYearRow>(SQL)
        .bind(region)
        .bind(year)
        .fetch_optional(c)
        .await)?)
}

pub async fn freeze_plan_year(
    tx: &mut Tx,
    region: &str,
    year: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO plan_years (region_code, year, frozen_at, frozen_by, version) VALUES ($1, $2, $3, $4, 1)
        ON CONFLICT (region_code, year) DO UPDATE SET frozen_at = excluded.frozen_at, frozen_by = excluded.frozen_by,
        version = plan_years.version + 1";
    run!(tx, |c| sqlx::query(SQL)
        .bind(region)
        .bind(year)
        .bind(now)
        .bind(by)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

// --- milestones --------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct MilestoneRow {
    pub id: i64,
    pub plan_id: i64,
    pub name: String,
    pub planned_month: String,
    pub actual_month: Option<String>,
    pub sort_order: i64,
    pub version: i64,
}

pub async fn milestones(tx: &mut Tx, plan_id: i64) -> Result<Vec<MilestoneRow>, DbError> {
    const SQL: &str = "SELECT id, plan_id, name, planned_month, actual_month, sort_order, version FROM plan_milestones WHERE plan_id = $1 ORDER BY sort_order, planned_month, id";
    Ok(run!(tx, |c| sqlx::query_as::<_, MilestoneRow>(SQL)
        .bind(plan_id)
        .fetch_all(c)
        .await)?)
}

/// Open milestones (no actual month) planned at or before `month`, of every plan of a year in
/// a region: (project_id, planned_month).
/// Milestones of the year planned by `month` that were still open at the end of `month`
/// (not reached, or reached only later): (project, planned month, actual month).
pub async fn open_milestones(
    tx: &mut Tx,
    region: &RegionCode,
    year: i64,
    month: &str,
) -> Result<Vec<(i64, String, Option<String>)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT pl.project_id, m.planned_month, m.actual_month FROM plan_milestones m JOIN plans pl ON pl.id = m.plan_id
        JOIN projects p ON p.id = pl.project_id
        WHERE pl.year = $1 AND p.region_code >= $2 AND p.region_code < $3
          AND (m.actual_month IS NULL OR m.actual_month > $4) AND m.planned_month <= $4";
    Ok(run!(tx, |c| sqlx::query_as::<
        _,
        (i64, String, Option<String>),
    >(SQL)
    .bind(year)
    .bind(lo)
    .bind(hi)
    .bind(month)
    .fetch_all(c)
    .await)?)
}

pub async fn insert_milestone(
    tx: &mut Tx,
    plan_id: i64,
    name: &str,
    planned: &str,
    actual: Option<&str>,
    sort_order: i64,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO plan_milestones (plan_id, name, planned_month, actual_month, sort_order, version) VALUES ($1, $2, $3, $4, $5, 1) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(plan_id)
        .bind(name)
        .bind(planned)
        .bind(actual)
        .bind(sort_order)
        .fetch_one(c)
        .await)?)
}

pub async fn delete_milestones(tx: &mut Tx, plan_id: i64) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "DELETE FROM plan_milestones WHERE plan_id = $1"
    )
    .bind(plan_id)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

// --- monthly reports ---------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ReportRow {
    pub id: i64,
    pub project_id: i64,
    pub month: String,
    pub status: String,
    pub month_investment_fen: i64,
    pub progress: String,
    pub next_plan: String,
    pub problems: String,
    pub first_submitted_on: String,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub return_reason: String,
    pub revision: i64,
    pub version: i64,
}

const REPORT_COLS: &str = "id, project_id, month, status, month_investment_fen, progress, next_plan, problems, first_submitted_on,
    submitted_by, submitted_at, reviewed_by, reviewed_at, return_reason, revision, version";

pub struct ReportValues<'a> {
    pub month_investment_fen: i64,
    pub progress: &'a str,
    pub next_plan: &'a str,
    pub problems: &'a str,
}

pub async fn get_report(
    tx: &mut Tx,
    project_id: i64,
    month: &str,
) -> Result<Option<ReportRow>, DbError> {
    let sql =
        format!("SELECT {REPORT_COLS} FROM monthly_reports WHERE project_id = $1 AND month = $2");
    Ok(run!(tx, |c| sqlx::query_as::<_, ReportRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(project_id)
    .bind(month)
    .fetch_optional(c)
    .await)?)
}

pub async fn get_report_by_id(tx: &mut Tx, id: i64) -> Result<Option<ReportRow>, DbError> {
    let sql = format!("SELECT {REPORT_COLS} FROM monthly_reports WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, ReportRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn reports_of_project(tx: &mut Tx, project_id: i64) -> Result<Vec<ReportRow>, DbError> {
    let sql = format!(
        "SELECT {REPORT_COLS} FROM monthly_reports WHERE project_id = $1 ORDER BY month DESC"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, ReportRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(project_id)
    .fetch_all(c)
    .await)?)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_report(
    tx: &mut Tx,
    project_id: i64,
    month: &str,
    status: &str,
    v: &ReportValues<'_>,
    first_on: &str,
    by: &str,
    // Set when the report is approved as it is written (center-staff imports).
    reviewed_by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO monthly_reports (project_id, month, status, month_investment_fen, progress, next_plan, problems,
        first_submitted_on, submitted_by, submitted_at, reviewed_by, reviewed_at, return_reason, revision, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '', 1, 1) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(project_id)
        .bind(month)
        .bind(status)
        .bind(v.month_investment_fen)
        .bind(v.progress)
        .bind(v.next_plan)
        .bind(v.problems)
        .bind(first_on)
        .bind(by)
        .bind(now)
        .bind(reviewed_by)
        .bind(reviewed_by.map(|_| now))
        .fetch_one(c)
        .await)
    .map_err(|e| DbError::from(e).on_duplicate("该项目本月已有月报"))
}

/// New figures for a report (re-submission, or a revision of an approved one).
#[allow(clippy::too_many_arguments)]
pub async fn update_report(
    tx: &mut Tx,
    id: i64,
    version: i64,
    status: &str,
    v: &ReportValues<'_>,
    by: &str,
    revision: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE monthly_reports SET status = $1, month_investment_fen = $2, progress = $3, next_plan = $4, problems = $5,
        submitted_by = $6, submitted_at = $7, revision = $8, version = version + 1 WHERE id = $9 AND version = $10";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(status)
        .bind(v.month_investment_fen)
        .bind(v.progress)
        .bind(v.next_plan)
        .bind(v.problems)
        .bind(by)
        .bind(now)
        .bind(revision)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    super::expect_one(n)
}

pub async fn review_report(
    tx: &mut Tx,
    id: i64,
    version: i64,
    status: &str,
    reason: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE monthly_reports SET status = $1, return_reason = $2, reviewed_by = $3, reviewed_at = $4, version = version + 1
        WHERE id = $5 AND version = $6";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(status)
        .bind(reason)
        .bind(by)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    super::expect_one(n)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_report_revision(
    tx: &mut Tx,
    r: &ReportRow,
    reason: &str,
    user_id: Option<i64>,
    username: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO report_revisions (report_id, revision, month_investment_fen, progress, next_plan, problems, reason, user_id, username, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    run!(tx, |c| sqlx::query(SQL)
        .bind(r.id)
        .bind(r.revision)
        .bind(r.month_investment_fen)
        .bind(&r.progress)
        .bind(&r.next_plan)
        .bind(&r.problems)
        .bind(reason)
        .bind(user_id)
        .bind(username)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ReportRevisionRow {
    pub revision: i64,
    pub month_investment_fen: i64,
    pub progress: String,
    pub reason: String,
    pub username: String,
    pub at: DateTime<Utc>,
}

pub async fn report_revisions(
    tx: &mut Tx,
    report_id: i64,
) -> Result<Vec<ReportRevisionRow>, DbError> {
    const SQL: &str = "SELECT revision, month_investment_fen, progress, reason, username, at FROM report_revisions WHERE report_id = $1 ORDER BY revision";
    Ok(run!(tx, |c| sqlx::query_as::<_, ReportRevisionRow>(SQL)
        .bind(report_id)
        .fetch_all(c)
        .await)?)
}

/// Every report of a month in a region: (report, project name, code).
pub async fn reports_of_month(
    tx: &mut Tx,
    region: &RegionCode,
    month: &str,
) -> Result<Vec<ReportRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    let cols: Vec<String> = REPORT_COLS
        .split(',')
        .map(|c| format!("r.{}", c.trim()))
        .collect();
    let sql = format!(
        "SELECT {} FROM monthly_reports r JOIN projects p ON p.id = r.project_id WHERE r.month = $1 AND p.region_code >= $2 AND p.region_code < $3 ORDER BY r.id",
        cols.join(", ")
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, ReportRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(month)
    .bind(lo)
    .bind(hi)
    .fetch_all(c)
    .await)?)
}

/// Approved monthly amounts of a region's projects from `from_month` to `to_month`:
/// (project_id, month, fen).
pub async fn approved_amounts(
    tx: &mut Tx,
    region: &RegionCode,
    from_month: &str,
    to_month: &str,
) -> Result<Vec<(i64, String, i64)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT r.project_id, r.month, r.month_investment_fen FROM monthly_reports r JOIN projects p ON p.id = r.project_id
        WHERE r.status = 'approved' AND r.month >= $1 AND r.month <= $2 AND p.region_code >= $3 AND p.region_code < $4";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, String, i64)>(SQL)
        .bind(from_month)
        .bind(to_month)
        .bind(lo)
        .bind(hi)
        .fetch_all(c)
        .await)?)
}

/// Total approved investment per project from the beginning up to `to_month` (开工以来累计).
pub async fn approved_totals_to(
    tx: &mut Tx,
    region: &RegionCode,
    to_month: &str,
) -> Result<Vec<(i64, i64)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT r.project_id, CAST(SUM(r.month_investment_fen) AS BIGINT) FROM monthly_reports r JOIN projects p ON p.id = r.project_id
        WHERE r.status = 'approved' AND r.month <= $1 AND p.region_code >= $2 AND p.region_code < $3 GROUP BY r.project_id";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, i64)>(SQL)
        .bind(to_month)
        .bind(lo)
        .bind(hi)
        .fetch_all(c)
        .await)?)
}

// --- colour rules, exemptions ------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct RulesRow {
    pub id: i64,
    pub region_code: String,
    pub year: i64,
    pub version_no: i64,
    pub rules_json: String,
    pub deadline_day: i64,
    pub reason: String,
    pub username: String,
    pub created_at: DateTime<Utc>,
}

const RULES_COLS: &str =
    "id, region_code, year, version_no, rules_json, deadline_day, reason, username, created_at";

/// The newest rules of a region for a year.
pub async fn latest_rules(
    tx: &mut Tx,
    region: &str,
    year: i64,
) -> Result<Option<RulesRow>, DbError> {
    let sql = format!(
        "SELECT {RULES_COLS} FROM colour_rules WHERE region_code = $1 AND year = $2 ORDER BY version_no DESC LIMIT 1"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, RulesRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(region)
    .bind(year)
    .fetch_optional(c)
    .await)?)
}

pub async fn get_rules(tx: &mut Tx, id: i64) -> Result<Option<RulesRow>, DbError> {
    let sql = format!("SELECT {RULES_COLS} FROM colour_rules WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, RulesRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn rules_history(tx: &mut Tx, region: &str, year: i64) -> Result<Vec<RulesRow>, DbError> {
    let sql = format!(
        "SELECT {RULES_COLS} FROM colour_rules WHERE region_code = $1 AND year = $2 ORDER BY version_no DESC"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, RulesRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(region)
    .bind(year)
    .fetch_all(c)
    .await)?)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_rules(
    tx: &mut Tx,
    region: &str,
    year: i64,
    rules_json: &str,
    deadline_day: i64,
    reason: &str,
    username: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const NEXT: &str = "SELECT COALESCE(MAX(version_no), 0) + 1 FROM colour_rules WHERE region_code = $1 AND year = $2";
    let next = run!(tx, |c| sqlx::query_scalar::<_, i64>(NEXT)
        .bind(region)
        .bind(year)
        .fetch_one(c)
        .await)?;
    const SQL: &str = "INSERT INTO colour_rules (region_code, year, version_no, rules_json, deadline_day, reason, username, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region)
        .bind(year)
        .bind(next)
        .bind(rules_json)
        .bind(deadline_day)
        .bind(reason)
        .bind(username)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

pub async fn exemptions(
    tx: &mut Tx,
    region: &RegionCode,
    month: &str,
) -> Result<Vec<(i64, String)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT e.project_id, e.reason FROM colour_exemptions e JOIN projects p ON p.id = e.project_id
        WHERE e.month = $1 AND p.region_code >= $2 AND p.region_code < $3";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, String)>(SQL)
        .bind(month)
        .bind(lo)
        .bind(hi)
        .fetch_all(c)
        .await)?)
}

pub async fn insert_exemption(
    tx: &mut Tx,
    project_id: i64,
    month: &str,
    reason: &str,
    username: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO colour_exemptions (project_id, month, reason, username, at) VALUES ($1, $2, $3, $4, $5) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(project_id)
        .bind(month)
        .bind(reason)
        .bind(username)
        .bind(now)
        .fetch_one(c)
        .await)
    .map_err(|e| DbError::from(e).on_duplicate("该项目本月已登记正当理由"))
}

// --- published colour tables -------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct IssueRow {
    pub id: i64,
    pub region_code: String,
    pub year: i64,
    pub number: i64,
    pub as_of_month: String,
    pub rules_id: i64,
    pub corrects_issue_id: Option<i64>,
    pub note: String,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
}

const ISSUE_COLS: &str = "id, region_code, year, number, as_of_month, rules_id, corrects_issue_id, note, published_by, published_at";

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct IssueLine {
    pub seq: i64,
    pub project_id: i64,
    pub category: String,
    pub level: String,
    pub name: String,
    pub content_scale: String,
    pub total_investment_fen: i64,
    pub annual_plan_fen: i64,
    pub completed_ytd_fen: i64,
    pub completion_bp: Option<i64>,
    pub baseline_bp: i64,
    pub progress: String,
    pub leader_name: String,
    pub lead_unit_name: String,
    pub responsible_units: String,
    pub colour: String,
    pub reasons: String,
}

pub struct NewIssue<'a> {
    pub region_code: &'a str,
    pub year: i64,
    pub as_of_month: &'a str,
    pub rules_id: i64,
    pub corrects_issue_id: Option<i64>,
    pub note: &'a str,
    pub published_by: &'a str,
}

/// Inserts an issue with the next number of its region and year, and its rows.
pub async fn insert_issue(
    tx: &mut Tx,
    i: &NewIssue<'_>,
    rows: &[IssueLine],
    now: DateTime<Utc>,
) -> Result<(i64, i64), DbError> {
    const NEXT: &str = "SELECT COALESCE(MAX(number), 0) + 1 FROM colour_issues WHERE region_code = $1 AND year = $2";
    let number = run!(tx, |c| sqlx::query_scalar::<_, i64>(NEXT)
        .bind(i.region_code)
        .bind(i.year)
        .fetch_one(c)
        .await)?;
    const SQL: &str = "INSERT INTO colour_issues (region_code, year, number, as_of_month, rules_id, corrects_issue_id, note, published_by, published_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(i.region_code)
        .bind(i.year)
        .bind(number)
        .bind(i.as_of_month)
        .bind(i.rules_id)
        .bind(i.corrects_issue_id)
        .bind(i.note)
        .bind(i.published_by)
        .bind(now)
        .fetch_one(c)
        .await)?;
    const ROW: &str = "INSERT INTO colour_issue_rows (issue_id, seq, project_id, category, level, name, content_scale, total_investment_fen,
        annual_plan_fen, completed_ytd_fen, completion_bp, baseline_bp, progress, leader_name, lead_unit_name, responsible_units, colour, reasons)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
    for r in rows {
        run!(tx, |c| sqlx::query(ROW)
            .bind(id)
            .bind(r.seq)
            .bind(r.project_id)
            .bind(&r.category)
            .bind(&r.level)
            .bind(&r.name)
            .bind(&r.content_scale)
            .bind(r.total_investment_fen)
            .bind(r.annual_plan_fen)
            .bind(r.completed_ytd_fen)
            .bind(r.completion_bp)
            .bind(r.baseline_bp)
            .bind(&r.progress)
            .bind(&r.leader_name)
            .bind(&r.lead_unit_name)
            .bind(&r.responsible_units)
            .bind(&r.colour)
            .bind(&r.reasons)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    Ok((id, number))
}

pub async fn list_issues(tx: &mut Tx, region: &RegionCode) -> Result<Vec<IssueRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    let sql = format!(
        "SELECT {ISSUE_COLS} FROM colour_issues WHERE region_code >= $1 AND region_code < $2 ORDER BY year DESC, number DESC"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, IssueRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(c)
    .await)?)
}

pub async fn get_issue(tx: &mut Tx, id: i64) -> Result<Option<IssueRow>, DbError> {
    let sql = format!("SELECT {ISSUE_COLS} FROM colour_issues WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, IssueRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn latest_issue(tx: &mut Tx, region: &str) -> Result<Option<IssueRow>, DbError> {
    let sql = format!(
        "SELECT {ISSUE_COLS} FROM colour_issues WHERE region_code = $1 ORDER BY year DESC, number DESC LIMIT 1"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, IssueRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(region)
    .fetch_optional(c)
    .await)?)
}

pub async fn issue_lines(tx: &mut Tx, issue_id: i64) -> Result<Vec<IssueLine>, DbError> {
    const SQL: &str = "SELECT seq, project_id, category, level, name, content_scale, total_investment_fen, annual_plan_fen, completed_ytd_fen,
        completion_bp, baseline_bp, progress, leader_name, lead_unit_name, responsible_units, colour, reasons
        FROM colour_issue_rows WHERE issue_id = $1 ORDER BY seq";
    Ok(run!(tx, |c| sqlx::query_as::<_, IssueLine>(SQL)
        .bind(issue_id)
        .fetch_all(c)
        .await)?)
}

/// The latest plan year at or before `year` in a region (dashboards open on it).
pub async fn latest_plan_year(
    tx: &mut Tx,
    region: &RegionCode,
    year: i64,
) -> Result<Option<i64>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT MAX(pl.year) FROM plans pl JOIN projects p ON p.id = pl.project_id WHERE p.region_code >= $1 AND p.region_code < $2 AND pl.year <= $3";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, Option<i64>>(SQL)
        .bind(lo)
        .bind(hi)
        .bind(year)
        .fetch_one(c)
        .await)?)
}

// --- photos ------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PhotoRow {
    pub id: i64,
    pub project_id: i64,
    pub month: String,
    pub object_key: String,
    pub thumb_key: String,
    pub width: i64,
    pub height: i64,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub at: DateTime<Utc>,
}

const PHOTO_COLS: &str =
    "id, project_id, month, object_key, thumb_key, width, height, size_bytes, uploaded_by, at";

#[allow(clippy::too_many_arguments)]
/// A photo as stored: generated object keys, its size, and the SHA-256 of the uploaded bytes.
pub struct NewPhoto<'a> {
    pub project_id: i64,
    pub month: &'a str,
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
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO report_photos (project_id, month, object_key, thumb_key, width, height, size_bytes, uploaded_by, at, content_hash)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(p.project_id)
        .bind(p.month)
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
    .map_err(|e| DbError::from(e).on_duplicate("这张照片已经上传过了"))
}

/// Whether the same picture (by the hash of its uploaded bytes) is already on the month.
pub async fn photo_exists(
    tx: &mut Tx,
    project_id: i64,
    month: &str,
    content_hash: &str,
) -> Result<bool, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM report_photos WHERE project_id = $1 AND month = $2 AND content_hash = $3";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(project_id)
        .bind(month)
        .bind(content_hash)
        .fetch_one(c)
        .await)?
        > 0)
}

pub async fn photos_of(
    tx: &mut Tx,
    project_id: i64,
    month: &str,
) -> Result<Vec<PhotoRow>, DbError> {
    let sql = format!(
        "SELECT {PHOTO_COLS} FROM report_photos WHERE project_id = $1 AND month = $2 ORDER BY id"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, PhotoRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(project_id)
    .bind(month)
    .fetch_all(c)
    .await)?)
}

pub async fn get_photo(tx: &mut Tx, id: i64) -> Result<Option<PhotoRow>, DbError> {
    let sql = format!("SELECT {PHOTO_COLS} FROM report_photos WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, PhotoRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

/// Approved reports in bulk (benchmark datasets): (project_id, month, fen, first submitted on).
/// Several rows per statement; every row is a plain approved month.
pub async fn insert_approved_bulk(
    tx: &mut Tx,
    rows: &[(i64, String, i64, String)],
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for chunk in rows.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO monthly_reports (project_id, month, status, month_investment_fen, progress, next_plan, problems, first_submitted_on,
             submitted_by, submitted_at, reviewed_by, reviewed_at, return_reason, revision, version) VALUES ",
        );
        let mut params = vec![];
        for (i, (p, m, f, on)) in chunk.iter().enumerate() {
            let b = 3 + i * 4;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${b}, ${}, 'approved', ${}, '施工', '', '', ${}, $1, $2, $1, $2, '', 1, 2)",
                b + 1,
                b + 2,
                b + 3
            ));
            params.push(Param::I64(*p));
            params.push(Param::Text(m.clone()));
            params.push(Param::I64(*f));
            params.push(Param::Text(on.clone()));
        }
        run!(tx, |c| bind_params!(
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(by).bind(now),
            params
        )
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}
