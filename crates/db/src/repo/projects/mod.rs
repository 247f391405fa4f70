//! The project library: one project's row and its writes here; stage changes in `stages`, the
//! filtered list and counts in `list`.

mod list;
mod stages;

pub use list::{
    ColoursOf, ListedProject, PageIssue, ProjectFilter, ProjectListPage, ProjectTotals,
    ProjectUnit, SortKey, StageCount, count_all, count_by_stage, ids_with_lead, list, list_page,
    responsible_units_of,
};
pub use stages::{
    NewStageChange, StageChangeRow, StageValues, change_stage, insert_stage_change, stage_history,
};

use crate::decode::{self};
use crate::{DbError, Tx, run};
use chrono::{DateTime, Utc};
use keyproj_domain::ids::{LeaderId, ProjectId, UnitId};
use keyproj_domain::project::{Industry, Level, Stage};
use keyproj_domain::{Money, RegionCode, ReportMonth};
use serde::Serialize;

/// Something referred to by its id and shown by its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameRef<I> {
    pub id: I,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectRow {
    pub id: ProjectId,
    pub region_code: RegionCode,
    pub code: Option<String>,
    pub name: String,
    pub national_code: Option<String>,
    pub level: Level,
    pub stage: Stage,
    pub industry: Industry,
    pub township_unit_id: Option<UnitId>,
    pub township_name: Option<String>,
    pub owner_unit_id: Option<UnitId>,
    pub owner_name: Option<String>,
    pub content_scale: String,
    pub total_investment: Money,
    pub funding_sources: String,
    pub planned_start: Option<ReportMonth>,
    pub planned_completion: Option<ReportMonth>,
    pub actual_start: Option<ReportMonth>,
    pub actual_completion: Option<ReportMonth>,
    pub leader_id: Option<LeaderId>,
    pub leader_name: Option<String>,
    pub lead_unit_id: Option<UnitId>,
    pub lead_unit_name: Option<String>,
    pub parent_id: Option<ProjectId>,
    pub location: String,
    /// 标签, joined with 、
    pub tags: String,
    pub below_threshold: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ProjectRaw {
    id: i64,
    region_code: String,
    code: Option<String>,
    name: String,
    national_code: Option<String>,
    level: String,
    stage: String,
    industry: String,
    township_unit_id: Option<i64>,
    township_name: Option<String>,
    owner_unit_id: Option<i64>,
    owner_name: Option<String>,
    content_scale: String,
    total_investment_fen: i64,
    funding_sources: String,
    planned_start: Option<String>,
    planned_completion: Option<String>,
    actual_start: Option<String>,
    actual_completion: Option<String>,
    leader_id: Option<i64>,
    leader_name: Option<String>,
    lead_unit_id: Option<i64>,
    lead_unit_name: Option<String>,
    parent_id: Option<i64>,
    location: String,
    tags: String,
    below_threshold: bool,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A [`ProjectRaw`] from the first [`ProjectRaw::DIRECT_COLUMNS`] values of a row, in the
/// order of [`COLUMNS`], each read with `$at`.
macro_rules! project_by_position {
    ($row:expr, $at:path) => {
        crate::direct::by_position!(
            $row,
            $at,
            0,
            ProjectRaw {
                id,
                region_code,
                code,
                name,
                national_code,
                level,
                stage,
                industry,
                township_unit_id,
                township_name,
                owner_unit_id,
                owner_name,
                content_scale,
                total_investment_fen,
                funding_sources,
                planned_start,
                planned_completion,
                actual_start,
                actual_completion,
                leader_id,
                leader_name,
                lead_unit_id,
                lead_unit_name,
                parent_id,
                location,
                tags,
                below_threshold,
                version,
                created_at,
                updated_at,
            }
        )
    };
}
use project_by_position;

impl ProjectRaw {
    /// How many values [`COLUMNS`] selects.
    const DIRECT_COLUMNS: usize = 30;
}

impl TryFrom<ProjectRaw> for ProjectRow {
    type Error = DbError;
    fn try_from(r: ProjectRaw) -> Result<ProjectRow, DbError> {
        Ok(ProjectRow {
            id: ProjectId(r.id),
            region_code: decode::region("projects.region_code", &r.region_code)?,
            code: r.code,
            name: r.name,
            national_code: r.national_code,
            level: decode::key("projects.level", &r.level, Level::from_key)?,
            stage: decode::key("projects.stage", &r.stage, Stage::from_key)?,
            industry: decode::key("projects.industry", &r.industry, Industry::from_key)?,
            township_unit_id: r.township_unit_id.map(UnitId),
            township_name: r.township_name,
            owner_unit_id: r.owner_unit_id.map(UnitId),
            owner_name: r.owner_name,
            content_scale: r.content_scale,
            total_investment: decode::money(r.total_investment_fen),
            funding_sources: r.funding_sources,
            planned_start: decode::opt_month("projects.planned_start", r.planned_start)?,
            planned_completion: decode::opt_month(
                "projects.planned_completion",
                r.planned_completion,
            )?,
            actual_start: decode::opt_month("projects.actual_start", r.actual_start)?,
            actual_completion: decode::opt_month(
                "projects.actual_completion",
                r.actual_completion,
            )?,
            leader_id: r.leader_id.map(LeaderId),
            leader_name: r.leader_name,
            lead_unit_id: r.lead_unit_id.map(UnitId),
            lead_unit_name: r.lead_unit_name,
            parent_id: r.parent_id.map(ProjectId),
            location: r.location,
            tags: r.tags,
            below_threshold: r.below_threshold,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The values of [`ProjectRaw`], in the order [`ProjectRaw::direct`] reads them.
const COLUMNS: &str = "SELECT p.id, p.region_code, p.code, p.name, p.national_code, p.level, p.stage, p.industry,
    p.township_unit_id, t.name AS township_name, p.owner_unit_id, o.name AS owner_name, p.content_scale,
    p.total_investment_fen, p.funding_sources, p.planned_start, p.planned_completion, p.actual_start,
    p.actual_completion, p.leader_id, l.name AS leader_name, p.lead_unit_id, lu.name AS lead_unit_name,
    p.parent_id, p.location, p.tags, p.below_threshold, p.version, p.created_at, p.updated_at";

const JOINS: &str = "
    LEFT JOIN units t ON t.id = p.township_unit_id
    LEFT JOIN units o ON o.id = p.owner_unit_id
    LEFT JOIN leaders l ON l.id = p.leader_id
    LEFT JOIN units lu ON lu.id = p.lead_unit_id";

/// One project with the names it refers to; append `WHERE …`.
fn select() -> String {
    format!("{COLUMNS} FROM projects p{JOINS}")
}

/// The values written for a project (create and update).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectValues {
    pub region_code: RegionCode,
    pub code: Option<String>,
    pub name: String,
    pub national_code: Option<String>,
    pub level: Level,
    pub stage: Stage,
    pub industry: Industry,
    pub township_unit_id: Option<UnitId>,
    pub owner_unit_id: Option<UnitId>,
    pub content_scale: String,
    pub total_investment: Money,
    pub funding_sources: String,
    pub planned_start: Option<ReportMonth>,
    pub planned_completion: Option<ReportMonth>,
    pub actual_start: Option<ReportMonth>,
    pub actual_completion: Option<ReportMonth>,
    pub leader_id: Option<LeaderId>,
    pub lead_unit_id: Option<UnitId>,
    pub parent_id: Option<ProjectId>,
    pub location: String,
    pub tags: String,
    pub below_threshold: bool,
}

impl ProjectValues {
    /// The stored values of a row (to write it back with one figure changed).
    pub fn of(p: &ProjectRow) -> ProjectValues {
        ProjectValues {
            region_code: p.region_code.clone(),
            code: p.code.clone(),
            name: p.name.clone(),
            national_code: p.national_code.clone(),
            level: p.level,
            stage: p.stage,
            industry: p.industry,
            township_unit_id: p.township_unit_id,
            owner_unit_id: p.owner_unit_id,
            content_scale: p.content_scale.clone(),
            total_investment: p.total_investment,
            funding_sources: p.funding_sources.clone(),
            planned_start: p.planned_start,
            planned_completion: p.planned_completion,
            actual_start: p.actual_start,
            actual_completion: p.actual_completion,
            leader_id: p.leader_id,
            lead_unit_id: p.lead_unit_id,
            parent_id: p.parent_id,
            location: p.location.clone(),
            tags: p.tags.clone(),
            below_threshold: p.below_threshold,
        }
    }
}

fn month(m: Option<ReportMonth>) -> Option<String> {
    m.map(|m| m.to_string())
}

fn dup_message(e: sqlx::Error) -> DbError {
    let text = e.to_string();
    let err = DbError::from(e);
    if !err.is_unique_violation() {
        return err;
    }
    if text.contains("national_code") {
        DbError::Duplicate("项目代码已被其他项目使用".into())
    } else {
        DbError::Duplicate("项目编号在本地区已被使用".into())
    }
}

/// What the list's free-text search reads: name, code, national code and tags in one text,
/// normalised in Rust like the typed query ([`keyproj_domain::search`]).
fn search_text(v: &ProjectValues) -> String {
    keyproj_domain::search::joined_key(&[
        &v.name,
        v.code.as_deref().unwrap_or(""),
        v.national_code.as_deref().unwrap_or(""),
        &v.tags,
    ])
}

/// Fills `search_text` where it is empty: rows written before it existed (migration 0017 adds it
/// empty, since SQL cannot normalise text as [`keyproj_domain::search`] does) or copied by an
/// older `keyproj copy`. Every project has a name, so a filled one is never empty.
pub async fn fill_search_text(tx: &mut Tx) -> Result<u64, DbError> {
    const PENDING: &str = "SELECT id, name, code, national_code, tags FROM projects WHERE search_text = '' ORDER BY id";
    type Fields = (i64, String, Option<String>, Option<String>, String);
    let rows = run!(tx, |c| sqlx::query_as::<_, Fields>(PENDING)
        .fetch_all(c)
        .await)?;
    for (id, name, code, national_code, tags) in &rows {
        let text = keyproj_domain::search::joined_key(&[
            name,
            code.as_deref().unwrap_or(""),
            national_code.as_deref().unwrap_or(""),
            tags,
        ]);
        run!(tx, |c| sqlx::query(
            "UPDATE projects SET search_text = $1 WHERE id = $2"
        )
        .bind(&text)
        .bind(*id)
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(rows.len() as u64)
}

pub async fn insert(
    tx: &mut Tx,
    v: &ProjectValues,
    now: DateTime<Utc>,
) -> Result<ProjectId, DbError> {
    const SQL: &str = "INSERT INTO projects (region_code, code, name, national_code, level, stage, industry, township_unit_id,
        owner_unit_id, content_scale, total_investment_fen, funding_sources, planned_start, planned_completion, actual_start,
                actual_completion, leader_id, lead_unit_id, parent_id, location, tags, below_threshold, version, created_at, updated_at,
        search_text)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, 1, $23, $23, $24)
        RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(v.region_code.as_str())
        .bind(&v.code)
        .bind(&v.name)
        .bind(&v.national_code)
        .bind(v.level.key())
        .bind(v.stage.key())
        .bind(v.industry.key())
        .bind(v.township_unit_id.map(|u| u.get()))
        .bind(v.owner_unit_id.map(|u| u.get()))
        .bind(&v.content_scale)
        .bind(v.total_investment.fen())
        .bind(&v.funding_sources)
        .bind(month(v.planned_start))
        .bind(month(v.planned_completion))
        .bind(month(v.actual_start))
        .bind(month(v.actual_completion))
        .bind(v.leader_id.map(|l| l.get()))
        .bind(v.lead_unit_id.map(|u| u.get()))
        .bind(v.parent_id.map(|p| p.get()))
        .bind(&v.location)
        .bind(&v.tags)
        .bind(v.below_threshold)
        .bind(now)
        .bind(search_text(v))
        .fetch_one(c)
        .await)
    .map(ProjectId)
    .map_err(dup_message)
}

/// Updates every field but the stage (stages change only through [`change_stage`]).
pub async fn update(
    tx: &mut Tx,
    id: ProjectId,
    version: i64,
    v: &ProjectValues,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE projects SET code = $1, name = $2, national_code = $3, level = $4, industry = $5,
        township_unit_id = $6, owner_unit_id = $7, content_scale = $8, total_investment_fen = $9, funding_sources = $10,
        planned_start = $11, planned_completion = $12, actual_start = $13, actual_completion = $14, leader_id = $15,
        lead_unit_id = $16, parent_id = $17, location = $18, tags = $19, below_threshold = $20, version = version + 1,
                updated_at = $21, search_text = $24 WHERE id = $22 AND version = $23";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(&v.code)
        .bind(&v.name)
        .bind(&v.national_code)
        .bind(v.level.key())
        .bind(v.industry.key())
        .bind(v.township_unit_id.map(|u| u.get()))
        .bind(v.owner_unit_id.map(|u| u.get()))
        .bind(&v.content_scale)
        .bind(v.total_investment.fen())
        .bind(&v.funding_sources)
        .bind(month(v.planned_start))
        .bind(month(v.planned_completion))
        .bind(month(v.actual_start))
        .bind(month(v.actual_completion))
        .bind(v.leader_id.map(|l| l.get()))
        .bind(v.lead_unit_id.map(|u| u.get()))
        .bind(v.parent_id.map(|p| p.get()))
        .bind(&v.location)
        .bind(&v.tags)
        .bind(v.below_threshold)
        .bind(now)
        .bind(id.get())
        .bind(version)
        .bind(search_text(v))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(dup_message)?;
    super::expect_one(r)
}

pub async fn get(tx: &mut Tx, id: ProjectId) -> Result<Option<ProjectRow>, DbError> {
    let sql = format!("{} WHERE p.id = $1", select());
    run!(tx, |c| sqlx::query_as::<_, ProjectRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(ProjectRow::try_from)
    .transpose()
}

pub async fn find_by_code(
    tx: &mut Tx,
    region: &RegionCode,
    code: &str,
) -> Result<Option<ProjectRow>, DbError> {
    let sql = format!("{} WHERE p.region_code = $1 AND p.code = $2", select());
    run!(tx, |c| sqlx::query_as::<_, ProjectRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(region.as_str())
    .bind(code)
    .fetch_optional(c)
    .await)?
    .map(ProjectRow::try_from)
    .transpose()
}

/// The id of the project using this national code, if any.
pub async fn national_code_owner(
    tx: &mut Tx,
    national_code: &str,
) -> Result<Option<ProjectId>, DbError> {
    const SQL: &str = "SELECT id FROM projects WHERE national_code = $1";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(national_code)
        .fetch_optional(c)
        .await)?
    .map(ProjectId))
}

pub async fn responsible_units(
    tx: &mut Tx,
    project_id: ProjectId,
) -> Result<Vec<NameRef<UnitId>>, DbError> {
    const SQL: &str = "SELECT u.id, u.name FROM project_units pu JOIN units u ON u.id = pu.unit_id WHERE pu.project_id = $1 ORDER BY u.sort_order, u.name";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, String)>(SQL)
        .bind(project_id.get())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|(id, name)| NameRef {
        id: UnitId(id),
        name,
    })
    .collect())
}

pub async fn set_responsible_units(
    tx: &mut Tx,
    project_id: ProjectId,
    unit_ids: &[UnitId],
) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "DELETE FROM project_units WHERE project_id = $1"
    )
    .bind(project_id.get())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    for u in unit_ids {
        run!(tx, |c| sqlx::query(
            "INSERT INTO project_units (project_id, unit_id) VALUES ($1, $2)"
        )
        .bind(project_id.get())
        .bind(u.get())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn children(
    tx: &mut Tx,
    parent_id: ProjectId,
) -> Result<Vec<NameRef<ProjectId>>, DbError> {
    const SQL: &str = "SELECT id, name FROM projects WHERE parent_id = $1 ORDER BY name";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, String)>(SQL)
        .bind(parent_id.get())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|(id, name)| NameRef {
        id: ProjectId(id),
        name,
    })
    .collect())
}

/// The regions of the projects in a region and below it (where a threshold of the region
/// applies).
pub async fn regions_with_projects(
    tx: &mut Tx,
    region: &RegionCode,
) -> Result<Vec<RegionCode>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT DISTINCT region_code FROM projects
        WHERE region_code >= $1 AND region_code < $2 ORDER BY region_code";
    run!(tx, |c| sqlx::query_scalar::<_, String>(SQL)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(c)
        .await)?
    .iter()
    .map(|r| crate::decode::region("projects.region_code", r))
    .collect()
}

/// Marks the projects of one region and industry below the threshold `min` or not, as their
/// investment says; returns those whose mark changed.
pub async fn reflag_below_threshold(
    tx: &mut Tx,
    region: &RegionCode,
    industry: Industry,
    min: Money,
) -> Result<Vec<ProjectId>, DbError> {
    const SQL: &str = "UPDATE projects SET below_threshold = (total_investment_fen < $1)
        WHERE region_code = $2 AND industry = $3 AND below_threshold <> (total_investment_fen < $1)
        RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(min.fen())
        .bind(region.as_str())
        .bind(industry.key())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(ProjectId)
    .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_reader_reads_as_many_values_as_the_columns_select() {
        let selected = COLUMNS.trim_start_matches("SELECT").split(',').count();
        assert_eq!(selected, ProjectRaw::DIRECT_COLUMNS);
    }
}
