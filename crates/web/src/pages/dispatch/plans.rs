//! The year's plan: the list with totals per category (page and .xlsx), one project's entry
//! with its monthly split and milestones, copying last year forward and adopting the year.

use super::year_of;
use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::{ConfirmPage, allowed, xlsx_response};
use crate::params::Path;
use crate::views::{self, Choice, Chrome, choices};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_domain::authz::Action;
use keyproj_domain::ids::ProjectId;
use keyproj_domain::plan::{MilestoneDraft, PlanDraft, YearCategory};
use keyproj_domain::{Money, ValidationErrors};
use keyproj_service::dispatch::plans::{self as svc, PlanSubmission};
use keyproj_service::{ServiceError, projects};

pub(super) struct PlanListLine {
    seq: usize,
    project_id: ProjectId,
    code: String,
    name: String,
    category: &'static str,
    annual_wan: String,
    total_wan: String,
    targets: String,
    leader: String,
    lead_unit: String,
}

/// How many entries of a category, and their annual plan.
pub(super) struct CategoryTotal {
    label: &'static str,
    count: usize,
    annual_wan: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dispatch/plans/list.html")]
pub(super) struct PlanListPage {
    chrome: Chrome,
    year: i32,
    frozen: bool,
    frozen_by: String,
    lines: Vec<PlanListLine>,
    totals: Vec<CategoryTotal>,
    can_manage: bool,
    flash: Option<String>,
    error: Option<String>,
}

async fn list_page(
    s: &AppState,
    signed: &Signed,
    year: i32,
    flash: Option<String>,
    error: Option<String>,
) -> Result<PlanListPage, PageError> {
    let y = svc::year_plan(&s.app, &signed.ctx, year).await?;
    let people = keyproj_service::account::People::of(&s.app, [y.frozen_by.clone()]).await?;
    let totals = YearCategory::ALL
        .iter()
        .map(|c| {
            let ls: Vec<_> = y.lines.iter().filter(|l| l.plan.category == *c).collect();
            CategoryTotal {
                label: c.label(),
                count: ls.len(),
                annual_wan: ls
                    .iter()
                    .map(|l| l.plan.annual_plan)
                    .sum::<Money>()
                    .wan_grouped(),
            }
        })
        .collect();
    Ok(PlanListPage {
        chrome: Chrome::new(signed, "plans"),
        year,
        frozen: y.frozen,
        frozen_by: people.name(&y.frozen_by),
        lines: y
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| PlanListLine {
                seq: i + 1,
                project_id: l.project_id,
                code: l.code.clone().unwrap_or_default(),
                name: l.name.clone(),
                category: l.plan.category.label(),
                annual_wan: l.plan.annual_plan.wan_grouped(),
                total_wan: l.total_investment.wan_grouped(),
                targets: l.plan.targets.clone(),
                leader: l.leader_name.clone().unwrap_or_default(),
                lead_unit: l.lead_unit_name.clone().unwrap_or_default(),
            })
            .collect(),
        totals,
        can_manage: allowed(signed, Action::ManagePlans),
        flash,
        error,
    })
}

pub(super) async fn list(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    let flash = match q.value("done") {
        "copied" => Some(format!("已结转{}条计划", q.get("n"))),
        "frozen" => Some("年度计划已下达（冻结），此后修改须填写原因并留存修订记录".into()),
        _ => None,
    };
    let year = super::year_or_latest(&q, &s, &signed).await?;
    Ok(list_page(&s, &signed, year, flash, None)
        .await?
        .into_response())
}

pub(super) async fn year_op(
    State(s): State<AppState>,
    Path(op): Path<String>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let year = year_of(&form, &s)?;
    if op == "freeze"
        && let Some(ask) = ConfirmPage::unless_confirmed(
            &signed,
            &form,
            "/plans/op/freeze",
            &format!("确认下达{year}年度计划"),
            vec![format!(
                "下达后{year}年度计划冻结：此后每一处修改都须填写原因，并作为修订记录留存。"
            )],
            "确认下达",
            &format!("/plans?year={year}"),
        )
    {
        return Ok(ask);
    }
    let r = match op.as_str() {
        "copy" => svc::copy_forward(&s.app, &signed.ctx, year - 1, year)
            .await
            .map(|n| format!("/plans?year={year}&done=copied&n={n}")),
        "freeze" => svc::freeze(&s.app, &signed.ctx, year)
            .await
            .map(|_| format!("/plans?year={year}&done=frozen")),
        _ => return Err(ServiceError::NotFound.into()),
    };
    match r {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            list_page(&s, &signed, year, None, Some(v.to_string())).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// One month's planned amount as typed, with its error.
pub(super) struct MonthField {
    name: String,
    label: String,
    value: String,
    error: Option<String>,
}

/// A milestone row of the form.
#[derive(Default)]
pub(super) struct MilestoneField {
    name: String,
    planned: String,
    actual: String,
}

/// A revision of an adopted plan.
pub(super) struct RevisionLine {
    at: String,
    by: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dispatch/plans/form.html")]
pub(super) struct PlanFormPage {
    chrome: Chrome,
    project_id: ProjectId,
    project_name: String,
    year: i32,
    version: String,
    frozen: bool,
    categories: Vec<Choice>,
    annual: String,
    targets: String,
    months: Vec<MonthField>,
    milestones: Vec<MilestoneField>,
    reason: String,
    errors: ValidationErrors,
    revisions: Vec<RevisionLine>,
    can_manage: bool,
}

/// Milestone rows on the form.
const MILESTONE_ROWS: usize = 6;

/// A plan year in a path: outside the supported years the page does not exist.
fn plan_year(year: i32) -> Result<(), PageError> {
    if (keyproj_domain::month::MIN_YEAR..=keyproj_domain::month::MAX_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(ServiceError::NotFound.into())
    }
}

fn submission(form: &FormData) -> PlanSubmission {
    PlanSubmission {
        version: form.version(),
        draft: PlanDraft {
            category: form.get("category"),
            annual_plan_wan: form.get("annual_plan_wan"),
            targets: form.get("targets"),
            monthly_wan: (1..=12).map(|i| form.get(&format!("month_{i}"))).collect(),
        },
        milestones: Some(
            (1..=MILESTONE_ROWS)
                .map(|i| MilestoneDraft {
                    name: form.get(&format!("ms_name_{i}")),
                    planned_month: form.get(&format!("ms_planned_{i}")),
                    actual_month: form.get(&format!("ms_actual_{i}")),
                })
                .collect(),
        ),
        reason: form.get("reason"),
    }
}

async fn form_page(
    s: &AppState,
    signed: &Signed,
    project_id: ProjectId,
    year: i32,
    sub: Option<&PlanSubmission>,
    errors: ValidationErrors,
) -> Result<PlanFormPage, PageError> {
    let d = svc::plan(&s.app, &signed.ctx, project_id, year).await?;
    let people = keyproj_service::account::People::of(
        &s.app,
        d.revisions.iter().map(|r| r.username.clone()),
    )
    .await?;
    let p = projects::get(&s.app, &signed.ctx, project_id).await?;
    let sub = match sub {
        Some(x) => x.clone(),
        None => {
            let stored = d.plan.as_ref().map(|p| &p.fields);
            PlanSubmission {
                version: d.plan.as_ref().map(|p| p.version),
                draft: PlanDraft {
                    category: stored
                        .map(|f| f.category)
                        .unwrap_or_else(|| svc::category_for_stage(p.project.stage))
                        .key()
                        .into(),
                    annual_plan_wan: stored.map(|f| f.annual_plan.wan_2dp()).unwrap_or_default(),
                    targets: stored.map(|f| f.targets.clone()).unwrap_or_default(),
                    monthly_wan: stored
                        .map(|f| f.monthly.iter().map(|m| m.wan_2dp()).collect())
                        .unwrap_or_default(),
                },
                milestones: Some(
                    d.milestones
                        .iter()
                        .map(|m| MilestoneDraft {
                            name: m.name.clone(),
                            planned_month: m.planned_month.to_string(),
                            actual_month: views::shown(&m.actual_month),
                        })
                        .collect(),
                ),
                reason: String::new(),
            }
        }
    };
    let mut milestones: Vec<MilestoneField> = sub
        .milestones
        .iter()
        .flatten()
        .filter(|m| !(m.name.is_empty() && m.planned_month.is_empty() && m.actual_month.is_empty()))
        .map(|m| MilestoneField {
            name: m.name.clone(),
            planned: m.planned_month.clone(),
            actual: m.actual_month.clone(),
        })
        .collect();
    while milestones.len() < MILESTONE_ROWS {
        milestones.push(MilestoneField::default());
    }
    Ok(PlanFormPage {
        chrome: Chrome::new(signed, "plans"),
        project_id,
        project_name: p.project.name,
        year,
        version: views::shown(&sub.version),
        frozen: d.frozen,
        categories: choices::<YearCategory>(&sub.draft.category),
        annual: sub.draft.annual_plan_wan.clone(),
        targets: sub.draft.targets.clone(),
        months: (1..=12)
            .map(|i| {
                let name = format!("month_{i}");
                MonthField {
                    error: errors.for_field(&name).map(String::from),
                    name,
                    label: format!("{i}月"),
                    value: sub
                        .draft
                        .monthly_wan
                        .get(i - 1)
                        .cloned()
                        .unwrap_or_default(),
                }
            })
            .collect(),
        milestones,
        reason: sub.reason.clone(),
        revisions: d
            .revisions
            .iter()
            .map(|r| RevisionLine {
                at: views::local_time(&r.at),
                by: people.name(&r.username),
                reason: r.reason.clone(),
            })
            .collect(),
        can_manage: allowed(signed, Action::ManagePlans),
        errors,
    })
}

pub(super) async fn edit(
    State(s): State<AppState>,
    signed: Signed,
    Path((project_id, year)): Path<(ProjectId, i32)>,
) -> Result<Response, PageError> {
    plan_year(year)?;
    Ok(
        form_page(&s, &signed, project_id, year, None, ValidationErrors::new())
            .await?
            .into_response(),
    )
}

pub(super) async fn save(
    State(s): State<AppState>,
    Path((project_id, year)): Path<(ProjectId, i32)>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    plan_year(year)?;
    let sub = submission(&form);
    match svc::save_plan(&s.app, &signed.ctx, project_id, year, &sub).await {
        Ok(_) => Ok(Redirect::to(&format!("/plans?year={year}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&s, &signed, project_id, year, Some(&sub), v).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// The year's plan as .xlsx.
pub(super) async fn xlsx(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let year = super::year_or_latest(&query_pairs(q.as_deref()), &s, &signed).await?;
    let y = svc::year_plan(&s.app, &signed.ctx, year).await?;
    let file = keyproj_service::exports::year_plan_xlsx(&signed.ctx.actor.region, &y)?;
    projects::record_export(&s.app, &signed.ctx, "plan_year", y.lines.len()).await?;
    Ok(xlsx_response(&file.name, file.bytes))
}
