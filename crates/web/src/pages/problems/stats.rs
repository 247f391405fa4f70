//! Figures per unit, leader, source and category for a year or a month (page and .xlsx).

use super::supervision::year_of;
use crate::AppState;
use crate::auth::{FormData, Signed, query_pairs};
use crate::error::PageError;
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

fn stats_query(q: &FormData, s: &AppState) -> (i32, Option<u32>) {
    (
        year_of(q, s),
        q.id("month")
            .and_then(|m| u32::try_from(m).ok())
            .filter(|m| (1..=12).contains(m)),
    )
}

pub(super) async fn page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (year, month) = stats_query(&q, &s);
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
    let (year, month) = stats_query(&q, &s);
    let st = svc::stats(&s.app, &signed.ctx, year, month).await?;
    let file = keyproj_service::exports::problem_stats_xlsx(&st)?;
    Ok(xlsx_response(&file.name, file.bytes))
}
