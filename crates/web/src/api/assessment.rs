//! 考核办法 over JSON (issue #12): the year's rules (in force, draft, versions), the draft's
//! tables replaced as a whole, drafting and adoption.

use super::{YearParam, id_of, year_of};
use crate::AppState;
use crate::auth::{ApiCaller, JsonBody};
use crate::error::{ApiError, ApiErrorBody};
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyproj_domain::assessment::Table;
use keyproj_service::assessment::rounds as rounds_svc;
use keyproj_service::assessment::rules::{self as svc, Adoption};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assessment/rules", get(rules))
        .route("/assessment/rules/draft", post(start).put(save))
        .route("/assessment/rules/adopt", post(adopt))
        .route("/assessment/rounds", get(rounds).post(compute))
        .route("/assessment/rounds/{id}", get(round))
        .route("/assessment/rounds/{id}/entries", post(enter))
        .route("/assessment/rounds/{id}/objections", post(object))
        .route("/assessment/rounds/{id}/{step}", post(step))
        .route("/assessment/objections/{id}/decision", post(decide))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        rules, start, save, adopt, rounds, compute, round, enter, object, step, decide
    ),
    components(schemas(
        RulesOut,
        VersionOut,
        DraftIn,
        YearIn,
        AdoptIn,
        RoundsOut,
        RoundLineOut,
        AssessmentPeriodIn,
        AssessmentEntryIn,
        AssessmentObjectionIn,
        RoundStepIn,
        ObjectionDecisionIn
    ))
)]
pub(super) struct Doc;

#[derive(Serialize, ToSchema)]
struct VersionOut {
    version_no: i64,
    title: String,
    doc_number: String,
    adopted_on: String,
    reason: String,
    /// The tables: `[{kind, indicators: [{group, name, measure, rule: {kind, …}, max,
    /// bonus_cap, penalty_cap}]}]`; points in hundredths (40_00 is 40 分), ratios in basis points.
    #[schema(value_type = Object)]
    tables: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
struct RulesOut {
    year: i32,
    /// The adopted versions, the one in force first.
    versions: Vec<VersionOut>,
    /// The draft, when there is one: `{title, tables, version}`.
    #[schema(value_type = Object)]
    draft: Option<serde_json::Value>,
}

/// The year's rules (center staff, county leaders and departments).
#[utoipa::path(get, path = "/api/v1/assessment/rules", params(YearParam), responses((status = 200, body = RulesOut), (status = 404, body = ApiErrorBody)))]
async fn rules(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Json<RulesOut>, ApiError> {
    let year = year_of(raw.as_deref())?;
    let y = svc::year(&s.app, &c.ctx, year).await?;
    Ok(Json(RulesOut {
        year,
        versions: y
            .adopted
            .into_iter()
            .map(|a| VersionOut {
                version_no: a.version_no,
                title: a.title,
                doc_number: a.doc_number,
                adopted_on: a.adopted_on.to_string(),
                reason: a.reason,
                tables: serde_json::to_value(&a.tables).unwrap_or_default(),
            })
            .collect(),
        draft: y.draft.map(
            |d| serde_json::json!({ "title": d.title, "tables": d.tables, "version": d.version }),
        ),
    }))
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct YearIn {
    year: i32,
}

/// Starts the year's draft from the version in force, or else from the example (center staff).
#[utoipa::path(post, path = "/api/v1/assessment/rules/draft", request_body = YearIn,
    responses((status = 204), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn start(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<YearIn>,
) -> Result<Response, ApiError> {
    let year = year_of(Some(&format!("year={}", b.year)))?;
    svc::start_draft(&s.app, &c.ctx, year).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// The draft's title and tables, replaced as a whole, and the draft's `version` as read.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DraftIn {
    year: i32,
    title: String,
    #[schema(value_type = Object)]
    tables: Vec<Table>,
    version: i64,
}

/// Saves the draft (center staff): every table is checked at once — weights adding to 100,
/// bands without gaps or overlaps, rules that can read their measures.
#[utoipa::path(put, path = "/api/v1/assessment/rules/draft", request_body = DraftIn,
    responses((status = 204), (status = 422, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn save(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<DraftIn>,
) -> Result<Response, ApiError> {
    let year = year_of(Some(&format!("year={}", b.year)))?;
    svc::save_draft(&s.app, &c.ctx, year, &b.title, &b.tables, b.version).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// Adopts the draft as the next frozen version (center staff); `reason` is owed once a version
/// is in force.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct AdoptIn {
    year: i32,
    doc_number: String,
    adopted_on: String,
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/assessment/rules/adopt", request_body = AdoptIn,
    responses((status = 201, body = super::Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn adopt(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<AdoptIn>,
) -> Result<Response, ApiError> {
    let year = year_of(Some(&format!("year={}", b.year)))?;
    let no = svc::adopt(
        &s.app,
        &c.ctx,
        year,
        &Adoption {
            doc_number: b.doc_number,
            adopted_on: b.adopted_on,
            reason: b.reason,
        },
    )
    .await?;
    Ok(super::Created::response(no))
}

#[derive(Serialize, ToSchema)]
struct RoundLineOut {
    id: i64,
    /// "2022", "2022-Q3" or "2022-07"
    period: String,
    period_label: String,
    /// draft, objection, reviewed, published
    state: String,
    objection_until: Option<String>,
    corrects_round_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct RoundsOut {
    year: i32,
    rounds: Vec<RoundLineOut>,
    /// The year's notices: `[{id, number, title, round_id, issued_on, corrects_notice_id}]`.
    #[schema(value_type = Object)]
    notices: serde_json::Value,
}

/// The year's scoring rounds and notices (units see rounds sent to them).
#[utoipa::path(get, path = "/api/v1/assessment/rounds", params(YearParam), responses((status = 200, body = RoundsOut), (status = 404, body = ApiErrorBody)))]
async fn rounds(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Json<RoundsOut>, ApiError> {
    let year = year_of(raw.as_deref())?;
    let y = rounds_svc::year(&s.app, &c.ctx, year).await?;
    Ok(Json(RoundsOut {
        year,
        rounds: y
            .rounds
            .iter()
            .map(|r| RoundLineOut {
                id: r.id,
                period: r.period.key(),
                period_label: r.period.label(),
                state: r.state.key().into(),
                objection_until: r.objection_until.map(|d| d.to_string()),
                corrects_round_id: r.corrects_round_id,
            })
            .collect(),
        notices: serde_json::Value::Array(
            y.notices
                .iter()
                .map(|n| {
                    serde_json::json!({
                        "id": n.id, "number": n.number, "title": n.title, "round_id": n.round_id,
                        "issued_on": n.issued_on.to_string(), "corrects_notice_id": n.corrects_notice_id,
                    })
                })
                .collect(),
        ),
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct AssessmentPeriodIn {
    /// "2022" (the year), "2022-Q3" or "2022-07"
    period: String,
}

/// Computes a period from approved records under the 考核办法 in force (center staff).
#[utoipa::path(post, path = "/api/v1/assessment/rounds", request_body = AssessmentPeriodIn,
    responses((status = 201, body = super::Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn compute(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<AssessmentPeriodIn>,
) -> Result<Response, ApiError> {
    let id = rounds_svc::compute(&s.app, &c.ctx, &b.period).await?;
    Ok(super::Created::response(id))
}

/// A round as the caller may see it: per assessed kind the table, every unit's lines with the
/// drill-down (value, points, the records behind them) and the ranking; objections; the notice.
/// A unit sees its own lines until publication.
#[utoipa::path(get, path = "/api/v1/assessment/rounds/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)))]
async fn round(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = id_of(&id)?;
    let v = rounds_svc::get(&s.app, &c.ctx, id).await?;
    Ok(Json(serde_json::to_value(&v).unwrap_or_default()))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct AssessmentEntryIn {
    /// lead, responsible, township or owner
    kind: String,
    unit_id: i64,
    /// The indicator's position in the kind's table (0-based).
    indicator: usize,
    /// Points ("4.5") for a manual line, a count for a veto or 集中开工 line.
    value: String,
    reason: String,
    evidence: String,
}

/// Types a unit's manual, veto or 集中开工 line (center staff, draft rounds).
#[utoipa::path(post, path = "/api/v1/assessment/rounds/{id}/entries", params(("id" = i64, Path)), request_body = AssessmentEntryIn,
    responses((status = 204), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn enter(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<AssessmentEntryIn>,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let input = rounds_svc::EntryInput {
        kind: b.kind,
        unit_id: b.unit_id,
        indicator: b.indicator,
        value: b.value,
        reason: b.reason,
        evidence: b.evidence,
    };
    rounds_svc::enter(&s.app, &c.ctx, id, &input).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct AssessmentObjectionIn {
    kind: String,
    indicator: usize,
    reason: String,
}

/// A unit objects to one of its own lines within the window.
#[utoipa::path(post, path = "/api/v1/assessment/rounds/{id}/objections", params(("id" = i64, Path)), request_body = AssessmentObjectionIn,
    responses((status = 201, body = super::Created), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn object(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<AssessmentObjectionIn>,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let input = rounds_svc::ObjectionInput {
        kind: b.kind,
        indicator: b.indicator,
        reason: b.reason,
    };
    Ok(super::Created::response(
        rounds_svc::object(&s.app, &c.ctx, id, &input).await?,
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct RoundStepIn {
    /// The round's version as read.
    version: i64,
}

/// A step of the round (center staff): `recompute` (draft), `open` (send out for objections),
/// `review` (after the window, every objection decided), `publish` (the numbered notice).
#[utoipa::path(post, path = "/api/v1/assessment/rounds/{id}/{step}", params(("id" = i64, Path), ("step" = String, Path)), request_body = RoundStepIn,
    responses((status = 204), (status = 422, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn step(
    State(s): State<AppState>,
    c: ApiCaller,
    Path((id, step)): Path<(String, String)>,
    JsonBody(b): JsonBody<RoundStepIn>,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let (app, ctx) = (&s.app, &c.ctx);
    match step.as_str() {
        "recompute" => rounds_svc::recompute(app, ctx, id, b.version).await?,
        "open" => rounds_svc::open_objections(app, ctx, id, b.version)
            .await
            .map(|_| ())?,
        "review" => rounds_svc::review(app, ctx, id, b.version).await?,
        "publish" => rounds_svc::publish(app, ctx, id, b.version)
            .await
            .map(|_| ())?,
        _ => return Err(keyproj_service::ServiceError::NotFound.into()),
    }
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct ObjectionDecisionIn {
    /// accepted or rejected
    decision: String,
    /// The line's points when accepted ("12.5").
    points: String,
    reason: String,
    version: i64,
}

/// Decides an objection with a reason (center staff).
#[utoipa::path(post, path = "/api/v1/assessment/objections/{id}/decision", params(("id" = i64, Path)), request_body = ObjectionDecisionIn,
    responses((status = 204), (status = 422, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn decide(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ObjectionDecisionIn>,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let input = rounds_svc::DecisionInput {
        decision: b.decision,
        points: b.points,
        reason: b.reason,
        version: b.version,
    };
    rounds_svc::decide(&s.app, &c.ctx, id, &input).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}
