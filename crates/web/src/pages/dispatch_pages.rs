//! Monthly dispatch pages: the year's plan, monthly reports and their review, the colour
//! table (preview, publish, issues, rules) and the annual figures.

use super::*;
use keyproj_db::repo::dispatch::IssueLine;
use keyproj_domain::ReportMonth;
use keyproj_domain::colour::{Colour, RulesDraft, bp_percent};
use keyproj_domain::plan::{MilestoneDraft, PlanDraft, YearCategory};
use keyproj_domain::report::{ReportDraft, ReportStatus};
use keyproj_service::{colour, dispatch, stats};

fn this_year(s: &AppState) -> i32 {
    s.app
        .local_today()
        .format("%Y")
        .to_string()
        .parse()
        .unwrap_or(2022)
}

fn year_of(q: &FormData, s: &AppState) -> i32 {
    q.get("year")
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| this_year(s))
}

/// The month in the query, else last month (reports are made for the month just ended).
fn month_of(q: &FormData, s: &AppState) -> ReportMonth {
    ReportMonth::parse("month", "月份", &q.get("month"))
        .unwrap_or_else(|_| ReportMonth::of(s.app.local_today()).prev())
}

fn wan(fen: i64) -> String {
    views::wan(fen)
}

fn category_label(k: &str) -> &'static str {
    YearCategory::from_key(k).map(|c| c.label()).unwrap_or("")
}

fn status_label(k: &str) -> &'static str {
    ReportStatus::from_key(k).map(|s| s.label()).unwrap_or("")
}

// --- the year's plan ---------------------------------------------------------------------

pub(super) struct PlanListLine {
    seq: usize,
    project_id: i64,
    code: String,
    name: String,
    category: &'static str,
    annual_wan: String,
    total_wan: String,
    targets: String,
    leader: String,
    lead_unit: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "plans/list.html")]
pub(super) struct PlanListPage {
    chrome: Chrome,
    year: i32,
    frozen: bool,
    frozen_by: String,
    lines: Vec<PlanListLine>,
    /// (category label, count, 万元)
    totals: Vec<(&'static str, usize, String)>,
    can_manage: bool,
    flash: Option<String>,
    error: Option<String>,
}

async fn plan_list_render(
    s: &AppState,
    signed: &Signed,
    year: i32,
    flash: Option<String>,
    error: Option<String>,
) -> Result<PlanListPage, PageError> {
    let y = dispatch::year_plan(&s.app, &signed.ctx, year).await?;
    let totals = YearCategory::ALL
        .iter()
        .map(|c| {
            let ls: Vec<_> = y.lines.iter().filter(|l| l.category == c.key()).collect();
            (
                c.label(),
                ls.len(),
                wan(ls.iter().map(|l| l.annual_plan_fen).sum()),
            )
        })
        .collect();
    Ok(PlanListPage {
        chrome: Chrome::new(signed, "plans"),
        year,
        frozen: y.frozen,
        frozen_by: y.frozen_by,
        lines: y
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| PlanListLine {
                seq: i + 1,
                project_id: l.project_id,
                code: l.code.clone().unwrap_or_default(),
                name: l.name.clone(),
                category: category_label(&l.category),
                annual_wan: wan(l.annual_plan_fen),
                total_wan: wan(l.total_investment_fen),
                targets: l.targets.clone(),
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

pub(super) async fn plan_list(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    let flash = match q.get("done").as_str() {
        "copied" => Some(format!("已结转{}条计划", q.get("n"))),
        "frozen" => Some("年度计划已下达（冻结），此后修改须填写原因并留存修订记录".into()),
        _ => None,
    };
    Ok(plan_list_render(&s, &signed, year_of(&q, &s), flash, None)
        .await?
        .into_response())
}

pub(super) async fn plan_year_op(
    State(s): State<AppState>,
    Path(op): Path<String>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let year = year_of(&form, &s);
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
        "copy" => dispatch::copy_forward(&s.app, &signed.ctx, year - 1, year)
            .await
            .map(|n| format!("/plans?year={year}&done=copied&n={n}")),
        "freeze" => dispatch::freeze(&s.app, &signed.ctx, year)
            .await
            .map(|_| format!("/plans?year={year}&done=frozen")),
        _ => return Err(ServiceError::NotFound.into()),
    };
    match r {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            plan_list_render(&s, &signed, year, None, Some(v.to_string())).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "plans/form.html")]
pub(super) struct PlanFormPage {
    chrome: Chrome,
    project_id: i64,
    project_name: String,
    year: i32,
    version: String,
    frozen: bool,
    category: String,
    categories: Vec<(&'static str, &'static str)>,
    annual: String,
    targets: String,
    /// (field name, label, value, error)
    months: Vec<(String, String, String, Option<String>)>,
    /// (name, planned, actual)
    milestones: Vec<(String, String, String)>,
    reason: String,
    errors: ValidationErrors,
    /// (time, user, reason)
    revisions: Vec<(String, String, String)>,
    can_manage: bool,
}

fn plan_submission(form: &FormData) -> dispatch::PlanSubmission {
    dispatch::PlanSubmission {
        version: form.get("version").trim().parse().ok(),
        draft: PlanDraft {
            category: form.get("category"),
            annual_plan_wan: form.get("annual_plan_wan"),
            targets: form.get("targets"),
            monthly_wan: (1..=12).map(|i| form.get(&format!("month_{i}"))).collect(),
        },
        milestones: (1..=6)
            .map(|i| MilestoneDraft {
                name: form.get(&format!("ms_name_{i}")),
                planned_month: form.get(&format!("ms_planned_{i}")),
                actual_month: form.get(&format!("ms_actual_{i}")),
            })
            .collect(),
        reason: form.get("reason"),
    }
}

async fn plan_form(
    s: &AppState,
    signed: &Signed,
    project_id: i64,
    year: i32,
    sub: Option<&dispatch::PlanSubmission>,
    errors: ValidationErrors,
) -> Result<PlanFormPage, PageError> {
    let d = dispatch::plan(&s.app, &signed.ctx, project_id, year).await?;
    let p = projects::get(&s.app, &signed.ctx, project_id).await?;
    let stored = d.plan.as_ref();
    let sub = match sub {
        Some(x) => x.clone(),
        None => dispatch::PlanSubmission {
            version: stored.map(|p| p.version),
            draft: PlanDraft {
                category: stored
                    .map(|p| p.category.clone())
                    .unwrap_or_else(|| dispatch::category_for_stage(&p.project.stage).key().into()),
                annual_plan_wan: stored.map(|p| wan(p.annual_plan_fen)).unwrap_or_default(),
                targets: stored.map(|p| p.targets.clone()).unwrap_or_default(),
                monthly_wan: stored
                    .map(|p| {
                        dispatch::monthly_from_text(&p.monthly_fen)
                            .iter()
                            .map(|m| m.wan_2dp())
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            milestones: d
                .milestones
                .iter()
                .map(|m| MilestoneDraft {
                    name: m.name.clone(),
                    planned_month: m.planned_month.clone(),
                    actual_month: m.actual_month.clone().unwrap_or_default(),
                })
                .collect(),
            reason: String::new(),
        },
    };
    let mut milestones: Vec<(String, String, String)> = sub
        .milestones
        .iter()
        .map(|m| {
            (
                m.name.clone(),
                m.planned_month.clone(),
                m.actual_month.clone(),
            )
        })
        .filter(|m| !(m.0.is_empty() && m.1.is_empty() && m.2.is_empty()))
        .collect();
    while milestones.len() < 6 {
        milestones.push(Default::default());
    }
    Ok(PlanFormPage {
        chrome: Chrome::new(signed, "plans"),
        project_id,
        project_name: p.project.name,
        year,
        version: sub.version.map(|v| v.to_string()).unwrap_or_default(),
        frozen: d.frozen,
        category: sub.draft.category.clone(),
        categories: YearCategory::ALL
            .iter()
            .map(|c| (c.key(), c.label()))
            .collect(),
        annual: sub.draft.annual_plan_wan.clone(),
        targets: sub.draft.targets.clone(),
        months: (1..=12)
            .map(|i| {
                let name = format!("month_{i}");
                let err = errors.for_field(&name).map(String::from);
                (
                    name,
                    format!("{i}月"),
                    sub.draft
                        .monthly_wan
                        .get(i - 1)
                        .cloned()
                        .unwrap_or_default(),
                    err,
                )
            })
            .collect(),
        milestones,
        reason: sub.reason.clone(),
        revisions: d
            .revisions
            .iter()
            .map(|r| {
                (
                    views::local_time(&r.at),
                    r.username.clone(),
                    r.reason.clone(),
                )
            })
            .collect(),
        can_manage: allowed(signed, Action::ManagePlans),
        errors,
    })
}

pub(super) async fn plan_edit(
    State(s): State<AppState>,
    signed: Signed,
    Path((project_id, year)): Path<(i64, i32)>,
) -> Result<Response, PageError> {
    Ok(
        plan_form(&s, &signed, project_id, year, None, ValidationErrors::new())
            .await?
            .into_response(),
    )
}

pub(super) async fn plan_save(
    State(s): State<AppState>,
    Path((project_id, year)): Path<(i64, i32)>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let sub = plan_submission(&form);
    match dispatch::save_plan(&s.app, &signed.ctx, project_id, year, &sub).await {
        Ok(_) => Ok(Redirect::to(&format!("/plans?year={year}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            plan_form(&s, &signed, project_id, year, Some(&sub), v).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// --- monthly reports ---------------------------------------------------------------------

pub(super) struct MonthLineView {
    project_id: i64,
    code: String,
    name: String,
    category: &'static str,
    lead_unit: String,
    status_key: String,
    status: &'static str,
    amount_wan: String,
    late: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/month.html")]
pub(super) struct MonthPage {
    chrome: Chrome,
    month: String,
    month_cn: String,
    due: String,
    lines: Vec<MonthLineView>,
    missing_by_unit: Vec<(String, usize)>,
    counts: Vec<(&'static str, usize)>,
    reporter: bool,
}

pub(super) async fn report_month(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    let month = month_of(&q, &s);
    let o = dispatch::month_overview(&s.app, &signed.ctx, month).await?;
    let lines: Vec<MonthLineView> = o
        .lines
        .iter()
        .map(|l| MonthLineView {
            project_id: l.line.project_id,
            code: l.line.code.clone().unwrap_or_default(),
            name: l.line.name.clone(),
            category: category_label(&l.line.category),
            lead_unit: l.line.lead_unit_name.clone().unwrap_or_default(),
            status_key: l
                .report
                .as_ref()
                .map(|r| r.status.clone())
                .unwrap_or_else(|| "missing".into()),
            status: l
                .report
                .as_ref()
                .map(|r| status_label(&r.status))
                .unwrap_or("未报"),
            amount_wan: l
                .report
                .as_ref()
                .map(|r| wan(r.month_investment_fen))
                .unwrap_or_default(),
            late: l.late,
        })
        .collect();
    let count = |k: &str| lines.iter().filter(|l| l.status_key == k).count();
    let counts = vec![
        ("未报", count("missing")),
        ("待审核", count("submitted")),
        ("已退回", count("returned")),
        ("审核通过", count("approved")),
    ];
    Ok(MonthPage {
        chrome: Chrome::new(&signed, "reports"),
        month: month.to_string(),
        month_cn: month.chinese(),
        due: o.due.to_string(),
        missing_by_unit: o.missing_by_unit,
        counts,
        lines,
        reporter: dispatch::is_reporter(&signed.ctx),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/form.html")]
pub(super) struct ReportPage {
    chrome: Chrome,
    project_id: i64,
    project_name: String,
    month: String,
    month_cn: String,
    due: String,
    late: bool,
    status_key: String,
    status: &'static str,
    return_reason: String,
    report_id: i64,
    version: String,
    draft: ReportDraft,
    prev: Option<(String, String, String)>,
    ytd_wan: String,
    since_start_wan: String,
    annual_wan: String,
    can_submit: bool,
    can_review: bool,
    errors: ValidationErrors,
    revisions: Vec<(i64, String, String, String, String)>,
    flash: Option<String>,
    /// (id, width × height)
    photos: Vec<(i64, String)>,
}

pub(super) async fn report_page(
    s: &AppState,
    signed: &Signed,
    project_id: i64,
    month: ReportMonth,
    draft: Option<ReportDraft>,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<ReportPage, PageError> {
    let v = dispatch::report(&s.app, &signed.ctx, project_id, month).await?;
    let r = v.report.as_ref();
    let status = r.and_then(|r| ReportStatus::from_key(&r.status));
    let draft = draft.unwrap_or_else(|| match r {
        Some(r) => ReportDraft {
            month_investment_wan: wan(r.month_investment_fen),
            progress: r.progress.clone(),
            next_plan: r.next_plan.clone(),
            problems: r.problems.clone(),
        },
        None => ReportDraft::default(),
    });
    let can = |a: Action| projects::can_act(&s.app, &signed.ctx, project_id, a);
    let can_submit = status != Some(ReportStatus::Approved) && can(Action::SubmitReport).await?;
    let can_review = can(Action::ReviewReports).await?;
    Ok(ReportPage {
        chrome: Chrome::new(signed, "reports"),
        project_id,
        project_name: v.project_name.clone(),
        month: month.to_string(),
        month_cn: month.chinese(),
        due: v.due.to_string(),
        late: v.late,
        status_key: status.map(|s| s.key()).unwrap_or("missing").into(),
        status: status.map(|s| s.label()).unwrap_or("未报"),
        return_reason: r.map(|r| r.return_reason.clone()).unwrap_or_default(),
        report_id: r.map(|r| r.id).unwrap_or(0),
        version: r.map(|r| r.version.to_string()).unwrap_or_default(),
        draft,
        prev: v.previous.as_ref().map(|p| {
            (
                wan(p.month_investment_fen),
                p.progress.clone(),
                p.next_plan.clone(),
            )
        }),
        ytd_wan: v.ytd.wan_2dp(),
        since_start_wan: v.since_start.wan_2dp(),
        annual_wan: v
            .plan
            .as_ref()
            .map(|p| wan(p.annual_plan_fen))
            .unwrap_or_default(),
        can_submit,
        can_review,
        errors,
        revisions: v
            .revisions
            .iter()
            .map(|x| {
                (
                    x.revision,
                    wan(x.month_investment_fen),
                    x.reason.clone(),
                    x.username.clone(),
                    views::local_time(&x.at),
                )
            })
            .collect(),
        flash,
        photos: keyproj_service::photos::list(&s.app, &signed.ctx, project_id, month)
            .await?
            .iter()
            .map(|p| (p.id, format!("{}×{}", p.width, p.height)))
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

pub(super) async fn report_form(
    State(s): State<AppState>,
    signed: Signed,
    Path((project_id, month)): Path<(i64, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let month = parse_month(&month)?;
    let flash = match query_pairs(q.as_deref()).get("done").as_str() {
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
pub(super) async fn report_submit(
    State(s): State<AppState>,
    Path((project_id, month)): Path<(i64, String)>,
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
    let photos: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter(|f| f.0 == "photo")
        .map(|f| (f.1, f.2))
        .collect();
    let uploaded = if photos.is_empty() {
        0
    } else {
        match keyproj_service::photos::upload_all(&s.app, &signed.ctx, project_id, month, &photos)
            .await
        {
            Ok(n) => n,
            Err(ServiceError::Validation(v)) => return again(v, None).await,
            Err(e) => return Err(e.into()),
        }
    };
    if form.get("op") == "photo" {
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
    // 审核通过 confirms what the owner reported: figures changed on the page would be ignored
    // silently, so say so instead (to change them: return, or revise after approval)
    if form.get("op") == "approve" {
        let stored = dispatch::report(&s.app, &signed.ctx, project_id, month).await?;
        if let Some(r) = stored.report.as_ref() {
            let typed = keyproj_domain::Money::parse_wan(
                "month_investment_wan",
                "本月完成投资",
                &draft.month_investment_wan,
            )
            .ok();
            let same = typed.map(|m| m.fen()) == Some(r.month_investment_fen)
                && draft.progress.trim() == r.progress.trim()
                && draft.next_plan.trim() == r.next_plan.trim()
                && draft.problems.trim() == r.problems.trim();
            if !same {
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
    }
    let version = form.get("version").trim().parse().ok();
    let back = |done: &str| {
        Redirect::to(&format!("/reports/{project_id}/{month}?done={done}")).into_response()
    };
    let r = match form.get("op").as_str() {
        "approve" | "return" => dispatch::review(
            &s.app,
            &signed.ctx,
            form.id("report_id").unwrap_or(-1),
            version.unwrap_or(-1),
            form.get("op") == "approve",
            &form.get("reason"),
        )
        .await
        .map(|_| {
            if form.get("op") == "approve" {
                "approved"
            } else {
                "returned"
            }
        }),
        "revise" => dispatch::revise(
            &s.app,
            &signed.ctx,
            form.id("report_id").unwrap_or(-1),
            version.unwrap_or(-1),
            &draft,
            &form.get("reason"),
        )
        .await
        .map(|_| "revised"),
        "exempt" => colour::exempt(&s.app, &signed.ctx, project_id, month, &form.get("reason"))
            .await
            .map(|_| "exempt"),
        _ => dispatch::submit(&s.app, &signed.ctx, project_id, month, version, &draft)
            .await
            .map(|_| "submitted"),
    };
    match r {
        Ok(done) => Ok(back(done)),
        Err(ServiceError::Validation(v)) => again(v, None).await,
        Err(e) => Err(e.into()),
    }
}

// --- colour table ------------------------------------------------------------------------

pub(crate) struct ColourLine {
    pub(crate) seq: i64,
    pub(crate) group: String,
    pub(crate) name: String,
    pub(crate) content: String,
    pub(crate) total_wan: String,
    pub(crate) annual_wan: String,
    pub(crate) done_wan: String,
    pub(crate) completion: String,
    pub(crate) baseline: String,
    pub(crate) progress: String,
    pub(crate) leader: String,
    pub(crate) lead_unit: String,
    pub(crate) responsible: String,
    pub(crate) colour_key: String,
    pub(crate) colour: &'static str,
    pub(crate) reasons: String,
    /// Set on the first row of a new 年度类别/级别 group.
    pub(crate) group_start: bool,
}

pub(crate) fn colour_lines(rows: &[IssueLine]) -> Vec<ColourLine> {
    let mut last = String::new();
    rows.iter()
        .map(|r| {
            let group = format!(
                "{}项目（{}）",
                category_label(&r.category),
                views::level_label(&r.level)
            );
            let start = group != last;
            last = group.clone();
            ColourLine {
                seq: r.seq,
                group,
                name: r.name.clone(),
                content: r.content_scale.clone(),
                total_wan: wan(r.total_investment_fen),
                annual_wan: wan(r.annual_plan_fen),
                done_wan: wan(r.completed_ytd_fen),
                completion: r
                    .completion_bp
                    .map(bp_percent)
                    .map(|p| format!("{p}%"))
                    .unwrap_or_default(),
                baseline: format!("{}%", bp_percent(r.baseline_bp)),
                progress: r.progress.clone(),
                leader: r.leader_name.clone(),
                lead_unit: r.lead_unit_name.clone(),
                responsible: r.responsible_units.clone(),
                colour_key: r.colour.clone(),
                colour: Colour::from_key(&r.colour).map(|c| c.label()).unwrap_or(""),
                reasons: r.reasons.clone(),
                group_start: start,
            }
        })
        .collect()
}

pub(crate) fn colour_counts(rows: &[IssueLine]) -> Vec<(&'static str, &'static str, usize)> {
    [
        Colour::Red,
        Colour::Yellow,
        Colour::Green,
        Colour::Blue,
        Colour::Exempt,
    ]
    .iter()
    .map(|c| {
        (
            c.key(),
            c.label(),
            rows.iter().filter(|r| r.colour == c.key()).count(),
        )
    })
    .filter(|(k, _, n)| *n > 0 || *k != "blue" && *k != "exempt")
    .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "colour/preview.html")]
pub(super) struct ColourPreviewPage {
    chrome: Chrome,
    month: String,
    month_cn: String,
    lines: Vec<ColourLine>,
    counts: Vec<(&'static str, &'static str, usize)>,
    rules_note: String,
    /// (id, title-ish, month, published)
    issues: Vec<(i64, String, String, String)>,
    /// Issues of this month, which a new issue may correct: (id, label, chosen).
    corrigible: Vec<(i64, String, bool)>,
    /// "2026年第1期" when this month is already published.
    published_as: Option<String>,
    note: String,
    errors: ValidationErrors,
    can_publish: bool,
}

async fn colour_preview_render(
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
        Some(colour::preview(&s.app, &signed.ctx, month).await?)
    } else {
        None
    };
    let rows = t.as_ref().map(|t| t.rows.clone()).unwrap_or_default();
    let issues = colour::issues(&s.app, &signed.info.actor.region).await?;
    let of_month: Vec<_> = issues
        .iter()
        .filter(|i| i.as_of_month == month.to_string())
        .collect();
    let chosen = typed.id("corrects");
    Ok(ColourPreviewPage {
        corrigible: of_month
            .iter()
            .map(|i| {
                (
                    i.id,
                    format!("{}年第{}期", i.year, i.number),
                    chosen == Some(i.id),
                )
            })
            .collect(),
        published_as: of_month
            .first()
            .map(|i| format!("{}年第{}期", i.year, i.number)),
        note: typed.get("note"),
        chrome: Chrome::new(signed, "colour"),
        month: month.to_string(),
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
            .map(|i| (i.id, format!("{}年第{}期", i.year, i.number), i.as_of_month.clone(), views::local_time(&i.published_at)))
            .collect(),
        errors,
        can_publish,
    })
}

pub(super) async fn colour_preview(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    Ok(colour_preview_render(
        &s,
        &signed,
        month_of(&q, &s),
        ValidationErrors::new(),
        &FormData::default(),
    )
    .await?
    .into_response())
}

pub(super) async fn colour_publish(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let month = month_of(&form, &s);
    let corrects = form.id("corrects");
    if ConfirmPage::going_back(&form) {
        return Ok(
            colour_preview_render(&s, &signed, month, ValidationErrors::new(), &form)
                .await?
                .into_response(),
        );
    }
    let region = &signed.info.actor.region;
    let next = colour::next_number(&s.app, region, month.year()).await?;
    let mut lines = vec![format!(
        "截至{}的进度分色表将发布为{}年第{next}期。",
        month.chinese(),
        month.year()
    )];
    if let Some(c) = corrects {
        let old = colour::issues(&s.app, region)
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
    match colour::publish(&s.app, &signed.ctx, month, corrects, &form.get("note")).await {
        Ok((id, _)) => Ok(Redirect::to(&format!("/colour/issues/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            colour_preview_render(&s, &signed, month, v, &form).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "colour/issue.html")]
pub(super) struct IssuePage {
    chrome: Chrome,
    id: i64,
    title: String,
    as_of: String,
    published: String,
    note: String,
    corrects: Option<i64>,
    lines: Vec<ColourLine>,
    counts: Vec<(&'static str, &'static str, usize)>,
}

pub(super) async fn colour_issue(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ViewProject) {
        return Err(ServiceError::NotFound.into());
    }
    let i = colour::issue(&s.app, &signed.info.actor.region, id).await?;
    Ok(IssuePage {
        chrome: Chrome::new(&signed, "colour"),
        id,
        as_of: ReportMonth::parse("m", "m", &i.issue.as_of_month)
            .map(|m| m.chinese())
            .unwrap_or_default(),
        published: views::local_time(&i.issue.published_at),
        note: i.issue.note.clone(),
        corrects: i.corrects_number,
        counts: colour_counts(&i.rows),
        lines: colour_lines(&i.rows),
        title: i.title,
    }
    .into_response())
}

pub(super) async fn colour_issue_xlsx(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ViewProject) {
        return Err(ServiceError::NotFound.into());
    }
    let i = colour::issue(&s.app, &signed.info.actor.region, id).await?;
    let bytes =
        crate::export::colour_issue_xlsx(&i).map_err(|e| ServiceError::internal("内部处理", e))?;
    projects::record_export(&s.app, &signed.ctx, "colour_issue", i.rows.len()).await?;
    Ok(xlsx_response(&format!("{}.xlsx", i.title), bytes))
}

#[derive(Template, WebTemplate)]
#[template(path = "colour/rules.html")]
pub(super) struct RulesPage {
    chrome: Chrome,
    year: i32,
    d: RulesDraft,
    deadline_day: String,
    reason: String,
    errors: ValidationErrors,
    /// (version, time, user, reason)
    history: Vec<(i64, String, String, String)>,
    can_edit: bool,
    flash: Option<String>,
}

async fn rules_render(
    s: &AppState,
    signed: &Signed,
    year: i32,
    draft: Option<(RulesDraft, String, String)>,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<RulesPage, PageError> {
    let (_, rules, day) = colour::rules_for(&s.app, &signed.info.actor.region, year).await?;
    let history = colour::rules_history(&s.app, &signed.ctx, year).await?;
    let (d, deadline_day, reason) = draft.unwrap_or_else(|| {
        (
            RulesDraft::from_rules(&rules),
            day.to_string(),
            String::new(),
        )
    });
    Ok(RulesPage {
        chrome: Chrome::new(signed, "colour"),
        year,
        d,
        deadline_day,
        reason,
        errors,
        history: history
            .iter()
            .map(|h| {
                (
                    h.version_no,
                    views::local_time(&h.created_at),
                    h.username.clone(),
                    h.reason.clone(),
                )
            })
            .collect(),
        can_edit: allowed(signed, Action::PublishColour),
        flash,
    })
}

pub(super) async fn colour_rules(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    let flash = (q.get("saved") == "1").then(|| "分色规则已保存为新版本".to_string());
    Ok(rules_render(
        &s,
        &signed,
        year_of(&q, &s),
        None,
        ValidationErrors::new(),
        flash,
    )
    .await?
    .into_response())
}

pub(super) async fn colour_rules_save(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let year = year_of(&form, &s);
    let d = RulesDraft {
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
    };
    match colour::save_rules(
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
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            rules_render(
                &s,
                &signed,
                year,
                Some((d, form.get("deadline_day"), form.get("reason"))),
                v,
                None,
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// --- annual figures ----------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "stats/annual.html")]
pub(super) struct AnnualPage {
    chrome: Chrome,
    year: i32,
    s: stats::AnnualStats,
}

pub(super) async fn annual_stats(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    let year = year_of(&q, &s);
    let st = stats::annual_for(&s.app, &signed.ctx, year).await?;
    Ok(AnnualPage {
        chrome: Chrome::new(&signed, "stats"),
        year,
        s: st,
    }
    .into_response())
}

/// A photo (or its thumbnail) for a person who may see the project.
pub(super) async fn photo(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let thumb = query_pairs(q.as_deref()).get("thumb") == "1";
    let bytes = keyproj_service::photos::read(&s.app, &signed.ctx, id, thumb).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}

/// The year's plan as .xlsx.
pub(super) async fn plan_list_xlsx(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let year = year_of(&query_pairs(q.as_deref()), &s);
    let y = dispatch::year_plan(&s.app, &signed.ctx, year).await?;
    let rows: Vec<Vec<Cell>> = y
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                Cell::Int(i as i64 + 1),
                l.code.clone().unwrap_or_default().into(),
                l.name.clone().into(),
                category_label(&l.category).into(),
                Cell::Wan(keyproj_domain::Money::from_fen(l.total_investment_fen).wan_for_sheet()),
                Cell::Wan(keyproj_domain::Money::from_fen(l.annual_plan_fen).wan_for_sheet()),
                l.targets.clone().into(),
                l.leader_name.clone().unwrap_or_default().into(),
                l.lead_unit_name.clone().unwrap_or_default().into(),
            ]
        })
        .collect();
    let total: i64 = y.lines.iter().map(|l| l.annual_plan_fen).sum();
    let title = format!(
        "{}{year}年重点建设项目年度计划",
        org::region_name(&signed.info.actor.region)
    );
    let headers: &[(&str, f64)] = &[
        ("序号", 6.0),
        ("项目编号", 12.0),
        ("项目名称", 32.0),
        ("年度类别", 9.0),
        ("总投资（万元）", 14.0),
        ("年度计划投资（万元）", 14.0),
        ("年度目标", 36.0),
        ("县级联系领导", 12.0),
        ("牵头单位", 18.0),
    ];
    let totals = vec![
        Cell::Text(format!("合计（{}个）", y.lines.len())),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Wan(keyproj_domain::Money::from_fen(total).wan_for_sheet()),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ];
    let subtitle = if y.frozen {
        "已下达".to_string()
    } else {
        "编制中".to_string()
    };
    let bytes = xlsx::write(&xlsx::Sheet {
        name: "年度计划",
        title: &title,
        subtitle: Some(&subtitle),
        headers,
        rows,
        totals: Some(totals),
    })
    .map_err(|e| ServiceError::internal("内部处理", e))?;
    projects::record_export(&s.app, &signed.ctx, "plan_year", y.lines.len()).await?;
    Ok(xlsx_response(&format!("{title}.xlsx"), bytes))
}

/// The month's reports as .xlsx (status, amounts, who has not reported).
pub(super) async fn report_month_xlsx(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let month = month_of(&query_pairs(q.as_deref()), &s);
    let o = dispatch::month_overview(&s.app, &signed.ctx, month).await?;
    let rows: Vec<Vec<Cell>> = o
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let r = l.report.as_ref();
            vec![
                Cell::Int(i as i64 + 1),
                l.line.code.clone().unwrap_or_default().into(),
                l.line.name.clone().into(),
                category_label(&l.line.category).into(),
                l.line.lead_unit_name.clone().unwrap_or_default().into(),
                r.map(|r| status_label(&r.status)).unwrap_or("未报").into(),
                if l.late { "逾期".into() } else { Cell::Empty },
                r.map(|r| {
                    Cell::Wan(
                        keyproj_domain::Money::from_fen(r.month_investment_fen).wan_for_sheet(),
                    )
                })
                .unwrap_or(Cell::Empty),
                r.map(|r| r.progress.clone()).unwrap_or_default().into(),
                r.map(|r| r.problems.clone()).unwrap_or_default().into(),
            ]
        })
        .collect();
    let title = format!(
        "{}{}月报报送情况",
        org::region_name(&signed.info.actor.region),
        month.chinese()
    );
    let headers: &[(&str, f64)] = &[
        ("序号", 6.0),
        ("项目编号", 12.0),
        ("项目名称", 30.0),
        ("年度类别", 9.0),
        ("牵头单位", 18.0),
        ("状态", 10.0),
        ("逾期", 6.0),
        ("本月完成投资（万元）", 14.0),
        ("形象进度", 30.0),
        ("存在问题", 30.0),
    ];
    let subtitle = format!("报送截止：{}", o.due);
    let bytes = xlsx::write(&xlsx::Sheet {
        name: "月报",
        title: &title,
        subtitle: Some(&subtitle),
        headers,
        rows,
        totals: None,
    })
    .map_err(|e| ServiceError::internal("内部处理", e))?;
    projects::record_export(&s.app, &signed.ctx, "monthly_reports", o.lines.len()).await?;
    Ok(xlsx_response(&format!("{title}.xlsx"), bytes))
}
