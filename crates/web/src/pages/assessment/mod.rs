//! 考核办法 pages (issue #12), in the files the service mirrors: [`rules`] (the year's tables,
//! drafting and adoption). Scoring, review and publication follow.

mod rules;

use crate::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    rules::routes()
}
