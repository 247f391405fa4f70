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
    colours: Vec<ColourOfIssue>,
    reports: Vec<ReportOfMonth>,
    plan: Option<PlanBlock>,
    problems: Vec<ProblemLine>,
    open_problems: usize,
    /// Where its approvals stand (帮代办; internal, for those who see approval items).
    strip: Option<crate::pages::pipeline::approvals::Strip>,
}

/// The project's colour in one published issue.
pub(super) struct ColourOfIssue {
    issue_id: keyproj_domain::ids::IssueId,
    label: String,
    as_of: String,
    completion: String,
    colour_key: &'static str,
    colour: &'static str,
    reasons: String,
}

/// One monthly report of the project.
pub(super) struct ReportOfMonth {
    month: String,
    month_cn: String,
    status_key: &'static str,
    status: &'static str,
    amount_wan: String,
    progress: String,
}

/// 一个方案: the plan of the latest planned year and its milestones.
pub(super) struct PlanBlock {
    year: i32,
    category: &'static str,
    annual_wan: String,
    targets: String,
    milestones: Vec<(String, String, String)>,
}

/// One problem item of the project.
pub(super) struct ProblemLine {
    id: keyproj_domain::ids::ItemId,
    number: String,
    title: String,
    state_key: &'static str,
    state: &'static str,
    handler: String,
    deadline: String,
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
    let pct = |bp: i64| format!("{}%", keyproj_domain::colour::bp_percent(bp));
    let colours = d
        .colours
        .iter()
        .map(|c| ColourOfIssue {
            issue_id: c.issue_id,
            label: format!("{}年第{}期", c.year, c.number),
            as_of: c.as_of_month.chinese(),
            completion: c.completion_bp.map(pct).unwrap_or_default(),
            colour_key: c.colour.key(),
            colour: c.colour.label(),
            reasons: c.reasons.clone(),
        })
        .collect();
    let reports = d
        .reports
        .iter()
        .take(24)
        .map(|r| ReportOfMonth {
            month: r.month.to_string(),
            month_cn: r.month.chinese(),
            status_key: r.status.key(),
            status: r.status.label(),
            amount_wan: r.fields.month_investment.wan_grouped(),
            progress: r.fields.progress.clone(),
        })
        .collect();
    let plan = d.plan.as_ref().map(|(plan, ms)| PlanBlock {
        year: plan.year,
        category: plan.fields.category.label(),
        annual_wan: plan.fields.annual_plan.wan_grouped(),
        targets: plan.fields.targets.clone(),
        milestones: ms
            .iter()
            .map(|m| {
                (
                    m.name.clone(),
                    m.planned_month.chinese(),
                    m.actual_month
                        .map(|a| a.chinese())
                        .unwrap_or_else(|| "未完成".into()),
                )
            })
            .collect(),
    });
    let open_problems = d.problems.iter().filter(|i| i.state.is_open()).count();
    let problems = d
        .problems
        .iter()
        .map(|i| ProblemLine {
            id: i.id,
            number: i.number.clone(),
            title: i.title.clone(),
            state_key: i.state.key(),
            state: i.state.label(),
            handler: i.handler_unit_name.clone().unwrap_or_default(),
            deadline: i
                .deadline
                .map(keyproj_domain::month::chinese_date)
                .unwrap_or_default(),
        })
        .collect();
    Ok(ProjectDetailPage {
        colours,
        reports,
        plan,
        problems,
        open_problems,
        strip: keyproj_service::pipeline::approvals::progress(&s.app, &signed.ctx, id)
            .await?
            .map(|p| crate::pages::pipeline::approvals::Strip::of(&p)),
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
                ip: views::ip_shown(&a.ip),
            })
            .collect(),
        can_edit: allowed(signed, Action::EditProject),
        can_stage: allowed(signed, Action::ChangeStage),
        next_stages: allowed_next(p.stage)
            .iter()
            .map(|s| Choice::new(s.key(), s.label(), s.key() == chosen))
            .collect(),
        today: s.app.local_today().to_string(),
        // the buttons open what has data: the latest plan and the latest report
        this_year: d
            .plan
            .as_ref()
            .map(|(pl, _)| pl.year)
            .unwrap_or_else(|| keyproj_domain::ReportMonth::of(s.app.local_today()).year()),
        last_month: d
            .reports
            .first()
            .map(|r| r.month)
            .unwrap_or_else(|| keyproj_domain::ReportMonth::of(s.app.local_today()).prev())
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
