//! Errors at the edge: a page for browsers, RFC 7807-style JSON for the API.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use keyproj_domain::FieldError;
use keyproj_service::ServiceError;
use serde::Serialize;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    message: &'a str,
}

pub fn page_error(status: StatusCode, message: &str) -> Response {
    let body = ErrorPage {
        status: status.as_u16(),
        message,
    }
    .render()
    .unwrap_or_else(|_| message.to_string());
    (status, Html(body)).into_response()
}

pub fn forbidden_origin(path: &str) -> Response {
    if path.starts_with("/api/") {
        api_error(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "跨站请求被拒绝",
            vec![],
        )
    } else {
        page_error(StatusCode::FORBIDDEN, "跨站请求被拒绝")
    }
}

/// The JSON error body of the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    /// Machine-readable code, e.g. `validation`, `not_found`, `stale`.
    pub code: String,
    /// A Chinese message for people.
    pub message: String,
    /// Per-field problems (validation errors).
    pub fields: Vec<ApiFieldError>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiFieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

pub fn api_error(
    status: StatusCode,
    code: &str,
    message: &str,
    fields: Vec<FieldError>,
) -> Response {
    let body = ApiErrorBody {
        code: code.into(),
        message: message.into(),
        fields: fields
            .into_iter()
            .map(|f| ApiFieldError {
                field: f.field,
                code: f.code.into(),
                message: f.message,
            })
            .collect(),
    };
    (status, Json(body)).into_response()
}

/// A service error in the API.
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            ServiceError::Validation(v) => {
                let msg =
                    v.0.first()
                        .map(|f| f.message.clone())
                        .unwrap_or_else(|| "输入有误".into());
                api_error(StatusCode::UNPROCESSABLE_ENTITY, "validation", &msg, v.0)
            }
            ServiceError::NotFound => {
                api_error(StatusCode::NOT_FOUND, "not_found", "记录不存在", vec![])
            }
            ServiceError::Forbidden => api_error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "没有权限执行此操作",
                vec![],
            ),
            ServiceError::Stale => api_error(
                StatusCode::CONFLICT,
                "stale",
                "该记录已被他人修改，请刷新后重试",
                vec![],
            ),
            ServiceError::Unauthorized(m) => {
                api_error(StatusCode::UNAUTHORIZED, "unauthorized", &m, vec![])
            }
            e => {
                tracing::error!(error = %e, "api error");
                api_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "系统内部错误，请稍后重试",
                    vec![],
                )
            }
        }
    }
}

/// A service error on a page (validation errors are shown in forms, not here).
pub struct PageError(pub ServiceError);

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self.0 {
            ServiceError::NotFound => page_error(StatusCode::NOT_FOUND, "记录不存在或您无权查看"),
            ServiceError::Forbidden => page_error(StatusCode::FORBIDDEN, "没有权限执行此操作"),
            ServiceError::Stale => {
                page_error(StatusCode::CONFLICT, "该记录已被他人修改，请刷新后重试")
            }
            ServiceError::Validation(v) => {
                page_error(StatusCode::UNPROCESSABLE_ENTITY, &v.to_string())
            }
            ServiceError::Unauthorized(m) => page_error(StatusCode::UNAUTHORIZED, &m),
            e => {
                tracing::error!(error = %e, "page error");
                page_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "系统内部错误，请稍后重试",
                )
            }
        }
    }
}
