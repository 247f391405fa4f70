//! Colour rules (JSON of [`ColourRules`], a new version per change), exemptions (正当理由) and
//! published colour tables (第N期): numbered, frozen snapshots of every line.

use crate::decode::{self, month};
use crate::{DbError, Tx, run};
use chrono::{DateTime, Utc};
use keyproj_domain::colour::{Colour, ColourRules};
use keyproj_domain::ids::{IssueId, ProjectId, RulesId};
use keyproj_domain::plan::YearCategory;
use keyproj_domain::project::Level;
use keyproj_domain::{Money, RegionCode, ReportMonth};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RulesRow {
    pub id: RulesId,
    pub region_code: RegionCode,
    pub year: i32,
    pub version_no: i64,
    pub rules: ColourRules,
    /// Reports are due on this day of the following month.
    pub deadline_day: u32,
    pub reason: String,
    pub username: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RulesRaw {
    id: i64,
    region_code: String,
    year: i64,
    version_no: i64,
    rules_json: String,
    deadline_day: i64,
    reason: String,
    username: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<RulesRaw> for RulesRow {
    type Error = DbError;
    fn try_from(r: RulesRaw) -> Result<RulesRow, DbError> {
        Ok(RulesRow {
            id: RulesId(r.id),
            region_code: decode::region("colour_rules.region_code", &r.region_code)?,
            year: r.year as i32,
            version_no: r.version_no,
            rules: serde_json::from_str(&r.rules_json)
                .map_err(|_| DbError::Decode("colour_rules.rules_json", r.rules_json.clone()))?,
            deadline_day: u32::try_from(r.deadline_day).map_err(|_| {
                DbError::Decode("colour_rules.deadline_day", r.deadline_day.to_string())
            })?,
            reason: r.reason,
            username: r.username,
            created_at: r.created_at,
        })
    }
}

const RULES_COLS: &str =
    "id, region_code, year, version_no, rules_json, deadline_day, reason, username, created_at";

async fn rules_where(
    tx: &mut Tx,
    tail: &str,
    region: Option<&RegionCode>,
    n: i64,
) -> Result<Vec<RulesRow>, DbError> {
    let sql = format!("SELECT {RULES_COLS} FROM colour_rules {tail}");
    let raw = match region {
        Some(r) => run!(tx, |c| sqlx::query_as::<_, RulesRaw>(sqlx::AssertSqlSafe(
            sql.clone()
        ))
        .bind(r.as_str())
        .bind(n)
        .fetch_all(c)
        .await)?,
        None => run!(tx, |c| sqlx::query_as::<_, RulesRaw>(sqlx::AssertSqlSafe(
            sql.clone()
        ))
        .bind(n)
        .fetch_all(c)
        .await)?,
    };
    raw.into_iter().map(RulesRow::try_from).collect()
}

/// The newest rules of a region for a year (its own, not inherited).
pub async fn latest_rules(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Option<RulesRow>, DbError> {
    Ok(rules_where(
        tx,
        "WHERE region_code = $1 AND year = $2 ORDER BY version_no DESC LIMIT 1",
        Some(region),
        year as i64,
    )
    .await?
    .pop())
}

pub async fn get_rules(tx: &mut Tx, id: RulesId) -> Result<Option<RulesRow>, DbError> {
    Ok(rules_where(tx, "WHERE id = $1", None, id.get())
        .await?
        .pop())
}

/// Every version of a region's rules of a year, newest first.
pub async fn rules_history(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<RulesRow>, DbError> {
    rules_where(
        tx,
        "WHERE region_code = $1 AND year = $2 ORDER BY version_no DESC",
        Some(region),
        year as i64,
    )
    .await
}

/// A new version of a region's rules of a year.
pub struct NewRules<'a> {
    pub region: &'a RegionCode,
    pub year: i32,
    pub rules: &'a ColourRules,
    pub deadline_day: u32,
    pub reason: &'a str,
    pub username: &'a str,
}

pub async fn insert_rules(
    tx: &mut Tx,
    r: &NewRules<'_>,
    now: DateTime<Utc>,
) -> Result<RulesId, DbError> {
    let json = serde_json::to_string(r.rules)
        .map_err(|_| DbError::Decode("colour_rules.rules_json", format!("{:?}", r.rules)))?;
    const NEXT: &str = "SELECT COALESCE(MAX(version_no), 0) + 1 FROM colour_rules WHERE region_code = $1 AND year = $2";
    let next = run!(tx, |c| sqlx::query_scalar::<_, i64>(NEXT)
        .bind(r.region.as_str())
        .bind(r.year as i64)
        .fetch_one(c)
        .await)?;
    const SQL: &str = "INSERT INTO colour_rules (region_code, year, version_no, rules_json, deadline_day, reason, username, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(r.region.as_str())
        .bind(r.year as i64)
        .bind(next)
        .bind(&json)
        .bind(r.deadline_day as i64)
        .bind(r.reason)
        .bind(r.username)
        .bind(now)
        .fetch_one(c)
        .await)
    .map(RulesId)?)
}

/// A justified reason (正当理由) that suspends a project-month's colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exemption {
    pub project_id: ProjectId,
    pub reason: String,
}

pub async fn exemptions(
    tx: &mut Tx,
    region: &RegionCode,
    m: ReportMonth,
) -> Result<Vec<Exemption>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT e.project_id, e.reason FROM colour_exemptions e JOIN projects p ON p.id = e.project_id
        WHERE e.month = $1 AND p.region_code >= $2 AND p.region_code < $3";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, String)>(SQL)
        .bind(m.to_string())
        .bind(&lo)
        .bind(&hi)
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|(p, reason)| Exemption {
        project_id: ProjectId(p),
        reason,
    })
    .collect())
}

pub async fn insert_exemption(
    tx: &mut Tx,
    project_id: ProjectId,
    m: ReportMonth,
    reason: &str,
    username: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO colour_exemptions (project_id, month, reason, username, at) VALUES ($1, $2, $3, $4, $5) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(project_id.get())
        .bind(m.to_string())
        .bind(reason)
        .bind(username)
        .bind(now)
        .fetch_one(c)
        .await)
    .map_err(|e| DbError::from(e).on_duplicate("该项目本月已登记正当理由"))
}

// --- published colour tables -------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct IssueRow {
    pub id: IssueId,
    pub region_code: RegionCode,
    pub year: i32,
    /// 第N期 of the year.
    pub number: i64,
    pub as_of_month: ReportMonth,
    pub rules_id: RulesId,
    /// A correction names the issue it corrects.
    pub corrects_issue_id: Option<IssueId>,
    pub note: String,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
    /// The region's name when it was published (the title is frozen with the table); empty
    /// for issues published before it was recorded.
    pub region_name: String,
}

#[derive(sqlx::FromRow)]
struct IssueRaw {
    id: i64,
    region_code: String,
    year: i64,
    number: i64,
    as_of_month: String,
    rules_id: i64,
    corrects_issue_id: Option<i64>,
    note: String,
    published_by: String,
    published_at: DateTime<Utc>,
    region_name: String,
}

impl TryFrom<IssueRaw> for IssueRow {
    type Error = DbError;
    fn try_from(r: IssueRaw) -> Result<IssueRow, DbError> {
        Ok(IssueRow {
            id: IssueId(r.id),
            region_code: decode::region("colour_issues.region_code", &r.region_code)?,
            year: r.year as i32,
            number: r.number,
            as_of_month: month("colour_issues.as_of_month", &r.as_of_month)?,
            rules_id: RulesId(r.rules_id),
            corrects_issue_id: r.corrects_issue_id.map(IssueId),
            note: r.note,
            published_by: r.published_by,
            published_at: r.published_at,
            region_name: r.region_name,
        })
    }
}

const ISSUE_COLS: &str = "id, region_code, year, number, as_of_month, rules_id, corrects_issue_id, note, published_by, published_at, region_name";

/// One line of a published table, frozen as it was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueLine {
    pub seq: i64,
    pub project_id: ProjectId,
    pub category: YearCategory,
    pub level: Level,
    pub name: String,
    pub content_scale: String,
    pub total_investment: Money,
    pub annual_plan: Money,
    pub completed_ytd: Money,
    /// Completion in basis points of the annual plan (none without a plan amount).
    pub completion_bp: Option<i64>,
    pub baseline_bp: i64,
    pub progress: String,
    pub leader_name: String,
    pub lead_unit_name: String,
    pub responsible_units: String,
    pub colour: Colour,
    /// The reasons in words, as published.
    pub reasons: String,
}

#[derive(sqlx::FromRow)]
struct IssueLineRaw {
    seq: i64,
    project_id: i64,
    category: String,
    level: String,
    name: String,
    content_scale: String,
    total_investment_fen: i64,
    annual_plan_fen: i64,
    completed_ytd_fen: i64,
    completion_bp: Option<i64>,
    baseline_bp: i64,
    progress: String,
    leader_name: String,
    lead_unit_name: String,
    responsible_units: String,
    colour: String,
    reasons: String,
}

impl TryFrom<IssueLineRaw> for IssueLine {
    type Error = DbError;
    fn try_from(r: IssueLineRaw) -> Result<IssueLine, DbError> {
        Ok(IssueLine {
            seq: r.seq,
            project_id: ProjectId(r.project_id),
            category: decode::key(
                "colour_issue_rows.category",
                &r.category,
                YearCategory::from_key,
            )?,
            level: decode::key("colour_issue_rows.level", &r.level, Level::from_key)?,
            name: r.name,
            content_scale: r.content_scale,
            total_investment: decode::money(r.total_investment_fen),
            annual_plan: decode::money(r.annual_plan_fen),
            completed_ytd: decode::money(r.completed_ytd_fen),
            completion_bp: r.completion_bp,
            baseline_bp: r.baseline_bp,
            progress: r.progress,
            leader_name: r.leader_name,
            lead_unit_name: r.lead_unit_name,
            responsible_units: r.responsible_units,
            colour: decode::key("colour_issue_rows.colour", &r.colour, Colour::from_key)?,
            reasons: r.reasons,
        })
    }
}

pub struct NewIssue<'a> {
    pub region_code: &'a RegionCode,
    pub year: i32,
    pub as_of_month: ReportMonth,
    pub rules_id: RulesId,
    pub corrects_issue_id: Option<IssueId>,
    pub note: &'a str,
    pub published_by: &'a str,
    /// The region's name now: frozen into the issue's title.
    pub region_name: &'a str,
}

/// A published issue: its id and its number of the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Published {
    pub id: IssueId,
    pub number: i64,
}

/// Inserts an issue with the next number of its region and year, and its lines.
pub async fn insert_issue(
    tx: &mut Tx,
    i: &NewIssue<'_>,
    rows: &[IssueLine],
    now: DateTime<Utc>,
) -> Result<Published, DbError> {
    const NEXT: &str = "SELECT COALESCE(MAX(number), 0) + 1 FROM colour_issues WHERE region_code = $1 AND year = $2";
    let number = run!(tx, |c| sqlx::query_scalar::<_, i64>(NEXT)
        .bind(i.region_code.as_str())
        .bind(i.year as i64)
        .fetch_one(c)
        .await)?;
    const SQL: &str = "INSERT INTO colour_issues (region_code, year, number, as_of_month, rules_id, corrects_issue_id, note, published_by, published_at, region_name)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(i.region_code.as_str())
        .bind(i.year as i64)
        .bind(number)
        .bind(i.as_of_month.to_string())
        .bind(i.rules_id.get())
        .bind(i.corrects_issue_id.map(|c| c.get()))
        .bind(i.note)
        .bind(i.published_by)
        .bind(now)
        .bind(i.region_name)
        .fetch_one(c)
        .await)?;
    const ROW: &str = "INSERT INTO colour_issue_rows (issue_id, seq, project_id, category, level, name, content_scale, total_investment_fen,
        annual_plan_fen, completed_ytd_fen, completion_bp, baseline_bp, progress, leader_name, lead_unit_name, responsible_units, colour, reasons)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
    for r in rows {
        run!(tx, |c| sqlx::query(ROW)
            .bind(id)
            .bind(r.seq)
            .bind(r.project_id.get())
            .bind(r.category.key())
            .bind(r.level.key())
            .bind(&r.name)
            .bind(&r.content_scale)
            .bind(r.total_investment.fen())
            .bind(r.annual_plan.fen())
            .bind(r.completed_ytd.fen())
            .bind(r.completion_bp)
            .bind(r.baseline_bp)
            .bind(&r.progress)
            .bind(&r.leader_name)
            .bind(&r.lead_unit_name)
            .bind(&r.responsible_units)
            .bind(r.colour.key())
            .bind(&r.reasons)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    Ok(Published {
        id: IssueId(id),
        number,
    })
}

async fn issues_where(
    tx: &mut Tx,
    tail: &str,
    a: &str,
    b: Option<&str>,
) -> Result<Vec<IssueRow>, DbError> {
    let sql = format!("SELECT {ISSUE_COLS} FROM colour_issues {tail}");
    let raw = match b {
        Some(b) => run!(tx, |c| sqlx::query_as::<_, IssueRaw>(sqlx::AssertSqlSafe(
            sql.clone()
        ))
        .bind(a)
        .bind(b)
        .fetch_all(c)
        .await)?,
        None => run!(tx, |c| sqlx::query_as::<_, IssueRaw>(sqlx::AssertSqlSafe(
            sql.clone()
        ))
        .bind(a)
        .fetch_all(c)
        .await)?,
    };
    raw.into_iter().map(IssueRow::try_from).collect()
}

/// The issues of a region and below, newest first.
pub async fn list_issues(tx: &mut Tx, region: &RegionCode) -> Result<Vec<IssueRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    issues_where(
        tx,
        "WHERE region_code >= $1 AND region_code < $2 ORDER BY year DESC, number DESC",
        &lo,
        Some(&hi),
    )
    .await
}

pub async fn get_issue(tx: &mut Tx, id: IssueId) -> Result<Option<IssueRow>, DbError> {
    let sql = format!("SELECT {ISSUE_COLS} FROM colour_issues WHERE id = $1");
    run!(tx, |c| sqlx::query_as::<_, IssueRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(IssueRow::try_from)
    .transpose()
}

/// A project's line in one published issue.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectColour {
    pub issue_id: IssueId,
    pub year: i32,
    pub number: i64,
    pub as_of_month: ReportMonth,
    pub colour: Colour,
    pub completion_bp: Option<i64>,
    pub reasons: String,
}

/// A project's colour in every published issue, newest first.
pub async fn colours_of_project(
    tx: &mut Tx,
    project_id: ProjectId,
) -> Result<Vec<ProjectColour>, DbError> {
    const SQL: &str =
        "SELECT i.id, i.year, i.number, i.as_of_month, r.colour, r.completion_bp, r.reasons
        FROM colour_issue_rows r JOIN colour_issues i ON i.id = r.issue_id
        WHERE r.project_id = $1 ORDER BY i.year DESC, i.number DESC";
    run!(tx, |c| sqlx::query_as::<
        _,
        (i64, i64, i64, String, String, Option<i64>, String),
    >(SQL)
    .bind(project_id.get())
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(|(id, year, number, m, colour, completion_bp, reasons)| {
        Ok(ProjectColour {
            issue_id: IssueId(id),
            year: i32::try_from(year)
                .map_err(|_| DbError::Decode("colour_issues.year", year.to_string()))?,
            number,
            as_of_month: month("colour_issues.as_of_month", &m)?,
            colour: decode::key("colour_issue_rows.colour", &colour, Colour::from_key)?,
            completion_bp,
            reasons,
        })
    })
    .collect()
}

/// The newest issue of a region (its own).
pub async fn latest_issue(tx: &mut Tx, region: &RegionCode) -> Result<Option<IssueRow>, DbError> {
    Ok(issues_where(
        tx,
        "WHERE region_code = $1 ORDER BY year DESC, number DESC LIMIT 1",
        region.as_str(),
        None,
    )
    .await?
    .pop())
}

pub async fn issue_lines(tx: &mut Tx, issue_id: IssueId) -> Result<Vec<IssueLine>, DbError> {
    const SQL: &str = "SELECT seq, project_id, category, level, name, content_scale, total_investment_fen, annual_plan_fen, completed_ytd_fen,
        completion_bp, baseline_bp, progress, leader_name, lead_unit_name, responsible_units, colour, reasons
        FROM colour_issue_rows WHERE issue_id = $1 ORDER BY seq";
    run!(tx, |c| sqlx::query_as::<_, IssueLineRaw>(SQL)
        .bind(issue_id.get())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(IssueLine::try_from)
    .collect()
}
