//! 考核 pages (issue #12), in the files the service mirrors: [`rules`] (the year's tables,
//! drafting and adoption) and [`rounds`] (scoring a period, objections, review, the notice).

mod rounds;
mod rules;

use crate::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    rules::routes().merge(rounds::routes())
}
