//! The project library over JSON: list (the page's filters), one project, create, edit,
//! stage changes.

use super::{Created, typed};
use crate::AppState;
use crate::auth::{ApiCaller, JsonBody, VersionedBody};
use crate::error::{ApiError, ApiErrorBody};
use crate::params::Path;
use crate::views;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use keyproj_db::repo::projects::ProjectRow;
use keyproj_domain::ids::ProjectId;
use keyproj_domain::project::ProjectDraft;
use keyproj_service::projects::{self, ProjectInput, StageChangeInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects", get(list_projects).post(create_project))
        .route("/projects/{id}", get(get_project).put(update_project))
        .route("/projects/{id}/stage", post(change_stage))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_projects,
        create_project,
        get_project,
        update_project,
        change_stage
    ),
    components(schemas(
        ProjectIn,
        ProjectUpdateIn,
        StageIn,
        ProjectOut,
        ProjectListItemOut,
        ProjectPageOut
    ))
)]
pub(super) struct Doc;

/// A project as submitted. Enumerations accept the key or the Chinese label
/// (e.g. `under_construction` or `在建`). Months are `YYYY-MM`.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct ProjectIn {
    code: String,
    name: String,
    national_code: String,
    level: String,
    stage: String,
    industry: String,
    content_scale: String,
    /// 万元, at most two decimals, e.g. "12345.67"
    total_investment_wan: String,
    funding_sources: String,
    planned_start: String,
    planned_completion: String,
    actual_start: String,
    actual_completion: String,
    location: String,
    /// separated by 、
    tags: String,
    township_unit_id: Option<i64>,
    owner_unit_id: Option<i64>,
    leader_id: Option<i64>,
    lead_unit_id: Option<i64>,
    responsible_unit_ids: Vec<i64>,
    parent_id: Option<i64>,
}

impl ProjectIn {
    fn into_input(self) -> ProjectInput {
        ProjectInput {
            draft: ProjectDraft {
                code: self.code,
                name: self.name,
                national_code: self.national_code,
                level: self.level,
                stage: self.stage,
                industry: self.industry,
                content_scale: self.content_scale,
                total_investment_wan: self.total_investment_wan,
                funding_sources: self.funding_sources,
                planned_start: self.planned_start,
                planned_completion: self.planned_completion,
                actual_start: self.actual_start,
                actual_completion: self.actual_completion,
                location: self.location,
                tags: self.tags,
            },
            township_unit_id: self.township_unit_id.map(Into::into),
            owner_unit_id: self.owner_unit_id.map(Into::into),
            leader_id: self.leader_id.map(Into::into),
            lead_unit_id: self.lead_unit_id.map(Into::into),
            responsible_unit_ids: typed(self.responsible_unit_ids),
            parent_id: self.parent_id.map(Into::into),
        }
    }
}

/// An edit: the version the client read plus the full record (the stage is changed only
/// through `/stage`).
/// (Read by [`VersionedBody`], which names unknown fields; this type documents the body.)
#[derive(ToSchema)]
#[allow(dead_code)]
struct ProjectUpdateIn {
    version: i64,
    #[schema(inline)]
    #[serde(flatten)]
    project: ProjectIn,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct StageIn {
    version: i64,
    to_stage: String,
    /// YYYY-MM-DD
    changed_on: String,
    reason: String,
    actual_start: String,
    actual_completion: String,
}

#[derive(Serialize, ToSchema)]
struct ProjectOut {
    id: i64,
    region_code: String,
    code: Option<String>,
    name: String,
    national_code: Option<String>,
    // keys and labels are the vocabularies' own: no copy per row
    level: &'static str,
    level_label: &'static str,
    stage: &'static str,
    stage_label: &'static str,
    industry: &'static str,
    industry_label: &'static str,
    township_unit_id: Option<i64>,
    township_name: Option<String>,
    owner_unit_id: Option<i64>,
    owner_name: Option<String>,
    content_scale: String,
    total_investment_fen: i64,
    total_investment_wan: String,
    funding_sources: String,
    planned_start: Option<String>,
    planned_completion: Option<String>,
    actual_start: Option<String>,
    actual_completion: Option<String>,
    leader_id: Option<i64>,
    leader_name: Option<String>,
    lead_unit_id: Option<i64>,
    lead_unit_name: Option<String>,
    responsible_units: Vec<String>,
    parent_id: Option<i64>,
    location: String,
    tags: String,
    below_threshold: bool,
    version: i64,
}

fn project_out(p: ProjectRow, responsible: Vec<String>) -> ProjectOut {
    let month = |m: Option<keyproj_domain::ReportMonth>| m.map(|m| m.to_string());
    ProjectOut {
        level_label: p.level.label(),
        stage_label: p.stage.label(),
        industry_label: p.industry.label(),
        total_investment_wan: views::wan(&p.total_investment),
        id: p.id.into(),
        region_code: p.region_code.to_string(),
        code: p.code,
        name: p.name,
        national_code: p.national_code,
        level: p.level.key(),
        stage: p.stage.key(),
        industry: p.industry.key(),
        township_unit_id: p.township_unit_id.map(Into::into),
        township_name: p.township_name,
        owner_unit_id: p.owner_unit_id.map(Into::into),
        owner_name: p.owner_name,
        content_scale: p.content_scale,
        total_investment_fen: p.total_investment.fen(),
        funding_sources: p.funding_sources,
        planned_start: month(p.planned_start),
        planned_completion: month(p.planned_completion),
        actual_start: month(p.actual_start),
        actual_completion: month(p.actual_completion),
        leader_id: p.leader_id.map(Into::into),
        leader_name: p.leader_name,
        lead_unit_id: p.lead_unit_id.map(Into::into),
        lead_unit_name: p.lead_unit_name,
        responsible_units: responsible,
        parent_id: p.parent_id.map(Into::into),
        location: p.location,
        tags: p.tags,
        below_threshold: p.below_threshold,
        version: p.version,
    }
}

/// A project of the list, with its colour in the current issue (本期评价).
#[derive(Serialize, ToSchema)]
struct ProjectListItemOut {
    #[serde(flatten)]
    project: ProjectOut,
    /// red, yellow or green in the current issue; null when it is not in it
    colour: Option<&'static str>,
    /// 红, 黄 or 绿
    colour_label: Option<&'static str>,
}

#[derive(Serialize, ToSchema)]
struct ProjectPageOut {
    items: Vec<ProjectListItemOut>,
    /// the newest published colour issue the colours come from (e.g. "2026年第3期")
    issue: Option<String>,
    /// its id (GET /api/v1/colour/issues/{id})
    issue_id: Option<i64>,
    total_count: i64,
    total_investment_fen: i64,
    total_investment_wan: String,
    page: i64,
    per_page: i64,
    pages: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ListParams {
    /// Search in name, 项目编号, 项目代码 and tags
    q: Option<String>,
    stage: Option<String>,
    level: Option<String>,
    industry: Option<String>,
    township: Option<i64>,
    lead_unit: Option<i64>,
    leader: Option<i64>,
    /// 1: only projects below the threshold (低于门槛), 0: only those above
    below_threshold: Option<String>,
    /// red | yellow | green | blue | exempt (or 红/黄…): the colour in the newest published table
    colour: Option<String>,
    /// code | name | investment | stage | level | updated
    sort: Option<String>,
    /// 1 for descending
    desc: Option<String>,
    page: Option<i64>,
    /// at most 500
    per_page: Option<i64>,
}

/// Projects the caller may see, filtered, sorted and paginated, with totals over the filter.
#[utoipa::path(get, path = "/api/v1/projects", params(ListParams), responses((status = 200, body = ProjectPageOut), (status = 401, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn list_projects(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(q): RawQuery,
) -> Result<Json<ProjectPageOut>, ApiError> {
    let (query, refused) = crate::params::project_query(&c.ctx, q.as_deref());
    refused
        .into_result()
        .map_err(keyproj_service::ServiceError::from)?;
    let page = projects::list(&s.app, &c.ctx, &query).await?;
    Ok(Json(ProjectPageOut {
        total_count: page.totals.count,
        total_investment_fen: page.totals.total_investment.fen(),
        total_investment_wan: views::wan(&page.totals.total_investment),
        page: page.page,
        per_page: page.per_page,
        pages: page.pages,
        issue: page.issue,
        issue_id: page.issue_id.map(|i| i.get()),
        items: page
            .items
            .into_iter()
            .zip(page.responsible)
            .zip(page.colours)
            .map(|((p, r), c)| ProjectListItemOut {
                project: project_out(p, r),
                colour: c.map(|c| c.key()),
                colour_label: c.map(|c| c.label()),
            })
            .collect(),
    }))
}

/// Creates a project (中心工作人员).
#[utoipa::path(post, path = "/api/v1/projects", request_body = ProjectIn, responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create_project(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(body): JsonBody<ProjectIn>,
) -> Result<Response, ApiError> {
    let id = projects::create(&s.app, &c.ctx, &body.into_input()).await?;
    Ok(Created::response(id))
}

/// One project; 404 when it does not exist or the caller may not see it.
#[utoipa::path(get, path = "/api/v1/projects/{id}", params(("id" = i64, Path)), responses((status = 200, body = ProjectOut), (status = 404, body = ApiErrorBody)))]
async fn get_project(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<ProjectId>,
) -> Result<Json<ProjectOut>, ApiError> {
    let d = projects::get(&s.app, &c.ctx, id).await?;
    Ok(Json(project_out(
        d.project,
        d.responsible_units.into_iter().map(|u| u.name).collect(),
    )))
}

/// Edits a project. A stale `version` gets 409 and nothing is written.
#[utoipa::path(put, path = "/api/v1/projects/{id}", params(("id" = i64, Path)), request_body = ProjectUpdateIn,
    responses((status = 200, body = ProjectOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn update_project(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<ProjectId>,
    VersionedBody(version, project): VersionedBody<ProjectIn>,
) -> Result<Json<ProjectOut>, ApiError> {
    projects::update(&s.app, &c.ctx, id, version, &project.into_input()).await?;
    get_project(State(s), c, Path(id)).await
}

/// Moves a project to its next stage, with the date and the reason.
#[utoipa::path(post, path = "/api/v1/projects/{id}/stage", params(("id" = i64, Path)), request_body = StageIn,
    responses((status = 200, body = ProjectOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn change_stage(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<ProjectId>,
    JsonBody(b): JsonBody<StageIn>,
) -> Result<Json<ProjectOut>, ApiError> {
    let input = StageChangeInput {
        to_stage: b.to_stage,
        changed_on: b.changed_on,
        reason: b.reason,
        actual_start: b.actual_start,
        actual_completion: b.actual_completion,
    };
    projects::change_stage(&s.app, &c.ctx, id, b.version, &input).await?;
    get_project(State(s), c, Path(id)).await
}
