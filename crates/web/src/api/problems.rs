//! The JSON API of the problem list: items (list, register, read, workflow steps), the to-do
//! list, statistics, and an on-demand supervision run.

use super::{Created, typed};
use crate::AppState;
use crate::auth::{ApiCaller, JsonBody, query_pairs};
use crate::error::{ApiError, ApiErrorBody};
use crate::params::Path;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyproj_db::repo::problems::items::ItemRow;
use keyproj_domain::ids::{ItemId, MeetingId, PatrolId};
use keyproj_domain::problem::{AssignDraft, ItemDraft, MeetingDraft, PatrolDraft};
use keyproj_service::problems::items::{self, ItemRef};
use keyproj_service::problems::workflow::{self, StepInput};
use keyproj_service::problems::{meetings as meeting_svc, supervision, todo as todo_svc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/problems", get(list).post(create))
        .route("/problems/stats", get(stats))
        .route("/problems/{id}", get(detail))
        .route("/problems/{id}/steps", post(step))
        .route("/todo", get(todo))
        .route("/supervision/run", post(run))
        .route("/meetings", get(meetings).post(create_meeting))
        .route("/meetings/{id}", get(meeting))
        .route("/meetings/{id}/items", post(meeting_item))
        .route("/meetings/{id}/minutes", post(minutes))
        .route("/patrols", post(create_patrol))
        .route("/patrols/{id}/items", post(patrol_item))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list,
        create,
        detail,
        step,
        todo,
        stats,
        run,
        meetings,
        create_meeting,
        meeting,
        meeting_item,
        minutes,
        create_patrol,
        patrol_item
    ),
    components(schemas(
        ItemOut,
        ItemDetailOut,
        DocumentOut,
        ItemIn,
        AssignIn,
        StepIn,
        Registered,
        UnitStatsOut,
        MeetingIn,
        PatrolIn
    ))
)]
pub(super) struct Doc;

/// One item of the problem list. Dates are YYYY-MM-DD; `state`: registered, assigned,
/// in_progress, closure_requested, closed, withdrawn; `alert`: "", blue, yellow, red.
#[derive(Serialize, ToSchema)]
#[schema(as = ProblemItemOut)]
struct ItemOut {
    id: i64,
    number: String,
    kind: String,
    source: String,
    category: String,
    level: String,
    project_id: Option<i64>,
    project_name: Option<String>,
    title: String,
    description: String,
    raised_by: String,
    raised_on: String,
    state: String,
    extension_pending: bool,
    requested_deadline: Option<String>,
    handler_unit_id: Option<i64>,
    handler_unit_name: Option<String>,
    assigned_on: Option<String>,
    deadline: Option<String>,
    resolution: String,
    closed_on: Option<String>,
    alert: String,
    interview: bool,
    parent_id: Option<i64>,
    meeting_id: Option<i64>,
    /// Send it back with a step (optimistic concurrency).
    version: i64,
}

fn out(r: ItemRow) -> ItemOut {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
    ItemOut {
        id: r.id.into(),
        number: r.number,
        kind: r.kind.key().into(),
        source: r.source.key().into(),
        category: r.category.key().into(),
        level: r.level.key().into(),
        project_id: r.project_id.map(Into::into),
        project_name: r.project_name,
        title: r.title,
        description: r.description,
        raised_by: r.raised_by,
        raised_on: r.raised_on.to_string(),
        state: r.state.key().into(),
        extension_pending: r.extension_pending,
        requested_deadline: date(r.requested_deadline),
        handler_unit_id: r.handler_unit_id.map(Into::into),
        handler_unit_name: r.handler_unit_name,
        assigned_on: date(r.assigned_on),
        deadline: date(r.deadline),
        resolution: r.resolution,
        closed_on: date(r.closed_on),
        alert: r.alert.map(|a| a.key()).unwrap_or_default().into(),
        interview: r.interview,
        parent_id: r.parent_id.map(Into::into),
        meeting_id: r.meeting_id.map(Into::into),
        version: r.version,
    }
}

/// The list's query; a value no select of the page offers is refused (422) at its field.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ListQuery {
    /// 编号、标题或情况
    q: Option<String>,
    /// registered, assigned, in_progress, closure_requested, closed, withdrawn (or 已交办 …)
    state: Option<String>,
    source: Option<String>,
    category: Option<String>,
    /// problem | task
    kind: Option<String>,
    /// blue | yellow | red (or 蓝/黄/红)
    alert: Option<String>,
    /// 1: not closed or withdrawn
    open: Option<String>,
    /// 1: past the deadline today
    overdue: Option<String>,
    /// the handling unit's id
    unit: Option<i64>,
    project: Option<i64>,
    /// 2000–2100
    year: Option<i64>,
    page: Option<i64>,
    /// default 50, at most 500
    per_page: Option<i64>,
}

/// Items in the caller's scope, newest first; the total is in the `x-total-count` header and
/// the page shown in `x-page` (a page past the end shows the last one).
#[utoipa::path(get, path = "/api/v1/problems", params(ListQuery),
    responses((status = 200, body = Vec<ItemOut>, headers(
        ("x-total-count" = i64, description = "items matching the filter"),
        ("x-page" = i64, description = "the page shown"))),
    (status = 422, body = ApiErrorBody)))]
async fn list(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let q = query_pairs(q.as_deref());
    let per_page = items::page_size(&q.get("per_page"))?;
    let (f, _) = items::filter_from_query(&s.app, &c.ctx, |k| q.get(k), per_page)?;
    let page = items::list(&s.app, &c.ctx, &f).await?;
    Ok((
        [
            ("x-total-count", page.total.to_string()),
            ("x-page", page.page.to_string()),
        ],
        Json(page.items.into_iter().map(out).collect::<Vec<_>>()),
    )
        .into_response())
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct AssignIn {
    handler_unit_id: Option<i64>,
    assisting_unit_ids: Vec<i64>,
    leader_id: Option<i64>,
    /// YYYY-MM-DD; omit for the rules' default limit
    deadline: String,
}

impl From<AssignIn> for AssignDraft {
    fn from(a: AssignIn) -> Self {
        AssignDraft {
            handler_unit_id: a.handler_unit_id.map(Into::into),
            assisting_unit_ids: typed(a.assisting_unit_ids),
            leader_id: a.leader_id.map(Into::into),
            deadline: a.deadline,
        }
    }
}

/// A new item; with `assign` it is assigned in the same step (center staff).
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = ProblemItemIn)]
struct ItemIn {
    /// problem | task (or 问题/任务)
    kind: String,
    /// e.g. topic_meeting or 专题调度会
    source: String,
    /// e.g. land or 用地
    category: String,
    /// 1–4
    level: String,
    project_id: Option<i64>,
    title: String,
    description: String,
    raised_on: String,
    assign: Option<AssignIn>,
}

impl ItemIn {
    fn split(self) -> (ItemDraft, Option<AssignDraft>) {
        (
            ItemDraft {
                kind: self.kind,
                source: self.source,
                category: self.category,
                level: self.level,
                project_id: self.project_id.map(Into::into),
                title: self.title,
                description: self.description,
                raised_on: self.raised_on,
            },
            self.assign.map(Into::into),
        )
    }
}

#[derive(Serialize, ToSchema)]
struct Registered {
    id: i64,
    number: String,
}

impl Registered {
    fn response(item: ItemRef) -> Response {
        (
            StatusCode::CREATED,
            Json(Registered {
                id: item.id.into(),
                number: item.number,
            }),
        )
            .into_response()
    }
}

#[utoipa::path(post, path = "/api/v1/problems", request_body = ItemIn,
    responses((status = 201, body = Registered), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<ItemIn>,
) -> Result<Response, ApiError> {
    let (input, assign) = b.split();
    let item = items::register(&s.app, &c.ctx, &input, assign.as_ref(), Default::default()).await?;
    Ok(Registered::response(item))
}

/// One item with what the caller may do next, its log and its numbered documents.
#[derive(Serialize, ToSchema)]
#[schema(as = ProblemItemDetailOut)]
struct ItemDetailOut {
    #[serde(flatten)]
    item: ItemOut,
    /// the steps the caller may take now (keys as in POST …/steps)
    steps: Vec<&'static str>,
    /// the item's log, oldest first
    #[schema(value_type = Vec<Object>)]
    events: Vec<keyproj_db::repo::problems::workflow::EventRow>,
    documents: Vec<DocumentOut>,
}

/// A numbered document of the item (交办单, 督办函 …) and its Word file.
#[derive(Serialize, ToSchema)]
#[schema(as = ProblemDocumentOut)]
struct DocumentOut {
    id: i64,
    kind: &'static str,
    number: String,
    title: String,
    #[schema(value_type = String)]
    issued_on: chrono::NaiveDate,
    docx: String,
}

#[utoipa::path(get, path = "/api/v1/problems/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ItemDetailOut), (status = 404, body = ApiErrorBody)))]
async fn detail(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<ItemId>,
) -> Result<Json<ItemDetailOut>, ApiError> {
    let d = items::get(&s.app, &c.ctx, id).await?;
    Ok(Json(ItemDetailOut {
        steps: d.steps.iter().map(|s| s.key()).collect(),
        documents: d
            .documents
            .iter()
            .map(|x| DocumentOut {
                id: x.id.into(),
                kind: x.kind.key(),
                number: x.number.clone(),
                title: x.title.clone(),
                issued_on: x.issued_on,
                docx: format!("/documents/{}.docx", x.id),
            })
            .collect(),
        events: d.events,
        item: out(d.item),
    }))
}

/// A workflow step: assign, reply, request_closure, close, return, request_extension,
/// grant_extension, refuse_extension, withdraw, reopen.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = ProblemStepIn)]
struct StepIn {
    step: String,
    version: i64,
    note: String,
    new_deadline: String,
    assign: Option<AssignIn>,
}

#[utoipa::path(post, path = "/api/v1/problems/{id}/steps", params(("id" = i64, Path)), request_body = StepIn,
    responses((status = 200, body = ItemOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn step(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<ItemId>,
    JsonBody(b): JsonBody<StepIn>,
) -> Result<Response, ApiError> {
    let o = workflow::act(
        &s.app,
        &c.ctx,
        id,
        &StepInput {
            step: b.step,
            version: b.version,
            note: b.note,
            new_deadline: b.new_deadline,
            assign: b.assign.map(Into::into),
        },
    )
    .await?;
    let target = o.child.map(|c| c.id).unwrap_or(id);
    let d = items::get(&s.app, &c.ctx, target).await?;
    Ok(Json(out(d.item)).into_response())
}

/// The caller's to-do: items to handle, assign, verify, extensions, and notifications.
#[utoipa::path(get, path = "/api/v1/todo", responses((status = 200, body = Object)))]
async fn todo(State(s): State<AppState>, c: ApiCaller) -> Result<Response, ApiError> {
    let t = todo_svc::todo(&s.app, &c.ctx).await?;
    let ids = |v: &[ItemRow]| {
        v.iter().map(|r| serde_json::json!({"id": r.id, "number": r.number, "title": r.title, "deadline": r.deadline})).collect::<Vec<_>>()
    };
    Ok(Json(serde_json::json!({
        "to_handle": ids(&t.to_handle),
        "to_assign": ids(&t.to_assign),
        "to_verify": ids(&t.to_verify),
        "extensions": ids(&t.extensions),
        "to_review": t.to_review,
        "to_resubmit": t.to_resubmit,
                "unread": t.unread,
        // how many wait in each list; the lists show at most 200, nearest deadline first
        "totals": t.totals,
        "notifications": t.notifications,
    }))
    .into_response())
}

#[derive(Serialize, ToSchema)]
struct UnitStatsOut {
    unit_id: i64,
    unit_name: String,
    assigned: i64,
    closed: i64,
    closure_rate_pct: f64,
    on_time_rate_pct: f64,
    overdue: i64,
    avg_days: f64,
    letters: i64,
}

/// Per unit (and per source, category, leader) for `year` and optionally `month`.
#[utoipa::path(get, path = "/api/v1/problems/stats", responses((status = 200, body = Object)))]
async fn stats(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    use chrono::Datelike;
    let q = query_pairs(q.as_deref());
    let year = q
        .id("year")
        .map(|y| y as i32)
        .unwrap_or(s.app.local_today().year());
    let month = q.id("month").map(|m| u32::try_from(m).unwrap_or(u32::MAX));
    let st = keyproj_service::problems::stats::stats(&s.app, &c.ctx, year, month).await?;
    Ok(Json(st).into_response())
}

/// Evaluates every open item now (center staff): 蓝 reminders, 黄/红 督办函.
#[utoipa::path(post, path = "/api/v1/supervision/run", responses((status = 200, body = Object), (status = 403, body = ApiErrorBody)))]
async fn run(State(s): State<AppState>, c: ApiCaller) -> Result<Response, ApiError> {
    let r = supervision::run_now(&s.app, &c.ctx).await?;
    Ok(Json(r).into_response())
}

/// A meeting: `kind` topic_meeting | site_meeting | weekly_huddle | monthly_dispatch (or the
/// Chinese names), `held_on` YYYY-MM-DD.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct MeetingIn {
    kind: String,
    held_on: String,
    place: String,
    chair_leader_id: Option<i64>,
    attending_units: String,
    project_ids: Vec<i64>,
    minutes: String,
}

/// Meetings of the caller's region, newest first (center staff and county leaders).
#[utoipa::path(get, path = "/api/v1/meetings", responses((status = 200, body = Object)))]
async fn meetings(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let y = query_pairs(q.as_deref()).get("year");
    // no year means every year; a year that is not one is refused, not read as "every year"
    let year = if y.trim().is_empty() {
        None
    } else {
        Some(keyproj_domain::plan::check_year("year", &y).map_err(|e| ApiError(e.into()))?)
    };
    let page = meeting_svc::meetings(&s.app, &c.ctx, year, 200, 0).await?;
    Ok((
        [("x-total-count", page.total.to_string())],
        Json(page.meetings),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/meetings", request_body = MeetingIn,
    responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create_meeting(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<MeetingIn>,
) -> Result<Response, ApiError> {
    let id = meeting_svc::create_meeting(
        &s.app,
        &c.ctx,
        &MeetingDraft {
            kind: b.kind,
            held_on: b.held_on,
            place: b.place,
            chair_leader_id: b.chair_leader_id.map(Into::into),
            attending_units: b.attending_units,
            project_ids: typed(b.project_ids),
            minutes: b.minutes,
        },
    )
    .await?;
    Ok(Created::response(id))
}

/// A meeting with its projects, the items it assigned and its documents.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)))]
async fn meeting(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<MeetingId>,
) -> Result<Response, ApiError> {
    let d = meeting_svc::meeting(&s.app, &c.ctx, id).await?;
    Ok(Json(serde_json::json!({
        "meeting": d.meeting,
        "projects": d.projects,
        "items": d.items.into_iter().map(out).collect::<Vec<_>>(),
        "documents": d.documents.iter().map(|x| serde_json::json!({"id": x.id, "kind": x.kind.key(), "number": x.number, "title": x.title, "docx": format!("/documents/{}.docx", x.id)})).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// A decision of the meeting, registered and assigned in one step (`assign` is required).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/items", params(("id" = i64, Path)), request_body = ItemIn,
    responses((status = 201, body = Registered), (status = 422, body = ApiErrorBody)))]
async fn meeting_item(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<MeetingId>,
    JsonBody(b): JsonBody<ItemIn>,
) -> Result<Response, ApiError> {
    let (input, assign) = b.split();
    let item =
        meeting_svc::add_decision(&s.app, &c.ctx, id, &input, &assign.unwrap_or_default()).await?;
    Ok(Registered::response(item))
}

/// Issues the 会议纪要 (once; frozen afterwards).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/minutes", params(("id" = i64, Path)),
    responses((status = 201, body = Created), (status = 422, body = ApiErrorBody)))]
async fn minutes(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<MeetingId>,
) -> Result<Response, ApiError> {
    let id = meeting_svc::issue_minutes(&s.app, &c.ctx, id).await?;
    Ok(Created::response(id))
}

/// A patrol (日巡查): `patrol_on` YYYY-MM-DD.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct PatrolIn {
    patrol_on: String,
    inspector: String,
    project_ids: Vec<i64>,
    findings: String,
}

#[utoipa::path(post, path = "/api/v1/patrols", request_body = PatrolIn,
    responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create_patrol(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<PatrolIn>,
) -> Result<Response, ApiError> {
    let id = meeting_svc::create_patrol(
        &s.app,
        &c.ctx,
        &PatrolDraft {
            patrol_on: b.patrol_on,
            inspector: b.inspector,
            project_ids: typed(b.project_ids),
            findings: b.findings,
        },
    )
    .await?;
    Ok(Created::response(id))
}

/// A finding of the patrol becomes an item (assigned at once when `assign` is given).
#[utoipa::path(post, path = "/api/v1/patrols/{id}/items", params(("id" = i64, Path)), request_body = ItemIn,
    responses((status = 201, body = Registered), (status = 422, body = ApiErrorBody)))]
async fn patrol_item(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<PatrolId>,
    JsonBody(b): JsonBody<ItemIn>,
) -> Result<Response, ApiError> {
    let (input, assign) = b.split();
    let item = meeting_svc::add_finding(&s.app, &c.ctx, id, &input, assign.as_ref()).await?;
    Ok(Registered::response(item))
}
