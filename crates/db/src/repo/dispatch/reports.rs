//! Monthly reports (月报): what the owner or lead unit reports, its review, revisions of
//! approved months (the old figures kept with a reason), and the approved figures the colour
//! table and the statistics are computed from.

use crate::decode::{self, day, month};
use crate::{DbError, Param, Tx, bind_params, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::ids::{ProjectId, ReportId, UserId};
use keyproj_domain::report::{ReportFields, ReportStatus};
use keyproj_domain::{Money, RegionCode, ReportMonth};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    pub id: ReportId,
    pub project_id: ProjectId,
    pub month: ReportMonth,
    pub status: ReportStatus,
    pub fields: ReportFields,
    /// When it was first reported (decides whether it was late).
    pub first_submitted_on: NaiveDate,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub return_reason: String,
    pub revision: i64,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct ReportRaw {
    id: i64,
    project_id: i64,
    month: String,
    status: String,
    month_investment_fen: i64,
    progress: String,
    next_plan: String,
    problems: String,
    first_submitted_on: String,
    submitted_by: String,
    submitted_at: DateTime<Utc>,
    reviewed_by: Option<String>,
    reviewed_at: Option<DateTime<Utc>>,
    return_reason: String,
    revision: i64,
    version: i64,
}

impl TryFrom<ReportRaw> for ReportRow {
    type Error = DbError;
    fn try_from(r: ReportRaw) -> Result<ReportRow, DbError> {
        Ok(ReportRow {
            id: ReportId(r.id),
            project_id: ProjectId(r.project_id),
            month: month("monthly_reports.month", &r.month)?,
            status: decode::key("monthly_reports.status", &r.status, ReportStatus::from_key)?,
            fields: ReportFields {
                month_investment: decode::money(r.month_investment_fen),
                progress: r.progress,
                next_plan: r.next_plan,
                problems: r.problems,
            },
            first_submitted_on: decode::date(
                "monthly_reports.first_submitted_on",
                &r.first_submitted_on,
            )?,
            submitted_by: r.submitted_by,
            submitted_at: r.submitted_at,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
            return_reason: r.return_reason,
            revision: r.revision,
            version: r.version,
        })
    }
}

const REPORT_COLS: &str = "r.id, r.project_id, r.month, r.status, r.month_investment_fen, r.progress, r.next_plan, r.problems,
    r.first_submitted_on, r.submitted_by, r.submitted_at, r.reviewed_by, r.reviewed_at, r.return_reason, r.revision, r.version";

fn decode_all(raw: Vec<ReportRaw>) -> Result<Vec<ReportRow>, DbError> {
    raw.into_iter().map(ReportRow::try_from).collect()
}

pub async fn get_report(
    tx: &mut Tx,
    project_id: ProjectId,
    m: ReportMonth,
) -> Result<Option<ReportRow>, DbError> {
    let sql = format!(
        "SELECT {REPORT_COLS} FROM monthly_reports r WHERE r.project_id = $1 AND r.month = $2"
    );
    run!(tx, |c| sqlx::query_as::<_, ReportRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(project_id.get())
    .bind(m.to_string())
    .fetch_optional(c)
    .await)?
    .map(ReportRow::try_from)
    .transpose()
}

pub async fn get_report_by_id(tx: &mut Tx, id: ReportId) -> Result<Option<ReportRow>, DbError> {
    let sql = format!("SELECT {REPORT_COLS} FROM monthly_reports r WHERE r.id = $1");
    run!(tx, |c| sqlx::query_as::<_, ReportRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(ReportRow::try_from)
    .transpose()
}

/// A project's reports, newest month first.
pub async fn reports_of_project(
    tx: &mut Tx,
    project_id: ProjectId,
) -> Result<Vec<ReportRow>, DbError> {
    let sql = format!(
        "SELECT {REPORT_COLS} FROM monthly_reports r WHERE r.project_id = $1 ORDER BY r.month DESC"
    );
    let raw = run!(tx, |c| sqlx::query_as::<_, ReportRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(project_id.get())
    .fetch_all(c)
    .await)?;
    decode_all(raw)
}

/// A report as first written.
pub struct NewReport<'a> {
    pub project_id: ProjectId,
    pub month: ReportMonth,
    pub status: ReportStatus,
    pub fields: &'a ReportFields,
    pub first_submitted_on: NaiveDate,
    pub submitted_by: &'a str,
    /// Set when the report is approved as it is written (history imported by center staff).
    pub reviewed_by: Option<&'a str>,
}

pub async fn insert_report(
    tx: &mut Tx,
    r: &NewReport<'_>,
    now: DateTime<Utc>,
) -> Result<ReportId, DbError> {
    const SQL: &str = "INSERT INTO monthly_reports (project_id, month, status, month_investment_fen, progress, next_plan, problems,
        first_submitted_on, submitted_by, submitted_at, reviewed_by, reviewed_at, return_reason, revision, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '', 1, 1) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(r.project_id.get())
        .bind(r.month.to_string())
        .bind(r.status.key())
        .bind(r.fields.month_investment.fen())
        .bind(&r.fields.progress)
        .bind(&r.fields.next_plan)
        .bind(&r.fields.problems)
        .bind(day(r.first_submitted_on))
        .bind(r.submitted_by)
        .bind(now)
        .bind(r.reviewed_by)
        .bind(r.reviewed_by.map(|_| now))
        .fetch_one(c)
        .await)
    .map(ReportId)
    .map_err(|e| DbError::from(e).on_duplicate("该项目本月已有月报"))
}

/// New figures for a report (a re-submission, or a revision of an approved one).
pub struct ReportUpdate<'a> {
    pub status: ReportStatus,
    pub fields: &'a ReportFields,
    pub submitted_by: &'a str,
    pub revision: i64,
}

/// Writes new figures if nobody changed the report since `version` was read.
pub async fn update_report(
    tx: &mut Tx,
    id: ReportId,
    version: i64,
    u: &ReportUpdate<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE monthly_reports SET status = $1, month_investment_fen = $2, progress = $3, next_plan = $4, problems = $5,
        submitted_by = $6, submitted_at = $7, revision = $8, version = version + 1 WHERE id = $9 AND version = $10";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(u.status.key())
        .bind(u.fields.month_investment.fen())
        .bind(&u.fields.progress)
        .bind(&u.fields.next_plan)
        .bind(&u.fields.problems)
        .bind(u.submitted_by)
        .bind(now)
        .bind(u.revision)
        .bind(id.get())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    crate::repo::expect_one(n)
}

/// 审核通过 or 退回, if nobody changed the report since `version` was read.
pub async fn review_report(
    tx: &mut Tx,
    id: ReportId,
    version: i64,
    status: ReportStatus,
    reason: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE monthly_reports SET status = $1, return_reason = $2, reviewed_by = $3, reviewed_at = $4, version = version + 1
        WHERE id = $5 AND version = $6";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(status.key())
        .bind(reason)
        .bind(by)
        .bind(now)
        .bind(id.get())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    crate::repo::expect_one(n)
}

/// Keeps the figures of a report before they are revised, with the reason.
pub async fn insert_report_revision(
    tx: &mut Tx,
    r: &ReportRow,
    reason: &str,
    user_id: Option<UserId>,
    username: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO report_revisions (report_id, revision, month_investment_fen, progress, next_plan, problems, reason, user_id, username, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    run!(tx, |c| sqlx::query(SQL)
        .bind(r.id.get())
        .bind(r.revision)
        .bind(r.fields.month_investment.fen())
        .bind(&r.fields.progress)
        .bind(&r.fields.next_plan)
        .bind(&r.fields.problems)
        .bind(reason)
        .bind(user_id.map(|u| u.get()))
        .bind(username)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportRevisionRow {
    pub revision: i64,
    pub month_investment: Money,
    pub progress: String,
    pub reason: String,
    pub username: String,
    pub at: DateTime<Utc>,
}

pub async fn report_revisions(
    tx: &mut Tx,
    report_id: ReportId,
) -> Result<Vec<ReportRevisionRow>, DbError> {
    const SQL: &str = "SELECT revision, month_investment_fen, progress, reason, username, at FROM report_revisions WHERE report_id = $1 ORDER BY revision";
    Ok(run!(tx, |c| sqlx::query_as::<
        _,
        (i64, i64, String, String, String, DateTime<Utc>),
    >(SQL)
    .bind(report_id.get())
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(
        |(revision, fen, progress, reason, username, at)| ReportRevisionRow {
            revision,
            month_investment: Money::from_fen(fen),
            progress,
            reason,
            username,
            at,
        },
    )
    .collect())
}

/// Every report of a month in a region.
pub async fn reports_of_month(
    tx: &mut Tx,
    region: &RegionCode,
    m: ReportMonth,
) -> Result<Vec<ReportRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    let sql = format!(
        "SELECT {REPORT_COLS} FROM monthly_reports r JOIN projects p ON p.id = r.project_id WHERE r.month = $1 AND p.region_code >= $2 AND p.region_code < $3 ORDER BY r.id"
    );
    let raw = run!(tx, |c| sqlx::query_as::<_, ReportRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(m.to_string())
    .bind(&lo)
    .bind(&hi)
    .fetch_all(c)
    .await)?;
    decode_all(raw)
}

/// The latest month at or before `to` with any report in a region (pages open on it).
pub async fn latest_report_month(
    tx: &mut Tx,
    region: &RegionCode,
    to: ReportMonth,
) -> Result<Option<ReportMonth>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str =
        "SELECT MAX(r.month) FROM monthly_reports r JOIN projects p ON p.id = r.project_id
        WHERE p.region_code >= $1 AND p.region_code < $2 AND r.month <= $3";
    run!(tx, |c| sqlx::query_scalar::<_, Option<String>>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(to.to_string())
        .fetch_one(c)
        .await)?
    .map(|m| month("monthly_reports.month", &m))
    .transpose()
}

/// A report waiting for review, as the 待办 page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct PendingReport {
    pub project_id: ProjectId,
    pub project_name: String,
    pub month: ReportMonth,
    pub submitted_at: DateTime<Utc>,
}

/// A row of (project id, name, month, submitted at) as a pending report.
fn pending(
    (p, name, m, at): (i64, String, String, DateTime<Utc>),
) -> Result<PendingReport, DbError> {
    Ok(PendingReport {
        project_id: ProjectId(p),
        project_name: name,
        month: decode::month("monthly_reports.month", &m)?,
        submitted_at: at,
    })
}

/// Reports submitted and not yet reviewed in a region, oldest month first.
pub async fn pending_review(
    tx: &mut Tx,
    region: &RegionCode,
    limit: i64,
) -> Result<Vec<PendingReport>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT r.project_id, p.name, r.month, r.submitted_at FROM monthly_reports r
        JOIN projects p ON p.id = r.project_id
        WHERE r.status = 'submitted' AND p.region_code >= $1 AND p.region_code < $2
        ORDER BY r.month, r.submitted_at, r.id LIMIT $3";
    run!(tx, |c| sqlx::query_as::<
        _,
        (i64, String, String, DateTime<Utc>),
    >(SQL)
    .bind(&lo)
    .bind(&hi)
    .bind(limit)
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(pending)
    .collect()
}

/// Reports returned to a unit (it owns or leads the project) and not yet sent again.
pub async fn returned_to_unit(
    tx: &mut Tx,
    unit: keyproj_domain::ids::UnitId,
    limit: i64,
) -> Result<Vec<PendingReport>, DbError> {
    const SQL: &str = "SELECT r.project_id, p.name, r.month, r.submitted_at FROM monthly_reports r
        JOIN projects p ON p.id = r.project_id
        WHERE r.status = 'returned' AND (p.owner_unit_id = $1 OR p.lead_unit_id = $1)
        ORDER BY r.month DESC, r.id LIMIT $2";
    run!(tx, |c| sqlx::query_as::<
        _,
        (i64, String, String, DateTime<Utc>),
    >(SQL)
    .bind(unit.get())
    .bind(limit)
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(pending)
    .collect()
}

/// An approved month's amount of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovedMonth {
    pub project_id: ProjectId,
    pub month: ReportMonth,
    pub amount: Money,
}

/// Approved monthly amounts of a region's projects from `from` to `to` (inclusive).
pub async fn approved_amounts(
    tx: &mut Tx,
    region: &RegionCode,
    from: ReportMonth,
    to: ReportMonth,
) -> Result<Vec<ApprovedMonth>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT r.project_id, r.month, r.month_investment_fen FROM monthly_reports r JOIN projects p ON p.id = r.project_id
        WHERE r.status = 'approved' AND r.month >= $1 AND r.month <= $2 AND p.region_code >= $3 AND p.region_code < $4";
    run!(tx, |c| sqlx::query_as::<_, (i64, String, i64)>(SQL)
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(&lo)
        .bind(&hi)
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|(p, m, fen)| {
        Ok(ApprovedMonth {
            project_id: ProjectId(p),
            month: month("monthly_reports.month", &m)?,
            amount: Money::from_fen(fen),
        })
    })
    .collect()
}

/// Total approved investment per project from the beginning up to `to` (开工以来累计).
pub async fn approved_totals_to(
    tx: &mut Tx,
    region: &RegionCode,
    to: ReportMonth,
) -> Result<Vec<(ProjectId, Money)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT r.project_id, CAST(SUM(r.month_investment_fen) AS BIGINT) FROM monthly_reports r JOIN projects p ON p.id = r.project_id
        WHERE r.status = 'approved' AND r.month <= $1 AND p.region_code >= $2 AND p.region_code < $3 GROUP BY r.project_id";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, i64)>(SQL)
        .bind(to.to_string())
        .bind(&lo)
        .bind(&hi)
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|(p, fen)| (ProjectId(p), Money::from_fen(fen)))
    .collect())
}

/// One generated approved month (benchmark datasets).
#[derive(Debug, Clone)]
pub struct BulkReport {
    pub project_id: ProjectId,
    pub month: ReportMonth,
    pub amount: Money,
    pub first_submitted_on: NaiveDate,
}

/// Approved reports in bulk (benchmark datasets): several rows per statement, every row a
/// plain approved month.
pub async fn insert_approved_bulk(
    tx: &mut Tx,
    rows: &[BulkReport],
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for chunk in rows.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO monthly_reports (project_id, month, status, month_investment_fen, progress, next_plan, problems, first_submitted_on,
             submitted_by, submitted_at, reviewed_by, reviewed_at, return_reason, revision, version) VALUES ",
        );
        let mut params = vec![];
        for (i, r) in chunk.iter().enumerate() {
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
            params.push(Param::I64(r.project_id.get()));
            params.push(Param::Text(r.month.to_string()));
            params.push(Param::I64(r.amount.fen()));
            params.push(Param::Text(day(r.first_submitted_on)));
        }
        run!(tx, |c| bind_params!(
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(by)
                .bind(now),
            params
        )
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}
