//! The web edge of keyproj: server-rendered pages (askama, `pages/<feature>`) and the JSON API
//! under `/api/v1` (utoipa, `api/<feature>`), sessions, CSRF, security headers and request ids.
//! Handlers are thin: they parse the request, call a service use case, and render; they never
//! open a transaction or call a repository.

mod api;
mod auth;
mod body;
mod error;
mod pages;
mod params;
mod state;
mod trace;
mod views;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;

pub use error::ApiErrorBody;
pub use state::AppState;

/// Largest request body accepted (forms and JSON). Uploads get their own limits.
pub const BODY_LIMIT: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .route(
            "/static/app.css",
            get(|| async {
                static_file("text/css; charset=utf-8", include_str!("../static/app.css"))
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                static_file(
                    "text/javascript; charset=utf-8",
                    include_str!("../static/app.js"),
                )
            }),
        )
        .route("/healthz", get(health))
        .fallback(|| async { error::page_error(StatusCode::NOT_FOUND, "页面不存在") })
        // a known address with a method it does not take: Chinese, as a page or as API JSON
        .method_not_allowed_fallback(|uri: axum::http::Uri| async move {
            if uri.path().starts_with("/api/") {
                error::api_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "该地址不支持此请求方法",
                    vec![],
                )
            } else {
                error::page_error(StatusCode::METHOD_NOT_ALLOWED, "该地址不支持此请求方法")
            }
        })
        .layer(middleware::from_fn(origin_check))
        .layer(middleware::from_fn(security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            error::page_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &error::internal_message(),
            )
        }))
        .layer(middleware::from_fn(trace::request_span))
        .with_state(state)
}

async fn health(axum::extract::State(s): axum::extract::State<AppState>) -> Response {
    match s.app.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

fn static_file(ct: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Security headers on every response; dynamic responses are never cached.
async fn security_headers(req: Request<axum::body::Body>, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Every unsafe method must come from our own origin (CSRF defence in depth, besides the token).
async fn origin_check(req: Request<axum::body::Body>, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if let Some(origin) = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
        {
            let ok = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .is_some_and(|o| o == host);
            if !ok {
                return error::forbidden_origin(req.uri().path());
            }
        } else if req
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            == Some("cross-site")
        {
            return error::forbidden_origin(req.uri().path());
        }
    }
    next.run(req).await
}

/// Serves until ctrl-c / SIGTERM.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
