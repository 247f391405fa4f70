//! Monthly reports: the month's overview (who reported, who has not; page and .xlsx) and one
//! project's report — figures, text and photos in one form, its review, revision and 正当理由.

use crate::AppState;
use crate::auth::{FormData, Posted, PostedWithFiles, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::{allowed, xlsx_response};
use crate::params::Path;
use crate::views::{self, Chrome};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_domain::authz::Action;
use keyproj_domain::ids::{PhotoId, ProjectId, ReportId};
use keyproj_domain::report::{ReportDraft, ReportStatus};
use keyproj_domain::{ReportMonth, ValidationErrors};
use keyproj_service::dispatch::reports::{self as svc, Missing};
use keyproj_service::dispatch::{colour, photos};
use keyproj_service::{ServiceError, projects};

/// A report's status as shown (none: not reported).
fn status_of(s: Option<ReportStatus>) -> (&'static str, &'static str) {
    match s {
        Some(s) => (s.key(), s.label()),
        None => ("missing", "未报"),
    }
}

pub(super) struct MonthLineView {
    project_id: ProjectId,
    code: String,
    name: String,
    category: &'static str,
    lead_unit: String,
    status_key: &'static str,
    status: &'static str,
    amount_wan: String,
    late: bool,
}

/// How many reports of a status.
pub(super) struct StatusCount {
    label: &'static str,
    count: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "dispatch/reports/month.html")]
pub(super) struct MonthPage {
    chrome: Chrome,
    month: ReportMonth,
    month_cn: String,
    due: String,
    lines: Vec<MonthLineView>,
    missing_by_unit: Vec<Missing>,
    counts: Vec<StatusCount>,
    reporter: bool,
    /// Staff may send 催报 to every unit that has not reported.
    can_remind: bool,
    /// Messages also go out through the webhook (SMS/政务微信 gateways).
    pushes: bool,
    flash: Option<String>,
    error: Option<String>,
}

pub(super) async fn month(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    let month = super::month_or_latest(&q, &s, &signed).await?;
    Ok(month_page(&s, &signed, month, None, None)
        .await?
        .into_response())
}

/// The month's reports page, with the outcome of a 催报 when one was just sent.
async fn month_page(
    s: &AppState,
    signed: &Signed,
    month: ReportMonth,
    flash: Option<String>,
    error: Option<String>,
) -> Result<MonthPage, PageError> {
    let o = svc::month_overview(&s.app, &signed.ctx, month).await?;
    let lines: Vec<MonthLineView> = o
        .lines
        .iter()
        .map(|l| {
            let (status_key, status) = status_of(l.report.as_ref().map(|r| r.status));
            MonthLineView {
                project_id: l.line.project_id,
                code: l.line.code.clone().unwrap_or_default(),
                name: l.line.name.clone(),
                category: l.line.plan.category.label(),
                lead_unit: l.line.lead_unit_name.clone().unwrap_or_default(),
                status_key,
                status,
                amount_wan: l
                    .report
                    .as_ref()
                    .map(|r| r.fields.month_investment.wan_2dp())
                    .unwrap_or_default(),
                late: l.late,
            }
        })
        .collect();
    let count = |k: &str| lines.iter().filter(|l| l.status_key == k).count();
    let counts = [
        ("未报", "missing"),
        ("待审核", "submitted"),
        ("已退回", "returned"),
        ("审核通过", "approved"),
    ]
    .into_iter()
    .map(|(label, key)| StatusCount {
        label,
        count: count(key),
    })
    .collect();
    Ok(MonthPage {
        chrome: Chrome::new(signed, "reports"),
        month,
        month_cn: month.chinese(),
        due: keyproj_domain::month::chinese_date(o.due),
        missing_by_unit: o.missing_by_unit,
        counts,
        lines,
        reporter: svc::is_reporter(&signed.ctx),
        // a month that has not begun has nobody to remind
        can_remind: allowed(signed, Action::ReviewReports)
            && month <= ReportMonth::of(s.app.local_today()),
        pushes: s.app.cfg.webhook.is_some(),
        flash,
        error,
    })
}

/// 催报: one message to every owner and lead unit that has not reported the month.
pub(super) async fn remind(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let month =
        ReportMonth::parse("month", "报告月份", &form.get("month")).map_err(ServiceError::from)?;
    // the outcome is shown on the page itself (a link cannot claim reminders that were not sent)
    let (flash, error, status) = match svc::remind_missing(&s.app, &signed.ctx, month).await {
        Ok(r) if r.projects == 0 => (
            Some("本月已全部报送，无需催报".to_string()),
            None,
            StatusCode::OK,
        ),
        Ok(r) => (
            Some(format!(
                "已向{}个单位发出催报（{}个项目未报），对方的待办中会收到提醒{}",
                r.units,
                r.projects,
                if s.app.cfg.webhook.is_some() {
                    "，并经短信/政务微信网关推送"
                } else {
                    ""
                }
            )),
            None,
            StatusCode::OK,
        ),
        Err(ServiceError::Validation(v)) => {
            (None, Some(v.to_string()), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return Err(e.into()),
    };
    Ok((status, month_page(&s, &signed, month, flash, error).await?).into_response())
}

/// Last month's report, shown for reference.
pub(super) struct Previous {
    amount_wan: String,
    progress: String,
    next_plan: String,
}

/// A kept version of a revised report.
pub(super) struct RevisionLine {
    revision: i64,
    amount_wan: String,
    reason: String,
    by: String,
    at: String,
}

/// A photo of the month.
pub(super) struct PhotoLine {
    id: PhotoId,
    size: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dispatch/reports/form.html")]
pub(crate) struct ReportPage {
    chrome: Chrome,
    project_id: ProjectId,
    project_name: String,
    month: ReportMonth,
    month_cn: String,
    due: String,
    late: bool,
    status_key: &'static str,
    status: &'static str,
    return_reason: String,
    report_id: i64,
    version: String,
    draft: ReportDraft,
    prev: Option<Previous>,
    ytd_wan: String,
    since_start_wan: String,
    annual_wan: String,
    can_submit: bool,
    can_review: bool,
    errors: ValidationErrors,
    revisions: Vec<RevisionLine>,
    flash: Option<String>,
    photos: Vec<PhotoLine>,
}

pub(crate) async fn report_page(
    s: &AppState,
    signed: &Signed,
    project_id: ProjectId,
    month: ReportMonth,
    draft: Option<ReportDraft>,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<ReportPage, PageError> {
    let v = svc::report(&s.app, &signed.ctx, project_id, month).await?;
    let people = keyproj_service::account::People::of(
        &s.app,
        v.revisions.iter().map(|r| r.username.clone()),
    )
    .await?;
    let r = v.report.as_ref();
    let status = r.map(|r| r.status);
    let draft = draft.unwrap_or_else(|| match r {
        Some(r) => ReportDraft {
            month_investment_wan: r.fields.month_investment.wan_2dp(),
            progress: r.fields.progress.clone(),
            next_plan: r.fields.next_plan.clone(),
            problems: r.fields.problems.clone(),
        },
        None => ReportDraft::default(),
    });
    let can = |a: Action| projects::can_act(&s.app, &signed.ctx, project_id, a);
    let can_submit = status != Some(ReportStatus::Approved) && can(Action::SubmitReport).await?;
    let can_review = can(Action::ReviewReports).await?;
    let (status_key, status_label) = status_of(status);
    Ok(ReportPage {
        chrome: Chrome::new(signed, "reports"),
        project_id,
        project_name: v.project_name.clone(),
        month,
        month_cn: month.chinese(),
        due: keyproj_domain::month::chinese_date(v.due),
        late: v.late,
        status_key,
        status: status_label,
        return_reason: r.map(|r| r.return_reason.clone()).unwrap_or_default(),
        report_id: r.map(|r| r.id.get()).unwrap_or(0),
        version: r.map(|r| r.version.to_string()).unwrap_or_default(),
        draft,
        prev: v.previous.as_ref().map(|p| Previous {
            amount_wan: p.fields.month_investment.wan_grouped(),
            progress: p.fields.progress.clone(),
            next_plan: p.fields.next_plan.clone(),
        }),
        ytd_wan: v.ytd.wan_grouped(),
        since_start_wan: v.since_start.wan_grouped(),
        annual_wan: v
            .plan
            .as_ref()
            .map(|p| p.fields.annual_plan.wan_grouped())
            .unwrap_or_default(),
        can_submit,
        can_review,
        errors,
        revisions: v
            .revisions
            .iter()
            .map(|x| RevisionLine {
                revision: x.revision,
                amount_wan: x.month_investment.wan_grouped(),
                reason: x.reason.clone(),
                by: people.name(&x.username),
                at: views::local_time(&x.at),
            })
            .collect(),
        flash,
        photos: photos::list(&s.app, &signed.ctx, project_id, month)
            .await?
            .iter()
            .map(|p| PhotoLine {
                id: p.id,
                size: format!("{}×{}", p.width, p.height),
            })
            .collect(),
    })
}

fn report_draft(form: &FormData) -> ReportDraft {
    ReportDraft {
        month_investment_wan: form.get("month_investment_wan"),
        progress: form.get("progress"),
        next_plan: form.get("next_plan"),
        problems: form.get("problems"),
    }
}

fn parse_month(m: &str) -> Result<ReportMonth, PageError> {
    ReportMonth::parse("month", "月份", m).map_err(|_| PageError(ServiceError::NotFound))
}

pub(super) async fn form(
    State(s): State<AppState>,
    signed: Signed,
    Path((project_id, month)): Path<(ProjectId, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let month = parse_month(&month)?;
    let flash = match query_pairs(q.as_deref()).value("done") {
        "submitted" => Some("已报送，等待中心审核".to_string()),
        "approved" => Some("已审核通过".into()),
        "returned" => Some("已退回".into()),
        "revised" => Some("已修订，原数据已留存".into()),
        "exempt" => Some("已登记正当理由，本月不评色".into()),
        "photo" => Some("照片已上传".into()),
        _ => None,
    };
    Ok(report_page(
        &s,
        &signed,
        project_id,
        month,
        None,
        ValidationErrors::new(),
        flash,
    )
    .await?
    .into_response())
}

/// The report form: figures, text and photos in one form, so that uploading a photo never
/// loses what was typed. A chosen photo is uploaded first, whichever button was pressed; "上传照片"
/// only uploads and shows the form again with everything typed still in it.
pub(super) async fn submit(
    State(s): State<AppState>,
    Path((project_id, month)): Path<(ProjectId, String)>,
    PostedWithFiles {
        signed,
        form,
        files,
    }: PostedWithFiles,
) -> Result<Response, PageError> {
    let month = parse_month(&month)?;
    let draft = report_draft(&form);
    let again = |errors: ValidationErrors, flash: Option<String>| {
        let draft = draft.clone();
        let (s, signed) = (&s, &signed);
        async move {
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok::<Response, PageError>(
                (
                    status,
                    report_page(s, signed, project_id, month, Some(draft), errors, flash).await?,
                )
                    .into_response(),
            )
        }
    };
    let uploads: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter(|f| f.field == "photo")
        .map(|f| (f.file_name, f.bytes))
        .collect();
    let uploaded = if uploads.is_empty() {
        0
    } else {
        match photos::upload_all(&s.app, &signed.ctx, project_id, month, &uploads).await {
            Ok(n) => n,
            Err(ServiceError::Validation(v)) => return again(v, None).await,
            Err(e) => return Err(e.into()),
        }
    };
    let op = form.value("op");
    // a wrong photo deleted from the report form: what is typed above stays in the form
    if let Some(photo) = op.strip_prefix("delete-photo-") {
        let id = photo
            .parse::<i64>()
            .map(PhotoId)
            .map_err(|_| ServiceError::NotFound)?;
        return match photos::delete(&s.app, &signed.ctx, project_id, month, id).await {
            Ok(()) => {
                again(
                    ValidationErrors::new(),
                    Some("照片已删除。上方填写的内容保持不变，如有改动请点击“报送”".into()),
                )
                .await
            }
            Err(ServiceError::Validation(v)) => again(v, None).await,
            Err(e) => Err(e.into()),
        };
    }
    if op == "photo" {
        if uploaded == 0 {
            return again(
                ValidationErrors::single("photo", "required", "请先选择照片"),
                None,
            )
            .await;
        }
        return again(
            ValidationErrors::new(),
            Some("照片已上传。上方填写的内容尚未报送，请核对后点击“报送”".into()),
        )
        .await;
    }
    if op == "approve" {
        let stored = svc::report(&s.app, &signed.ctx, project_id, month).await?;
        if let Some(r) = stored.report.as_ref()
            && !draft.shows(&r.fields)
        {
            return again(
                ValidationErrors::single(
                    "month_investment_wan",
                    "changed_on_approval",
                    "您改动了填报内容，但“审核通过”只确认报送的原数据：要改数据，请先退回，或审核通过后用“按上方数据修订”并填写原因",
                ),
                None,
            )
            .await;
        }
    }
    let version = form.version();
    let report_id = form.typed::<ReportId>("report_id").unwrap_or(ReportId(-1));
    let r = match op {
        "approve" | "return" => svc::review(
            &s.app,
            &signed.ctx,
            report_id,
            version.unwrap_or(-1),
            op == "approve",
            &form.get("reason"),
        )
        .await
        .map(|_| {
            if op == "approve" {
                "approved"
            } else {
                "returned"
            }
        }),
        "revise" => svc::revise(
            &s.app,
            &signed.ctx,
            report_id,
            version.unwrap_or(-1),
            &draft,
            &form.get("reason"),
        )
        .await
        .map(|_| "revised"),
        "exempt" => colour::exempt(&s.app, &signed.ctx, project_id, month, &form.get("reason"))
            .await
            .map(|_| "exempt"),
        "submit" | "" => svc::submit(&s.app, &signed.ctx, project_id, month, version, &draft)
            .await
            .map(|_| "submitted"),
        _ => Err(ServiceError::Validation(ValidationErrors::single(
            "op",
            "unknown",
            "无法识别的操作，请使用页面上的按钮提交",
        ))),
    };
    match r {
        Ok(done) => {
            Ok(Redirect::to(&format!("/reports/{project_id}/{month}?done={done}")).into_response())
        }
        Err(ServiceError::Validation(v)) => again(v, None).await,
        // sent twice, or changed meanwhile: what was typed is shown again with the stored state
        Err(ServiceError::Stale) => {
            again(
                ValidationErrors::single(
                    "version",
                    "stale",
                    "该月报刚刚已被更新（可能是重复提交或他人已处理），页面已刷新为最新状态；下面保留了您填写的内容，请核对后再提交",
                ),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// A photo (or its thumbnail) for a person who may see the project.
pub(super) async fn photo(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<PhotoId>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let thumb = query_pairs(q.as_deref()).value("thumb") == "1";
    let bytes = photos::read(&s.app, &signed.ctx, id, thumb).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}

/// The month's reports as .xlsx (status, amounts, who has not reported).
pub(super) async fn month_xlsx(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let month = super::month_or_latest(&query_pairs(q.as_deref()), &s, &signed).await?;
    let o = svc::month_overview(&s.app, &signed.ctx, month).await?;
    let file = keyproj_service::exports::month_reports_xlsx(&signed.ctx.actor.region, &o)?;
    projects::record_export(&s.app, &signed.ctx, "monthly_reports", o.lines.len()).await?;
    Ok(xlsx_response(&file.name, file.bytes))
}
