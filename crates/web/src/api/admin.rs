//! The audit log over JSON (审计管理员).

use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiErrorBody};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use keyproj_service::admin::audit as audit_log;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit))
}

#[derive(OpenApi)]
#[openapi(paths(audit), components(schemas(AuditOut)))]
pub(super) struct Doc;

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
#[into_params(parameter_in = Query)]
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
