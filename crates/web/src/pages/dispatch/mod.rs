//! Monthly dispatch pages, in the files the service mirrors: [`plans`] (the year's plan, one
//! project's entry, copying forward and adopting), [`reports`] (the month's reports, one
//! report with its photos, review and revision) and [`colour`] (the colour table: preview,
//! publish, issues, rules).

pub(crate) mod colour;
mod plans;
pub(crate) mod reports;

use crate::AppState;
use crate::auth::FormData;
use axum::Router;
use axum::routing::{get, post};
use keyproj_domain::ReportMonth;

pub fn routes() -> Router<AppState> {
    use crate::pages::UPLOAD_FORM_LIMIT;
    use axum::extract::DefaultBodyLimit;
    Router::new()
        .route("/plans", get(plans::list))
        .route("/plans.xlsx", get(plans::xlsx))
        .route("/plans/op/{op}", post(plans::year_op))
        .route(
            "/plans/{project_id}/{year}",
            get(plans::edit).post(plans::save),
        )
        .route("/reports", get(reports::month))
        .route("/reports.xlsx", get(reports::month_xlsx))
        .route("/reports/remind", post(reports::remind))
        .route(
            "/reports/{project_id}/{month}",
            // the report form carries up to three photos with the figures
            get(reports::form)
                .post(reports::submit)
                .layer(DefaultBodyLimit::max(UPLOAD_FORM_LIMIT)),
        )
        .route("/photos/{id}", get(reports::photo))
        .route("/colour", get(colour::preview))
        .route("/colour/publish", post(colour::publish))
        .route("/colour/issues/{id}", get(colour::issue))
        .route("/colour/issues/{id}/xlsx", get(colour::issue_xlsx))
        .route("/colour/issues/{id}/pdf", get(colour::issue_pdf))
        .route("/colour/rules", get(colour::rules).post(colour::rules_save))
}

/// The year in the query, else this year; a year that is given but not one is refused with a
/// Chinese message (never silently replaced by another year's figures).
use crate::error::PageError;
use keyproj_service::ServiceError;

pub(crate) fn year_of(q: &FormData, s: &AppState) -> Result<i32, PageError> {
    use chrono::Datelike;
    let y = q.get("year");
    if y.trim().is_empty() {
        return Ok(s.app.local_today().year());
    }
    keyproj_domain::plan::check_year("year", &y).map_err(|e| PageError(ServiceError::from(e)))
}

/// The month in the query, else the month with data the actor would want (see
/// `reports::default_month`); a month given that is not one is refused.
pub(crate) async fn month_or_latest(
    q: &FormData,
    s: &AppState,
    signed: &crate::auth::Signed,
) -> Result<ReportMonth, PageError> {
    if q.get("month").trim().is_empty() {
        return Ok(keyproj_service::dispatch::reports::default_month(&s.app, &signed.ctx).await?);
    }
    month_of(q, s)
}

/// The year in the query, else the latest plan year; a year given that is not one is refused.
pub(crate) async fn year_or_latest(
    q: &FormData,
    s: &AppState,
    signed: &crate::auth::Signed,
) -> Result<i32, PageError> {
    if q.get("year").trim().is_empty() {
        return Ok(keyproj_service::dispatch::reports::default_year(&s.app, &signed.ctx).await?);
    }
    year_of(q, s)
}

/// The month in the query, else last month (reports are made for the month just ended); a
/// month that is given but not one is refused with a Chinese message.
pub(crate) fn month_of(q: &FormData, s: &AppState) -> Result<ReportMonth, PageError> {
    let m = q.get("month");
    if m.trim().is_empty() {
        return Ok(ReportMonth::of(s.app.local_today()).prev());
    }
    ReportMonth::parse("month", "月份", &m).map_err(|e| PageError(ServiceError::from(e)))
}
