//! Figures per unit, leader, source and category for a year or a month (page and .xlsx).

use crate::AppState;
use crate::auth::{FormData, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::dispatch::year_of;
use crate::pages::xlsx_response;
use crate::views::{Choice, Chrome};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use keyproj_service::problems::stats::{self as svc, ProblemStats};

#[derive(Template, WebTemplate)]
#[template(path = "problems/stats.html")]
pub(super) struct StatsPage {
    chrome: Chrome,
    st: ProblemStats,
    query: String,
    months: Vec<Choice>,
    chart: String,
}

/// The year and the optional month of the figures; a month given that is not 1–12 is refused.
fn stats_query(q: &FormData, s: &AppState) -> Result<(i32, Option<u32>), PageError> {
    let year = year_of(q, s)?;
    let month = q.get("month");
    if month.trim().is_empty() {
        return Ok((year, None));
    }
    match month.trim().parse::<u32>() {
        Ok(m) if (1..=12).contains(&m) => Ok((year, Some(m))),
        _ => Err(PageError(keyproj_service::ServiceError::from(
            keyproj_domain::FieldError::new("month", "invalid_month", "月份应为1到12之间的整数"),
        ))),
    }
}

pub(super) async fn page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (year, month) = stats_query(&q, &s)?;
    let st = svc::stats(&s.app, &signed.ctx, year, month).await?;
    let bars: Vec<(String, f64)> = st
        .units
        .iter()
        .take(15)
        .map(|u| (u.unit_name.clone(), u.closure_rate_pct))
        .collect();
    let chart = keyproj_office::chart::bar_svg(&bars, "%");
    Ok(StatsPage {
        chrome: Chrome::new(&signed, "problem_stats"),
        query: format!(
            "year={year}{}",
            month.map(|m| format!("&month={m}")).unwrap_or_default()
        ),
        months: (1..=12u32)
            .map(|m| Choice::new(m, format!("{m}月"), Some(m) == month))
            .collect(),
        chart,
        st,
    }
    .into_response())
}

pub(super) async fn xlsx(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (year, month) = stats_query(&q, &s)?;
    let st = svc::stats(&s.app, &signed.ctx, year, month).await?;
    let file = keyproj_service::exports::problem_stats_xlsx(&st)?;
    Ok(xlsx_response(&file.name, file.bytes))
}
