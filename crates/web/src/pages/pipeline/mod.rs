//! The pipeline pages (issue #11), in the files the service mirrors: [`signing`] (events and
//! signed projects), [`approvals`] (帮代办: the catalogue, each project's list, one item, the
//! overdue list and the statistics), [`conversion`] (signings into construction) and [`support`]
//! (后扶 measures).

pub(crate) mod approvals;
mod conversion;
mod signing;
mod support;

use crate::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(signing::routes())
        .merge(approvals::routes())
        .merge(conversion::routes())
        .merge(support::routes())
}
