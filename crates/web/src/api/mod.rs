//! The JSON API under `/api/v1`, with its OpenAPI document at `/api/v1/openapi.json`, one
//! module per capability (the same names as the pages and the service). Same use cases and the
//! same authorization as the pages. Amounts are 万元 strings with two decimals on input
//! ("12345.67") and both fen integers and 万元 strings on output. Ids are plain integers on the
//! wire; the handlers turn them into typed ids at once.

mod admin;
mod approvals;
mod assessment;
mod briefings;
mod dispatch;
mod evaluation;
mod import;
mod org;
mod pipeline;
mod problems;
mod projects;
mod stats;

use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::ApiErrorBody;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .merge(projects::routes())
        .merge(org::routes())
        .merge(pipeline::routes())
        .merge(approvals::routes())
        .merge(assessment::routes())
        .merge(briefings::routes())
        .merge(evaluation::routes())
        .merge(admin::routes())
        .merge(dispatch::routes())
        .merge(stats::routes())
        .merge(import::routes())
        .merge(problems::routes())
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
    paths(me),
    components(schemas(ApiErrorBody, crate::error::ApiFieldError, Me, Created))
)]
struct ApiDoc;

async fn openapi() -> Response {
    let mut doc = ApiDoc::openapi();
    doc.merge(projects::Doc::openapi());
    doc.merge(org::Doc::openapi());
    doc.merge(pipeline::Doc::openapi());
    doc.merge(approvals::Doc::openapi());
    doc.merge(assessment::Doc::openapi());
    doc.merge(briefings::Doc::openapi());
    doc.merge(evaluation::Doc::openapi());
    doc.merge(admin::Doc::openapi());
    doc.merge(dispatch::Doc::openapi());
    doc.merge(stats::Doc::openapi());
    doc.merge(import::Doc::openapi());
    doc.merge(problems::Doc::openapi());
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        doc.to_json().unwrap_or_default(),
    )
        .into_response()
}

/// The id of a record just created.
#[derive(Serialize, ToSchema)]
pub(crate) struct Created {
    pub(crate) id: i64,
}

impl Created {
    pub(crate) fn response(id: impl Into<i64>) -> Response {
        (StatusCode::CREATED, Json(Created { id: id.into() })).into_response()
    }
}

/// Plain ids from the wire as typed ids.
pub(crate) fn typed<T: From<i64>>(ids: Vec<i64>) -> Vec<T> {
    ids.into_iter().map(T::from).collect()
}

#[derive(Serialize, ToSchema)]
struct Me {
    id: Option<i64>,
    username: String,
    unit_id: Option<i64>,
    region_code: String,
    roles: Vec<String>,
}

/// The signed-in caller.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401, body = ApiErrorBody)))]
async fn me(c: ApiCaller) -> Json<Me> {
    let a = c.ctx.actor;
    Json(Me {
        id: a.user_id.map(i64::from),
        username: a.username,
        unit_id: a.unit_id.map(i64::from),
        region_code: a.region.to_string(),
        roles: a.roles.iter().map(|r| r.key().to_string()).collect(),
    })
}

/// `?year=` of a list or figures (documented in the OpenAPI; read by [`year_of`]).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct YearParam {
    year: Option<i32>,
}

/// An id in a path: anything but a positive number is not found.
pub(super) fn id_of(s: &str) -> Result<i64, crate::error::ApiError> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(crate::error::ApiError(
            keyproj_service::ServiceError::NotFound,
        ))
}

/// The year asked for, checked (a Chinese message at `year` otherwise).
pub(super) fn year_of(q: Option<&str>) -> Result<i32, crate::error::ApiError> {
    let y = crate::auth::query_pairs(q).get("year");
    keyproj_domain::plan::check_year("year", &y).map_err(|e| crate::error::ApiError(e.into()))
}
