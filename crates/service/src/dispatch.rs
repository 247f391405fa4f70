//! Annual plans and monthly reports (月调度).

use crate::projects::visible;
use crate::{App, Ctx, Result, ServiceError, audit, field_error, require};
use keyproj_db::Tx;
use keyproj_db::repo::dispatch::{
    self as repo, MilestoneRow, PlanLine, PlanRow, ReportRevisionRow, ReportRow, ReportValues,
};
use keyproj_domain::authz::{Action, ListScope, Role, project_list_scope};
use keyproj_domain::plan::{MilestoneDraft, PlanDraft, PlanFields, YearCategory, check_year};
use keyproj_domain::project::Stage;
use keyproj_domain::report::{self as rules, ReportAction, ReportDraft, ReportStatus, next_status};
use keyproj_domain::{Money, RegionCode, ReportMonth, ValidationErrors};
use serde::Serialize;

/// Twelve fen amounts as stored ("" = no split).
pub fn monthly_to_text(m: &[Money]) -> String {
    m.iter()
        .map(|v| v.fen().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn monthly_from_text(s: &str) -> Vec<Money> {
    if s.is_empty() {
        vec![]
    } else {
        s.split(',')
            .filter_map(|v| v.parse::<i64>().ok())
            .map(Money::from_fen)
            .collect()
    }
}

pub fn plan_fields(p: &PlanRow) -> Result<PlanFields> {
    Ok(PlanFields {
        category: YearCategory::from_key(&p.category)
            .ok_or_else(|| ServiceError::invariant("bad category"))?,
        annual_plan: Money::from_fen(p.annual_plan_fen),
        targets: p.targets.clone(),
        monthly: monthly_from_text(&p.monthly_fen),
    })
}

/// The scope of plan lines an actor may see: (region, unit filter, owner only).
fn line_scope(ctx: &Ctx) -> Result<(RegionCode, Option<i64>, bool)> {
    match project_list_scope(&ctx.actor) {
        ListScope::Region(r) => Ok((r, None, false)),
        ListScope::Unit { region, unit_id } => Ok((region, Some(unit_id), false)),
        ListScope::Owner { region, unit_id } => Ok((region, Some(unit_id), true)),
        ListScope::Nothing => Err(ServiceError::Forbidden),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct YearPlan {
    pub year: i32,
    pub frozen: bool,
    pub frozen_by: String,
    pub lines: Vec<PlanLine>,
}

pub async fn year_plan(app: &App, ctx: &Ctx, year: i32) -> Result<YearPlan> {
    let (region, unit, owner) = line_scope(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let lines = repo::plan_lines(&mut tx, &region, year as i64, unit, owner).await?;
    let py = repo::plan_year(&mut tx, ctx.actor.region.as_str(), year as i64).await?;
    Ok(YearPlan {
        year,
        frozen: py.as_ref().is_some_and(|p| p.frozen_at.is_some()),
        frozen_by: py.map(|p| p.frozen_by).unwrap_or_default(),
        lines,
    })
}

async fn is_frozen(tx: &mut Tx, region: &str, year: i32) -> Result<bool> {
    Ok(repo::plan_year(tx, region, year as i64)
        .await?
        .is_some_and(|p| p.frozen_at.is_some()))
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanDetail {
    pub plan: Option<PlanRow>,
    pub milestones: Vec<MilestoneRow>,
    pub frozen: bool,
    pub revisions: Vec<repo::PlanRevisionRow>,
}

pub async fn plan(app: &App, ctx: &Ctx, project_id: i64, year: i32) -> Result<PlanDetail> {
    let mut tx = app.db.begin_read().await?;
    let (row, _) = visible(&mut tx, ctx, project_id, Action::ViewProject).await?;
    let plan = repo::get_plan(&mut tx, project_id, year as i64).await?;
    let milestones = match &plan {
        Some(p) => repo::milestones(&mut tx, p.id).await?,
        None => vec![],
    };
    let revisions = match &plan {
        Some(p) => repo::plan_revisions(&mut tx, p.id).await?,
        None => vec![],
    };
    Ok(PlanDetail {
        frozen: is_frozen(&mut tx, &row.region_code, year).await?,
        plan,
        milestones,
        revisions,
    })
}

#[derive(Serialize)]
struct PlanSnapshot<'a> {
    fields: &'a PlanFields,
    milestones: &'a [keyproj_domain::plan::MilestoneFields],
}

/// Creates or updates a project's plan for a year, with its milestones. Once the year's plan is
/// adopted (frozen), every change needs a reason and is kept as a revision.
/// A plan entry as submitted: the version the editor read (None for a new entry), the fields,
/// the milestones, and the reason (required once the year's plan is frozen).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PlanSubmission {
    pub version: Option<i64>,
    #[serde(flatten)]
    pub draft: PlanDraft,
    pub milestones: Vec<MilestoneDraft>,
    pub reason: String,
}

pub async fn save_plan(
    app: &App,
    ctx: &Ctx,
    project_id: i64,
    year: i32,
    sub: &PlanSubmission,
) -> Result<i64> {
    require(ctx, Action::ManagePlans)?;
    check_year("year", &year.to_string())?;
    let mut errs = ValidationErrors::new();
    let (version, draft, milestones, reason) = (
        sub.version,
        &sub.draft,
        &sub.milestones,
        sub.reason.as_str(),
    );
    let fields = match draft.validate() {
        Ok(f) => Some(f),
        Err(e) => {
            errs.0.extend(e.0);
            None
        }
    };
    let mut ms = vec![];
    for (i, m) in milestones.iter().enumerate() {
        if m.name.trim().is_empty()
            && m.planned_month.trim().is_empty()
            && m.actual_month.trim().is_empty()
        {
            continue;
        }
        match m.validate() {
            Ok(f) => ms.push(f),
            Err(e) => errs.0.extend(e.0.into_iter().map(|mut f| {
                f.field = format!("milestone_{}_{}", i + 1, f.field);
                f.message = format!("第{}个节点：{}", i + 1, f.message);
                f
            })),
        }
    }
    errs.into_result()?;
    let fields = fields.expect("checked");
    let mut tx = app.db.begin_write().await?;
    let (project, _) = visible(&mut tx, ctx, project_id, Action::ManagePlans).await?;
    let frozen = is_frozen(&mut tx, &project.region_code, year).await?;
    let reason = reason.trim();
    if frozen && reason.is_empty() {
        return Err(field_error(
            "reason",
            "required",
            "本年度计划已下达（冻结），修改须填写原因",
        ));
    }
    let monthly = monthly_to_text(&fields.monthly);
    let values = repo::PlanValues {
        category: fields.category.key(),
        annual_plan_fen: fields.annual_plan.fen(),
        targets: &fields.targets,
        monthly_fen: &monthly,
    };
    let now = app.now();
    let existing = repo::get_plan(&mut tx, project_id, year as i64).await?;
    let before = match &existing {
        Some(p) => {
            let old_ms = repo::milestones(&mut tx, p.id).await?;
            Some(serde_json::json!({ "plan": p, "milestones": old_ms }))
        }
        None => None,
    };
    let id = match &existing {
        Some(p) => {
            let v = version.ok_or(ServiceError::Stale)?;
            repo::update_plan(&mut tx, p.id, v, &values, now).await?;
            p.id
        }
        None => repo::insert_plan(&mut tx, project_id, year as i64, &values, now).await?,
    };
    repo::delete_milestones(&mut tx, id).await?;
    for (i, m) in ms.iter().enumerate() {
        let actual = m.actual_month.map(|a| a.to_string());
        repo::insert_milestone(
            &mut tx,
            id,
            &m.name,
            &m.planned_month.to_string(),
            actual.as_deref(),
            i as i64,
        )
        .await?;
    }
    let after = serde_json::to_value(PlanSnapshot {
        fields: &fields,
        milestones: &ms,
    })
    .unwrap_or_default();
    if frozen {
        let user_id = Some(ctx.actor.user_id).filter(|u| *u != 0);
        repo::insert_plan_revision(
            &mut tx,
            id,
            &before.clone().unwrap_or_default().to_string(),
            &after.to_string(),
            reason,
            user_id,
            &ctx.actor.username,
            now,
        )
        .await?;
    }
    audit(app, &mut tx, ctx, if existing.is_some() { "update" } else { "create" }, "plan", Some(id.to_string()), before.as_ref(), Some(&serde_json::json!({ "year": year, "project_id": project_id, "plan": after, "reason": reason }))).await?;
    tx.commit().await?;
    Ok(id)
}

/// The category a project carries into a new year, from its stage now.
pub fn category_for_stage(stage: &str) -> YearCategory {
    match Stage::from_key(stage) {
        Some(Stage::UnderConstruction) => YearCategory::UnderConstruction,
        Some(Stage::Completed | Stage::PostSupport) => YearCategory::PostSupport,
        _ => YearCategory::Preliminary,
    }
}

/// Copies last year's plan entries forward (category from each project's stage now; amounts
/// and targets to be edited); entries that already exist are left alone. Returns how many.
pub async fn copy_forward(app: &App, ctx: &Ctx, from_year: i32, to_year: i32) -> Result<usize> {
    require(ctx, Action::ManagePlans)?;
    if to_year != from_year + 1 {
        return Err(field_error(
            "year",
            "invalid_year",
            "只能从上一年度结转到下一年度",
        ));
    }
    let mut tx = app.db.begin_write().await?;
    if is_frozen(&mut tx, ctx.actor.region.as_str(), to_year).await? {
        return Err(field_error(
            "year",
            "frozen",
            format!("{to_year}年度计划已下达，不能再结转"),
        ));
    }
    let lines = repo::plan_lines(&mut tx, &ctx.actor.region, from_year as i64, None, false).await?;
    let now = app.now();
    let mut n = 0;
    for l in &lines {
        if repo::get_plan(&mut tx, l.project_id, to_year as i64)
            .await?
            .is_some()
        {
            continue;
        }
        let cat = category_for_stage(&l.stage);
        repo::insert_plan(
            &mut tx,
            l.project_id,
            to_year as i64,
            &repo::PlanValues {
                category: cat.key(),
                annual_plan_fen: l.annual_plan_fen,
                targets: &l.targets,
                monthly_fen: "",
            },
            now,
        )
        .await?;
        n += 1;
    }
    audit(
        app,
        &mut tx,
        ctx,
        "copy_forward",
        "plan_year",
        Some(format!("{}:{to_year}", ctx.actor.region)),
        None::<&()>,
        Some(&serde_json::json!({ "from": from_year, "entries": n })),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Adopts (freezes) the year's plan: later changes are revisions with reasons.
pub async fn freeze(app: &App, ctx: &Ctx, year: i32) -> Result<()> {
    require(ctx, Action::ManagePlans)?;
    let mut tx = app.db.begin_write().await?;
    if is_frozen(&mut tx, ctx.actor.region.as_str(), year).await? {
        return Err(field_error(
            "year",
            "frozen",
            format!("{year}年度计划已下达"),
        ));
    }
    repo::freeze_plan_year(
        &mut tx,
        ctx.actor.region.as_str(),
        year as i64,
        &ctx.actor.username,
        app.now(),
    )
    .await?;
    audit(
        app,
        &mut tx,
        ctx,
        "freeze",
        "plan_year",
        Some(format!("{}:{year}", ctx.actor.region)),
        None::<&()>,
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// --- monthly reports ---------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub project_id: i64,
    pub project_name: String,
    pub month: ReportMonth,
    pub report: Option<ReportRow>,
    pub previous: Option<ReportRow>,
    pub plan: Option<PlanRow>,
    /// Approved year-to-date and since-start totals including this month's approved figure.
    pub ytd: Money,
    pub since_start: Money,
    pub revisions: Vec<ReportRevisionRow>,
    pub late: bool,
    pub due: chrono::NaiveDate,
}

pub async fn report(
    app: &App,
    ctx: &Ctx,
    project_id: i64,
    month: ReportMonth,
) -> Result<ReportView> {
    let mut tx = app.db.begin_read().await?;
    let (p, _) = visible(&mut tx, ctx, project_id, Action::ViewProject).await?;
    let m = month.to_string();
    let report = repo::get_report(&mut tx, project_id, &m).await?;
    let prev_month = month.prev();
    let previous = repo::get_report(&mut tx, project_id, &prev_month.to_string()).await?;
    let plan = repo::get_plan(&mut tx, project_id, month.year() as i64).await?;
    let region =
        RegionCode::parse(&p.region_code).map_err(|e| ServiceError::invariant(e.message))?;
    let amounts: Vec<(ReportMonth, Money)> =
        repo::approved_amounts(&mut tx, &region, "1990-01", &m)
            .await?
            .into_iter()
            .filter(|(id, _, _)| *id == project_id)
            .filter_map(|(_, mo, f)| {
                ReportMonth::parse("m", "m", &mo)
                    .ok()
                    .map(|mo| (mo, Money::from_fen(f)))
            })
            .collect();
    let (ytd, since_start) = rules::cumulative(&amounts, month);
    let revisions = match &report {
        Some(r) => repo::report_revisions(&mut tx, r.id).await?,
        None => vec![],
    };
    let deadline = crate::colour::rules_for_tx(&mut tx, &region, month.year())
        .await?
        .2;
    let late = report
        .as_ref()
        .and_then(|r| chrono::NaiveDate::parse_from_str(&r.first_submitted_on, "%Y-%m-%d").ok())
        .is_some_and(|d| rules::is_late(month, deadline, d));
    Ok(ReportView {
        project_id,
        project_name: p.name,
        month,
        report,
        previous,
        plan,
        ytd,
        since_start,
        revisions,
        late,
        due: rules::due_date(month, deadline),
    })
}

fn values(f: &keyproj_domain::report::ReportFields) -> ReportValues<'_> {
    ReportValues {
        month_investment_fen: f.month_investment.fen(),
        progress: &f.progress,
        next_plan: &f.next_plan,
        problems: &f.problems,
    }
}

fn refused(msg: &str) -> ServiceError {
    field_error("status", "illegal_transition", msg)
}

/// Submits (or re-submits) a month's report. A month cannot be reported before it begins.
pub async fn submit(
    app: &App,
    ctx: &Ctx,
    project_id: i64,
    month: ReportMonth,
    version: Option<i64>,
    draft: &ReportDraft,
) -> Result<i64> {
    let fields = draft.validate()?;
    if month > ReportMonth::of(app.local_today()) {
        return Err(field_error("month", "future", "不能填报尚未开始的月份"));
    }
    let mut tx = app.db.begin_write().await?;
    visible(&mut tx, ctx, project_id, Action::SubmitReport).await?;
    let m = month.to_string();
    let existing = repo::get_report(&mut tx, project_id, &m).await?;
    let status = next_status(
        existing
            .as_ref()
            .and_then(|r| ReportStatus::from_key(&r.status)),
        ReportAction::Submit,
    )
    .map_err(refused)?;
    let now = app.now();
    let id = match &existing {
        Some(r) => {
            repo::update_report(
                &mut tx,
                r.id,
                version.unwrap_or(-1),
                status.key(),
                &values(&fields),
                &ctx.actor.username,
                r.revision,
                now,
            )
            .await?;
            r.id
        }
        None => {
            repo::insert_report(
                &mut tx,
                project_id,
                &m,
                status.key(),
                &values(&fields),
                &app.local_today().to_string(),
                &ctx.actor.username,
                None,
                now,
            )
            .await?
        }
    };
    audit(
        app,
        &mut tx,
        ctx,
        "submit",
        "monthly_report",
        Some(id.to_string()),
        existing.as_ref(),
        Some(&serde_json::json!({ "project_id": project_id, "month": m, "fields": fields })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn load_for_review(tx: &mut Tx, ctx: &Ctx, report_id: i64) -> Result<ReportRow> {
    let r = repo::get_report_by_id(tx, report_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    visible(tx, ctx, r.project_id, Action::ReviewReports).await?;
    Ok(r)
}

/// 审核通过 or 退回 (with a reason).
pub async fn review(
    app: &App,
    ctx: &Ctx,
    report_id: i64,
    version: i64,
    approve: bool,
    reason: &str,
) -> Result<()> {
    let mut tx = app.db.begin_write().await?;
    let r = load_for_review(&mut tx, ctx, report_id).await?;
    let action = if approve {
        ReportAction::Approve
    } else {
        ReportAction::Return
    };
    let status = next_status(ReportStatus::from_key(&r.status), action).map_err(refused)?;
    let reason = if approve {
        String::new()
    } else {
        keyproj_domain::error::check_text("reason", "退回原因", reason, true, 500)?
    };
    repo::review_report(
        &mut tx,
        r.id,
        version,
        status.key(),
        &reason,
        &ctx.actor.username,
        app.now(),
    )
    .await?;
    audit(
        app,
        &mut tx,
        ctx,
        if approve { "approve" } else { "return" },
        "monthly_report",
        Some(r.id.to_string()),
        Some(&r.status),
        Some(&serde_json::json!({ "status": status.key(), "reason": reason })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Corrects an approved report: the old values are kept as a revision with the reason.
pub async fn revise(
    app: &App,
    ctx: &Ctx,
    report_id: i64,
    version: i64,
    draft: &ReportDraft,
    reason: &str,
) -> Result<()> {
    let fields = draft.validate()?;
    let reason = rules::check_revision_reason(reason)?;
    let mut tx = app.db.begin_write().await?;
    let r = load_for_review(&mut tx, ctx, report_id).await?;
    next_status(ReportStatus::from_key(&r.status), ReportAction::Revise).map_err(refused)?;
    let now = app.now();
    let user_id = Some(ctx.actor.user_id).filter(|u| *u != 0);
    repo::insert_report_revision(&mut tx, &r, &reason, user_id, &ctx.actor.username, now).await?;
    repo::update_report(
        &mut tx,
        r.id,
        version,
        ReportStatus::Approved.key(),
        &values(&fields),
        &r.submitted_by,
        r.revision + 1,
        now,
    )
    .await?;
    audit(
        app,
        &mut tx,
        ctx,
        "revise",
        "monthly_report",
        Some(r.id.to_string()),
        Some(&r),
        Some(
            &serde_json::json!({ "fields": fields, "reason": reason, "revision": r.revision + 1 }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One project's status for a month (review queue, 待报 lists, missing reports per unit).
#[derive(Debug, Clone, Serialize)]
pub struct MonthLine {
    pub line: PlanLine,
    pub report: Option<ReportRow>,
    pub late: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonthOverview {
    pub month: ReportMonth,
    pub due: chrono::NaiveDate,
    pub lines: Vec<MonthLine>,
    /// (lead unit name, missing count), most missing first.
    pub missing_by_unit: Vec<(String, usize)>,
}

/// Every planned project of the month's year that the actor may see, with its report.
pub async fn month_overview(app: &App, ctx: &Ctx, month: ReportMonth) -> Result<MonthOverview> {
    let (region, unit, owner) = line_scope(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let lines = repo::plan_lines(&mut tx, &region, month.year() as i64, unit, owner).await?;
    let reports = repo::reports_of_month(&mut tx, &region, &month.to_string()).await?;
    let deadline = crate::colour::rules_for_tx(&mut tx, &ctx.actor.region, month.year())
        .await?
        .2;
    let mut missing: std::collections::BTreeMap<String, usize> = Default::default();
    let mut out = vec![];
    for l in lines {
        let report = reports
            .iter()
            .find(|r| r.project_id == l.project_id)
            .cloned();
        let late = report
            .as_ref()
            .and_then(|r| chrono::NaiveDate::parse_from_str(&r.first_submitted_on, "%Y-%m-%d").ok())
            .is_some_and(|d| rules::is_late(month, deadline, d));
        if report.is_none() {
            *missing
                .entry(
                    l.lead_unit_name
                        .clone()
                        .unwrap_or_else(|| "（未定牵头单位）".into()),
                )
                .or_default() += 1;
        }
        out.push(MonthLine {
            line: l,
            report,
            late,
        });
    }
    let mut missing_by_unit: Vec<(String, usize)> = missing.into_iter().collect();
    missing_by_unit.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(MonthOverview {
        month,
        due: rules::due_date(month, deadline),
        lines: out,
        missing_by_unit,
    })
}

/// Whether the actor only reports (owners and unit users see "本月待报").
pub fn is_reporter(ctx: &Ctx) -> bool {
    !ctx.actor.has(Role::CenterStaff)
        && (ctx.actor.has(Role::Owner) || ctx.actor.has(Role::UnitUser))
}
