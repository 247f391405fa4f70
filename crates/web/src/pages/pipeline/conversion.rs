//! Conversion (issue #11): how the year's signings became construction, per signing event, with
//! each figure a link to its projects.

use crate::AppState;
use crate::auth::{Signed, query_pairs};
use crate::error::PageError;
use crate::pages::dispatch::year_or_latest;
use crate::views::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use keyproj_domain::ids::{ProjectId, SigningEventId};
use keyproj_service::pipeline::conversion::{self as svc, ConversionLine, Status};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/pipeline/conversion", get(page))
        .route("/pipeline/conversion/projects", get(projects))
}

/// A figure and the link to its projects.
struct Figure {
    n: i64,
    href: String,
}

struct Line {
    name: String,
    held_on: String,
    signed: Figure,
    above_threshold: Figure,
    approvals_handled: i64,
    started: Figure,
    preliminary: Figure,
    not_moving: Figure,
}

fn line(l: &ConversionLine, year: i32, total: bool) -> Line {
    let scope = match (total, l.event_id) {
        (true, _) => String::new(),
        (false, Some(e)) => format!("&event={e}"),
        (false, None) => "&alone=1".into(),
    };
    let fig = |n: i64, s: Status| Figure {
        n,
        href: format!(
            "/pipeline/conversion/projects?year={year}{scope}&status={}",
            s.key()
        ),
    };
    Line {
        name: l.name.clone(),
        held_on: l
            .held_on
            .map(keyproj_domain::month::chinese_date)
            .unwrap_or_default(),
        signed: fig(l.signed, Status::Signed),
        above_threshold: fig(l.above_threshold, Status::AboveThreshold),
        approvals_handled: l.approvals_handled,
        started: fig(l.started, Status::Started),
        preliminary: fig(l.preliminary, Status::Preliminary),
        not_moving: fig(l.not_moving, Status::NotMoving),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/conversion.html")]
struct ConversionPage {
    chrome: Chrome,
    year: i32,
    events_held: i64,
    lines: Vec<Line>,
    total: Line,
    not_moving_months: u32,
}

async fn page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_or_latest(&q, &s, &signed).await?;
    let c = svc::conversion(&s.app, &signed.ctx, year).await?;
    Ok(ConversionPage {
        chrome: Chrome::new(&signed, "pipeline"),
        year,
        events_held: c.events_held,
        lines: c.lines.iter().map(|l| line(l, year, false)).collect(),
        total: line(&c.total, year, true),
        not_moving_months: s.app.cfg.not_moving_months,
    }
    .into_response())
}

struct ProjectLine {
    name: String,
    investor: String,
    contract_on: String,
    agreed_wan: String,
    project_id: Option<ProjectId>,
    stage: &'static str,
    stage_key: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/conversion_projects.html")]
struct ProjectsPage {
    chrome: Chrome,
    year: i32,
    title: String,
    lines: Vec<ProjectLine>,
}

async fn projects(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_or_latest(&q, &s, &signed).await?;
    // an address that names no figure or no event is not a page
    let status = match q.get("status").as_str() {
        "" => Status::Signed,
        k => Status::from_key(k).ok_or(keyproj_service::ServiceError::NotFound)?,
    };
    let event = q.typed::<SigningEventId>("event");
    if event.is_none() && !q.get("event").trim().is_empty() {
        return Err(keyproj_service::ServiceError::NotFound.into());
    }
    let alone = q.get("alone") == "1";
    let rows = svc::drill(&s.app, &signed.ctx, year, event, alone, status).await?;
    let scope = match (event, alone) {
        (Some(e), _) => keyproj_service::pipeline::signing::events(&s.app, &signed.ctx)
            .await?
            .into_iter()
            .find(|x| x.id == e)
            .map(|x| x.name)
            .unwrap_or_default(),
        (None, true) => "单独签约".into(),
        (None, false) => format!("{year}年"),
    };
    Ok(ProjectsPage {
        chrome: Chrome::new(&signed, "pipeline"),
        year,
        title: format!("{scope} · {}", status.label()),
        lines: rows
            .iter()
            .map(|r| ProjectLine {
                name: r.name.clone(),
                investor: r.investor.clone(),
                contract_on: keyproj_domain::month::chinese_date(r.contract_on),
                agreed_wan: r.agreed_investment.wan_grouped(),
                project_id: r.project_id,
                stage: r.stage.map(|s| s.label()).unwrap_or("未纳入项目库"),
                stage_key: r.stage.map(|s| s.key()).unwrap_or(""),
            })
            .collect(),
    }
    .into_response())
}
