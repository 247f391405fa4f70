//! 帮代办 over JSON (issue #11): the catalogue, the items and their steps, raising an overdue
//! item into the problem list, the statistics; the conversion figures and 后扶 measures.

use super::{Created, YearParam, year_of};
use crate::AppState;
use crate::auth::{ApiCaller, JsonBody, query_pairs};
use crate::error::{ApiError, ApiErrorBody};
use crate::params::Path;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyproj_domain::FieldError;
use keyproj_domain::ids::{ApprovalItemId, CatalogueEntryId};
use keyproj_domain::pipeline::approvals::{ApprovalDraft, CatalogueDraft, StepDraft};
use keyproj_domain::pipeline::{ApprovalState, MeasureDraft};
use keyproj_service::ServiceError;
use keyproj_service::pipeline::approvals::{self as svc, ApprovalView, ListQuery, StatLine};
use keyproj_service::pipeline::{conversion, support};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/approvals/catalogue", get(catalogue).post(add_entry))
        .route("/approvals/items", get(items).post(add_item))
        .route("/approvals/items/{id}", get(item))
        .route("/approvals/items/{id}/steps", post(step))
        .route("/approvals/items/{id}/problem", post(raise))
        .route("/approvals/stats", get(stats))
        .route("/signing/conversion", get(conversion_of))
        .route("/support/measures", get(measures).post(add_measure))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        catalogue,
        add_entry,
        items,
        add_item,
        item,
        step,
        raise,
        stats,
        conversion_of,
        measures,
        add_measure
    ),
    components(schemas(
        EntryIn,
        EntryOut,
        ItemIn,
        ItemOut,
        ItemPageOut,
        ItemDetailOut,
        EventOut,
        StepIn,
        StepOut,
        RaisedOut,
        StatOut,
        StatsOut,
        ConversionLineOut,
        ConversionOut,
        MeasureIn,
        MeasureOut
    ))
)]
pub(super) struct Doc;

fn bad(field: &str, message: &str) -> ApiError {
    ApiError(ServiceError::from(FieldError::new(
        field, "invalid", message,
    )))
}

/// An optional numeric id of the query, or a Chinese 422 naming it.
fn id_param<T: From<i64>>(
    q: &crate::auth::FormData,
    key: &str,
    label: &str,
) -> Result<Option<T>, ApiError> {
    let raw = q.get(key);
    if raw.trim().is_empty() {
        return Ok(None);
    }
    raw.trim()
        .parse::<i64>()
        .map(|n| Some(T::from(n)))
        .map_err(|_| bad(key, &format!("{label}应为数字")))
}

// --- the catalogue -----------------------------------------------------------------------

/// A catalogue entry: `day_count` working | calendar (or 工作日/自然日).
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct EntryIn {
    name: String,
    unit_id: Option<i64>,
    limit_days: String,
    day_count: String,
}

#[derive(Serialize, ToSchema)]
struct EntryOut {
    id: i64,
    name: String,
    unit_id: i64,
    unit_name: String,
    limit_days: u32,
    day_count: String,
    retired: bool,
}

/// The region's catalogue of approval items.
#[utoipa::path(get, path = "/api/v1/approvals/catalogue", responses((status = 200, body = Vec<EntryOut>), (status = 403, body = ApiErrorBody)))]
async fn catalogue(
    State(s): State<AppState>,
    c: ApiCaller,
) -> Result<Json<Vec<EntryOut>>, ApiError> {
    Ok(Json(
        svc::catalogue(&s.app, &c.ctx)
            .await?
            .into_iter()
            .map(|e| EntryOut {
                id: e.id.into(),
                name: e.name,
                unit_id: e.unit_id.into(),
                unit_name: e.unit_name,
                limit_days: e.limit_days,
                day_count: e.day_count.key().into(),
                retired: e.retired,
            })
            .collect(),
    ))
}

/// Adds an entry to the catalogue (center staff).
#[utoipa::path(post, path = "/api/v1/approvals/catalogue", request_body = EntryIn,
    responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn add_entry(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<EntryIn>,
) -> Result<Response, ApiError> {
    let id: CatalogueEntryId = svc::add_entry(
        &s.app,
        &c.ctx,
        &CatalogueDraft {
            name: b.name,
            unit_id: b.unit_id.map(Into::into),
            limit_days: b.limit_days,
            day_count: b.day_count,
        },
    )
    .await?;
    Ok(Created::response(id))
}

// --- the items ---------------------------------------------------------------------------

/// An approval item for a project: from the catalogue (`catalogue_id`) or ad hoc (`name`,
/// `unit_id`, `limit_days`, `day_count`); `agent` is a center staff member's login;
/// `received_on` YYYY-MM-DD or empty.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = ApprovalItemIn)]
struct ItemIn {
    project_id: Option<i64>,
    catalogue_id: Option<i64>,
    name: String,
    unit_id: Option<i64>,
    limit_days: String,
    day_count: String,
    agent: String,
    received_on: String,
    note: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ApprovalItemOut)]
struct ItemOut {
    id: i64,
    project_id: i64,
    project_name: String,
    catalogue_id: Option<i64>,
    name: String,
    unit_id: i64,
    unit_name: String,
    limit_days: u32,
    day_count: String,
    agent: String,
    /// not_started | preparing | accepted | correcting | done | refused | withdrawn
    state: String,
    received_on: Option<String>,
    accepted_on: Option<String>,
    completed_on: Option<String>,
    approval_no: Option<String>,
    /// Days used against the limit (from 受理, without 补正).
    used_days: Option<i64>,
    overdue: bool,
    on_time: Option<bool>,
    problem_item_id: Option<i64>,
    version: i64,
}

fn item_out(v: ApprovalView) -> ItemOut {
    let r = v.row;
    ItemOut {
        id: r.id.into(),
        project_id: r.project_id.into(),
        project_name: r.project_name,
        catalogue_id: r.catalogue_id.map(Into::into),
        name: r.name,
        unit_id: r.unit_id.into(),
        unit_name: r.unit_name,
        limit_days: r.limit_days,
        day_count: r.day_count.key().into(),
        agent: r.agent,
        state: r.state.key().into(),
        received_on: r.received_on.map(|d| d.to_string()),
        accepted_on: r.accepted_on.map(|d| d.to_string()),
        completed_on: r.completed_on.map(|d| d.to_string()),
        approval_no: r.approval_no,
        used_days: v.used_days,
        overdue: v.overdue,
        on_time: v.on_time,
        problem_item_id: r.problem_item_id.map(Into::into),
        version: r.version,
    }
}

#[derive(Serialize, ToSchema)]
struct ItemPageOut {
    total: i64,
    items: Vec<ItemOut>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ItemQuery {
    /// 项目、事项或批文号
    q: Option<String>,
    project_id: Option<i64>,
    /// the competent department
    unit_id: Option<i64>,
    agent: Option<String>,
    state: Option<String>,
    /// 1: not done, refused or withdrawn
    open: Option<String>,
    /// 1: past the promised limit now
    overdue: Option<String>,
    page: Option<i64>,
    /// at most 500
    per_page: Option<i64>,
}

/// The caller's approval items: staff and leaders the region's, a department those it decides,
/// an owner those of its projects.
#[utoipa::path(get, path = "/api/v1/approvals/items", params(ItemQuery), responses((status = 200, body = ItemPageOut), (status = 422, body = ApiErrorBody)))]
async fn items(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Json<ItemPageOut>, ApiError> {
    let q = query_pairs(raw.as_deref());
    let text = |k: &str| Some(q.get(k)).filter(|v| !v.trim().is_empty());
    let state = match text("state") {
        None => None,
        Some(s) => Some(ApprovalState::from_input(&s).ok_or_else(|| bad("state", "状态不正确"))?),
    };
    let per_page = q
        .get("per_page")
        .trim()
        .parse::<i64>()
        .unwrap_or(100)
        .clamp(1, 500);
    let page = q
        .get("page")
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, 100_000);
    let found = svc::list(
        &s.app,
        &c.ctx,
        &ListQuery {
            q: text("q"),
            state,
            open_only: q.get("open") == "1",
            overdue_only: q.get("overdue") == "1",
            project_id: id_param(&q, "project_id", "项目编号")?,
            unit_id: id_param(&q, "unit_id", "审批部门编号")?,
            agent: text("agent"),
            limit: Some(per_page),
            offset: (page - 1) * per_page,
        },
    )
    .await?;
    Ok(Json(ItemPageOut {
        total: found.total,
        items: found.items.into_iter().map(item_out).collect(),
    }))
}

/// Adds an approval item to a project's list (center staff); every id is checked against the
/// caller's region.
#[utoipa::path(post, path = "/api/v1/approvals/items", request_body = ItemIn,
    responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn add_item(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<ItemIn>,
) -> Result<Response, ApiError> {
    let project = b
        .project_id
        .ok_or_else(|| bad("project_id", "请选择项目"))?;
    let id: ApprovalItemId = svc::add_item(
        &s.app,
        &c.ctx,
        project.into(),
        &ApprovalDraft {
            catalogue_id: b.catalogue_id.map(Into::into),
            name: b.name,
            unit_id: b.unit_id.map(Into::into),
            limit_days: b.limit_days,
            day_count: b.day_count,
            agent: b.agent,
            received_on: b.received_on,
            note: b.note,
        },
    )
    .await?;
    Ok(Created::response(id))
}

#[derive(Serialize, ToSchema)]
#[schema(as = ApprovalEventOut)]
struct EventOut {
    step: String,
    on: String,
    from_state: String,
    to_state: String,
    note: String,
    approval_no: Option<String>,
    actor: String,
}

#[derive(Serialize, ToSchema)]
struct ItemDetailOut {
    item: ItemOut,
    events: Vec<EventOut>,
    /// The steps the caller may take now.
    steps: Vec<String>,
    problem_number: Option<String>,
}

/// One item with its log.
#[utoipa::path(get, path = "/api/v1/approvals/items/{id}", params(("id" = i64, Path)), responses((status = 200, body = ItemDetailOut), (status = 404, body = ApiErrorBody)))]
async fn item(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<ApprovalItemId>,
) -> Result<Json<ItemDetailOut>, ApiError> {
    let d = svc::get(&s.app, &c.ctx, id).await?;
    Ok(Json(ItemDetailOut {
        events: d
            .events
            .into_iter()
            .map(|e| EventOut {
                step: e.step.key().into(),
                on: e.on.to_string(),
                from_state: e.from_state.key().into(),
                to_state: e.to_state.key().into(),
                note: e.note,
                approval_no: e.approval_no,
                actor: e.actor,
            })
            .collect(),
        steps: d.steps.iter().map(|s| s.key().to_string()).collect(),
        problem_number: d.problem_number,
        item: item_out(d.item),
    }))
}

/// A step: `step` prepare | accept | correct | resubmit | complete | refuse | withdraw; `on`
/// YYYY-MM-DD (empty: today); `note` the reason where one is owed; `approval_no` at complete;
/// `version` the item's version as read.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schema(as = ApprovalStepIn)]
struct StepIn {
    step: String,
    on: String,
    note: String,
    approval_no: String,
    version: i64,
}

#[derive(Serialize, ToSchema)]
struct StepOut {
    state: String,
}

/// Takes a step on an item: center staff any; the competent department accept, correct,
/// complete and refuse.
#[utoipa::path(post, path = "/api/v1/approvals/items/{id}/steps", params(("id" = i64, Path)), request_body = StepIn,
    responses((status = 200, body = StepOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn step(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<ApprovalItemId>,
    JsonBody(b): JsonBody<StepIn>,
) -> Result<Json<StepOut>, ApiError> {
    let to = svc::step(
        &s.app,
        &c.ctx,
        id,
        &StepDraft {
            step: b.step,
            on: b.on,
            note: b.note,
            approval_no: b.approval_no,
        },
        b.version,
    )
    .await?;
    Ok(Json(StepOut {
        state: to.key().into(),
    }))
}

#[derive(Serialize, ToSchema)]
struct RaisedOut {
    problem_item_id: i64,
    number: String,
}

/// Raises an overdue item into the problem list, assigned to the competent department (center
/// staff); a second time is a 422.
#[utoipa::path(post, path = "/api/v1/approvals/items/{id}/problem", params(("id" = i64, Path)),
    responses((status = 201, body = RaisedOut), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn raise(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<ApprovalItemId>,
) -> Result<Response, ApiError> {
    let r = svc::raise_problem(&s.app, &c.ctx, id).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(RaisedOut {
            problem_item_id: r.id.into(),
            number: r.number,
        }),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
struct StatOut {
    /// the unit id or the agent's login
    key: String,
    name: String,
    handled: i64,
    completed: i64,
    on_time: i64,
    on_time_pct: Option<f64>,
    average_days: Option<f64>,
    overdue_now: i64,
}

fn stat_out(l: &StatLine) -> StatOut {
    StatOut {
        key: l.key.clone(),
        name: l.name.clone(),
        handled: l.handled,
        completed: l.completed,
        on_time: l.on_time,
        on_time_pct: l.on_time_pct(),
        average_days: l.average_days,
        overdue_now: l.overdue_now,
    }
}

#[derive(Serialize, ToSchema)]
struct StatsOut {
    by_unit: Vec<StatOut>,
    by_agent: Vec<StatOut>,
    total: StatOut,
}

/// Items handled, completed, on time, average days and overdue now, per department and per
/// agent, over the caller's items.
#[utoipa::path(get, path = "/api/v1/approvals/stats", responses((status = 200, body = StatsOut), (status = 403, body = ApiErrorBody)))]
async fn stats(State(s): State<AppState>, c: ApiCaller) -> Result<Json<StatsOut>, ApiError> {
    let st = svc::stats(&s.app, &c.ctx).await?;
    Ok(Json(StatsOut {
        by_unit: st.by_unit.iter().map(stat_out).collect(),
        by_agent: st.by_agent.iter().map(stat_out).collect(),
        total: stat_out(&st.total),
    }))
}

// --- conversion and 后扶 -------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
struct ConversionLineOut {
    /// None: signed on their own, or the total.
    event_id: Option<i64>,
    name: String,
    held_on: Option<String>,
    signed: i64,
    above_threshold: i64,
    approvals_handled: i64,
    started: i64,
    preliminary: i64,
    not_moving: i64,
}

fn line_out(l: &conversion::ConversionLine) -> ConversionLineOut {
    ConversionLineOut {
        event_id: l.event_id.map(Into::into),
        name: l.name.clone(),
        held_on: l.held_on.map(|d| d.to_string()),
        signed: l.signed,
        above_threshold: l.above_threshold,
        approvals_handled: l.approvals_handled,
        started: l.started,
        preliminary: l.preliminary,
        not_moving: l.not_moving,
    }
}

#[derive(Serialize, ToSchema)]
struct ConversionOut {
    year: i32,
    events_held: i64,
    lines: Vec<ConversionLineOut>,
    total: ConversionLineOut,
}

/// The year's signings per event: signed, above the threshold, approval items handled, started,
/// in 前期, not moving (center staff and county leaders).
#[utoipa::path(get, path = "/api/v1/signing/conversion", params(YearParam), responses((status = 200, body = ConversionOut), (status = 404, body = ApiErrorBody)))]
async fn conversion_of(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Json<ConversionOut>, ApiError> {
    let year = year_of(raw.as_deref())?;
    let cv = conversion::conversion(&s.app, &c.ctx, year).await?;
    Ok(Json(ConversionOut {
        year: cv.year,
        events_held: cv.events_held,
        lines: cv.lines.iter().map(line_out).collect(),
        total: line_out(&cv.total),
    }))
}

/// A support measure for an operating (竣工 or 后扶) project; `measure_on` YYYY-MM-DD or empty.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct MeasureIn {
    project_id: Option<i64>,
    text: String,
    unit_id: Option<i64>,
    measure_on: String,
}

#[derive(Serialize, ToSchema)]
struct MeasureOut {
    id: i64,
    project_id: i64,
    project_name: String,
    text: String,
    unit_id: i64,
    unit_name: String,
    measure_on: String,
    actor: String,
}

/// The year's support measures (center staff and county leaders).
#[utoipa::path(get, path = "/api/v1/support/measures", params(YearParam), responses((status = 200, body = Vec<MeasureOut>), (status = 404, body = ApiErrorBody)))]
async fn measures(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<MeasureOut>>, ApiError> {
    let year = year_of(raw.as_deref())?;
    let sp = support::support(&s.app, &c.ctx, year).await?;
    Ok(Json(
        sp.measures
            .into_iter()
            .map(|m| MeasureOut {
                id: m.id.into(),
                project_id: m.project_id.into(),
                project_name: m.project_name,
                text: m.text,
                unit_id: m.unit_id.into(),
                unit_name: m.unit_name,
                measure_on: m.measure_on.to_string(),
                actor: m.actor,
            })
            .collect(),
    ))
}

/// Records a support measure (center staff).
#[utoipa::path(post, path = "/api/v1/support/measures", request_body = MeasureIn,
    responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn add_measure(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<MeasureIn>,
) -> Result<Response, ApiError> {
    let id = support::add_measure(
        &s.app,
        &c.ctx,
        &MeasureDraft {
            project_id: b.project_id.map(Into::into),
            text: b.text,
            unit_id: b.unit_id.map(Into::into),
            measure_on: b.measure_on,
        },
    )
    .await?;
    Ok(Created::response(id))
}
