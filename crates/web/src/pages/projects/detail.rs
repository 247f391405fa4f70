//! One project: its figures, responsible units, stage history, audit trail and the stage change.

use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::allowed;
use crate::params::Path;
use crate::views::{self, Choice, Chrome};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_db::repo::projects::{NameRef, ProjectRow};
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::Action;
use keyproj_domain::ids::ProjectId;
use keyproj_domain::project::allowed_next;
use keyproj_service::ServiceError;
use keyproj_service::projects::{self, StageChangeInput};
#[derive(Template, WebTemplate)]
#[template(path = "projects/detail.html")]
pub(super) struct ProjectDetailPage {
    chrome: Chrome,
    p: ProjectRow,
    total_wan: String,
    threshold_wan: String,
    responsible: String,
    parent_name: Option<String>,
    children: Vec<NameRef<ProjectId>>,
    history: Vec<StageLine>,
    audit: Vec<AuditLine>,
    can_edit: bool,
    can_stage: bool,
    next_stages: Vec<Choice>,
    today: String,
    this_year: i32,
    last_month: String,
    errors: ValidationErrors,
    flash: Option<String>,
    /// The stage form as posted (kept after an error).
    typed: FormData,
}

/// A stage change of the project.
pub(super) struct StageLine {
    on: String,
    from: &'static str,
    to: &'static str,
    reason: String,
    by: String,
}

/// A change of the project in the audit log.
pub(super) struct AuditLine {
    at: String,
    by: String,
    action: String,
    ip: String,
}

impl ProjectDetailPage {
    fn typed_or(&self, name: &str, stored: &str) -> String {
        if self.typed.0.iter().any(|(k, _)| k == name) {
            self.typed.get(name)
        } else {
            stored.to_string()
        }
    }
    fn o<'a>(&self, s: &'a Option<String>) -> &'a str {
        views::opt(s)
    }
    fn month(&self, m: &Option<keyproj_domain::ReportMonth>) -> String {
        views::shown(m)
    }
    fn parent_id(&self) -> String {
        views::shown(&self.p.parent_id)
    }
}

pub(super) async fn detail_page(
    s: &AppState,
    signed: &Signed,
    id: ProjectId,
    errors: ValidationErrors,
    flash: Option<String>,
    typed: FormData,
) -> Result<ProjectDetailPage, PageError> {
    let d = projects::get(&s.app, &signed.ctx, id).await?;
    let people = keyproj_service::account::People::of(
        &s.app,
        d.stage_history
            .iter()
            .map(|h| h.username.clone())
            .chain(d.audit.iter().map(|a| a.username.clone())),
    )
    .await?;
    let p = d.project;
    let chosen = typed.get("to_stage");
    Ok(ProjectDetailPage {
        chrome: Chrome::new(signed, "projects"),
        total_wan: p.total_investment.wan_grouped(),
        threshold_wan: d.threshold.wan_grouped(),
        responsible: d
            .responsible_units
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        parent_name: d.parent_name,
        children: d.children,
        history: d
            .stage_history
            .iter()
            .map(|h| StageLine {
                on: h.changed_on.to_string(),
                from: h.from_stage.map(|s| s.label()).unwrap_or("—"),
                to: h.to_stage.label(),
                reason: h.reason.clone(),
                by: people.name(&h.username),
            })
            .collect(),
        audit: d
            .audit
            .iter()
            .map(|a| AuditLine {
                at: views::local_time(&a.at),
                by: people.name(&a.username),
                action: keyproj_domain::audit::action_label(&a.action).to_string(),
                ip: a.ip.clone(),
            })
            .collect(),
        can_edit: allowed(signed, Action::EditProject),
        can_stage: allowed(signed, Action::ChangeStage),
        next_stages: allowed_next(p.stage)
            .iter()
            .map(|s| Choice::new(s.key(), s.label(), s.key() == chosen))
            .collect(),
        today: s.app.local_today().to_string(),
        this_year: keyproj_domain::ReportMonth::of(s.app.local_today()).year(),
        last_month: keyproj_domain::ReportMonth::of(s.app.local_today())
            .prev()
            .to_string(),
        errors,
        flash,
        typed,
        p,
    })
}

pub(super) async fn project_detail(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<ProjectId>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let qp = query_pairs(q.as_deref());
    let flash = if qp.get("saved") == "1" {
        Some("已保存".to_string())
    } else if qp.get("staged") == "1" {
        Some("阶段已变更".to_string())
    } else {
        None
    };
    Ok(detail_page(
        &s,
        &signed,
        id,
        ValidationErrors::new(),
        flash,
        FormData::default(),
    )
    .await?
    .into_response())
}

pub(super) async fn project_stage(
    State(s): State<AppState>,
    Path(id): Path<ProjectId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let input = StageChangeInput {
        to_stage: form.get("to_stage"),
        changed_on: form.get("changed_on"),
        reason: form.get("reason"),
        actual_start: form.get("actual_start"),
        actual_completion: form.get("actual_completion"),
    };
    let version = form.edited_version();
    match projects::change_stage(&s.app, &signed.ctx, id, version, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/projects/{id}?staged=1")).into_response()),
        Err(ServiceError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            detail_page(&s, &signed, id, errors, None, form).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
