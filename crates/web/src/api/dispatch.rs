//! The JSON API of monthly dispatch: plans, reports and colour tables.

use super::{Created, YearParam, year_of};
use crate::AppState;
use crate::auth::{ApiCaller, JsonBody};
use crate::error::{ApiError, ApiErrorBody};
use crate::params::Path;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use keyproj_domain::ReportMonth;
use keyproj_domain::colour::bp_percent;
use keyproj_domain::ids::{IssueId, ProjectId, ReportId};
use keyproj_domain::plan::PlanFields;
use keyproj_domain::plan::{MilestoneDraft, PlanDraft};
use keyproj_domain::report::ReportDraft;
use keyproj_service::dispatch::{colour, photos, plans, reports};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans", get(plans))
        .route("/plans/{project_id}/{year}", put(save_plan))
        .route(
            "/reports/{project_id}/{month}",
            get(get_report).put(submit_report),
        )
        .route(
            "/reports/{project_id}/{month}/photos",
            post(upload_photo).layer(axum::extract::DefaultBodyLimit::max(11 * 1024 * 1024)),
        )
        .route("/reports/remind", post(remind))
        .route("/reports/{id}/review", post(review_report))
        .route("/reports/{id}/revise", post(revise_report))
        .route("/colour/issues", get(issues))
        .route("/colour/issues/{id}", get(issue))
        .route("/colour/publish", post(publish))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        plans,
        save_plan,
        get_report,
        submit_report,
        review_report,
        revise_report,
        issues,
        issue,
        publish,
        upload_photo,
        remind
    ),
    components(schemas(
        PlanLineOut,
        PlanIn,
        MilestoneIn,
        ReportIn,
        ReportOut,
        ReviewIn,
        ReviseIn,
        IssueSummary,
        IssueOut,
        IssueRowOut,
        PublishIn,
        RemindIn,
        RemindedOut,
        PublishedOut
    ))
)]
pub(super) struct Doc;

fn month_param(m: &str) -> Result<ReportMonth, ApiError> {
    ReportMonth::parse("month", "月份", m).map_err(|e| ApiError(e.into()))
}

#[derive(Serialize, ToSchema)]
struct PlanLineOut {
    project_id: i64,
    code: Option<String>,
    name: String,
    category: String,
    annual_plan_fen: i64,
    annual_plan_wan: String,
    targets: String,
    /// Twelve amounts in fen, or empty
    monthly_fen: Vec<i64>,
    version: i64,
}

impl PlanLineOut {
    fn of(
        project_id: ProjectId,
        code: Option<String>,
        name: String,
        plan: &PlanFields,
        version: i64,
    ) -> PlanLineOut {
        PlanLineOut {
            project_id: project_id.into(),
            code,
            name,
            category: plan.category.key().into(),
            annual_plan_fen: plan.annual_plan.fen(),
            annual_plan_wan: plan.annual_plan.wan_2dp(),
            targets: plan.targets.clone(),
            monthly_fen: plan.monthly.iter().map(|m| m.fen()).collect(),
            version,
        }
    }
}

/// The year's plan entries the caller may see.
#[utoipa::path(get, path = "/api/v1/plans", params(YearParam), responses((status = 200, body = Vec<PlanLineOut>)))]
async fn plans(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let year = year_of(q.as_deref())?;
    let y = plans::year_plan(&s.app, &c.ctx, year).await?;
    Ok(Json(
        y.lines
            .into_iter()
            .map(|l| PlanLineOut::of(l.project_id, l.code, l.name, &l.plan, l.version))
            .collect::<Vec<_>>(),
    )
    .into_response())
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct MilestoneIn {
    name: String,
    /// YYYY-MM
    planned_month: String,
    actual_month: String,
}

/// A plan entry. `category`: under_construction | preliminary | post_support (or 在建/前期/后扶).
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct PlanIn {
    /// The version read; omit for a new entry
    version: Option<i64>,
    category: String,
    annual_plan_wan: String,
    targets: String,
    /// Empty, or twelve 万元 amounts adding up to the annual plan
    monthly_wan: Vec<String>,
    /// Omitted: the stored milestones stay; given: they replace the stored ones
    milestones: Option<Vec<MilestoneIn>>,
    /// Required once the year's plan is frozen
    reason: String,
}

/// Creates or updates a project's plan for a year (中心工作人员).
#[utoipa::path(put, path = "/api/v1/plans/{project_id}/{year}", params(("project_id" = i64, Path), ("year" = i32, Path)), request_body = PlanIn,
    responses((status = 200, body = PlanLineOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn save_plan(
    State(s): State<AppState>,
    c: ApiCaller,
    Path((project_id, year)): Path<(ProjectId, i32)>,
    JsonBody(b): JsonBody<PlanIn>,
) -> Result<Response, ApiError> {
    let sub = plans::PlanSubmission {
        version: b.version,
        draft: PlanDraft {
            category: b.category,
            annual_plan_wan: b.annual_plan_wan,
            targets: b.targets,
            monthly_wan: b.monthly_wan,
        },
        milestones: b.milestones.map(|ms| {
            ms.into_iter()
                .map(|m| MilestoneDraft {
                    name: m.name,
                    planned_month: m.planned_month,
                    actual_month: m.actual_month,
                })
                .collect()
        }),
        reason: b.reason,
    };
    plans::save_plan(&s.app, &c.ctx, project_id, year, &sub).await?;
    let d = plans::plan(&s.app, &c.ctx, project_id, year).await?;
    let p = d.plan.ok_or(keyproj_service::ServiceError::NotFound)?;
    let proj = keyproj_service::projects::get(&s.app, &c.ctx, project_id).await?;
    Ok(Json(PlanLineOut::of(
        project_id,
        proj.project.code,
        proj.project.name,
        &p.fields,
        p.version,
    ))
    .into_response())
}

#[derive(Serialize, ToSchema)]
struct ReportOut {
    project_id: i64,
    month: String,
    /// missing | submitted | approved | returned
    status: String,
    report_id: Option<i64>,
    version: Option<i64>,
    month_investment_fen: Option<i64>,
    month_investment_wan: Option<String>,
    progress: Option<String>,
    next_plan: Option<String>,
    problems: Option<String>,
    return_reason: Option<String>,
    revision: Option<i64>,
    /// Approved totals: January..month and since the start
    ytd_wan: String,
    since_start_wan: String,
    late: bool,
    due: String,
    /// Site photos: GET /photos/{id} (and ?thumb=1) with a session, ids listed here
    photo_ids: Vec<i64>,
}

async fn report_out(
    s: &AppState,
    c: &ApiCaller,
    project_id: ProjectId,
    month: ReportMonth,
) -> Result<ReportOut, ApiError> {
    let v = reports::report(&s.app, &c.ctx, project_id, month).await?;
    let r = v.report.as_ref();
    Ok(ReportOut {
        project_id: project_id.into(),
        month: month.to_string(),
        status: r
            .map(|r| r.status.key().to_string())
            .unwrap_or_else(|| "missing".into()),
        report_id: r.map(|r| r.id.into()),
        version: r.map(|r| r.version),
        month_investment_fen: r.map(|r| r.fields.month_investment.fen()),
        month_investment_wan: r.map(|r| r.fields.month_investment.wan_2dp()),
        progress: r.map(|r| r.fields.progress.clone()),
        next_plan: r.map(|r| r.fields.next_plan.clone()),
        problems: r.map(|r| r.fields.problems.clone()),
        return_reason: r.map(|r| r.return_reason.clone()),
        revision: r.map(|r| r.revision),
        ytd_wan: v.ytd.wan_2dp(),
        since_start_wan: v.since_start.wan_2dp(),
        late: v.late,
        due: v.due.to_string(),
        photo_ids: photos::list(&s.app, &c.ctx, project_id, month)
            .await?
            .iter()
            .map(|p| p.id.into())
            .collect(),
    })
}

/// A project's report of a month.
#[utoipa::path(get, path = "/api/v1/reports/{project_id}/{month}", params(("project_id" = i64, Path), ("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = ReportOut), (status = 404, body = ApiErrorBody)))]
async fn get_report(
    State(s): State<AppState>,
    c: ApiCaller,
    Path((project_id, month)): Path<(ProjectId, String)>,
) -> Result<Response, ApiError> {
    let month = month_param(&month)?;
    Ok(Json(report_out(&s, &c, project_id, month).await?).into_response())
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct ReportIn {
    /// The version read; omit for the first submission
    version: Option<i64>,
    /// 万元, at most two decimals
    month_investment_wan: String,
    progress: String,
    next_plan: String,
    problems: String,
}

/// Submits or re-submits a month's report (owner, lead unit or center staff).
#[utoipa::path(put, path = "/api/v1/reports/{project_id}/{month}", params(("project_id" = i64, Path), ("month" = String, Path)), request_body = ReportIn,
    responses((status = 200, body = ReportOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn submit_report(
    State(s): State<AppState>,
    c: ApiCaller,
    Path((project_id, month)): Path<(ProjectId, String)>,
    JsonBody(b): JsonBody<ReportIn>,
) -> Result<Response, ApiError> {
    let month = month_param(&month)?;
    let d = ReportDraft {
        month_investment_wan: b.month_investment_wan,
        progress: b.progress,
        next_plan: b.next_plan,
        problems: b.problems,
    };
    reports::submit(&s.app, &c.ctx, project_id, month, b.version, &d).await?;
    Ok(Json(report_out(&s, &c, project_id, month).await?).into_response())
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct ReviewIn {
    version: i64,
    approve: bool,
    /// Required when returning
    reason: String,
}

/// 审核通过 or 退回 (中心工作人员).
#[utoipa::path(post, path = "/api/v1/reports/{id}/review", params(("id" = i64, Path)), request_body = ReviewIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn review_report(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<ReportId>,
    JsonBody(b): JsonBody<ReviewIn>,
) -> Result<Response, ApiError> {
    reports::review(&s.app, &c.ctx, id, b.version, b.approve, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct ReviseIn {
    version: i64,
    month_investment_wan: String,
    progress: String,
    next_plan: String,
    problems: String,
    reason: String,
}

/// Corrects an approved report; the old figures are kept with the reason (中心工作人员).
#[utoipa::path(post, path = "/api/v1/reports/{id}/revise", params(("id" = i64, Path)), request_body = ReviseIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn revise_report(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<ReportId>,
    JsonBody(b): JsonBody<ReviseIn>,
) -> Result<Response, ApiError> {
    let d = ReportDraft {
        month_investment_wan: b.month_investment_wan,
        progress: b.progress,
        next_plan: b.next_plan,
        problems: b.problems,
    };
    reports::revise(&s.app, &c.ctx, id, b.version, &d, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize, ToSchema)]
struct IssueSummary {
    id: i64,
    year: i32,
    number: i64,
    as_of_month: String,
    corrects_issue_id: Option<i64>,
    published_at: String,
}

/// Published colour tables of the caller's region, newest first.
#[utoipa::path(get, path = "/api/v1/colour/issues", responses((status = 200, body = Vec<IssueSummary>)))]
async fn issues(State(s): State<AppState>, c: ApiCaller) -> Result<Response, ApiError> {
    let list = colour::issues(&s.app, &c.ctx.actor.region).await?;
    Ok(Json(
        list.into_iter()
            .map(|i| IssueSummary {
                id: i.id.into(),
                year: i.year,
                number: i.number,
                as_of_month: i.as_of_month.to_string(),
                corrects_issue_id: i.corrects_issue_id.map(Into::into),
                published_at: i.published_at.to_rfc3339(),
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

#[derive(Serialize, ToSchema)]
struct IssueRowOut {
    seq: i64,
    project_id: i64,
    category: String,
    level: String,
    name: String,
    total_investment_fen: i64,
    annual_plan_fen: i64,
    completed_ytd_fen: i64,
    completion_pct: Option<String>,
    baseline_pct: String,
    progress: String,
    leader_name: String,
    lead_unit_name: String,
    responsible_units: String,
    /// blue | green | yellow | red | exempt
    colour: String,
    reasons: String,
}

#[derive(Serialize, ToSchema)]
struct IssueOut {
    id: i64,
    title: String,
    year: i32,
    number: i64,
    as_of_month: String,
    corrects_number: Option<i64>,
    note: String,
    rows: Vec<IssueRowOut>,
}

/// One published colour table, as frozen.
#[utoipa::path(get, path = "/api/v1/colour/issues/{id}", params(("id" = i64, Path)), responses((status = 200, body = IssueOut), (status = 404, body = ApiErrorBody)))]
async fn issue(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<IssueId>,
) -> Result<Response, ApiError> {
    let i = colour::issue(&s.app, &c.ctx.actor.region, id).await?;
    Ok(Json(IssueOut {
        id: id.into(),
        title: i.title,
        year: i.issue.year,
        number: i.issue.number,
        as_of_month: i.issue.as_of_month.to_string(),
        corrects_number: i.corrects_number,
        note: i.issue.note,
        rows: i
            .rows
            .into_iter()
            .map(|r| IssueRowOut {
                seq: r.seq,
                project_id: r.project_id.into(),
                category: r.category.key().into(),
                level: r.level.key().into(),
                name: r.name,
                total_investment_fen: r.total_investment.fen(),
                annual_plan_fen: r.annual_plan.fen(),
                completed_ytd_fen: r.completed_ytd.fen(),
                completion_pct: r.completion_bp.map(bp_percent),
                baseline_pct: bp_percent(r.baseline_bp),
                progress: r.progress,
                leader_name: r.leader_name,
                lead_unit_name: r.lead_unit_name,
                responsible_units: r.responsible_units,
                colour: r.colour.key().into(),
                reasons: r.reasons,
            })
            .collect(),
    })
    .into_response())
}

/// 催报 of a month.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct RemindIn {
    /// YYYY-MM
    month: String,
}

#[derive(Serialize, ToSchema)]
struct RemindedOut {
    /// Units that received a reminder (owners and lead units)
    units: usize,
    /// Projects that have not reported the month
    projects: usize,
}

/// 催报: a message (to-do entry and webhook) to every owner and lead unit that has not
/// reported the month.
#[utoipa::path(post, path = "/api/v1/reports/remind", request_body = RemindIn, responses((status = 200, body = RemindedOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn remind(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<RemindIn>,
) -> Result<Response, ApiError> {
    let month = month_param(&b.month)?;
    let r = keyproj_service::dispatch::reports::remind_missing(&s.app, &c.ctx, month).await?;
    Ok(Json(RemindedOut {
        units: r.units,
        projects: r.projects,
    })
    .into_response())
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct PublishIn {
    /// YYYY-MM
    month: String,
    corrects_issue_id: Option<i64>,
    /// Required for a correction: what it corrects
    note: String,
}

#[derive(Serialize, ToSchema)]
struct PublishedOut {
    id: i64,
    number: i64,
}

/// Publishes the month's colour table as the next numbered issue (中心工作人员).
#[utoipa::path(post, path = "/api/v1/colour/publish", request_body = PublishIn, responses((status = 201, body = PublishedOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn publish(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<PublishIn>,
) -> Result<Response, ApiError> {
    let month = month_param(&b.month)?;
    let corrects = b.corrects_issue_id.map(IssueId::from);
    let published = colour::publish(&s.app, &c.ctx, month, corrects, &b.note).await?;
    Ok((
        StatusCode::CREATED,
        Json(PublishedOut {
            id: published.id.into(),
            number: published.number,
        }),
    )
        .into_response())
}

/// Adds a site photo to a project's month (multipart field `photo`: JPEG, PNG or WebP, ≤ 10 MB;
/// re-encoded without EXIF/GPS).
#[utoipa::path(post, path = "/api/v1/reports/{project_id}/{month}/photos", params(("project_id" = i64, Path), ("month" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "field `photo`"),
    responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn upload_photo(
    State(s): State<AppState>,
    c: ApiCaller,
    Path((project_id, month)): Path<(ProjectId, String)>,
    mut multipart: crate::params::Multipart,
) -> Result<Response, ApiError> {
    let month = month_param(&month)?;
    let (_, bytes) = multipart
        .file("photo", "照片不能超过10 MB")
        .await
        .map_err(|e| ApiError(e.into()))?
        .ok_or_else(|| {
            ApiError(
                keyproj_domain::FieldError::new("photo", "required", "请上传照片（字段 photo）")
                    .into(),
            )
        })?;
    let id = photos::upload(&s.app, &c.ctx, project_id, month, &bytes).await?;
    Ok(super::Created::response(id))
}
