//! 后扶 (issue #11): support measures for operating projects next to their problems, with the
//! year's count of projects supported and problems solved.

use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::dispatch::year_or_latest;
use crate::views::{Choice, Chrome, named_choices};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::Role;
use keyproj_domain::ids::{ProjectId, UnitId};
use keyproj_domain::pipeline::MeasureDraft;
use keyproj_service::pipeline::support as svc;
use keyproj_service::{ServiceError, org};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/pipeline/support", get(page).post(add))
}

struct ProjectLine {
    id: ProjectId,
    name: String,
    measures: i64,
}

struct MeasureLine {
    on: String,
    project_id: ProjectId,
    project: String,
    text: String,
    unit: String,
    by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/support.html")]
struct SupportPage {
    chrome: Chrome,
    year: i32,
    projects: Vec<ProjectLine>,
    measures: Vec<MeasureLine>,
    problems_closed: i64,
    is_staff: bool,
    project_choices: Vec<Choice>,
    units: Vec<Choice>,
    typed: FormData,
    errors: ValidationErrors,
    flash: Option<String>,
}

impl SupportPage {
    fn typed(&self, name: &str) -> String {
        self.typed.get(name)
    }
    fn error(&self, name: &str) -> Option<&str> {
        self.errors.for_field(name)
    }
}

async fn render(
    s: &AppState,
    signed: &Signed,
    year: i32,
    typed: FormData,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<SupportPage, PageError> {
    let sp = svc::support(&s.app, &signed.ctx, year).await?;
    let people =
        keyproj_service::account::People::of(&s.app, sp.measures.iter().map(|m| m.actor.clone()))
            .await?;
    let units = org::units(&s.app, &signed.ctx).await?;
    let chosen_p: Vec<ProjectId> = typed.typed("project_id").into_iter().collect();
    let chosen_u: Vec<UnitId> = typed.typed("unit_id").into_iter().collect();
    Ok(SupportPage {
        chrome: Chrome::new(signed, "pipeline"),
        year,
        project_choices: named_choices(
            sp.projects.iter().map(|p| (p.project_id, p.name.clone())),
            &chosen_p,
        ),
        units: named_choices(units.into_iter().map(|u| (u.id, u.name)), &chosen_u),
        projects: sp
            .projects
            .iter()
            .map(|p| ProjectLine {
                id: p.project_id,
                name: p.name.clone(),
                measures: p.measures,
            })
            .collect(),
        measures: sp
            .measures
            .iter()
            .map(|m| MeasureLine {
                on: m.measure_on.to_string(),
                project_id: m.project_id,
                project: m.project_name.clone(),
                text: m.text.clone(),
                unit: m.unit_name.clone(),
                by: people.name(&m.actor),
            })
            .collect(),
        problems_closed: sp.problems_closed,
        is_staff: signed.ctx.actor.has(Role::CenterStaff),
        typed,
        errors,
        flash,
    })
}

async fn page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_or_latest(&q, &s, &signed).await?;
    let flash = (q.get("done") == "added").then(|| "帮扶措施已登记".to_string());
    Ok(render(
        &s,
        &signed,
        year,
        FormData::default(),
        ValidationErrors::new(),
        flash,
    )
    .await?
    .into_response())
}

async fn add(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let year = year_or_latest(&form, &s, &signed).await?;
    let draft = MeasureDraft {
        project_id: form.typed("project_id"),
        text: form.get("text"),
        unit_id: form.typed("unit_id"),
        measure_on: form.get("measure_on"),
    };
    match svc::add_measure_in_year(&s.app, &signed.ctx, &draft, year).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/pipeline/support?year={year}&done=added")).into_response())
        }
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&s, &signed, year, form, v, None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
