//! Colour rules (data, versioned per region and year), the computed colour table of a month,
//! exemptions (正当理由), and published issues (第N期), which are frozen snapshots.

use super::reports::approved_by_month;
use crate::rules::{ColourRulesInForce, DEFAULT_DEADLINE_DAY, colour_in};
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error, require};
use chrono::NaiveDate;
use keyproj_db::Tx;
use keyproj_db::repo::dispatch::colour::{
    self as repo, IssueLine, IssueRow, NewIssue, NewRules, Published, RulesRow,
};
use keyproj_db::repo::dispatch::plans::{self as plan_repo, LineScope};
use keyproj_db::repo::dispatch::reports as report_repo;
use keyproj_db::repo::projects as project_repo;
use keyproj_domain::authz::Action;
use keyproj_domain::colour::{
    Colour, ColourRules, MonthFacts, Reason, Reporting, RulesDraft, evaluate,
};
use keyproj_domain::ids::{IssueId, ProjectId, RulesId};
use keyproj_domain::plan::check_year;
use keyproj_domain::report::{due_date, is_late};
use keyproj_domain::{Money, RegionCode, ReportMonth};
use serde::Serialize;
use std::collections::HashMap;

pub async fn rules_for(app: &App, region: &RegionCode, year: i32) -> Result<ColourRulesInForce> {
    let mut tx = app.db.begin_read().await?;
    colour_in(&mut tx, region, year).await
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn rules_history(app: &App, ctx: &Ctx, year: i32) -> Result<Vec<RulesRow>> {
    require(ctx, Action::ViewProject)?;
    let mut tx = app.db.begin_read().await?;
    Ok(repo::rules_history(&mut tx, &ctx.actor.region, year).await?)
}

fn parse_deadline(s: &str) -> Result<u32> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|d| (1..=28).contains(d))
        .ok_or_else(|| {
            field_error(
                "deadline_day",
                "invalid_day",
                "报送截止日应为1到28之间的整数（次月几日）",
            )
        })
}

/// Saves a new version of the year's rules (the old versions stay; published issues keep the
/// version they used).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn save_rules(
    app: &App,
    ctx: &Ctx,
    year: i32,
    draft: &RulesDraft,
    deadline_day: &str,
    reason: &str,
) -> Result<RulesId> {
    require(ctx, Action::PublishColour)?;
    check_year("year", &year.to_string())?;
    let rules = draft.validate()?;
    let day = parse_deadline(deadline_day)?;
    let reason = keyproj_domain::error::check_text("reason", "修改原因", reason, true, 500)?;
    let region = &ctx.actor.region;
    let mut w = Work::begin(app, ctx).await?;
    let before = colour_in(&mut w.tx, region, year).await?;
    let id = repo::insert_rules(
        &mut w.tx,
        &NewRules {
            region,
            year,
            rules: &rules,
            deadline_day: day,
            reason: &reason,
            username: &ctx.actor.username,
        },
        w.now,
    )
    .await?;
    w.audit(
        Audit::update("colour_rules", id)
            .before(&serde_json::json!({ "rules": before.rules, "deadline_day": before.deadline_day }))
            .after(&serde_json::json!({ "year": year, "rules": rules, "deadline_day": day, "reason": reason })),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// Records a justified reason (正当理由) that suspends a project-month's colour.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn exempt(
    app: &App,
    ctx: &Ctx,
    project_id: ProjectId,
    month: ReportMonth,
    reason: &str,
) -> Result<()> {
    let reason = keyproj_domain::error::check_text("reason", "正当理由", reason, true, 500)?;
    let mut w = Work::begin(app, ctx).await?;
    crate::projects::visible(&mut w.tx, ctx, project_id, Action::ReviewReports).await?;
    let id = repo::insert_exemption(
        &mut w.tx,
        project_id,
        month,
        &reason,
        &ctx.actor.username,
        w.now,
    )
    .await
    .map_err(|e| match e {
        keyproj_db::DbError::Duplicate(m) => field_error("reason", "duplicate", m),
        o => o.into(),
    })?;
    w.audit(
        Audit::create("colour_exemption", id).after(
            &serde_json::json!({ "project_id": project_id, "month": month, "reason": reason }),
        ),
    )
    .await?;
    w.commit().await
}

/// A computed (not yet published) colour table.
#[derive(Debug, Clone, Serialize)]
pub struct ColourTable {
    pub month: ReportMonth,
    pub rules_id: Option<RulesId>,
    pub rules: ColourRules,
    pub rows: Vec<IssueLine>,
}

/// Every fact of a region's plan year the table needs, read once.
struct YearFacts {
    reports: HashMap<(ProjectId, u32), NaiveDate>,
    exemptions: HashMap<(ProjectId, u32), String>,
    progress: HashMap<ProjectId, String>,
}

async fn year_facts(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    months: std::ops::RangeInclusive<u32>,
    month: ReportMonth,
) -> Result<YearFacts> {
    let mut f = YearFacts {
        reports: HashMap::new(),
        exemptions: HashMap::new(),
        progress: HashMap::new(),
    };
    for mo in months {
        let Some(m) = ReportMonth::new(year, mo) else {
            continue;
        };
        for r in report_repo::reports_of_month(tx, region, m).await? {
            if m == month {
                f.progress.insert(r.project_id, r.fields.progress.clone());
            }
            f.reports.insert((r.project_id, mo), r.first_submitted_on);
        }
        for e in repo::exemptions(tx, region, m).await? {
            f.exemptions.insert((e.project_id, mo), e.reason);
        }
    }
    Ok(f)
}

/// Computes the colour of every planned project of the region for `month`, as of the local date
/// `today`: a month whose report is not yet due is not counted as missing.
pub async fn compute(
    tx: &mut Tx,
    region: &RegionCode,
    month: ReportMonth,
    today: NaiveDate,
) -> Result<ColourTable> {
    let year = month.year();
    let ColourRulesInForce {
        id: rules_id,
        rules,
        deadline_day,
    } = colour_in(tx, region, year).await?;
    let mut lines = plan_repo::plan_lines(tx, region, year, LineScope::Region).await?;
    lines.sort_by_key(|l| (l.plan.category, l.level));
    let january = ReportMonth::new(year, 1).unwrap_or(month);
    let amounts = report_repo::approved_amounts(tx, region, january, month).await?;
    let by_month = approved_by_month(&amounts);
    let milestones = plan_repo::open_milestones(tx, region, year, month).await?;
    // Months to evaluate: all of the year so far when escalation needs the streak.
    let first = if rules.escalate_after_yellows.is_some() {
        1
    } else {
        month.month()
    };
    let facts = year_facts(tx, region, year, first..=month.month(), month).await?;
    let ids: Vec<ProjectId> = lines.iter().map(|l| l.project_id).collect();
    let responsible = project_repo::responsible_units_of(tx, &ids).await?;
    let mut rows = vec![];
    for (i, l) in lines.iter().enumerate() {
        let mut streak = 0u32;
        let mut last = None;
        for mo in first..=month.month() {
            let Some(m) = ReportMonth::new(year, mo) else {
                continue;
            };
            let ytd: Money = by_month
                .get(&l.project_id)
                .map(|a| a[..mo as usize].iter().copied().sum())
                .unwrap_or(Money::ZERO);
            let reporting = match facts.reports.get(&(l.project_id, mo)) {
                // Not reported yet, but not due yet either: nothing to mark.
                None if today <= due_date(m, deadline_day) => Reporting::OnTime,
                None => Reporting::Missing,
                Some(d) if is_late(m, deadline_day, *d) => Reporting::Late,
                Some(_) => Reporting::OnTime,
            };
            let month_facts = MonthFacts {
                category: l.plan.category,
                month: m,
                annual_plan: l.plan.annual_plan,
                own_plan_to_month: l.plan.cumulative_to(mo),
                completed_ytd: ytd,
                planned_start: l.planned_start,
                // Every fact as of the month: a start recorded for a later month had not
                // happened yet, so the table of a month does not depend on when it is published.
                actual_start: l.actual_start.filter(|s| *s <= m),
                milestone_months_late: milestones
                    .iter()
                    .filter(|o| o.project_id == l.project_id)
                    // reached by the end of this month: no longer late
                    .filter(|o| o.actual_month.is_none_or(|a| a > m))
                    .map(|o| o.planned_month.months_until(m))
                    .filter(|n| *n >= 0)
                    .collect(),
                reporting,
                exempt: facts.exemptions.contains_key(&(l.project_id, mo)),
                yellow_streak_before: streak,
            };
            let e = evaluate(&rules, &month_facts);
            let base_yellow = e.colour == Colour::Yellow || e.reasons.contains(&Reason::Escalated);
            streak = if base_yellow { streak + 1 } else { 0 };
            last = Some((e, ytd));
        }
        let Some((e, ytd)) = last else {
            continue;
        };
        let mut reasons: Vec<&str> = e.reasons.iter().map(|r| r.label()).collect();
        if facts
            .exemptions
            .contains_key(&(l.project_id, month.month()))
        {
            reasons.push("正当理由");
        }
        rows.push(IssueLine {
            seq: i as i64 + 1,
            project_id: l.project_id,
            category: l.plan.category,
            level: l.level,
            name: l.name.clone(),
            content_scale: l.content_scale.clone(),
            total_investment: l.total_investment,
            annual_plan: l.plan.annual_plan,
            completed_ytd: ytd,
            completion_bp: e.completion_bp,
            baseline_bp: e.baseline_bp,
            progress: facts
                .progress
                .get(&l.project_id)
                .cloned()
                .unwrap_or_default(),
            leader_name: l.leader_name.clone().unwrap_or_default(),
            lead_unit_name: l.lead_unit_name.clone().unwrap_or_default(),
            responsible_units: responsible
                .iter()
                .filter(|u| u.project_id == l.project_id)
                .map(|u| u.unit_name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            colour: e.colour,
            reasons: reasons.join("、"),
        });
    }
    Ok(ColourTable {
        month,
        rules_id,
        rules,
        rows,
    })
}

/// The computed table for staff (preview before publishing).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn preview(app: &App, ctx: &Ctx, month: ReportMonth) -> Result<ColourTable> {
    require(ctx, Action::PublishColour)?;
    let mut tx = app.db.begin_read().await?;
    compute(&mut tx, &ctx.actor.region, month, app.local_today()).await
}

/// Publishes the month's table as the next numbered issue of its year; a frozen snapshot. A
/// month is published once; a correction names the issue it corrects and says what changed.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn publish(
    app: &App,
    ctx: &Ctx,
    month: ReportMonth,
    corrects: Option<IssueId>,
    note: &str,
) -> Result<Published> {
    require(ctx, Action::PublishColour)?;
    let note = keyproj_domain::error::check_text("note", "说明", note, corrects.is_some(), 500)
        .map_err(|mut e| {
            if corrects.is_some() && e.code == "required" {
                e.message = "更正期须说明更正了什么".into();
            }
            e
        })?;
    if month > ReportMonth::of(app.local_today()) {
        return Err(field_error("month", "future", "不能发布尚未开始的月份"));
    }
    let region = ctx.actor.region.clone();
    let mut w = Work::begin(app, ctx).await?;
    if let Some(c) = corrects {
        let orig = repo::get_issue(&mut w.tx, c)
            .await?
            .filter(|i| i.region_code == region)
            .ok_or_else(|| field_error("corrects", "unknown_issue", "要更正的期次不存在"))?;
        if orig.as_of_month != month {
            return Err(field_error(
                "corrects",
                "other_month",
                format!(
                    "第{}期是{}的分色表，只能用同一月份的新表更正",
                    orig.number,
                    orig.as_of_month.chinese()
                ),
            ));
        }
    } else if let Some(done) = repo::list_issues(&mut w.tx, &region)
        .await?
        .into_iter()
        .find(|i| i.as_of_month == month)
    {
        // the same month twice would be two numbered issues saying the same thing
        return Err(field_error(
            "corrects",
            "already_published",
            format!(
                "{}的分色表已发布为{}年第{}期；如需更正，请在“更正期次”中选择该期并说明更正内容",
                month.chinese(),
                done.year,
                done.number
            ),
        ));
    }
    let today = w.today();
    let mut table = compute(&mut w.tx, &region, month, today).await?;
    if table.rows.is_empty() {
        return Err(field_error(
            "month",
            "empty",
            format!(
                "{}年没有纳入年度计划的项目，分色表为空，不能发布（请先编制年度计划）",
                month.year()
            ),
        ));
    }
    // a month nobody's report was approved for would colour every project as 未报
    if report_repo::approved_amounts(&mut w.tx, &region, month, month)
        .await?
        .is_empty()
    {
        return Err(field_error(
            "month",
            "no_reports",
            format!(
                "{}尚无审核通过的月报，发布将使全部项目按未报计色；请先审核本月月报再发布",
                month.chinese()
            ),
        ));
    }
    let rules_id = match table.rules_id {
        Some(id) => id,
        // Record the defaults as version 1, so the issue names the rules it used.
        None => {
            repo::insert_rules(
                &mut w.tx,
                &NewRules {
                    region: &region,
                    year: month.year(),
                    rules: &table.rules,
                    deadline_day: DEFAULT_DEADLINE_DAY,
                    reason: "默认规则（发布时记录）",
                    username: &ctx.actor.username,
                },
                w.now,
            )
            .await?
        }
    };
    table.rules_id = Some(rules_id);
    let region_name = keyproj_db::repo::org::get_region(&mut w.tx, &region)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let published = repo::insert_issue(
        &mut w.tx,
        &NewIssue {
            region_name: &region_name,
            region_code: &region,
            year: month.year(),
            as_of_month: month,
            rules_id,
            corrects_issue_id: corrects,
            note: &note,
            published_by: &ctx.actor.username,
        },
        &table.rows,
        w.now,
    )
    .await?;
    w.audit(Audit::new("publish", "colour_issue").id(published.id).after(
        &serde_json::json!({ "year": month.year(), "number": published.number, "month": month, "rows": table.rows.len(), "rules_id": rules_id, "corrects": corrects }),
    ))
    .await?;
    w.commit().await?;
    Ok(published)
}

/// The number the next issue of `year` would get (for the confirmation page).
pub async fn next_number(app: &App, region: &RegionCode, year: i32) -> Result<i64> {
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list_issues(&mut tx, region)
        .await?
        .iter()
        .filter(|i| i.year == year)
        .map(|i| i.number)
        .max()
        .unwrap_or(0)
        + 1)
}

pub async fn issues(app: &App, region: &RegionCode) -> Result<Vec<IssueRow>> {
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list_issues(&mut tx, region).await?)
}

#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    pub issue: IssueRow,
    pub rows: Vec<IssueLine>,
    pub title: String,
    pub corrects_number: Option<i64>,
}

/// A published issue. Issues are public once published (the board shows them), but an issue
/// belongs to a region: ids outside `region` do not exist for the caller.
pub async fn issue(app: &App, region: &RegionCode, id: IssueId) -> Result<Issue> {
    let mut tx = app.db.begin_read().await?;
    let issue = repo::get_issue(&mut tx, id)
        .await?
        .filter(|i| region.contains(&i.region_code))
        .ok_or(ServiceError::NotFound)?;
    let rows = repo::issue_lines(&mut tx, id).await?;
    let corrects_number = match issue.corrects_issue_id {
        Some(c) => repo::get_issue(&mut tx, c).await?.map(|i| i.number),
        None => None,
    };
    // the name frozen with the issue; issues from before it was kept read today's
    let region_name = if issue.region_name.is_empty() {
        keyproj_db::repo::org::get_region(&mut tx, &issue.region_code)
            .await?
            .map(|r| r.name)
            .unwrap_or_default()
    } else {
        issue.region_name.clone()
    };
    let title = format!(
        "{region_name}{}年重点建设项目进度分色表（第{}期）",
        issue.year, issue.number
    );
    Ok(Issue {
        issue,
        rows,
        title,
        corrects_number,
    })
}

/// The newest issue of a region (public board).
/// The newest issue of the region that is on the wall: published at least
/// `board_delay_minutes` ago (the public board shows nothing newer).
pub async fn on_wall(app: &App, region: &RegionCode) -> Result<Option<Issue>> {
    let cutoff = app.clock.now() - chrono::Duration::minutes(app.cfg.board_delay_minutes.max(0));
    let id = {
        let mut tx = app.db.begin_read().await?;
        repo::list_issues(&mut tx, region)
            .await?
            .into_iter()
            .find(|i| &i.region_code == region && i.published_at <= cutoff)
            .map(|i| i.id)
    };
    match id {
        Some(id) => Ok(Some(issue(app, region, id).await?)),
        None => Ok(None),
    }
}

/// Whether an issue is on the wall yet (see [`on_wall`]).
pub fn is_on_wall(app: &App, issue: &Issue) -> bool {
    issue.issue.published_at
        <= app.clock.now() - chrono::Duration::minutes(app.cfg.board_delay_minutes.max(0))
}

pub async fn latest(app: &App, region: &RegionCode) -> Result<Option<Issue>> {
    let id = {
        let mut tx = app.db.begin_read().await?;
        repo::latest_issue(&mut tx, region).await?.map(|i| i.id)
    };
    match id {
        Some(id) => Ok(Some(issue(app, region, id).await?)),
        None => Ok(None),
    }
}
