//! One id per request, in a span around everything the request does (the use cases' spans and
//! the database's logs nest inside it), in the `x-request-id` response header, and in the
//! message a person sees when something failed inside — so an operator finds the one request a
//! user reports.

use axum::http::{HeaderValue, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::hash::{BuildHasher, RandomState};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Random per process (several instances behind one balancer do not collide), then a counter.
static PREFIX: LazyLock<u32> =
    LazyLock::new(|| RandomState::new().hash_one(std::process::id()) as u32);
static NEXT: AtomicU64 = AtomicU64::new(1);

fn new_id() -> String {
    format!("{:08x}-{:x}", *PREFIX, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The id of the request being served, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

pub async fn request_span(req: Request<axum::body::Body>, next: Next) -> Response {
    let id = new_id();
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.uri().path(),
    );
    let started = std::time::Instant::now();
    let mut res = REQUEST_ID
        .scope(id.clone(), next.run(req).instrument(span.clone()))
        .await;
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "served"
        )
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}
