//! Annual plans (年度计划): one entry per project and year, revisions of adopted plans, the
//! frozen plan years and milestone nodes.

use crate::decode::{self, month};
use crate::{DbError, Param, Tx, bind_params, run};
use chrono::{DateTime, Utc};
use keyproj_domain::ids::{LeaderId, MilestoneId, PlanId, ProjectId, UnitId, UserId};
use keyproj_domain::plan::{PlanFields, YearCategory};
use keyproj_domain::project::{Level, Stage};
use keyproj_domain::{Money, RegionCode, ReportMonth};
use serde::Serialize;

/// Twelve fen amounts as stored (`1,2,…`; empty: no monthly split).
fn monthly_text(m: &[Money]) -> String {
    m.iter()
        .map(|x| x.fen().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn monthly_of(column: &'static str, s: &str) -> Result<Vec<Money>, DbError> {
    if s.trim().is_empty() {
        return Ok(vec![]);
    }
    s.split(',')
        .map(|x| {
            x.trim()
                .parse::<i64>()
                .map(Money::from_fen)
                .map_err(|_| DbError::Decode(column, s.to_string()))
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    pub id: PlanId,
    pub project_id: ProjectId,
    pub year: i32,
    pub fields: PlanFields,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct PlanRaw {
    id: i64,
    project_id: i64,
    year: i64,
    category: String,
    annual_plan_fen: i64,
    targets: String,
    monthly_fen: String,
    version: i64,
}

impl TryFrom<PlanRaw> for PlanRow {
    type Error = DbError;
    fn try_from(r: PlanRaw) -> Result<PlanRow, DbError> {
        Ok(PlanRow {
            id: PlanId(r.id),
            project_id: ProjectId(r.project_id),
            year: r.year as i32,
            fields: PlanFields {
                category: decode::key("plans.category", &r.category, YearCategory::from_key)?,
                annual_plan: decode::money(r.annual_plan_fen),
                targets: r.targets,
                monthly: monthly_of("plans.monthly_fen", &r.monthly_fen)?,
            },
            version: r.version,
        })
    }
}

const PLAN_COLS: &str =
    "id, project_id, year, category, annual_plan_fen, targets, monthly_fen, version";

async fn plans_where(
    tx: &mut Tx,
    filter: &str,
    a: i64,
    b: Option<i64>,
) -> Result<Option<PlanRow>, DbError> {
    let sql = format!("SELECT {PLAN_COLS} FROM plans WHERE {filter}");
    let raw = match b {
        Some(b) => run!(tx, |c| sqlx::query_as::<_, PlanRaw>(sqlx::AssertSqlSafe(
            sql.clone()
        ))
        .bind(a)
        .bind(b)
        .fetch_optional(c)
        .await)?,
        None => run!(tx, |c| sqlx::query_as::<_, PlanRaw>(sqlx::AssertSqlSafe(
            sql.clone()
        ))
        .bind(a)
        .fetch_optional(c)
        .await)?,
    };
    raw.map(PlanRow::try_from).transpose()
}

pub async fn get_plan(
    tx: &mut Tx,
    project_id: ProjectId,
    year: i32,
) -> Result<Option<PlanRow>, DbError> {
    plans_where(
        tx,
        "project_id = $1 AND year = $2",
        project_id.get(),
        Some(year as i64),
    )
    .await
}

/// A project's plan of its latest planned year.
pub async fn latest_plan_of(
    tx: &mut Tx,
    project_id: ProjectId,
) -> Result<Option<PlanRow>, DbError> {
    plans_where(
        tx,
        "project_id = $1 ORDER BY year DESC LIMIT 1",
        project_id.get(),
        None,
    )
    .await
}

pub async fn get_plan_by_id(tx: &mut Tx, id: PlanId) -> Result<Option<PlanRow>, DbError> {
    plans_where(tx, "id = $1", id.get(), None).await
}

pub async fn insert_plan(
    tx: &mut Tx,
    project_id: ProjectId,
    year: i32,
    v: &PlanFields,
    now: DateTime<Utc>,
) -> Result<PlanId, DbError> {
    const SQL: &str = "INSERT INTO plans (project_id, year, category, annual_plan_fen, targets, monthly_fen, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(project_id.get())
        .bind(year as i64)
        .bind(v.category.key())
        .bind(v.annual_plan.fen())
        .bind(&v.targets)
        .bind(monthly_text(&v.monthly))
        .bind(now)
        .fetch_one(c)
        .await)
    .map(PlanId)
    .map_err(|e| DbError::from(e).on_duplicate("该项目本年度已有计划"))
}

/// Updates a plan if nobody changed it since `version` was read.
pub async fn update_plan(
    tx: &mut Tx,
    id: PlanId,
    version: i64,
    v: &PlanFields,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE plans SET category = $1, annual_plan_fen = $2, targets = $3, monthly_fen = $4, version = version + 1,
        updated_at = $5 WHERE id = $6 AND version = $7";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(v.category.key())
        .bind(v.annual_plan.fen())
        .bind(&v.targets)
        .bind(monthly_text(&v.monthly))
        .bind(now)
        .bind(id.get())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    crate::repo::expect_one(n)
}

/// A revision of an adopted plan: the entry before and after (JSON), and why.
pub struct NewPlanRevision<'a> {
    pub plan_id: PlanId,
    pub before: &'a str,
    pub after: &'a str,
    pub reason: &'a str,
    pub user_id: Option<UserId>,
    pub username: &'a str,
}

pub async fn insert_plan_revision(
    tx: &mut Tx,
    r: &NewPlanRevision<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO plan_revisions (plan_id, before_json, after_json, reason, user_id, username, at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    run!(tx, |c| sqlx::query(SQL)
        .bind(r.plan_id.get())
        .bind(r.before)
        .bind(r.after)
        .bind(r.reason)
        .bind(r.user_id.map(|u| u.get()))
        .bind(r.username)
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

pub async fn plan_revisions(tx: &mut Tx, plan_id: PlanId) -> Result<Vec<PlanRevisionRow>, DbError> {
    const SQL: &str = "SELECT id, before_json, after_json, reason, username, at FROM plan_revisions WHERE plan_id = $1 ORDER BY id";
    Ok(run!(tx, |c| sqlx::query_as::<_, PlanRevisionRow>(SQL)
        .bind(plan_id.get())
        .fetch_all(c)
        .await)?)
}

/// A plan with the project facts the year's tables need.
#[derive(Debug, Clone, Serialize)]
pub struct PlanLine {
    pub plan_id: PlanId,
    pub project_id: ProjectId,
    pub region_code: RegionCode,
    pub code: Option<String>,
    pub name: String,
    pub level: Level,
    pub stage: Stage,
    pub content_scale: String,
    pub total_investment: Money,
    pub planned_start: Option<ReportMonth>,
    pub actual_start: Option<ReportMonth>,
    pub actual_completion: Option<ReportMonth>,
    pub owner_unit_id: Option<UnitId>,
    pub lead_unit_id: Option<UnitId>,
    pub leader_id: Option<LeaderId>,
    pub leader_name: Option<String>,
    pub lead_unit_name: Option<String>,
    pub plan: PlanFields,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct PlanLineRaw {
    plan_id: i64,
    project_id: i64,
    region_code: String,
    code: Option<String>,
    name: String,
    level: String,
    stage: String,
    content_scale: String,
    total_investment_fen: i64,
    planned_start: Option<String>,
    actual_start: Option<String>,
    actual_completion: Option<String>,
    owner_unit_id: Option<i64>,
    lead_unit_id: Option<i64>,
    leader_id: Option<i64>,
    leader_name: Option<String>,
    lead_unit_name: Option<String>,
    category: String,
    annual_plan_fen: i64,
    targets: String,
    monthly_fen: String,
    version: i64,
}

impl TryFrom<PlanLineRaw> for PlanLine {
    type Error = DbError;
    fn try_from(r: PlanLineRaw) -> Result<PlanLine, DbError> {
        Ok(PlanLine {
            plan_id: PlanId(r.plan_id),
            project_id: ProjectId(r.project_id),
            region_code: decode::region("projects.region_code", &r.region_code)?,
            code: r.code,
            name: r.name,
            level: decode::key("projects.level", &r.level, Level::from_key)?,
            stage: decode::key("projects.stage", &r.stage, Stage::from_key)?,
            content_scale: r.content_scale,
            total_investment: decode::money(r.total_investment_fen),
            planned_start: decode::opt_month("projects.planned_start", r.planned_start)?,
            actual_start: decode::opt_month("projects.actual_start", r.actual_start)?,
            actual_completion: decode::opt_month(
                "projects.actual_completion",
                r.actual_completion,
            )?,
            owner_unit_id: r.owner_unit_id.map(UnitId),
            lead_unit_id: r.lead_unit_id.map(UnitId),
            leader_id: r.leader_id.map(LeaderId),
            leader_name: r.leader_name,
            lead_unit_name: r.lead_unit_name,
            plan: PlanFields {
                category: decode::key("plans.category", &r.category, YearCategory::from_key)?,
                annual_plan: decode::money(r.annual_plan_fen),
                targets: r.targets,
                monthly: monthly_of("plans.monthly_fen", &r.monthly_fen)?,
            },
            version: r.version,
        })
    }
}

/// Whose plan lines a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineScope {
    Region,
    /// Projects the unit leads, owns or is responsible for.
    Unit(UnitId),
    /// Projects the unit owns.
    Owner(UnitId),
}

/// The plan entries of a year in a region (and below), in project-code order.
pub async fn plan_lines(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    scope: LineScope,
) -> Result<Vec<PlanLine>, DbError> {
    let (lo, hi) = region.subtree_range();
    let mut sql = String::from(
        "SELECT pl.id AS plan_id, p.id AS project_id, p.region_code, p.code, p.name, p.level, p.stage, p.content_scale,
            p.total_investment_fen, p.planned_start, p.actual_start, p.actual_completion, p.owner_unit_id, p.lead_unit_id,
            p.leader_id, l.name AS leader_name, lu.name AS lead_unit_name, pl.category, pl.annual_plan_fen, pl.targets,
            pl.monthly_fen, pl.version
         FROM plans pl JOIN projects p ON p.id = pl.project_id
         LEFT JOIN leaders l ON l.id = p.leader_id
         LEFT JOIN units lu ON lu.id = p.lead_unit_id
         WHERE pl.year = $1 AND p.region_code >= $2 AND p.region_code < $3",
    );
    let mut params = vec![Param::I64(year as i64), Param::Text(lo), Param::Text(hi)];
    match scope {
        LineScope::Region => {}
        LineScope::Owner(u) => {
            sql.push_str(" AND p.owner_unit_id = $4");
            params.push(Param::I64(u.get()));
        }
        LineScope::Unit(u) => {
            sql.push_str(" AND (p.lead_unit_id = $4 OR p.owner_unit_id = $4 OR EXISTS (SELECT 1 FROM project_units pu WHERE pu.project_id = p.id AND pu.unit_id = $4))");
            params.push(Param::I64(u.get()));
        }
    }
    sql.push_str(" ORDER BY CASE WHEN p.code IS NULL THEN 1 ELSE 0 END, p.code, p.id");
    run!(tx, |c| bind_params!(
        sqlx::query_as::<_, PlanLineRaw>(sqlx::AssertSqlSafe(sql.clone())),
        params
    )
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(PlanLine::try_from)
    .collect()
}

/// A region's plan year: adopted (frozen) or not.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PlanYearRow {
    pub year: i64,
    pub frozen_at: Option<DateTime<Utc>>,
    pub frozen_by: String,
    pub version: i64,
}

pub async fn plan_year(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Option<PlanYearRow>, DbError> {
    const SQL: &str = "SELECT year, frozen_at, frozen_by, version FROM plan_years WHERE region_code = $1 AND year = $2";
    Ok(run!(tx, |c| sqlx::query_as::<_, PlanYearRow>(SQL)
        .bind(region.as_str())
        .bind(year as i64)
        .fetch_optional(c)
        .await)?)
}

pub async fn freeze_plan_year(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO plan_years (region_code, year, frozen_at, frozen_by, version) VALUES ($1, $2, $3, $4, 1)
        ON CONFLICT (region_code, year) DO UPDATE SET frozen_at = excluded.frozen_at, frozen_by = excluded.frozen_by,
        version = plan_years.version + 1";
    run!(tx, |c| sqlx::query(SQL)
        .bind(region.as_str())
        .bind(year as i64)
        .bind(now)
        .bind(by)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// The latest plan year at or before `year` in a region (dashboards open on it).
pub async fn latest_plan_year(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Option<i32>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT MAX(pl.year) FROM plans pl JOIN projects p ON p.id = pl.project_id WHERE p.region_code >= $1 AND p.region_code < $2 AND pl.year <= $3";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, Option<i64>>(SQL)
        .bind(lo)
        .bind(hi)
        .bind(year as i64)
        .fetch_one(c)
        .await)?
    .map(|y| y as i32))
}

// --- milestones --------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct MilestoneRow {
    pub id: MilestoneId,
    pub plan_id: PlanId,
    pub name: String,
    pub planned_month: ReportMonth,
    pub actual_month: Option<ReportMonth>,
    pub sort_order: i64,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct MilestoneRaw {
    id: i64,
    plan_id: i64,
    name: String,
    planned_month: String,
    actual_month: Option<String>,
    sort_order: i64,
    version: i64,
}

pub async fn milestones(tx: &mut Tx, plan_id: PlanId) -> Result<Vec<MilestoneRow>, DbError> {
    const SQL: &str = "SELECT id, plan_id, name, planned_month, actual_month, sort_order, version FROM plan_milestones WHERE plan_id = $1 ORDER BY sort_order, planned_month, id";
    run!(tx, |c| sqlx::query_as::<_, MilestoneRaw>(SQL)
        .bind(plan_id.get())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|r| {
        Ok(MilestoneRow {
            id: MilestoneId(r.id),
            plan_id: PlanId(r.plan_id),
            name: r.name,
            planned_month: month("plan_milestones.planned_month", &r.planned_month)?,
            actual_month: decode::opt_month("plan_milestones.actual_month", r.actual_month)?,
            sort_order: r.sort_order,
            version: r.version,
        })
    })
    .collect()
}

/// A milestone of a year still open at the end of a month (not reached, or reached later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenMilestone {
    pub project_id: ProjectId,
    pub planned_month: ReportMonth,
    pub actual_month: Option<ReportMonth>,
}

/// Milestones of the year planned by `month` that were still open at the end of `month`.
pub async fn open_milestones(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    as_of: ReportMonth,
) -> Result<Vec<OpenMilestone>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT pl.project_id, m.planned_month, m.actual_month FROM plan_milestones m JOIN plans pl ON pl.id = m.plan_id
        JOIN projects p ON p.id = pl.project_id
        WHERE pl.year = $1 AND p.region_code >= $2 AND p.region_code < $3
          AND (m.actual_month IS NULL OR m.actual_month > $4) AND m.planned_month <= $4";
    run!(tx, |c| sqlx::query_as::<_, (i64, String, Option<String>)>(
        SQL
    )
    .bind(year as i64)
    .bind(lo)
    .bind(hi)
    .bind(as_of.to_string())
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(|(p, planned, actual)| {
        Ok(OpenMilestone {
            project_id: ProjectId(p),
            planned_month: month("plan_milestones.planned_month", &planned)?,
            actual_month: decode::opt_month("plan_milestones.actual_month", actual)?,
        })
    })
    .collect()
}

/// A milestone as written.
pub struct NewMilestone<'a> {
    pub plan_id: PlanId,
    pub name: &'a str,
    pub planned: ReportMonth,
    pub actual: Option<ReportMonth>,
    pub sort_order: i64,
}

pub async fn insert_milestone(tx: &mut Tx, m: &NewMilestone<'_>) -> Result<MilestoneId, DbError> {
    const SQL: &str = "INSERT INTO plan_milestones (plan_id, name, planned_month, actual_month, sort_order, version) VALUES ($1, $2, $3, $4, $5, 1) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(m.plan_id.get())
        .bind(m.name)
        .bind(m.planned.to_string())
        .bind(m.actual.map(|a| a.to_string()))
        .bind(m.sort_order)
        .fetch_one(c)
        .await)
    .map(MilestoneId)?)
}

pub async fn delete_milestones(tx: &mut Tx, plan_id: PlanId) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "DELETE FROM plan_milestones WHERE plan_id = $1"
    )
    .bind(plan_id.get())
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}
