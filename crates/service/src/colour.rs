//! Colour rules (data, versioned per region and year), the computed colour table of a month,
//! and published issues (第N期), which are frozen snapshots.

use crate::{App, Ctx, Result, ServiceError, audit, field_error, require};
use keyproj_db::Tx;
use keyproj_db::repo::dispatch::{self as repo, IssueLine, IssueRow, NewIssue, RulesRow};
use keyproj_db::repo::projects as project_repo;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::Action;
use keyproj_domain::colour::{ColourRules, MonthFacts, Reporting, RulesDraft, evaluate};
use keyproj_domain::plan::YearCategory;
use keyproj_domain::project::Level;
use keyproj_domain::report::is_late;
use keyproj_domain::{Money, ReportMonth};
use serde::Serialize;
use std::collections::HashMap;

pub const DEFAULT_DEADLINE_DAY: u32 = 5;

/// The rules in force for a region and year: (stored row id, rules, report deadline day).
/// Falls back to the region above, then to the reference county's defaults.
pub async fn rules_for_tx(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<(Option<i64>, ColourRules, u32)> {
    let mut r = Some(region.clone());
    while let Some(code) = r {
        if let Some(row) = repo::latest_rules(tx, code.as_str(), year as i64).await? {
            let rules: ColourRules = serde_json::from_str(&row.rules_json)
                .map_err(|e| ServiceError::internal("colour rules", e))?;
            return Ok((Some(row.id), rules, row.deadline_day as u32));
        }
        r = code.parent();
    }
    Ok((None, ColourRules::default(), DEFAULT_DEADLINE_DAY))
}

pub async fn rules_for(
    app: &App,
    region: &RegionCode,
    year: i32,
) -> Result<(Option<i64>, ColourRules, u32)> {
    let mut tx = app.db.begin_read().await?;
    rules_for_tx(&mut tx, region, year).await
}

pub async fn rules_history(app: &App, ctx: &Ctx, year: i32) -> Result<Vec<RulesRow>> {
    require(ctx, Action::ViewProject)?;
    let mut tx = app.db.begin_read().await?;
    Ok(repo::rules_history(&mut tx, ctx.actor.region.as_str(), year as i64).await?)
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
pub async fn save_rules(
    app: &App,
    ctx: &Ctx,
    year: i32,
    draft: &RulesDraft,
    deadline_day: &str,
    reason: &str,
) -> Result<i64> {
    require(ctx, Action::PublishColour)?;
    keyproj_domain::plan::check_year("year", &year.to_string())?;
    let rules = draft.validate()?;
    let day = parse_deadline(deadline_day)?;
    let reason = keyproj_domain::error::check_text("reason", "修改原因", reason, true, 500)?;
    let mut tx = app.db.begin_write().await?;
    let before = rules_for_tx(&mut tx, &ctx.actor.region, year).await?;
    let json = serde_json::to_string(&rules).map_err(|e| ServiceError::internal("内部处理", e))?;
    let id = repo::insert_rules(
        &mut tx,
        ctx.actor.region.as_str(),
        year as i64,
        &json,
        day as i64,
        &reason,
        &ctx.actor.username,
        app.now(),
    )
    .await?;
    audit(app, &mut tx, ctx, "update", "colour_rules", Some(id.to_string()), Some(&serde_json::json!({ "rules": before.1, "deadline_day": before.2 })), Some(&serde_json::json!({ "year": year, "rules": rules, "deadline_day": day, "reason": reason }))).await?;
    tx.commit().await?;
    Ok(id)
}

/// Records a justified reason (正当理由) that suspends a project-month's colour.
pub async fn exempt(
    app: &App,
    ctx: &Ctx,
    project_id: i64,
    month: ReportMonth,
    reason: &str,
) -> Result<()> {
    let reason = keyproj_domain::error::check_text("reason", "正当理由", reason, true, 500)?;
    let mut tx = app.db.begin_write().await?;
    crate::projects::visible(&mut tx, ctx, project_id, Action::ReviewReports).await?;
    let id = repo::insert_exemption(
        &mut tx,
        project_id,
        &month.to_string(),
        &reason,
        &ctx.actor.username,
        app.now(),
    )
    .await
    .map_err(|e| match e {
        keyproj_db::DbError::Duplicate(m) => field_error("reason", "duplicate", m),
        o => o.into(),
    })?;
    audit(
        app,
        &mut tx,
        ctx,
        "create",
        "colour_exemption",
        Some(id.to_string()),
        None::<&()>,
        Some(&serde_json::json!({ "project_id": project_id, "month": month, "reason": reason })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A computed (not yet published) colour table.
#[derive(Debug, Clone, Serialize)]
pub struct ColourTable {
    pub month: ReportMonth,
    pub rules_id: Option<i64>,
    pub rules: ColourRules,
    pub rows: Vec<IssueLine>,
}

fn category_rank(c: &str) -> usize {
    YearCategory::ALL
        .iter()
        .position(|x| x.key() == c)
        .unwrap_or(9)
}
fn level_rank(l: &str) -> usize {
    Level::ALL.iter().position(|x| x.key() == l).unwrap_or(9)
}

/// Computes the colour of every planned project of the region for `month`, as of the local date
/// `today`: a month whose report is not yet due is not counted as missing.
pub async fn compute(
    tx: &mut Tx,
    region: &RegionCode,
    month: ReportMonth,
    today: chrono::NaiveDate,
) -> Result<ColourTable> {
    let year = month.year();
    let (rules_id, rules, deadline) = rules_for_tx(tx, region, year).await?;
    let mut lines = repo::plan_lines(tx, region, year as i64, None, false).await?;
    lines.sort_by(|a, b| {
        (category_rank(&a.category), level_rank(&a.level))
            .cmp(&(category_rank(&b.category), level_rank(&b.level)))
    });
    let from = ReportMonth::new(year, 1).expect("January").to_string();
    let amounts = repo::approved_amounts(tx, region, &from, &month.to_string()).await?;
    let by_month = crate::stats::approved_by_month(&amounts);
    let milestones = repo::open_milestones(tx, region, year as i64, &month.to_string()).await?;
    // Months to evaluate: all of the year so far when escalation needs the streak.
    let first = if rules.escalate_after_yellows.is_some() {
        1
    } else {
        month.month()
    };
    let mut reports: HashMap<(i64, u32), String> = HashMap::new();
    let mut exemptions: HashMap<(i64, u32), String> = HashMap::new();
    let mut progress: HashMap<i64, String> = HashMap::new();
    for mo in first..=month.month() {
        let m = ReportMonth::new(year, mo).expect("month");
        for r in repo::reports_of_month(tx, region, &m.to_string()).await? {
            if mo == month.month() {
                progress.insert(r.project_id, r.progress.clone());
            }
            reports.insert((r.project_id, mo), r.first_submitted_on.clone());
        }
        for (p, reason) in repo::exemptions(tx, region, &m.to_string()).await? {
            exemptions.insert((p, mo), reason);
        }
    }
    let ids: Vec<i64> = lines.iter().map(|l| l.project_id).collect();
    let responsible = project_repo::responsible_units_of(tx, &ids).await?;
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|m| ReportMonth::parse("m", "m", m).ok())
    };
    let mut rows = vec![];
    for (i, l) in lines.iter().enumerate() {
        let category = YearCategory::from_key(&l.category).unwrap_or(YearCategory::Preliminary);
        let monthly = crate::dispatch::monthly_from_text(&l.monthly_fen);
        let plan = keyproj_domain::plan::PlanFields {
            category,
            annual_plan: Money::from_fen(l.annual_plan_fen),
            targets: String::new(),
            monthly,
        };
        let mut streak = 0u32;
        let mut last = None;
        for mo in first..=month.month() {
            let m = ReportMonth::new(year, mo).expect("month");
            let ytd: i64 = by_month
                .get(&l.project_id)
                .map(|a| a[..mo as usize].iter().sum())
                .unwrap_or(0);
            let reporting = match reports.get(&(l.project_id, mo)) {
                // Not reported yet, but not due yet either: nothing to mark.
                None if today <= keyproj_domain::report::due_date(m, deadline) => Reporting::OnTime,
                None => Reporting::Missing,
                Some(first_on) => match chrono::NaiveDate::parse_from_str(first_on, "%Y-%m-%d") {
                    Ok(d) if is_late(m, deadline, d) => Reporting::Late,
                    _ => Reporting::OnTime,
                },
            };
            let facts = MonthFacts {
                category,
                month: m,
                annual_plan: plan.annual_plan,
                own_plan_to_month: plan.cumulative_to(mo),
                completed_ytd: Money::from_fen(ytd),
                planned_start: parse(&l.planned_start),
                // Every fact as of the month: a start recorded for a later month had not
                // happened yet, so the table of a month does not depend on when it is published.
                actual_start: parse(&l.actual_start).filter(|s| *s <= m),
                milestone_months_late: milestones
                    .iter()
                    .filter(|(p, _, _)| *p == l.project_id)
                    // reached by the end of this month: no longer late
                    .filter(|(_, _, actual)| {
                        actual
                            .as_deref()
                            .and_then(|a| ReportMonth::parse("m", "m", a).ok())
                            .is_none_or(|a| a > m)
                    })
                    .filter_map(|(_, pm, _)| ReportMonth::parse("m", "m", pm).ok())
                    .map(|pm| pm.months_until(m))
                    .filter(|n| *n >= 0)
                    .collect(),
                reporting,
                exempt: exemptions.contains_key(&(l.project_id, mo)),
                yellow_streak_before: streak,
            };
            let e = evaluate(&rules, &facts);
            let base_yellow = e.colour == keyproj_domain::colour::Colour::Yellow
                || e.reasons
                    .contains(&keyproj_domain::colour::Reason::Escalated);
            streak = if base_yellow { streak + 1 } else { 0 };
            last = Some((e, ytd));
        }
        let (e, ytd) = last.expect("at least the month itself");
        let mut reasons: Vec<&str> = e.reasons.iter().map(|r| r.label()).collect();
        if let Some(r) = exemptions.get(&(l.project_id, month.month())) {
            reasons.push("正当理由");
            let _ = r;
        }
        rows.push(IssueLine {
            seq: i as i64 + 1,
            project_id: l.project_id,
            category: l.category.clone(),
            level: l.level.clone(),
            name: l.name.clone(),
            content_scale: l.content_scale.clone(),
            total_investment_fen: l.total_investment_fen,
            annual_plan_fen: l.annual_plan_fen,
            completed_ytd_fen: ytd,
            completion_bp: e.completion_bp,
            baseline_bp: e.baseline_bp,
            progress: progress.get(&l.project_id).cloned().unwrap_or_default(),
            leader_name: l.leader_name.clone().unwrap_or_default(),
            lead_unit_name: l.lead_unit_name.clone().unwrap_or_default(),
            responsible_units: responsible
                .iter()
                .filter(|(p, _)| *p == l.project_id)
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            colour: e.colour.key().into(),
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
pub async fn preview(app: &App, ctx: &Ctx, month: ReportMonth) -> Result<ColourTable> {
    require(ctx, Action::PublishColour)?;
    let mut tx = app.db.begin_read().await?;
    compute(&mut tx, &ctx.actor.region, month, app.local_today()).await
}

/// Publishes the month's table as the next numbered issue of its year; a frozen snapshot.
pub async fn publish(
    app: &App,
    ctx: &Ctx,
    month: ReportMonth,
    corrects: Option<i64>,
    note: &str,
) -> Result<(i64, i64)> {
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
    let mut tx = app.db.begin_write().await?;
    let region = ctx.actor.region.clone();
    if let Some(c) = corrects {
        let orig = repo::get_issue(&mut tx, c)
            .await?
            .filter(|i| i.region_code == region.as_str())
            .ok_or_else(|| field_error("corrects", "unknown_issue", "要更正的期次不存在"))?;
        if orig.as_of_month != month.to_string() {
            return Err(field_error(
                "corrects",
                "other_month",
                format!(
                    "第{}期是{}的分色表，只能用同一月份的新表更正",
                    orig.number,
                    ReportMonth::parse("m", "m", &orig.as_of_month)
                        .map(|m| m.chinese())
                        .unwrap_or_default()
                ),
            ));
        }
    } else if let Some(done) = repo::list_issues(&mut tx, &region)
        .await?
        .into_iter()
        .find(|i| i.as_of_month == month.to_string())
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
    let mut table = compute(&mut tx, &region, month, app.local_today()).await?;
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
    let now = app.now();
    let rules_id = match table.rules_id {
        Some(id) => id,
        // Record the defaults as version 1, so the issue names the rules it used.
        None => {
            let json = serde_json::to_string(&table.rules)
                .map_err(|e| ServiceError::internal("内部处理", e))?;
            repo::insert_rules(
                &mut tx,
                region.as_str(),
                month.year() as i64,
                &json,
                DEFAULT_DEADLINE_DAY as i64,
                "默认规则（发布时记录）",
                &ctx.actor.username,
                now,
            )
            .await?
        }
    };
    table.rules_id = Some(rules_id);
    let (id, number) = repo::insert_issue(
        &mut tx,
        &NewIssue {
            region_code: region.as_str(),
            year: month.year() as i64,
            as_of_month: &month.to_string(),
            rules_id,
            corrects_issue_id: corrects,
            note: &note,
            published_by: &ctx.actor.username,
        },
        &table.rows,
        now,
    )
    .await?;
    audit(app, &mut tx, ctx, "publish", "colour_issue", Some(id.to_string()), None::<&()>, Some(&serde_json::json!({ "year": month.year(), "number": number, "month": month, "rows": table.rows.len(), "rules_id": rules_id, "corrects": corrects }))).await?;
    tx.commit().await?;
    Ok((id, number))
}

/// The number the next issue of `year` would get (for the confirmation page).
pub async fn next_number(app: &App, region: &RegionCode, year: i32) -> Result<i64> {
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list_issues(&mut tx, region)
        .await?
        .iter()
        .filter(|i| i.year == year as i64)
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
pub async fn issue(app: &App, region: &RegionCode, id: i64) -> Result<Issue> {
    let mut tx = app.db.begin_read().await?;
    let issue = repo::get_issue(&mut tx, id)
        .await?
        .filter(|i| i.region_code.starts_with(region.as_str()))
        .ok_or(ServiceError::NotFound)?;
    let rows = repo::issue_lines(&mut tx, id).await?;
    let corrects_number = match issue.corrects_issue_id {
        Some(c) => repo::get_issue(&mut tx, c).await?.map(|i| i.number),
        None => None,
    };
    let region_name = keyproj_db::repo::org::get_region(&mut tx, &issue.region_code)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
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
pub async fn latest(app: &App, region: &RegionCode) -> Result<Option<Issue>> {
    let id = {
        let mut tx = app.db.begin_read().await?;
        repo::latest_issue(&mut tx, region.as_str())
            .await?
            .map(|i| i.id)
    };
    match id {
        Some(id) => Ok(Some(issue(app, region, id).await?)),
        None => Ok(None),
    }
}
