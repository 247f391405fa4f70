//! 招商签约 over JSON (issue #11): signing events and signed projects.

use super::Created;
use crate::AppState;
use crate::auth::{ApiCaller, JsonBody};
use crate::error::{ApiError, ApiErrorBody};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use keyproj_domain::ids::SigningEventId;
use keyproj_domain::pipeline::{EventDraft, SignedDraft};
use keyproj_service::pipeline::signing::{self as svc, SignedRefs};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signing/events", get(events).post(create_event))
        .route("/signing/projects", get(signed).post(add_signed))
        .route("/signing/projects/{id}", get(signed_one))
        .route(
            "/signing/projects/{id}/agreed",
            axum::routing::post(change_agreed),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(events, create_event, signed, add_signed, signed_one, change_agreed),
    components(schemas(
        EventIn,
        EventOut,
        SignedIn,
        SignedOut,
        SignedCreated,
        AgreedIn,
        RecheckedOut
    ))
)]
pub(super) struct Doc;

/// A signing event: `level` province | city | county (or 省级/市级/县级), `held_on` YYYY-MM-DD.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct EventIn {
    name: String,
    held_on: String,
    place: String,
    organiser: String,
    level: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PipelineEventOut)]
struct EventOut {
    id: i64,
    name: String,
    held_on: String,
    place: String,
    organiser: String,
    level: String,
}

/// The signing events of the caller's region (center staff and county leaders).
#[utoipa::path(get, path = "/api/v1/signing/events", responses((status = 200, body = Vec<EventOut>), (status = 404, body = ApiErrorBody)))]
async fn events(State(s): State<AppState>, c: ApiCaller) -> Result<Json<Vec<EventOut>>, ApiError> {
    Ok(Json(
        svc::events(&s.app, &c.ctx)
            .await?
            .into_iter()
            .map(|e| EventOut {
                id: e.id.into(),
                name: e.name,
                held_on: e.held_on.to_string(),
                place: e.place,
                organiser: e.organiser,
                level: e.level.key().into(),
            })
            .collect(),
    ))
}

/// Records a signing event (center staff).
#[utoipa::path(post, path = "/api/v1/signing/events", request_body = EventIn,
    responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create_event(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<EventIn>,
) -> Result<Response, ApiError> {
    let id = svc::create_event(
        &s.app,
        &c.ctx,
        &EventDraft {
            name: b.name,
            held_on: b.held_on,
            place: b.place,
            organiser: b.organiser,
            level: b.level,
        },
    )
    .await?;
    Ok(Created::response(id))
}

/// A signed project: amounts in 万元 as text ("40000.00"), dates YYYY-MM-DD, `expected_start`
/// YYYY-MM; the ids are checked against the caller's region.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct SignedIn {
    event_id: Option<i64>,
    name: String,
    investor: String,
    investor_origin: String,
    contract_no: String,
    contract_on: String,
    agreed_investment_wan: String,
    industry: String,
    expected_start: String,
    township_unit_id: Option<i64>,
    leader_id: Option<i64>,
    lead_unit_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct SignedOut {
    id: i64,
    event_id: Option<i64>,
    name: String,
    investor: String,
    contract_no: String,
    contract_on: String,
    agreed_investment_wan: String,
    industry: String,
    /// The project of the library it entered as (at or above the threshold).
    project_id: Option<i64>,
    /// Its project has started (an actual start month).
    started: bool,
    /// 未落地: signed the configured number of months ago or more and not started.
    not_moving: bool,
    /// To send back when changing the agreed investment.
    version: i64,
}

#[derive(Serialize, ToSchema)]
struct SignedCreated {
    id: i64,
    /// Set when the signed project reached the threshold and entered the library at 签约.
    project_id: Option<i64>,
}

/// The signed projects of the caller's region (center staff and county leaders).
#[utoipa::path(get, path = "/api/v1/signing/projects", params(("event_id" = Option<i64>, Query, description = "only the projects signed at this event")), responses((status = 200, body = Vec<SignedOut>), (status = 404, body = ApiErrorBody)))]
async fn signed(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(q): RawQuery,
) -> Result<Json<Vec<SignedOut>>, ApiError> {
    // parsed by hand: a malformed id is a Chinese 422, not the framework's English
    let raw = crate::auth::query_pairs(q.as_deref()).get("event_id");
    let event = if raw.trim().is_empty() {
        None
    } else {
        Some(
            raw.trim()
                .parse::<i64>()
                .map(SigningEventId::from)
                .map_err(|_| {
                    ApiError(keyproj_service::ServiceError::from(
                        keyproj_domain::FieldError::new(
                            "event_id",
                            "invalid",
                            "签约活动编号应为数字",
                        ),
                    ))
                })?,
        )
    };
    Ok(Json(
        svc::signed(&s.app, &c.ctx, event)
            .await?
            .into_iter()
            .map(|r| SignedOut {
                not_moving: svc::not_moving(&s.app, &r),
                started: r.started,
                id: r.id.into(),
                event_id: r.event_id.map(Into::into),
                name: r.name,
                investor: r.investor,
                contract_no: r.contract_no,
                contract_on: r.contract_on.to_string(),
                agreed_investment_wan: r.agreed_investment.wan_2dp(),
                industry: r.industry.key().into(),
                project_id: r.project_id.map(Into::into),
                version: r.version,
            })
            .collect(),
    ))
}

/// One signed project of the caller's region (center staff and county leaders).
#[utoipa::path(get, path = "/api/v1/signing/projects/{id}", params(("id" = i64, Path)), responses((status = 200, body = SignedOut), (status = 404, body = ApiErrorBody)))]
async fn signed_one(
    State(s): State<AppState>,
    c: ApiCaller,
    crate::params::Path(id): crate::params::Path<keyproj_domain::ids::SignedId>,
) -> Result<Json<SignedOut>, ApiError> {
    let r = svc::get_signed(&s.app, &c.ctx, id).await?;
    Ok(Json(SignedOut {
        not_moving: svc::not_moving(&s.app, &r),
        started: r.started,
        id: r.id.into(),
        event_id: r.event_id.map(Into::into),
        name: r.name,
        investor: r.investor,
        contract_no: r.contract_no,
        contract_on: r.contract_on.to_string(),
        agreed_investment_wan: r.agreed_investment.wan_2dp(),
        industry: r.industry.key().into(),
        project_id: r.project_id.map(Into::into),
        version: r.version,
    }))
}

/// Records a signed project (center staff); it enters the library at 签约 when its agreed
/// investment reaches the region's threshold for its industry.
#[utoipa::path(post, path = "/api/v1/signing/projects", request_body = SignedIn,
    responses((status = 201, body = SignedCreated), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn add_signed(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<SignedIn>,
) -> Result<Response, ApiError> {
    let r = svc::add_signed(
        &s.app,
        &c.ctx,
        &SignedDraft {
            name: b.name,
            investor: b.investor,
            investor_origin: b.investor_origin,
            contract_no: b.contract_no,
            contract_on: b.contract_on,
            agreed_investment_wan: b.agreed_investment_wan,
            industry: b.industry,
            expected_start: b.expected_start,
        },
        &SignedRefs {
            event_id: b.event_id.map(Into::into),
            township_unit_id: b.township_unit_id.map(Into::into),
            leader_id: b.leader_id.map(Into::into),
            lead_unit_id: b.lead_unit_id.map(Into::into),
            project_code: String::new(),
        },
    )
    .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(SignedCreated {
            id: r.id.into(),
            project_id: r.project_id.map(Into::into),
        }),
    )
        .into_response())
}

/// A new agreed investment in 万元 as text, the reason, and the signed project's `version` as
/// read.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct AgreedIn {
    agreed_investment_wan: String,
    reason: String,
    version: i64,
}

#[derive(Serialize, ToSchema)]
struct RecheckedOut {
    /// The project it entered the library as with this change (it reached the threshold).
    entered_project_id: Option<i64>,
    /// It fell below the threshold but had entered before: the project is kept.
    below_but_kept: bool,
}

/// Changes a signed project's agreed investment (center staff) and checks the threshold again.
#[utoipa::path(post, path = "/api/v1/signing/projects/{id}/agreed", params(("id" = i64, Path)), request_body = AgreedIn,
    responses((status = 200, body = RecheckedOut), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn change_agreed(
    State(s): State<AppState>,
    c: ApiCaller,
    crate::params::Path(id): crate::params::Path<keyproj_domain::ids::SignedId>,
    JsonBody(b): JsonBody<AgreedIn>,
) -> Result<Json<RecheckedOut>, ApiError> {
    let r = svc::change_agreed(
        &s.app,
        &c.ctx,
        id,
        &keyproj_domain::pipeline::AgreedChangeDraft {
            agreed_investment_wan: b.agreed_investment_wan,
            reason: b.reason,
        },
        b.version,
    )
    .await?;
    Ok(Json(RecheckedOut {
        entered_project_id: r.entered.map(Into::into),
        below_but_kept: r.below_but_kept,
    }))
}
