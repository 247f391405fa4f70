//! The colour table: the computed preview (center staff), publishing it as a numbered frozen
//! issue (after confirmation; a correction names the issue it corrects), the published issues
//! (page and official .xlsx) and the year's rules with their versions.

use super::{month_of, year_of};
use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::{ConfirmPage, allowed, xlsx_response};
use crate::params::Path;
use crate::views::{self, Choice, Chrome};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_db::repo::dispatch::colour::IssueLine;
use keyproj_domain::authz::Action;
use keyproj_domain::colour::{Colour, RulesDraft, bp_percent};
use keyproj_domain::ids::IssueId;
use keyproj_domain::{ReportMonth, ValidationErrors};
use keyproj_service::dispatch::colour as svc;
use keyproj_service::{ServiceError, projects};

/// One line of a colour table as shown.
pub(crate) struct ColourLine {
    pub seq: i64,
    pub group: String,
    pub name: String,
    pub content: String,
    pub total_wan: String,
    pub annual_wan: String,
    pub done_wan: String,
    pub completion: String,
    pub baseline: String,
    pub progress: String,
    pub leader: String,
    pub lead_unit: String,
    pub responsible: String,
    pub colour_key: &'static str,
    pub colour: &'static str,
    pub reasons: String,
    /// Set on the first row of a new 年度类别/级别 group.
    pub group_start: bool,
}

pub(crate) fn colour_lines(rows: &[IssueLine]) -> Vec<ColourLine> {
    let mut last = String::new();
    rows.iter()
        .map(|r| {
            let group = format!("{}项目（{}）", r.category.label(), r.level.label());
            let start = group != last;
            last = group.clone();
            ColourLine {
                seq: r.seq,
                group,
                name: r.name.clone(),
                content: r.content_scale.clone(),
                total_wan: r.total_investment.wan_grouped(),
                annual_wan: r.annual_plan.wan_grouped(),
                done_wan: r.completed_ytd.wan_grouped(),
                completion: r
                    .completion_bp
                    .map(|p| format!("{}%", bp_percent(p)))
                    .unwrap_or_default(),
                baseline: format!("{}%", bp_percent(r.baseline_bp)),
                progress: r.progress.clone(),
                leader: r.leader_name.clone(),
                lead_unit: r.lead_unit_name.clone(),
                responsible: r.responsible_units.clone(),
                colour_key: r.colour.key(),
                colour: r.colour.label(),
                reasons: r.reasons.clone(),
                group_start: start,
            }
        })
        .collect()
}

/// How many projects of a colour.
pub(crate) struct ColourCount {
    pub key: &'static str,
    pub label: &'static str,
    pub count: usize,
}

/// Projects per colour; 蓝 and 免评 only when there are any.
pub(crate) fn colour_counts(rows: &[IssueLine]) -> Vec<ColourCount> {
    [
        Colour::Red,
        Colour::Yellow,
        Colour::Green,
        Colour::Blue,
        Colour::Exempt,
    ]
    .iter()
    .map(|c| ColourCount {
        key: c.key(),
        label: c.label(),
        count: rows.iter().filter(|r| r.colour == *c).count(),
    })
    .filter(|c| c.count > 0 || !matches!(c.key, "blue" | "exempt"))
    .collect()
}

/// A published issue in a list.
pub(super) struct IssueRef {
    id: IssueId,
    label: String,
    month: ReportMonth,
    published: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dispatch/colour/preview.html")]
pub(super) struct ColourPreviewPage {
    chrome: Chrome,
    month: ReportMonth,
    month_cn: String,
    lines: Vec<ColourLine>,
    counts: Vec<ColourCount>,
    rules_note: String,
    issues: Vec<IssueRef>,
    /// Issues of this month, which a new issue may correct.
    corrigible: Vec<Choice>,
    /// "2026年第1期" when this month is already published.
    published_as: Option<String>,
    note: String,
    errors: ValidationErrors,
    can_publish: bool,
    /// The preview fills only the 评价 cell.
    fill_row: bool,
}

async fn preview_page(
    s: &AppState,
    signed: &Signed,
    month: ReportMonth,
    errors: ValidationErrors,
    typed: &FormData,
) -> Result<ColourPreviewPage, PageError> {
    if !allowed(signed, Action::ViewProject) {
        return Err(ServiceError::Forbidden.into());
    }
    let can_publish = allowed(signed, Action::PublishColour);
    // Others see the published issues only: the unpublished table is the center's work.
    let t = if can_publish {
        Some(svc::preview(&s.app, &signed.ctx, month).await?)
    } else {
        None
    };
    let rows = t.as_ref().map(|t| t.rows.clone()).unwrap_or_default();
    let issues = svc::issues(&s.app, &signed.info.actor.region).await?;
    let of_month: Vec<_> = issues.iter().filter(|i| i.as_of_month == month).collect();
    let chosen = typed.typed::<IssueId>("corrects");
    let label = |year: i32, number: i64| format!("{year}年第{number}期");
    Ok(ColourPreviewPage {
        corrigible: of_month
            .iter()
            .map(|i| Choice::new(i.id, label(i.year, i.number), chosen == Some(i.id)))
            .collect(),
        published_as: of_month.first().map(|i| label(i.year, i.number)),
        note: typed.get("note"),
        chrome: Chrome::new(signed, "colour"),
        month,
        month_cn: month.chinese(),
        counts: colour_counts(&rows),
        lines: colour_lines(&rows),
        rules_note: match t.as_ref().map(|t| t.rules_id) {
            Some(Some(_)) => "按本年度已保存的分色规则计算".into(),
            Some(None) => "本年度未另行设定分色规则，按默认规则（序时=月份÷12；落后20个百分点以内为黄，超过为红）计算".into(),
            None => String::new(),
        },
        issues: issues
            .iter()
            .map(|i| IssueRef {
                id: i.id,
                label: label(i.year, i.number),
                month: i.as_of_month,
                published: views::local_time(&i.published_at),
            })
            .collect(),
        errors,
        can_publish,
        fill_row: false,
    })
}

pub(super) async fn preview(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    let month = super::month_or_latest(&q, &s, &signed).await?;
    Ok(preview_page(
        &s,
        &signed,
        month,
        ValidationErrors::new(),
        &FormData::default(),
    )
    .await?
    .into_response())
}

pub(super) async fn publish(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let month = month_of(&form, &s)?;
    let corrects = form.typed::<IssueId>("corrects");
    if ConfirmPage::going_back(&form) {
        return Ok(
            preview_page(&s, &signed, month, ValidationErrors::new(), &form)
                .await?
                .into_response(),
        );
    }
    let region = &signed.info.actor.region;
    let next = svc::next_number(&s.app, region, month.year()).await?;
    let mut lines = vec![format!(
        "截至{}的进度分色表将发布为{}年第{next}期。",
        month.chinese(),
        month.year()
    )];
    if let Some(c) = corrects {
        let old = svc::issues(&s.app, region)
            .await?
            .into_iter()
            .find(|i| i.id == c)
            .map(|i| format!("{}年第{}期", i.year, i.number))
            .unwrap_or_else(|| "所选期次".into());
        lines.push(format!(
            "本期更正{old}：原期次保留不变，新一期注明所更正的期次。说明：{}",
            form.get("note").trim()
        ));
    }
    lines.push("发布后本期冻结，不能修改；公众挂图展示将显示本期。".into());
    if let Some(ask) = ConfirmPage::unless_confirmed(
        &signed,
        &form,
        "/colour/publish",
        "确认发布进度分色表",
        lines,
        "确认发布",
        &format!("/colour?month={month}"),
    ) {
        return Ok(ask);
    }
    match svc::publish(&s.app, &signed.ctx, month, corrects, &form.get("note")).await {
        Ok(p) => Ok(Redirect::to(&format!("/colour/issues/{}", p.id)).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            preview_page(&s, &signed, month, v, &form).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dispatch/colour/issue.html")]
pub(super) struct IssuePage {
    chrome: Chrome,
    id: IssueId,
    title: String,
    as_of: String,
    published: String,
    note: String,
    corrects: Option<i64>,
    lines: Vec<ColourLine>,
    counts: Vec<ColourCount>,
    /// `?fill=row` colours the whole row in print and on screen; else only the 评价 cell.
    fill_row: bool,
}

pub(super) async fn issue(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<IssueId>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ViewProject) {
        return Err(ServiceError::NotFound.into());
    }
    let i = svc::issue(&s.app, &signed.info.actor.region, id).await?;
    Ok(IssuePage {
        fill_row: query_pairs(q.as_deref()).get("fill") == "row",
        chrome: Chrome::new(&signed, "colour"),
        id,
        as_of: i.issue.as_of_month.chinese(),
        published: views::local_time(&i.issue.published_at),
        note: i.issue.note.clone(),
        corrects: i.corrects_number,
        counts: colour_counts(&i.rows),
        lines: colour_lines(&i.rows),
        title: i.title,
    }
    .into_response())
}

pub(super) async fn issue_xlsx(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<IssueId>,
) -> Result<Response, PageError> {
    let i = exported_issue(&s, &signed, id).await?;
    let file = keyproj_service::exports::colour_issue_xlsx(&i)?;
    Ok(xlsx_response(&file.name, file.bytes))
}

/// The published issue as PDF (A3 landscape), made by LibreOffice from the official .xlsx.
pub(super) async fn issue_pdf(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<IssueId>,
) -> Result<Response, PageError> {
    let i = exported_issue(&s, &signed, id).await?;
    let file = keyproj_service::exports::colour_issue_pdf(&s.app, &i).await?;
    Ok(crate::pages::pdf_response(&file.name, file.bytes))
}

/// A published issue the person may see, its export recorded (.xlsx or PDF alike).
async fn exported_issue(
    s: &AppState,
    signed: &Signed,
    id: IssueId,
) -> Result<svc::Issue, PageError> {
    if !allowed(signed, Action::ViewProject) {
        return Err(ServiceError::NotFound.into());
    }
    let i = svc::issue(&s.app, &signed.info.actor.region, id).await?;
    projects::record_export(&s.app, &signed.ctx, "colour_issue", i.rows.len()).await?;
    Ok(i)
}

/// A stored version of the rules.
pub(super) struct RulesVersion {
    version: i64,
    at: String,
    by: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dispatch/colour/rules.html")]
pub(super) struct RulesPage {
    chrome: Chrome,
    year: i32,
    d: RulesDraft,
    deadline_day: String,
    reason: String,
    errors: ValidationErrors,
    history: Vec<RulesVersion>,
    can_edit: bool,
    flash: Option<String>,
}

/// The rules form as typed: the rules, the deadline day and the reason.
struct TypedRules {
    draft: RulesDraft,
    deadline_day: String,
    reason: String,
}

async fn rules_page(
    s: &AppState,
    signed: &Signed,
    year: i32,
    typed: Option<TypedRules>,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<RulesPage, PageError> {
    let in_force = svc::rules_for(&s.app, &signed.info.actor.region, year).await?;
    let history = svc::rules_history(&s.app, &signed.ctx, year).await?;
    let people =
        keyproj_service::account::People::of(&s.app, history.iter().map(|h| h.username.clone()))
            .await?;
    let t = typed.unwrap_or_else(|| TypedRules {
        draft: RulesDraft::from_rules(&in_force.rules),
        deadline_day: in_force.deadline_day.to_string(),
        reason: String::new(),
    });
    Ok(RulesPage {
        chrome: Chrome::new(signed, "colour"),
        year,
        d: t.draft,
        deadline_day: t.deadline_day,
        reason: t.reason,
        errors,
        history: history
            .iter()
            .map(|h| RulesVersion {
                version: h.version_no,
                at: views::local_time(&h.created_at),
                by: people.name(&h.username),
                reason: h.reason.clone(),
            })
            .collect(),
        can_edit: allowed(signed, Action::PublishColour),
        flash,
    })
}

pub(super) async fn rules(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    let flash = (q.value("saved") == "1").then(|| "分色规则已保存为新版本".to_string());
    Ok(rules_page(
        &s,
        &signed,
        year_of(&q, &s)?,
        None,
        ValidationErrors::new(),
        flash,
    )
    .await?
    .into_response())
}

fn rules_draft(form: &FormData) -> RulesDraft {
    RulesDraft {
        baseline: form.get("baseline"),
        coefficient: form.get("coefficient"),
        gap: form.get("gap"),
        yellow_within: form.get("yellow_within"),
        blue_ahead: form.get("blue_ahead"),
        start_yellow_months: form.get("start_yellow_months"),
        start_red_months: form.get("start_red_months"),
        milestone_yellow_months: form.get("milestone_yellow_months"),
        milestone_red_months: form.get("milestone_red_months"),
        missing_report: form.get("missing_report"),
        late_report: form.get("late_report"),
        escalate_after_yellows: form.get("escalate_after_yellows"),
    }
}

pub(super) async fn rules_save(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let year = year_of(&form, &s)?;
    let d = rules_draft(&form);
    match svc::save_rules(
        &s.app,
        &signed.ctx,
        year,
        &d,
        &form.get("deadline_day"),
        &form.get("reason"),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/colour/rules?year={year}&saved=1")).into_response()),
        Err(ServiceError::Validation(v)) => {
            let typed = TypedRules {
                draft: d,
                deadline_day: form.get("deadline_day"),
                reason: form.get("reason"),
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                rules_page(&s, &signed, year, Some(typed), v, None).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
