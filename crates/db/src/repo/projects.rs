//! The project library.

use crate::{DbError, Param, Tx, Where, bind_params, run};
use chrono::{DateTime, Utc};
use keyproj_domain::authz::ListScope;
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ProjectRow {
    pub id: i64,
    pub region_code: String,
    pub code: Option<String>,
    pub name: String,
    pub national_code: Option<String>,
    pub level: String,
    pub stage: String,
    pub industry: String,
    pub township_unit_id: Option<i64>,
    pub township_name: Option<String>,
    pub owner_unit_id: Option<i64>,
    pub owner_name: Option<String>,
    pub content_scale: String,
    pub total_investment_fen: i64,
    pub funding_sources: String,
    pub planned_start: Option<String>,
    pub planned_completion: Option<String>,
    pub actual_start: Option<String>,
    pub actual_completion: Option<String>,
    pub leader_id: Option<i64>,
    pub leader_name: Option<String>,
    pub lead_unit_id: Option<i64>,
    pub lead_unit_name: Option<String>,
    pub parent_id: Option<i64>,
    pub location: String,
    pub tags: String,
    pub below_threshold: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

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
    pub region_code: String,
    pub code: Option<String>,
    pub name: String,
    pub national_code: Option<String>,
    pub level: String,
    pub stage: String,
    pub industry: String,
    pub township_unit_id: Option<i64>,
    pub owner_unit_id: Option<i64>,
    pub content_scale: String,
    pub total_investment_fen: i64,
    pub funding_sources: String,
    pub planned_start: Option<String>,
    pub planned_completion: Option<String>,
    pub actual_start: Option<String>,
    pub actual_completion: Option<String>,
    pub leader_id: Option<i64>,
    pub lead_unit_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub location: String,
    pub tags: String,
    pub below_threshold: bool,
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

pub async fn insert(tx: &mut Tx, v: &ProjectValues, now: DateTime<Utc>) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO projects (region_code, code, name, national_code, level, stage, industry, township_unit_id,
        owner_unit_id, content_scale, total_investment_fen, funding_sources, planned_start, planned_completion, actual_start,
        actual_completion, leader_id, lead_unit_id, parent_id, location, tags, below_threshold, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, 1, $23, $23)
        RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(&v.region_code)
        .bind(&v.code)
        .bind(&v.name)
        .bind(&v.national_code)
        .bind(&v.level)
        .bind(&v.stage)
        .bind(&v.industry)
        .bind(v.township_unit_id)
        .bind(v.owner_unit_id)
        .bind(&v.content_scale)
        .bind(v.total_investment_fen)
        .bind(&v.funding_sources)
        .bind(&v.planned_start)
        .bind(&v.planned_completion)
        .bind(&v.actual_start)
        .bind(&v.actual_completion)
        .bind(v.leader_id)
        .bind(v.lead_unit_id)
        .bind(v.parent_id)
        .bind(&v.location)
        .bind(&v.tags)
        .bind(v.below_threshold)
        .bind(now)
        .fetch_one(c)
        .await)
    .map_err(dup_message)
}

/// Updates every field but the stage (stages change only through [`change_stage`]).
pub async fn update(
    tx: &mut Tx,
    id: i64,
    version: i64,
    v: &ProjectValues,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE projects SET code = $1, name = $2, national_code = $3, level = $4, industry = $5,
        township_unit_id = $6, owner_unit_id = $7, content_scale = $8, total_investment_fen = $9, funding_sources = $10,
        planned_start = $11, planned_completion = $12, actual_start = $13, actual_completion = $14, leader_id = $15,
        lead_unit_id = $16, parent_id = $17, location = $18, tags = $19, below_threshold = $20, version = version + 1,
        updated_at = $21 WHERE id = $22 AND version = $23";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(&v.code)
        .bind(&v.name)
        .bind(&v.national_code)
        .bind(&v.level)
        .bind(&v.industry)
        .bind(v.township_unit_id)
        .bind(v.owner_unit_id)
        .bind(&v.content_scale)
        .bind(v.total_investment_fen)
        .bind(&v.funding_sources)
        .bind(&v.planned_start)
        .bind(&v.planned_completion)
        .bind(&v.actual_start)
        .bind(&v.actual_completion)
        .bind(v.leader_id)
        .bind(v.lead_unit_id)
        .bind(v.parent_id)
        .bind(&v.location)
        .bind(&v.tags)
        .bind(v.below_threshold)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(dup_message)?;
    super::expect_one(r)
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<ProjectRow>, DbError> {
    let sql = format!("{} WHERE p.id = $1", select());
    Ok(run!(tx, |c| sqlx::query_as::<_, ProjectRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn find_by_code(
    tx: &mut Tx,
    region: &str,
    code: &str,
) -> Result<Option<ProjectRow>, DbError> {
    let sql = format!("{} WHERE p.region_code = $1 AND p.code = $2", select());
    Ok(run!(tx, |c| sqlx::query_as::<_, ProjectRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(region)
    .bind(code)
    .fetch_optional(c)
    .await)?)
}

/// The id of the project using this national code, if any.
pub async fn national_code_owner(tx: &mut Tx, national_code: &str) -> Result<Option<i64>, DbError> {
    const SQL: &str = "SELECT id FROM projects WHERE national_code = $1";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(national_code)
        .fetch_optional(c)
        .await)?)
}

pub async fn responsible_units(
    tx: &mut Tx,
    project_id: i64,
) -> Result<Vec<(i64, String)>, DbError> {
    const SQL: &str = "SELECT u.id, u.name FROM project_units pu JOIN units u ON u.id = pu.unit_id WHERE pu.project_id = $1 ORDER BY u.sort_order, u.name";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, String)>(SQL)
        .bind(project_id)
        .fetch_all(c)
        .await)?)
}

pub async fn set_responsible_units(
    tx: &mut Tx,
    project_id: i64,
    unit_ids: &[i64],
) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "DELETE FROM project_units WHERE project_id = $1"
    )
    .bind(project_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    for u in unit_ids {
        run!(tx, |c| sqlx::query(
            "INSERT INTO project_units (project_id, unit_id) VALUES ($1, $2)"
        )
        .bind(project_id)
        .bind(*u)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn children(tx: &mut Tx, parent_id: i64) -> Result<Vec<(i64, String)>, DbError> {
    const SQL: &str = "SELECT id, name FROM projects WHERE parent_id = $1 ORDER BY name";
    Ok(run!(tx, |c| sqlx::query_as::<_, (i64, String)>(SQL)
        .bind(parent_id)
        .fetch_all(c)
        .await)?)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct StageChangeRow {
    pub id: i64,
    pub project_id: i64,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub changed_on: String,
    pub reason: String,
    pub user_id: Option<i64>,
    pub username: String,
    pub at: DateTime<Utc>,
}

pub struct NewStageChange<'a> {
    pub project_id: i64,
    pub from_stage: Option<&'a str>,
    pub to_stage: &'a str,
    pub changed_on: &'a str,
    pub reason: &'a str,
    pub user_id: Option<i64>,
    pub username: &'a str,
}

pub async fn insert_stage_change(
    tx: &mut Tx,
    s: &NewStageChange<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO project_stage_changes (project_id, from_stage, to_stage, changed_on, reason, user_id, username, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(s.project_id)
        .bind(s.from_stage)
        .bind(s.to_stage)
        .bind(s.changed_on)
        .bind(s.reason)
        .bind(s.user_id)
        .bind(s.username)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

/// Moves a project to a new stage, with the actual months the change brings.
pub async fn change_stage(
    tx: &mut Tx,
    id: i64,
    version: i64,
    stage: &str,
    actual_start: Option<&str>,
    actual_completion: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE projects SET stage = $1, actual_start = $2, actual_completion = $3, version = version + 1,
        updated_at = $4 WHERE id = $5 AND version = $6";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(stage)
        .bind(actual_start)
        .bind(actual_completion)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    super::expect_one(r)
}

pub async fn stage_history(tx: &mut Tx, project_id: i64) -> Result<Vec<StageChangeRow>, DbError> {
    const SQL: &str =
        "SELECT id, project_id, from_stage, to_stage, changed_on, reason, user_id, username, at
        FROM project_stage_changes WHERE project_id = $1 ORDER BY id";
    Ok(run!(tx, |c| sqlx::query_as::<_, StageChangeRow>(SQL)
        .bind(project_id)
        .fetch_all(c)
        .await)?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Code,
    Name,
    Investment,
    Stage,
    Level,
    Updated,
}

impl SortKey {
    pub fn parse(s: &str) -> SortKey {
        match s {
            "name" => SortKey::Name,
            "investment" => SortKey::Investment,
            "stage" => SortKey::Stage,
            "level" => SortKey::Level,
            "updated" => SortKey::Updated,
            _ => SortKey::Code,
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            SortKey::Code => "code",
            SortKey::Name => "name",
            SortKey::Investment => "investment",
            SortKey::Stage => "stage",
            SortKey::Level => "level",
            SortKey::Updated => "updated",
        }
    }
    fn column(self) -> &'static str {
        match self {
            SortKey::Code => "p.code",
            SortKey::Name => "p.name",
            SortKey::Investment => "p.total_investment_fen",
            SortKey::Stage => "p.stage",
            SortKey::Level => "p.level",
            SortKey::Updated => "p.updated_at",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProjectFilter {
    pub scope: ListScope,
    pub q: Option<String>,
    pub stage: Option<String>,
    pub level: Option<String>,
    pub industry: Option<String>,
    pub township_unit_id: Option<i64>,
    pub lead_unit_id: Option<i64>,
    pub leader_id: Option<i64>,
    pub below_threshold: Option<bool>,
    pub sort: SortKey,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

impl ProjectFilter {
    pub fn new(scope: ListScope) -> Self {
        ProjectFilter {
            scope,
            q: None,
            stage: None,
            level: None,
            industry: None,
            township_unit_id: None,
            lead_unit_id: None,
            leader_id: None,
            below_threshold: None,
            sort: SortKey::Code,
            desc: false,
            limit: 50,
            offset: 0,
        }
    }
}

/// Projects of a region and the regions below it (an index range, see `RegionCode::subtree_range`).
fn in_region(w: &mut Where, r: &keyproj_domain::RegionCode) {
    let (lo, hi) = r.subtree_range();
    w.push(
        "p.region_code >= ? AND p.region_code < ?",
        vec![Param::Text(lo), Param::Text(hi)],
    );
}

fn filter_where(f: &ProjectFilter) -> Where {
    let mut w = Where::default();
    match &f.scope {
        ListScope::Region(r) => in_region(&mut w, r),
        ListScope::Unit { region, unit_id } => {
            in_region(&mut w, region);
            w.push(
                "(p.lead_unit_id = ? OR p.owner_unit_id = ? OR EXISTS (SELECT 1 FROM project_units pu WHERE pu.project_id = p.id AND pu.unit_id = ?))",
                vec![Param::I64(*unit_id), Param::I64(*unit_id), Param::I64(*unit_id)],
            );
        }
        ListScope::Owner { region, unit_id } => {
            in_region(&mut w, region);
            w.push("p.owner_unit_id = ?", vec![Param::I64(*unit_id)]);
        }
        ListScope::Nothing => w.push("1 = 0", vec![]),
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // Escape LIKE wildcards typed by the user.
        let esc = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
            .to_lowercase();
        let pat = format!("%{esc}%");
        w.push(
            "(LOWER(p.name) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(p.code, '')) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(p.national_code, '')) LIKE ? ESCAPE '\\' OR LOWER(p.tags) LIKE ? ESCAPE '\\')",
            vec![Param::Text(pat.clone()), Param::Text(pat.clone()), Param::Text(pat.clone()), Param::Text(pat)],
        );
    }
    if let Some(s) = &f.stage {
        w.push("p.stage = ?", vec![Param::Text(s.clone())]);
    }
    if let Some(s) = &f.level {
        w.push("p.level = ?", vec![Param::Text(s.clone())]);
    }
    if let Some(s) = &f.industry {
        w.push("p.industry = ?", vec![Param::Text(s.clone())]);
    }
    if let Some(id) = f.township_unit_id {
        w.push("p.township_unit_id = ?", vec![Param::I64(id)]);
    }
    if let Some(id) = f.lead_unit_id {
        w.push("p.lead_unit_id = ?", vec![Param::I64(id)]);
    }
    if let Some(id) = f.leader_id {
        w.push("p.leader_id = ?", vec![Param::I64(id)]);
    }
    if let Some(b) = f.below_threshold {
        w.push("p.below_threshold = ?", vec![Param::Bool(b)]);
    }
    w
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProjectTotals {
    pub count: i64,
    pub total_investment_fen: i64,
}

/// One page of projects and the totals over the whole filtered set.
pub async fn list(
    tx: &mut Tx,
    f: &ProjectFilter,
) -> Result<(Vec<ProjectRow>, ProjectTotals), DbError> {
    let w = filter_where(f);
    let n = w.next_placeholder();
    let dir = if f.desc { "DESC" } else { "ASC" };
    // NULL codes sort last on both engines; id breaks ties so pages never overlap.
    let order = match f.sort {
        SortKey::Code => {
            format!("CASE WHEN p.code IS NULL THEN 1 ELSE 0 END, p.code {dir}, p.id {dir}")
        }
        k => format!("{} {dir}, p.id {dir}", k.column()),
    };
    // Deferred join: find the page's ids first (an index-only scan for the usual sort keys),
    // then join names for those rows only, not for the whole region.
    let sql = format!(
        "{COLUMNS} FROM (SELECT p.id FROM projects p{} ORDER BY {order} LIMIT ${} OFFSET ${}) k
         JOIN projects p ON p.id = k.id{JOINS} ORDER BY {order}",
        w.sql(),
        n,
        n + 1
    );
    let totals_sql = format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(p.total_investment_fen), 0) AS BIGINT) FROM projects p{}",
        w.sql()
    );
    let rows = run!(tx, |c| bind_params!(
        sqlx::query_as::<_, ProjectRow>(sqlx::AssertSqlSafe(sql)),
        w.params
    )
    .bind(f.limit)
    .bind(f.offset)
    .fetch_all(c)
    .await)?;
    let (count, sum) = run!(tx, |c| bind_params!(
        sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(totals_sql)),
        w.params
    )
    .fetch_one(c)
    .await)?;
    Ok((
        rows,
        ProjectTotals {
            count,
            total_investment_fen: sum,
        },
    ))
}

/// Responsible units of many projects at once (for list pages and exports).
pub async fn responsible_units_of(tx: &mut Tx, ids: &[i64]) -> Result<Vec<(i64, String)>, DbError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT pu.project_id, u.name FROM project_units pu JOIN units u ON u.id = pu.unit_id WHERE pu.project_id IN ({}) ORDER BY pu.project_id, u.sort_order, u.name",
        placeholders.join(", ")
    );
    let params: Vec<Param> = ids.iter().map(|i| Param::I64(*i)).collect();
    Ok(run!(tx, |c| bind_params!(
        sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql)),
        params
    )
    .fetch_all(c)
    .await)?)
}

pub async fn count_all(tx: &mut Tx) -> Result<i64, DbError> {
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM projects"
    )
    .fetch_one(c)
    .await)?)
}

/// Counts by stage in a scope (dashboard).
pub async fn count_by_stage(
    tx: &mut Tx,
    scope: &ListScope,
) -> Result<Vec<(String, i64, i64)>, DbError> {
    let f = ProjectFilter::new(scope.clone());
    let w = filter_where(&f);
    let sql = format!(
        "SELECT p.stage, COUNT(*), CAST(COALESCE(SUM(p.total_investment_fen), 0) AS BIGINT) FROM projects p{} GROUP BY p.stage",
        w.sql()
    );
    Ok(run!(tx, |c| bind_params!(
        sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(sql)),
        w.params
    )
    .fetch_all(c)
    .await)?)
}
