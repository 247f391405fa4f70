//! The list of projects: filters in the URL, sorting, numbered pages, totals and the .xlsx.

use crate::AppState;
use crate::auth::Signed;
use crate::error::PageError;
use crate::pages::{allowed, xlsx_response};
use crate::params::project_query;
use crate::views::{Choice, Chrome, Pager, choices, named_choices};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keyproj_domain::authz::Action;
use keyproj_domain::colour::Colour;
use keyproj_domain::ids::ProjectId;
use keyproj_domain::org::UnitKind;
use keyproj_domain::project::{Industry, Level, Stage};
use keyproj_service::projects::{self, ListQuery};
use keyproj_service::{ServiceError, org};

pub(super) struct ProjectLine {
    seq: i64,
    id: ProjectId,
    code: String,
    name: String,
    level: &'static str,
    stage_key: &'static str,
    stage: &'static str,
    industry: &'static str,
    township: String,
    total_wan: String,
    leader: String,
    lead_unit: String,
    responsible: String,
    below_threshold: bool,
    /// 本期评价: (class, label), empty when the project is not in the issue.
    colour_key: &'static str,
    colour: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "projects/list.html")]
pub(super) struct ProjectListPage {
    chrome: Chrome,
    q: ListQuery,
    page: projects::ProjectPage,
    rows: Vec<ProjectLine>,
    total_wan: String,
    stages: Vec<Choice>,
    levels: Vec<Choice>,
    industries: Vec<Choice>,
    townships: Vec<Choice>,
    units: Vec<Choice>,
    leaders: Vec<Choice>,
    can_create: bool,
    export_href: String,
    colours: Vec<Choice>,
    pager: Pager,
    /// Refused filter values: nothing is listed and the page says why (422).
    refused: Vec<String>,
}

/// The list's query string; `with_size` keeps the chosen page size (links within the list).
pub(super) fn query_string(
    q: &ListQuery,
    sort: Option<(&str, bool)>,
    page: Option<i64>,
    with_size: bool,
) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &q.q),
        ("stage", &q.stage),
        ("level", &q.level),
        ("industry", &q.industry),
        ("colour", &q.colour),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    for (k, v) in [
        ("township", q.township.map(i64::from)),
        ("lead_unit", q.lead_unit.map(i64::from)),
        ("leader", q.leader.map(i64::from)),
    ] {
        if let Some(v) = v {
            s.append_pair(k, &v.to_string());
        }
    }
    if let Some(b) = q.below_threshold {
        s.append_pair("below_threshold", if b { "1" } else { "0" });
    }
    let (sort, desc) = sort
        .map(|(k, d)| (k.to_string(), d))
        .unwrap_or((q.sort.clone(), q.desc));
    if !sort.is_empty() {
        s.append_pair("sort", &sort);
    }
    if desc {
        s.append_pair("desc", "1");
    }
    if let Some(p) = page {
        s.append_pair("page", &p.to_string());
    }
    if let Some(n) = q.per_page.filter(|_| with_size) {
        s.append_pair("per_page", &n.to_string());
    }
    s.finish()
}

impl ProjectListPage {
    /// The list without the 低于门槛 filter (which only links set): the chip's clear link.
    fn without_threshold_href(&self) -> String {
        let q = ListQuery {
            below_threshold: None,
            ..self.q.clone()
        };
        format!("/projects?{}", query_string(&q, None, None, true))
    }
    fn sort_href(&self, key: &str) -> String {
        let desc = self.q.sort == key && !self.q.desc;
        format!(
            "/projects?{}",
            query_string(&self.q, Some((key, desc)), None, true)
        )
    }
    fn sort_mark(&self, key: &str) -> &'static str {
        if self.q.sort == key || (self.q.sort.is_empty() && key == "code") {
            if self.q.desc { " ↓" } else { " ↑" }
        } else {
            ""
        }
    }
}

pub(super) async fn project_list(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let (query, refused) = project_query(&signed.ctx, q.as_deref());
    let found = match refused.into_result() {
        Ok(()) => projects::list(&s.app, &signed.ctx, &query).await,
        Err(v) => Err(ServiceError::Validation(v)),
    };
    // A refused value (an edited link) brings back the list page with the form as sent and
    // the reason, listing nothing, as the problem list does.
    let (page, refused) = match found {
        Ok(p) => (p, vec![]),
        Err(ServiceError::Validation(v)) => (
            projects::ProjectPage::nothing(),
            v.0.into_iter().map(|e| e.message).collect::<Vec<_>>(),
        ),
        Err(e) => return Err(e.into()),
    };
    let units = org::units(&s.app, &signed.ctx).await?;
    let leaders = org::leaders(&s.app, &signed.ctx).await?;
    let first = (page.page - 1) * page.per_page;
    let rows = page
        .items
        .iter()
        .zip(page.responsible.iter())
        .zip(page.colours.iter())
        .enumerate()
        .map(|(i, ((p, r), c))| ProjectLine {
            seq: first + i as i64 + 1,
            id: p.id,
            code: p.code.clone().unwrap_or_default(),
            name: p.name.clone(),
            level: p.level.label(),
            stage_key: p.stage.key(),
            stage: p.stage.label(),
            industry: p.industry.label(),
            township: p.township_name.clone().unwrap_or_default(),
            total_wan: p.total_investment.wan_grouped(),
            leader: p.leader_name.clone().unwrap_or_default(),
            lead_unit: p.lead_unit_name.clone().unwrap_or_default(),
            responsible: r.join("、"),
            below_threshold: p.below_threshold,
            colour_key: c.map(|c| c.key()).unwrap_or(""),
            colour: c.map(|c| c.label()).unwrap_or(""),
        })
        .collect();
    let export_href = format!("/projects.xlsx?{}", query_string(&query, None, None, false));
    let pager = Pager::new(
        "/projects",
        &query_string(&query, None, None, false),
        page.page,
        page.pages,
        Some(page.per_page),
    );
    let status = if refused.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = ProjectListPage {
        chrome: Chrome::new(&signed, "projects"),
        total_wan: page.totals.total_investment.wan_grouped(),
        rows,
        page,
        stages: choices::<Stage>(&query.stage),
        levels: choices::<Level>(&query.level),
        industries: choices::<Industry>(&query.industry),
        townships: named_choices(
            units
                .iter()
                .filter(|u| u.kind.is_place())
                .map(|u| (u.id, u.name.clone())),
            &query.township.into_iter().collect::<Vec<_>>(),
        ),
        units: named_choices(
            units
                .iter()
                .filter(|u| u.kind != UnitKind::Enterprise)
                .map(|u| (u.id, u.name.clone())),
            &query.lead_unit.into_iter().collect::<Vec<_>>(),
        ),
        leaders: named_choices(
            leaders.iter().map(|l| (l.id, l.name.clone())),
            &query.leader.into_iter().collect::<Vec<_>>(),
        ),
        can_create: allowed(&signed, Action::CreateProject),
        export_href,
        colours: choices::<Colour>(&query.colour),
        pager,
        q: query,
        refused,
    };
    Ok((status, view).into_response())
}

pub(super) async fn project_export(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let (query, refused) = project_query(&signed.ctx, q.as_deref());
    refused.into_result().map_err(ServiceError::from)?;
    let all = projects::list_all(&s.app, &signed.ctx, query.clone()).await?;
    let names = keyproj_service::exports::FilterNames::of(&s.app, &signed.ctx, &query).await?;
    let file = keyproj_service::exports::projects_xlsx(
        &s.app,
        &signed.ctx.actor.region,
        &query,
        &names,
        &all,
    )?;
    let rows = all.iter().map(|p| p.items.len()).sum();
    projects::record_export(&s.app, &signed.ctx, "project_list", rows).await?;
    Ok(xlsx_response(&file.name, file.bytes))
}
