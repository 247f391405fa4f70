//! Importing workbooks over JSON: start a background import, then poll its job.

use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiErrorBody};
use crate::params::Path;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyproj_service::import::{self, JobOutcome};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/import",
            post(start_import).layer(DefaultBodyLimit::max(crate::pages::UPLOAD_LIMIT)),
        )
        .route("/import/jobs/{id}", get(import_job))
}

#[derive(OpenApi)]
#[openapi(
    paths(start_import, import_job),
    components(schemas(ImportStarted, ImportJobOut))
)]
pub(super) struct Doc;

#[derive(Serialize, ToSchema)]
struct ImportStarted {
    id: String,
    /// Poll this for progress and the outcome.
    status_url: String,
}

/// Starts importing a workbook (multipart field `file`, the canonical template, ≤ 20 MB). The
/// import runs in the background, all or nothing; poll `status_url`.
#[utoipa::path(post, path = "/api/v1/import",
    request_body(content_type = "multipart/form-data", description = "field `file`: .xlsx"),
    responses((status = 202, body = ImportStarted), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn start_import(
    State(s): State<AppState>,
    c: ApiCaller,
    mut multipart: crate::params::Multipart,
) -> Result<Response, ApiError> {
    let (name, bytes) = multipart
        .file("file", "工作簿不能超过20 MB")
        .await
        .map_err(|e| ApiError(e.into()))?
        .ok_or_else(|| {
            ApiError(
                keyproj_domain::FieldError::new(
                    "file",
                    "required",
                    "请上传 .xlsx 文件（字段 file）",
                )
                .into(),
            )
        })?;
    let id = import::start_job(&s.app, &c.ctx, &name, bytes).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ImportStarted {
            status_url: format!("/api/v1/import/jobs/{id}"),
            id,
        }),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
struct ImportJobOut {
    id: String,
    file_name: String,
    /// queued, reading, checking, writing, done
    phase: String,
    done: i64,
    total: i64,
    percent: i64,
    /// none while running; then ok, problems, refused or failed
    outcome: Option<String>,
    /// counts of what was created, updated and left unchanged (outcome ok)
    #[schema(value_type = Option<Object>)]
    summary: Option<serde_json::Value>,
    /// sheet, row, column, value, reason of every problem (outcome problems)
    #[schema(value_type = Option<Vec<Object>>)]
    problems: Option<serde_json::Value>,
    message: Option<String>,
}

/// Progress and outcome of an import the caller started.
#[utoipa::path(get, path = "/api/v1/import/jobs/{id}", params(("id" = String, Path)),
    responses((status = 200, body = ImportJobOut), (status = 404, body = ApiErrorBody)))]
async fn import_job(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let j = import::job(&s.app, &c.ctx, &id).await?;
    let (mut summary, mut problems, mut message) = (None, None, None);
    let outcome = j.finished.as_ref().map(|o| match o {
        JobOutcome::Ok { summary: x } => {
            summary = serde_json::to_value(x).ok();
            "ok"
        }
        JobOutcome::Problems { problems: p } => {
            problems = serde_json::to_value(p).ok();
            "problems"
        }
        JobOutcome::Refused { message: m } => {
            message = Some(m.clone());
            "refused"
        }
        JobOutcome::Failed { message: m } => {
            message = Some(m.clone());
            "failed"
        }
    });
    Ok(Json(ImportJobOut {
        outcome: outcome.map(String::from),
        id: j.id,
        file_name: j.file_name,
        phase: j.phase,
        done: j.done,
        total: j.total,
        percent: j.percent,
        summary,
        problems,
        message,
    })
    .into_response())
}
