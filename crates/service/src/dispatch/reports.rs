//! Monthly reports (月报): the owner or the lead unit reports a month, staff approve or return it
//! with a reason, and an approved month is corrected only as a revision with a reason (the old
//! figures kept). Approved figures are what the colour table and the statistics count.

use super::line_scope;
use crate::projects::visible;
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error, require};
use chrono::{Datelike, NaiveDate};
use keyproj_db::Tx;
use keyproj_db::repo::dispatch::plans::{self as plan_repo, LineScope, PlanLine, PlanRow};
use keyproj_db::repo::dispatch::reports::{
    self as repo, ApprovedMonth, NewReport, ReportRevisionRow, ReportRow, ReportUpdate,
};
use keyproj_domain::authz::{Action, Role};
use keyproj_domain::ids::{ProjectId, ReportId};
use keyproj_domain::notification::NotificationKind;
use keyproj_domain::report::{
    self as rules, ReportAction, ReportDraft, ReportFields, ReportStatus, next_status,
};
use keyproj_domain::{Money, ReportMonth};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub project_id: ProjectId,
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
    pub due: NaiveDate,
}

/// The day of the following month reports are due, in a region and year.
pub(crate) async fn deadline_day(
    tx: &mut Tx,
    region: &keyproj_domain::RegionCode,
    year: i32,
) -> Result<u32> {
    Ok(crate::rules::colour_in(tx, region, year)
        .await?
        .deadline_day)
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn report(
    app: &App,
    ctx: &Ctx,
    project_id: ProjectId,
    month: ReportMonth,
) -> Result<ReportView> {
    let mut tx = app.db.begin_read().await?;
    let (p, _) = visible(&mut tx, ctx, project_id, Action::ViewProject).await?;
    let report = repo::get_report(&mut tx, project_id, month).await?;
    let previous = repo::get_report(&mut tx, project_id, month.prev()).await?;
    let plan = plan_repo::get_plan(&mut tx, project_id, month.year()).await?;
    let first = ReportMonth::new(1990, 1).unwrap_or(month);
    let amounts: Vec<(ReportMonth, Money)> =
        repo::approved_amounts(&mut tx, &p.region_code, first, month)
            .await?
            .into_iter()
            .filter(|a| a.project_id == project_id)
            .map(|a| (a.month, a.amount))
            .collect();
    let (ytd, since_start) = rules::cumulative(&amounts, month);
    let revisions = match &report {
        Some(r) => repo::report_revisions(&mut tx, r.id).await?,
        None => vec![],
    };
    let deadline = deadline_day(&mut tx, &p.region_code, month.year()).await?;
    let late = report
        .as_ref()
        .is_some_and(|r| rules::is_late(month, deadline, r.first_submitted_on));
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

fn refused(msg: &str) -> ServiceError {
    field_error("status", "illegal_transition", msg)
}

/// Submits (or re-submits) a month's report. A month cannot be reported before it begins.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn submit(
    app: &App,
    ctx: &Ctx,
    project_id: ProjectId,
    month: ReportMonth,
    version: Option<i64>,
    draft: &ReportDraft,
) -> Result<ReportId> {
    let mut w = Work::begin(app, ctx).await?;
    let id = submit_in(&mut w, project_id, month, version, draft).await?;
    w.commit().await?;
    Ok(id)
}

/// [`submit`] inside a caller's work.
pub(crate) async fn submit_in(
    w: &mut Work<'_>,
    project_id: ProjectId,
    month: ReportMonth,
    version: Option<i64>,
    draft: &ReportDraft,
) -> Result<ReportId> {
    let ctx = w.ctx;
    let today = w.today();
    // who may see and act first (404/403), then what was typed (422)
    visible(&mut w.tx, ctx, project_id, Action::SubmitReport).await?;
    let fields = draft.validate()?;
    check_reportable(&mut w.tx, project_id, month, today).await?;
    let existing = repo::get_report(&mut w.tx, project_id, month).await?;
    let status =
        next_status(existing.as_ref().map(|r| r.status), ReportAction::Submit).map_err(refused)?;
    let id = match &existing {
        Some(r) => {
            repo::update_report(
                &mut w.tx,
                r.id,
                version.unwrap_or(-1),
                &ReportUpdate {
                    status,
                    fields: &fields,
                    submitted_by: &ctx.actor.username,
                    revision: r.revision,
                },
                w.now,
            )
            .await?;
            r.id
        }
        None => {
            repo::insert_report(
                &mut w.tx,
                &NewReport {
                    project_id,
                    month,
                    status,
                    fields: &fields,
                    first_submitted_on: today,
                    submitted_by: &ctx.actor.username,
                    reviewed_by: None,
                },
                w.now,
            )
            .await?
        }
    };
    let audit = Audit::new("submit", "monthly_report").id(id);
    let audit = match &existing {
        Some(r) => audit.before(r),
        None => audit,
    };
    w.audit(
        audit.after(
            &serde_json::json!({ "project_id": project_id, "month": month, "fields": fields }),
        ),
    )
    .await?;
    Ok(id)
}

async fn load_for_review(tx: &mut Tx, ctx: &Ctx, report_id: ReportId) -> Result<ReportRow> {
    let r = repo::get_report_by_id(tx, report_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    visible(tx, ctx, r.project_id, Action::ReviewReports).await?;
    Ok(r)
}

/// 审核通过 or 退回 (with a reason).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn review(
    app: &App,
    ctx: &Ctx,
    report_id: ReportId,
    version: i64,
    approve: bool,
    reason: &str,
) -> Result<()> {
    let mut w = Work::begin(app, ctx).await?;
    review_in(&mut w, report_id, version, approve, reason).await?;
    w.commit().await
}

pub(crate) async fn review_in(
    w: &mut Work<'_>,
    report_id: ReportId,
    version: i64,
    approve: bool,
    reason: &str,
) -> Result<()> {
    let r = load_for_review(&mut w.tx, w.ctx, report_id).await?;
    let action = if approve {
        ReportAction::Approve
    } else {
        ReportAction::Return
    };
    let status = next_status(Some(r.status), action).map_err(refused)?;
    let reason = if approve {
        String::new()
    } else {
        keyproj_domain::error::check_text("reason", "退回原因", reason, true, 500)?
    };
    repo::review_report(
        &mut w.tx,
        r.id,
        version,
        status,
        &reason,
        &w.ctx.actor.username,
        w.now,
    )
    .await?;
    w.audit(
        Audit::new(if approve { "approve" } else { "return" }, "monthly_report")
            .id(r.id)
            .before(&r.status)
            .after(&serde_json::json!({ "status": status, "reason": reason })),
    )
    .await?;
    if !approve {
        // the owner (else the lead unit) must report again: a to-do entry and a message
        let p = keyproj_db::repo::projects::get(&mut w.tx, r.project_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if let Some(unit) = p.owner_unit_id.or(p.lead_unit_id) {
            crate::notifications::notify_in(
                w,
                &p.region_code,
                &crate::notifications::Notice {
                    unit,
                    kind: NotificationKind::ReportReturned,
                    item: None,
                    document: None,
                    link: format!("/reports/{}/{}", p.id, r.month),
                    text: format!(
                        "{}的{}月报被退回，请修改后重新报送。退回原因：{reason}",
                        p.name,
                        r.month.chinese()
                    ),
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// What a 催报 sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reminded {
    /// Units that received a reminder.
    pub units: usize,
    /// Projects not yet reported.
    pub projects: usize,
}

/// 催报: one message (to-do entry and webhook) to every owner and lead unit with a project of
/// the month's plan that has not reported the month, naming the projects and the deadline.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn remind_missing(app: &App, ctx: &Ctx, month: ReportMonth) -> Result<Reminded> {
    require(ctx, Action::ReviewReports)?;
    if month > ReportMonth::of(app.local_today()) {
        return Err(field_error("month", "future", "不能催报尚未开始的月份"));
    }
    let region = ctx.actor.region.clone();
    let mut w = Work::begin(app, ctx).await?;
    // one reminder a month per hour: a second click must not flood the units (or their SMS)
    if keyproj_db::repo::notifications::count_recent(
        &mut w.tx,
        &region,
        NotificationKind::ReportReminder,
        &format!("/reports?month={month}"),
        w.now - chrono::Duration::hours(1),
    )
    .await?
        > 0
    {
        return Err(field_error(
            "month",
            "reminded",
            format!("{}月报一小时内已催报过，请稍后再催", month.chinese()),
        ));
    }
    let lines = plan_repo::plan_lines(&mut w.tx, &region, month.year(), LineScope::Region).await?;
    let reported: std::collections::HashSet<ProjectId> =
        repo::reports_of_month(&mut w.tx, &region, month)
            .await?
            .into_iter()
            .map(|r| r.project_id)
            .collect();
    let deadline = deadline_day(&mut w.tx, &region, month.year()).await?;
    let due = rules::due_date(month, deadline);
    // unit → the names of its projects not reported (owner and lead unit each hear of it)
    let mut by_unit: std::collections::BTreeMap<keyproj_domain::ids::UnitId, Vec<String>> =
        Default::default();
    let mut projects = 0;
    for l in lines.iter().filter(|l| !reported.contains(&l.project_id)) {
        projects += 1;
        let units = [l.owner_unit_id, l.lead_unit_id];
        for u in units.into_iter().flatten() {
            let names = by_unit.entry(u).or_default();
            if !names.contains(&l.name) {
                names.push(l.name.clone());
            }
        }
    }
    for (unit, names) in &by_unit {
        let shown = if names.len() > 5 {
            format!("{}等{}个项目", names[..5].join("、"), names.len())
        } else {
            names.join("、")
        };
        crate::notifications::notify_in(
            &mut w,
            &region,
            &crate::notifications::Notice {
                unit: *unit,
                kind: NotificationKind::ReportReminder,
                item: None,
                document: None,
                link: format!("/reports?month={month}"),
                text: format!(
                    "催报：{shown}尚未报送{}月报，报送截止日为{}，请尽快报送。",
                    month.chinese(),
                    keyproj_domain::month::chinese_date(due)
                ),
            },
        )
        .await?;
    }
    let out = Reminded {
        units: by_unit.len(),
        projects,
    };
    w.audit(Audit::new("remind", "monthly_report").after(
        &serde_json::json!({ "month": month, "units": out.units, "projects": out.projects }),
    ))
    .await?;
    w.commit().await?;
    Ok(out)
}

/// Reports waiting for review (待审核) in the actor's region, oldest month first.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn pending_review(app: &App, ctx: &Ctx, limit: i64) -> Result<Vec<repo::PendingReport>> {
    require(ctx, Action::ReviewReports)?;
    let mut tx = app.db.begin_read().await?;
    Ok(repo::pending_review(&mut tx, &ctx.actor.region, limit).await?)
}

/// Corrects an approved report: the old values are kept as a revision with the reason.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn revise(
    app: &App,
    ctx: &Ctx,
    report_id: ReportId,
    version: i64,
    draft: &ReportDraft,
    reason: &str,
) -> Result<()> {
    let mut w = Work::begin(app, ctx).await?;
    let r = load_for_review(&mut w.tx, ctx, report_id).await?;
    let fields = draft.validate()?;
    revise_in(&mut w, &r, version, &fields, reason).await?;
    w.commit().await
}

/// [`revise`] inside a caller's work, for a report the caller loaded through
/// `load_for_review` (which authorizes) or, in an import, through the project it may change.
pub(crate) async fn revise_in(
    w: &mut Work<'_>,
    r: &ReportRow,
    version: i64,
    fields: &ReportFields,
    reason: &str,
) -> Result<()> {
    let reason = rules::check_revision_reason(reason)?;
    next_status(Some(r.status), ReportAction::Revise).map_err(refused)?;
    let ctx = w.ctx;
    repo::insert_report_revision(
        &mut w.tx,
        r,
        &reason,
        ctx.actor.user_id,
        &ctx.actor.username,
        w.now,
    )
    .await?;
    repo::update_report(
        &mut w.tx,
        r.id,
        version,
        &ReportUpdate {
            status: ReportStatus::Approved,
            fields,
            submitted_by: &r.submitted_by,
            revision: r.revision + 1,
        },
        w.now,
    )
    .await?;
    w.audit(
        Audit::new("revise", "monthly_report")
            .id(r.id)
            .before(r)
            .after(&serde_json::json!({ "fields": fields, "reason": reason, "revision": r.revision + 1 })),
    )
    .await
}

/// What recording a month as approved did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Created,
    Unchanged,
    /// An approved month with other figures: a revision with the reason given.
    Revised,
    /// A submitted or returned month, now with these figures and approved.
    Approved,
}

/// Whether the actor may record approved months of a project: an import checks this once per
/// project, then calls [`record_approved_in`] for each of its months.
pub(crate) async fn may_record_approved_in(w: &mut Work<'_>, project_id: ProjectId) -> Result<()> {
    require(w.ctx, Action::ReviewReports)?;
    visible(&mut w.tx, w.ctx, project_id, Action::ReviewReports).await?;
    Ok(())
}

/// The stored reports of a project by month (an import reads them once per project).
pub(crate) async fn months_of_in(
    w: &mut Work<'_>,
    project_id: ProjectId,
) -> Result<std::collections::HashMap<ReportMonth, ReportRow>> {
    Ok(repo::reports_of_project(&mut w.tx, project_id)
        .await?
        .into_iter()
        .map(|r| (r.month, r))
        .collect())
}

/// The stored report of a month, read now (for a month this work may have written already).
pub(crate) async fn month_in(
    w: &mut Work<'_>,
    project_id: ProjectId,
    month: ReportMonth,
) -> Result<Option<ReportRow>> {
    Ok(repo::get_report(&mut w.tx, project_id, month).await?)
}

/// Records a month as reported and approved (an import): created, approved, revised with the
/// reason, or left as it is — for a project [`may_record_approved_in`] allowed in this work,
/// given the month's stored report as it is in this work (`existing`).
pub(crate) async fn record_approved_in(
    w: &mut Work<'_>,
    project_id: ProjectId,
    month: ReportMonth,
    existing: Option<ReportRow>,
    fields: &ReportFields,
    reported_on: NaiveDate,
    reason: &str,
) -> Result<Recorded> {
    let ctx = w.ctx;
    match existing {
        None => {
            let on = reported_on;
            let id = repo::insert_report(
                &mut w.tx,
                &NewReport {
                    project_id,
                    month,
                    status: ReportStatus::Approved,
                    fields,
                    first_submitted_on: on,
                    submitted_by: &ctx.actor.username,
                    reviewed_by: Some(&ctx.actor.username),
                },
                w.now,
            )
            .await?;
            w.audit(Audit::create("monthly_report", id).after(
                &serde_json::json!({ "project_id": project_id, "month": month, "fields": fields, "reported_on": on, "status": ReportStatus::Approved }),
            ))
            .await?;
            Ok(Recorded::Created)
        }
        Some(old) if old.status == ReportStatus::Approved && old.fields == *fields => {
            Ok(Recorded::Unchanged)
        }
        Some(old) if old.status == ReportStatus::Approved => {
            revise_in(w, &old, old.version, fields, reason).await?;
            Ok(Recorded::Revised)
        }
        Some(old) => {
            repo::update_report(
                &mut w.tx,
                old.id,
                old.version,
                &ReportUpdate {
                    status: old.status,
                    fields,
                    submitted_by: &ctx.actor.username,
                    revision: old.revision,
                },
                w.now,
            )
            .await?;
            repo::review_report(
                &mut w.tx,
                old.id,
                old.version + 1,
                ReportStatus::Approved,
                "",
                &ctx.actor.username,
                w.now,
            )
            .await?;
            w.audit(
                Audit::new("approve", "monthly_report")
                    .id(old.id)
                    .before(&old)
                    .after(
                        &serde_json::json!({ "fields": fields, "status": ReportStatus::Approved }),
                    ),
            )
            .await?;
            Ok(Recorded::Approved)
        }
    }
}

/// One project's status for a month (review queue, 待报 lists, missing reports per unit).
#[derive(Debug, Clone, Serialize)]
pub struct MonthLine {
    pub line: PlanLine,
    pub report: Option<ReportRow>,
    pub late: bool,
}

/// A unit and how many of its projects have not reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub unit_name: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonthOverview {
    pub month: ReportMonth,
    pub due: NaiveDate,
    pub lines: Vec<MonthLine>,
    /// Per lead unit, most missing first.
    pub missing_by_unit: Vec<Missing>,
}

/// Every planned project of the month's year that the actor may see, with its report.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn month_overview(app: &App, ctx: &Ctx, month: ReportMonth) -> Result<MonthOverview> {
    let (region, scope) = line_scope(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let lines = plan_repo::plan_lines(&mut tx, &region, month.year(), scope).await?;
    let reports = repo::reports_of_month(&mut tx, &region, month).await?;
    let deadline = deadline_day(&mut tx, &ctx.actor.region, month.year()).await?;
    let mut by_project: HashMap<ProjectId, ReportRow> =
        reports.into_iter().map(|r| (r.project_id, r)).collect();
    let mut missing: std::collections::BTreeMap<String, usize> = Default::default();
    let mut out = vec![];
    for l in lines {
        let report = by_project.remove(&l.project_id);
        let late = report
            .as_ref()
            .is_some_and(|r| rules::is_late(month, deadline, r.first_submitted_on));
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
    let mut missing_by_unit: Vec<Missing> = missing
        .into_iter()
        .map(|(unit_name, count)| Missing { unit_name, count })
        .collect();
    missing_by_unit.sort_by(|a, b| b.count.cmp(&a.count).then(a.unit_name.cmp(&b.unit_name)));
    Ok(MonthOverview {
        month,
        due: rules::due_date(month, deadline),
        lines: out,
        missing_by_unit,
    })
}

/// The month a page opens on when none is asked: for those who report, the month just ended
/// (本月待报); for the others, the latest month with reports up to it, so a page never opens
/// on an empty month when there is data.
pub async fn default_month(app: &App, ctx: &Ctx) -> Result<ReportMonth> {
    let due = ReportMonth::of(app.local_today()).prev();
    if is_reporter(ctx) {
        return Ok(due);
    }
    let mut tx = app.db.begin_read().await?;
    // a year being planned is a year being reported: its month just ended, even when empty
    if plan_repo::latest_plan_year(&mut tx, &ctx.actor.region, due.year()).await?
        == Some(due.year())
    {
        return Ok(due);
    }
    Ok(repo::latest_report_month(&mut tx, &ctx.actor.region, due)
        .await?
        .unwrap_or(due))
}

/// The plan year a page opens on when none is asked: the latest with plans up to this year.
pub async fn default_year(app: &App, ctx: &Ctx) -> Result<i32> {
    let year = app.local_today().year();
    let mut tx = app.db.begin_read().await?;
    Ok(
        plan_repo::latest_plan_year(&mut tx, &ctx.actor.region, year)
            .await?
            .unwrap_or(year),
    )
}

/// A month is reported only when it has begun and the project has a plan for its year (a
/// month outside the plans would add figures no table counts).
pub(crate) async fn check_reportable(
    tx: &mut Tx,
    project_id: ProjectId,
    month: ReportMonth,
    today: NaiveDate,
) -> Result<()> {
    if month > ReportMonth::of(today) {
        return Err(field_error("month", "future", "不能填报尚未开始的月份"));
    }
    if plan_repo::get_plan(tx, project_id, month.year())
        .await?
        .is_none()
    {
        return Err(field_error(
            "month",
            "no_plan",
            format!(
                "该项目未纳入{}年度计划，不能填报该年的月报（请先编制年度计划）",
                month.year()
            ),
        ));
    }
    Ok(())
}

/// Whether the actor only reports (owners and unit users see "本月待报").
pub fn is_reporter(ctx: &Ctx) -> bool {
    !ctx.actor.has(Role::CenterStaff)
        && (ctx.actor.has(Role::Owner) || ctx.actor.has(Role::UnitUser))
}

/// The 存在问题 a project's report of a month states ("" without a report).
pub(crate) async fn problems_text(
    tx: &mut Tx,
    project_id: ProjectId,
    month: ReportMonth,
) -> Result<String> {
    Ok(repo::get_report(tx, project_id, month)
        .await?
        .map(|r| r.fields.problems)
        .unwrap_or_default())
}

/// Approved amounts of one year per project and month (index 0 = January): one pass over the
/// rows instead of a scan per project.
pub(crate) fn approved_by_month(amounts: &[ApprovedMonth]) -> HashMap<ProjectId, [Money; 12]> {
    let mut out: HashMap<ProjectId, [Money; 12]> = HashMap::new();
    for a in amounts {
        let i = a.month.month() as usize - 1;
        let e = out.entry(a.project_id).or_insert([Money::ZERO; 12]);
        e[i] += a.amount;
    }
    out
}

/// The sum of a project's approved months (zero without any).
pub(crate) fn approved_sum(by_month: &HashMap<ProjectId, [Money; 12]>, p: ProjectId) -> Money {
    by_month
        .get(&p)
        .map(|m| m.iter().copied().sum())
        .unwrap_or(Money::ZERO)
}
