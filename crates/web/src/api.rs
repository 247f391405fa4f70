//! The JSON API under `/api/v1`, with its OpenAPI document at `/api/v1/openapi.json`.
//! Same use cases and the same authorization as the pages. Amounts are 万元 strings with two
//! decimals on input ("12345.67") and both fen integers and 万元 strings on output.

use crate::AppState;
use crate::auth::{ApiCaller, JsonBody};
use crate::error::{ApiError, ApiErrorBody};
use crate::params::Path;
use crate::views;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyproj_db::repo::projects::ProjectRow;
use keyproj_domain::project::ProjectDraft;
use keyproj_service::projects::{self, ProjectInput, StageChangeInput};
use keyproj_service::{audit_log, org};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/projects", get(list_projects).post(create_project))
        .route("/projects/{id}", get(get_project).put(update_project))
        .route("/projects/{id}/stage", post(change_stage))
        .route("/units", get(units).post(create_unit))
        .route("/units/{id}", axum::routing::put(update_unit))
        .route("/leaders", get(leaders).post(create_leader))
        .route("/leaders/{id}", axum::routing::put(update_leader))
        .route("/audit", get(audit))
        .merge(crate::api_dispatch::routes())
        .merge(crate::api_problems::routes())
        .fallback(|| async {
            crate::error::api_error(StatusCode::NOT_FOUND, "not_found", "接口不存在", vec![])
        })
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "keyproj 重点项目建设管理平台 API",
        version = "1",
        description = "认证：请求头 `Authorization: Bearer <API 令牌>`（在“API 令牌”页面创建），或浏览器会话加 `X-CSRF-Token` 请求头。出错时返回 `{code, message, fields}`。"
    ),
    paths(
        me,
        list_projects,
        create_project,
        get_project,
        update_project,
        change_stage,
        units,
        leaders,
        audit
    ),
    components(schemas(
        ApiErrorBody,
        crate::error::ApiFieldError,
        Me,
        ProjectIn,
        ProjectUpdateIn,
        StageIn,
        ProjectOut,
        ProjectPageOut,
        Created,
        UnitOut,
        LeaderOut,
        AuditOut
    ))
)]
struct ApiDoc;

async fn openapi() -> Response {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::api_dispatch::DispatchDoc::openapi());
    doc.merge(crate::api_problems::ProblemsDoc::openapi());
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        doc.to_json().unwrap_or_default(),
    )
        .into_response()
}

#[derive(Serialize, ToSchema)]
struct Me {
    id: i64,
    username: String,
    unit_id: i64,
    region_code: String,
    roles: Vec<String>,
}

/// The signed-in caller.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401, body = ApiErrorBody)))]
async fn me(c: ApiCaller) -> Json<Me> {
    let a = c.ctx.actor;
    Json(Me {
        id: a.user_id,
        username: a.username,
        unit_id: a.unit_id,
        region_code: a.region.to_string(),
        roles: a.roles.iter().map(|r| r.key().to_string()).collect(),
    })
}

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
            township_unit_id: self.township_unit_id,
            owner_unit_id: self.owner_unit_id,
            leader_id: self.leader_id,
            lead_unit_id: self.lead_unit_id,
            responsible_unit_ids: self.responsible_unit_ids,
            parent_id: self.parent_id,
        }
    }
}

/// An edit: the version the client read plus the full record (the stage is changed only
/// through `/stage`).
#[derive(Deserialize, ToSchema)]
struct ProjectUpdateIn {
    version: i64,
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
    level: String,
    level_label: String,
    stage: String,
    stage_label: String,
    industry: String,
    industry_label: String,
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
    ProjectOut {
        level_label: views::level_label(&p.level).into(),
        stage_label: views::stage_label(&p.stage).into(),
        industry_label: views::industry_label(&p.industry).into(),
        total_investment_wan: views::wan(p.total_investment_fen),
        id: p.id,
        region_code: p.region_code,
        code: p.code,
        name: p.name,
        national_code: p.national_code,
        level: p.level,
        stage: p.stage,
        industry: p.industry,
        township_unit_id: p.township_unit_id,
        township_name: p.township_name,
        owner_unit_id: p.owner_unit_id,
        owner_name: p.owner_name,
        content_scale: p.content_scale,
        total_investment_fen: p.total_investment_fen,
        funding_sources: p.funding_sources,
        planned_start: p.planned_start,
        planned_completion: p.planned_completion,
        actual_start: p.actual_start,
        actual_completion: p.actual_completion,
        leader_id: p.leader_id,
        leader_name: p.leader_name,
        lead_unit_id: p.lead_unit_id,
        lead_unit_name: p.lead_unit_name,
        responsible_units: responsible,
        parent_id: p.parent_id,
        location: p.location,
        tags: p.tags,
        below_threshold: p.below_threshold,
        version: p.version,
    }
}

#[derive(Serialize, ToSchema)]
struct ProjectPageOut {
    items: Vec<ProjectOut>,
    total_count: i64,
    total_investment_fen: i64,
    total_investment_wan: String,
    page: i64,
    per_page: i64,
    pages: i64,
}

#[derive(Deserialize, IntoParams)]
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
    /// code | name | investment | stage | level | updated
    sort: Option<String>,
    /// 1 for descending
    desc: Option<String>,
    page: Option<i64>,
    /// at most 500
    per_page: Option<i64>,
}

/// Projects the caller may see, filtered, sorted and paginated, with totals over the filter.
#[utoipa::path(get, path = "/api/v1/projects", params(ListParams), responses((status = 200, body = ProjectPageOut), (status = 401, body = ApiErrorBody)))]
async fn list_projects(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(q): RawQuery,
) -> Result<Json<ProjectPageOut>, ApiError> {
    let query = crate::params::list_query_of(q.as_deref());
    let page = projects::list(&s.app, &c.ctx, &query).await?;
    Ok(Json(ProjectPageOut {
        total_count: page.totals.count,
        total_investment_fen: page.totals.total_investment_fen,
        total_investment_wan: views::wan(page.totals.total_investment_fen),
        page: page.page,
        per_page: page.per_page,
        pages: page.pages,
        items: page
            .items
            .into_iter()
            .zip(page.responsible)
            .map(|(p, r)| project_out(p, r))
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
struct Created {
    id: i64,
}

/// Creates a project (中心工作人员).
#[utoipa::path(post, path = "/api/v1/projects", request_body = ProjectIn, responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create_project(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(body): JsonBody<ProjectIn>,
) -> Result<Response, ApiError> {
    let id = projects::create(&s.app, &c.ctx, &body.into_input()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// One project; 404 when it does not exist or the caller may not see it.
#[utoipa::path(get, path = "/api/v1/projects/{id}", params(("id" = i64, Path)), responses((status = 200, body = ProjectOut), (status = 404, body = ApiErrorBody)))]
async fn get_project(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<ProjectOut>, ApiError> {
    let d = projects::get(&s.app, &c.ctx, id).await?;
    Ok(Json(project_out(
        d.project,
        d.responsible_units.into_iter().map(|u| u.1).collect(),
    )))
}

/// Edits a project. A stale `version` gets 409 and nothing is written.
#[utoipa::path(put, path = "/api/v1/projects/{id}", params(("id" = i64, Path)), request_body = ProjectUpdateIn,
    responses((status = 200, body = ProjectOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn update_project(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<ProjectUpdateIn>,
) -> Result<Json<ProjectOut>, ApiError> {
    projects::update(&s.app, &c.ctx, id, body.version, &body.project.into_input()).await?;
    get_project(State(s), c, Path(id)).await
}

/// Moves a project to its next stage, with the date and the reason.
#[utoipa::path(post, path = "/api/v1/projects/{id}/stage", params(("id" = i64, Path)), request_body = StageIn,
    responses((status = 200, body = ProjectOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn change_stage(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
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

#[derive(Serialize, ToSchema)]
struct UnitOut {
    id: i64,
    region_code: String,
    name: String,
    kind: String,
}

/// Units of the caller's region.
#[utoipa::path(get, path = "/api/v1/units", responses((status = 200, body = Vec<UnitOut>)))]
async fn units(State(s): State<AppState>, c: ApiCaller) -> Result<Json<Vec<UnitOut>>, ApiError> {
    Ok(Json(
        org::units(&s.app, &c.ctx)
            .await?
            .into_iter()
            .map(|u| UnitOut {
                id: u.id,
                region_code: u.region_code,
                name: u.name,
                kind: u.kind,
            })
            .collect(),
    ))
}

/// A unit as submitted. `kind`: county_government | center | department | township | park | enterprise (or the Chinese label).
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct UnitIn {
    /// Required on update: the version the client read.
    version: i64,
    name: String,
    kind: String,
    contact: String,
    phone: String,
    sort_order: i64,
}

impl UnitIn {
    fn input(&self) -> org::UnitInput<'_> {
        org::UnitInput {
            name: &self.name,
            kind: &self.kind,
            contact: &self.contact,
            phone: &self.phone,
            sort_order: self.sort_order,
        }
    }
}

/// Creates a unit in the caller's region (中心工作人员).
#[utoipa::path(post, path = "/api/v1/units", request_body = UnitIn, responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create_unit(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<UnitIn>,
) -> Result<Response, ApiError> {
    let id = org::create_unit(&s.app, &c.ctx, &b.input()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// Edits a unit; a stale `version` gets 409.
#[utoipa::path(put, path = "/api/v1/units/{id}", params(("id" = i64, Path)), request_body = UnitIn,
    responses((status = 200, body = UnitOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn update_unit(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<UnitIn>,
) -> Result<Json<UnitOut>, ApiError> {
    org::update_unit(&s.app, &c.ctx, id, b.version, &b.input()).await?;
    let u = org::unit(&s.app, &c.ctx, id).await?;
    Ok(Json(UnitOut {
        id: u.id,
        region_code: u.region_code,
        name: u.name,
        kind: u.kind,
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct LeaderIn {
    /// Required on update: the version the client read.
    version: i64,
    name: String,
    title: String,
    phone: String,
    sort_order: i64,
}

impl LeaderIn {
    fn input(&self) -> org::LeaderInput<'_> {
        org::LeaderInput {
            name: &self.name,
            title: &self.title,
            phone: &self.phone,
            sort_order: self.sort_order,
        }
    }
}

/// Creates a county leader in the caller's region (中心工作人员).
#[utoipa::path(post, path = "/api/v1/leaders", request_body = LeaderIn, responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create_leader(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<LeaderIn>,
) -> Result<Response, ApiError> {
    let id = org::create_leader(&s.app, &c.ctx, &b.input()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// Edits a county leader; a stale `version` gets 409.
#[utoipa::path(put, path = "/api/v1/leaders/{id}", params(("id" = i64, Path)), request_body = LeaderIn,
    responses((status = 200, body = LeaderOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn update_leader(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<LeaderIn>,
) -> Result<Json<LeaderOut>, ApiError> {
    org::update_leader(&s.app, &c.ctx, id, b.version, &b.input()).await?;
    let l = org::leader(&s.app, &c.ctx, id).await?;
    Ok(Json(LeaderOut {
        id: l.id,
        name: l.name,
        title: l.title,
    }))
}

#[derive(Serialize, ToSchema)]
struct LeaderOut {
    id: i64,
    name: String,
    title: String,
}

/// County leaders of the caller's region (no phone numbers).
#[utoipa::path(get, path = "/api/v1/leaders", responses((status = 200, body = Vec<LeaderOut>)))]
async fn leaders(
    State(s): State<AppState>,
    c: ApiCaller,
) -> Result<Json<Vec<LeaderOut>>, ApiError> {
    Ok(Json(
        org::leaders(&s.app, &c.ctx)
            .await?
            .into_iter()
            .map(|l| LeaderOut {
                id: l.id,
                name: l.name,
                title: l.title,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
struct AuditOut {
    id: i64,
    at: String,
    username: String,
    ip: String,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    before_json: Option<String>,
    after_json: Option<String>,
    hash: String,
}

#[derive(Deserialize, IntoParams)]
#[allow(dead_code)]
struct AuditParams {
    user: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    action: Option<String>,
    /// YYYY-MM-DD (Beijing date)
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

/// The audit log (审计管理员 only), newest first, 100 per page.
#[utoipa::path(get, path = "/api/v1/audit", params(AuditParams), responses((status = 200, body = Vec<AuditOut>), (status = 403, body = ApiErrorBody)))]
async fn audit(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let qp = crate::auth::query_pairs(q.as_deref());
    let (mut f, err) = crate::params::audit_filter_of(&qp);
    if let Some(e) = err {
        return Ok(crate::error::api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            &e,
            vec![],
        ));
    }
    let page = qp.get("page").parse::<i64>().unwrap_or(1).clamp(1, 100_000);
    f.offset = (page - 1) * f.limit;
    let (rows, _) = audit_log::list(&s.app, &c.ctx, &f).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditOut {
                id: r.id,
                at: r.at.to_rfc3339(),
                username: r.username,
                ip: r.ip,
                action: r.action,
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                before_json: r.before_json,
                after_json: r.after_json,
                hash: r.hash,
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}
