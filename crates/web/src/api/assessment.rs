//! 考核办法 over JSON (issue #12): the year's rules (in force, draft, versions), the draft's
//! tables replaced as a whole, drafting and adoption.

use super::{YearParam, year_of};
use crate::AppState;
use crate::auth::{ApiCaller, JsonBody};
use crate::error::{ApiError, ApiErrorBody};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyproj_domain::assessment::Table;
use keyproj_service::assessment::rules::{self as svc, Adoption};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assessment/rules", get(rules))
        .route("/assessment/rules/draft", post(start).put(save))
        .route("/assessment/rules/adopt", post(adopt))
}

#[derive(OpenApi)]
#[openapi(
    paths(rules, start, save, adopt),
    components(schemas(RulesOut, VersionOut, DraftIn, YearIn, AdoptIn))
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
