//! Errors at the edge: a page for browsers, RFC 7807-style JSON for the API.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use keyproj_domain::FieldError;
use keyproj_service::ServiceError;
use serde::Serialize;

#[derive(Template)]
#[template(path = "shared/error.html")]
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

/// How a service error reaches a person: one mapping for the API and the pages.
struct Shown {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<FieldError>,
}

/// The message for a failure inside, with the request's id to quote to the operator.
pub fn internal_message() -> String {
    match crate::trace::current_request_id() {
        Some(id) => format!("系统内部错误，请稍后重试（请求编号 {id}）"),
        None => "系统内部错误，请稍后重试".into(),
    }
}

/// An error and every cause below it, outermost first.
fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

fn shown(e: ServiceError) -> Shown {
    let (status, code, message, fields) = match e {
        ServiceError::Validation(v) => {
            let msg = v.to_string();
            let msg = if msg.is_empty() {
                "输入有误".into()
            } else {
                msg
            };
            (StatusCode::UNPROCESSABLE_ENTITY, "validation", msg, v.0)
        }
        ServiceError::NotFound => (
            StatusCode::NOT_FOUND,
            "not_found",
            "记录不存在或您无权查看".into(),
            vec![],
        ),
        ServiceError::Forbidden => (
            StatusCode::FORBIDDEN,
            "forbidden",
            "没有权限执行此操作".into(),
            vec![],
        ),
        ServiceError::Stale => (
            StatusCode::CONFLICT,
            "stale",
            "该记录已被他人修改，请刷新后重试".into(),
            vec![],
        ),
        ServiceError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m, vec![]),
        ServiceError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m, vec![]),
        e => {
            // logged once, with its whole chain of causes, inside the request's span
            tracing::error!(error = causes(&e), "request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                internal_message(),
                vec![],
            )
        }
    };
    Shown {
        status,
        code,
        message,
        fields,
    }
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
        let s = shown(self.0);
        api_error(s.status, s.code, &s.message, s.fields)
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
        let s = shown(self.0);
        page_error(s.status, &s.message)
    }
}
