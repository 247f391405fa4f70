//! 部门整体支出绩效自评 over JSON (issue #13, in progress): the year's ledger (read and kept at
//! the version read) and the year's score with every leaf's working, the L1 scores, the total
//! and the grade.

use crate::AppState;
use crate::auth::{ApiCaller, JsonBody};
use crate::error::{ApiError, ApiErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use keyproj_domain::evaluation::Ledger;
use keyproj_service::ServiceError;
use keyproj_service::evaluation as svc;
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/self-evaluation/{year}", get(year))
        .route("/self-evaluation/{year}/ledger", get(ledger).put(save))
}

#[derive(OpenApi)]
#[openapi(paths(year, ledger, save), components(schemas(LedgerIn)))]
pub(super) struct Doc;

fn year_of(s: &str) -> Result<i32, ApiError> {
    s.parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or(ApiError(ServiceError::NotFound))
}

/// The year scored: the ledger, keyproj's own figures, the template, and `evaluation`
/// (`leaves` as [L1, L2, name, weight, {points, working, review}], `l1` as [name, weight,
/// points], `total` and `grade`; points in hundredths). Center staff and county leaders.
#[utoipa::path(get, path = "/api/v1/self-evaluation/{year}", params(("year" = i32, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn year(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let v = svc::evaluate(&s.app, &c.ctx, year_of(&y)?).await?;
    Ok(Json(serde_json::to_value(&v).unwrap_or_default()))
}

/// The year's ledger with its version (404 before it is kept).
#[utoipa::path(get, path = "/api/v1/self-evaluation/{year}/ledger", params(("year" = i32, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)))]
async fn ledger(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let row = svc::ledger(&s.app, &c.ctx, year_of(&y)?)
        .await?
        .ok_or(ApiError(ServiceError::NotFound))?;
    Ok(Json(serde_json::to_value(&row).unwrap_or_default()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LedgerIn {
    /// The version read; absent for the year's first ledger.
    #[serde(default)]
    version: Option<i64>,
    /// Amounts in fen: income by source, 基本支出 and its classes, 项目支出 and its lines,
    /// 结转结余, 三公 parts, budget and last year's total, answered checklists and judgements.
    #[schema(value_type = Object)]
    ledger: Ledger,
}

/// Keeps the year's ledger (center staff): totals must reconcile, or the line that is off is
/// named with how far; nothing is written.
#[utoipa::path(put, path = "/api/v1/self-evaluation/{year}/ledger", params(("year" = i32, Path)), request_body = LedgerIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn save(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
    JsonBody(b): JsonBody<LedgerIn>,
) -> Result<Response, ApiError> {
    svc::save_ledger(&s.app, &c.ctx, year_of(&y)?, &b.ledger, b.version).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
