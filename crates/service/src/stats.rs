//! The year's figures the way the center states them (年度统计), and the dashboard: what the
//! home page shows for a year over the projects the actor may see. Both read monthly dispatch
//! and the problem list; neither writes.

use crate::dispatch::reports::{approved_by_month, approved_sum};
use crate::dispatch::{line_scope, reports};
use crate::{App, Ctx, Result, require};
use keyproj_db::repo::dispatch::colour as colour_repo;
use keyproj_db::repo::dispatch::plans::{self as plan_repo, LineScope, PlanLine};
use keyproj_db::repo::dispatch::reports as report_repo;
use keyproj_db::repo::projects::{self as project_repo, ProjectFilter, ProjectRow};
use keyproj_domain::authz::{Action, project_list_scope};
use keyproj_domain::ids::ProjectId;
use keyproj_domain::money::percent_1dp;
use keyproj_domain::plan::YearCategory;
use keyproj_domain::project::Level;
use keyproj_domain::{Money, RegionCode, ReportMonth};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnderConstruction {
    pub count: i64,
    pub annual_plan_wan: String,
    pub completed_wan: String,
    pub completion_rate_pct: Option<String>,
    /// The same rate in basis points, for what scores it (the self-evaluation).
    pub completion_bp: Option<i64>,
    pub completed_projects: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Preliminary {
    pub count: i64,
    pub total_investment_wan: String,
    pub started: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PostSupport {
    pub count: i64,
    /// Problem-list items of those projects closed in the year.
    pub problems_closed: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problems {
    pub raised: i64,
    pub assigned: i64,
    pub closed: i64,
    pub closure_rate_pct: Option<String>,
    pub overdue: i64,
    /// Assigned from meetings and briefings (会议、简报交办任务).
    pub assigned_by_meetings: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Meetings {
    pub count: i64,
}

/// 《重点项目建设简报》 issued in the year and the tasks they assigned.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Briefings {
    pub count: i64,
    pub tasks_assigned: i64,
}

/// 招商签约 in the year (issue #11).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Signing {
    /// Signing events held in the year.
    pub events: i64,
    /// Projects signed in the year.
    pub signed: i64,
    /// Of those, at or above the inclusion threshold (entered the library).
    pub above_threshold: i64,
    /// Of those, started (在建 with an actual start).
    pub started: i64,
    /// Of those above the threshold, not started yet (pushing their preliminary work).
    pub preliminary: i64,
}

/// 帮代办 in the year: the items received in the year (issue #11).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Approvals {
    pub handled: i64,
    pub completed: i64,
    pub on_time_pct: Option<String>,
    /// Of the items received in the year, those in a department's hands past the promised limit
    /// today.
    pub overdue: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AnnualStats {
    pub year: i32,
    pub region_code: RegionCode,
    pub under_construction: UnderConstruction,
    pub preliminary: Preliminary,
    pub post_support: PostSupport,
    pub problems: Problems,
    pub meetings: Meetings,
    pub briefings: Briefings,
    pub signing: Signing,
    pub approvals: Approvals,
    /// The sentences of the self-evaluation report, written from the data.
    pub text: Vec<String>,
}

/// A percentage as the report writes it (98, 33.3; — without a base).
fn pct_prose(r: &Option<String>) -> String {
    r.as_deref()
        .map(|r| r.strip_suffix(".0").unwrap_or(r).to_string())
        .unwrap_or_else(|| "—".into())
}

/// "甲、乙、丙等" for the first ten names (nothing without names).
fn named(names: &[&str]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let shown: Vec<&str> = names.iter().take(10).copied().collect();
    format!("{}等", shown.join("、"))
}

/// Figures from plan entries and approved reports only.
pub async fn annual(app: &App, region: &RegionCode, year: i32) -> Result<AnnualStats> {
    let mut tx = app.db.begin_read().await?;
    let lines = plan_repo::plan_lines(&mut tx, region, year, LineScope::Region).await?;
    let (Some(jan), Some(dec)) = (ReportMonth::new(year, 1), ReportMonth::new(year, 12)) else {
        return Err(crate::field_error("year", "invalid_year", "年度无效"));
    };
    let amounts = report_repo::approved_amounts(&mut tx, region, jan, dec).await?;
    let by_month = approved_by_month(&amounts);
    let in_year = |m: Option<ReportMonth>| m.is_some_and(|m| m.year() == year);
    let (mut uc_n, mut uc_plan, mut uc_done, mut uc_completed) =
        (0i64, Money::ZERO, Money::ZERO, 0i64);
    let (mut pre_n, mut pre_total, mut pre_started) = (0i64, Money::ZERO, 0i64);
    let mut post_support: Vec<ProjectId> = vec![];
    // the report names them, as people write it
    let (mut completed_names, mut started_names): (Vec<&str>, Vec<&str>) = (vec![], vec![]);
    for l in &lines {
        match l.plan.category {
            YearCategory::UnderConstruction => {
                uc_n += 1;
                uc_plan += l.plan.annual_plan;
                uc_done += approved_sum(&by_month, l.project_id);
                if in_year(l.actual_completion) {
                    uc_completed += 1;
                    completed_names.push(&l.name);
                }
            }
            YearCategory::Preliminary => {
                pre_n += 1;
                pre_total += l.total_investment;
                if in_year(l.actual_start) {
                    pre_started += 1;
                    started_names.push(&l.name);
                }
            }
            YearCategory::PostSupport => post_support.push(l.project_id),
        }
    }
    let ps_n = post_support.len() as i64;
    let rate = percent_1dp(uc_done.fen(), uc_plan.fen());
    let mut text = vec![format!(
        "{uc_n}个在建重点项目完成投资{}亿元，占年投资计划{}%",
        trim_yi(uc_done),
        pct_prose(&rate)
    )];
    if uc_completed > 0 {
        text.push(format!(
            "{}{uc_completed}个项目完成建设",
            named(&completed_names)
        ));
    }
    text.push(format!(
        "{pre_n}个在库前期项目预计总投资{}亿元，{}{pre_started}个项目落地开工建设",
        trim_yi(pre_total),
        named(&started_names)
    ));
    let p = crate::problems::stats::year_figures_in(
        &mut tx,
        region,
        year,
        app.local_today(),
        &post_support,
    )
    .await?;
    let (briefings, briefing_tasks) =
        keyproj_db::repo::briefings::issued_counts(&mut tx, region, year).await?;
    if p.meetings > 0 || p.assigned_by_meetings > 0 {
        text.push(if briefings > 0 {
            format!(
                "召开各类调度会议{}次，编发《重点项目建设简报》{briefings}期，交办会议和简报确定事项{}项",
                p.meetings, p.assigned_by_meetings
            )
        } else {
            format!(
                "召开各类调度会议{}次，交办会议和简报确定事项{}项",
                p.meetings, p.assigned_by_meetings
            )
        });
    }
    if ps_n > 0 {
        text.push(if p.closed_for_projects > 0 {
            format!(
                "对{ps_n}个已建成项目落实帮扶措施，帮助解决问题{}个",
                p.closed_for_projects
            )
        } else {
            format!("对{ps_n}个已建成项目落实帮扶措施")
        });
    }
    let (signing, approvals) = pipeline_figures(app, &mut tx, region, year).await?;
    if signing.signed > 0 {
        text.push(pipeline_sentence(&signing, &approvals));
    }
    let t = p.totals;
    if t.raised > 0 {
        // The rate is over the items assigned, so the sentence names that denominator.
        text.push(format!(
            "全年收集项目建设问题{}个，交办{}个，办结{}个，交办事项办结率{}%",
            t.raised,
            t.assigned,
            t.closed,
            pct_prose(&percent_1dp(t.closed, t.assigned.max(1)))
        ));
    }
    Ok(AnnualStats {
        year,
        region_code: region.clone(),
        under_construction: UnderConstruction {
            count: uc_n,
            annual_plan_wan: uc_plan.wan_2dp(),
            completed_wan: uc_done.wan_2dp(),
            completion_rate_pct: rate,
            completion_bp: (uc_plan.fen() > 0).then(|| {
                keyproj_domain::assessment::scoring::round_div(
                    uc_done.fen() as i128 * 10_000,
                    uc_plan.fen() as i128,
                )
            }),
            completed_projects: uc_completed,
        },
        preliminary: Preliminary {
            count: pre_n,
            total_investment_wan: pre_total.wan_2dp(),
            started: pre_started,
        },
        post_support: PostSupport {
            count: ps_n,
            problems_closed: p.closed_for_projects,
        },
        problems: Problems {
            raised: t.raised,
            assigned: t.assigned,
            closed: t.closed,
            closure_rate_pct: percent_1dp(t.closed, t.assigned),
            overdue: t.overdue,
            assigned_by_meetings: p.assigned_by_meetings,
        },
        meetings: Meetings { count: p.meetings },
        briefings: Briefings {
            count: briefings,
            tasks_assigned: briefing_tasks,
        },
        signing,
        approvals,
        text,
    })
}

/// The year's signing and 帮代办 figures.
async fn pipeline_figures(
    app: &App,
    tx: &mut keyproj_db::Tx,
    region: &RegionCode,
    year: i32,
) -> Result<(Signing, Approvals)> {
    use chrono::Datelike;
    use keyproj_db::repo::pipeline::approvals::{
        self as approval_repo, ApprovalFilter, ApprovalScope,
    };
    use keyproj_domain::pipeline::ApprovalState;
    let today = app.local_today();
    let c = crate::pipeline::conversion::conversion_in(
        tx,
        region,
        year,
        today,
        app.cfg.not_moving_months,
    )
    .await?;
    let signing = Signing {
        events: c.events_held,
        signed: c.total.signed,
        above_threshold: c.total.above_threshold,
        started: c.total.started,
        preliminary: c.total.preliminary,
    };
    let rows = approval_repo::clock_rows(
        tx,
        &ApprovalFilter::new(region.clone(), ApprovalScope::Region),
    )
    .await?;
    let in_year = |d: Option<chrono::NaiveDate>| d.is_some_and(|d| d.year() == year);
    let from = rows
        .iter()
        .filter_map(|r| r.accepted_on)
        .min()
        .unwrap_or(today)
        .min(today);
    let cal = crate::rules::calendar_in(tx, region, from).await?;
    let (mut handled, mut completed, mut on_time, mut overdue) = (0i64, 0i64, 0i64, 0i64);
    for r in rows {
        let received = in_year(r.received_on);
        let done_in_year = r.state == ApprovalState::Done && in_year(r.completed_on);
        let clock = r.clock();
        if received && r.state != ApprovalState::NotStarted {
            handled += 1;
        }
        if done_in_year {
            completed += 1;
            if clock.on_time(&cal, today) == Some(true) {
                on_time += 1;
            }
        }
        let overdue_now = clock.overdue(&cal, today);
        // of the year's items: a past year's figure does not move with today's work
        if overdue_now && received {
            overdue += 1;
        }
    }
    Ok((
        signing,
        Approvals {
            handled,
            completed,
            on_time_pct: percent_1dp(on_time, completed),
            overdue,
        },
    ))
}

/// 134 as the report says it: 130余; below a hundred, or round, as it is.
fn about(n: i64) -> String {
    if n >= 100 && n % 10 != 0 {
        format!("{}余", n / 10 * 10)
    } else {
        n.to_string()
    }
}

/// The center's sentence on its pipeline, in its own words.
fn pipeline_sentence(s: &Signing, a: &Approvals) -> String {
    let mut t = if s.events > 0 {
        format!("招商引资{}次集中签约共签约项目{}个", s.events, s.signed)
    } else {
        format!("共签约项目{}个", s.signed)
    };
    if s.above_threshold > 0 {
        t.push_str(&format!(
            "，对达到纳入重点项目调度门槛的{}个签约项目扎实做好重点项目政务事项帮代办服务",
            s.above_threshold
        ));
    }
    if a.handled > 0 {
        t.push_str(&format!(
            "，累计为各重点项目办理政务服务事项{}项",
            about(a.handled)
        ));
    }
    if s.started > 0 || s.preliminary > 0 {
        t.push_str(&format!(
            "，其中{}个项目落地开工建设，{}个项目正在全力以赴推进前期工作",
            s.started, s.preliminary
        ));
    }
    t
}

/// 亿元 as the report writes it: up to four decimals, trailing zeros dropped (38.2, 194.2778).
pub fn trim_yi(m: Money) -> String {
    let s = m.yi(4);
    let s = s.trim_end_matches('0');
    s.trim_end_matches('.').to_string()
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn annual_for(app: &App, ctx: &Ctx, year: i32) -> Result<AnnualStats> {
    require(ctx, Action::ViewProject)?;
    annual(app, &ctx.actor.region, year).await
}

/// One group of plan entries: how many, their annual plan and what was approved so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanGroup {
    pub label: String,
    pub projects: usize,
    pub annual_plan: Money,
    pub approved: Money,
}

/// One month of the year's curve (在建 entries): cumulative plan and approved, the latter
/// only for months already reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MonthPoint {
    pub plan: Money,
    pub approved: Option<Money>,
}

/// Approved investment of one industry (在建).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndustryAmount {
    pub industry: String,
    pub approved: Money,
}

/// Planned projects of one township.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TownshipCount {
    pub township: String,
    pub projects: usize,
}

/// A red project of the latest published issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RedProject {
    pub id: ProjectId,
    pub name: String,
    pub reasons: String,
}

/// The county's 在建 completion against 序时.
#[derive(Debug, Clone, Serialize)]
pub struct DoneAgainstBaseline {
    pub done_bp: i64,
    pub baseline_bp: i64,
    pub colour: keyproj_domain::colour::Colour,
}

/// A project of the leader's own, with its colour in the latest issue of the year.
#[derive(Debug, Clone, Serialize)]
pub struct MyProject {
    pub id: ProjectId,
    pub name: String,
    pub colour: Option<keyproj_domain::colour::Colour>,
    pub reasons: String,
}

/// What the dashboard shows for a year, over the projects the actor may see.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub year: i32,
    pub by_category: Vec<PlanGroup>,
    pub by_level: Vec<PlanGroup>,
    /// Months 1..=12.
    pub monthly: Vec<MonthPoint>,
    pub by_industry: Vec<IndustryAmount>,
    /// The twelve townships with most planned projects.
    pub by_township: Vec<TownshipCount>,
    /// Red projects of the latest published issue of the year.
    pub red_list: Vec<RedProject>,
    pub red_issue: Option<String>,
    /// Projects per colour in that issue (in the actor's scope): red, yellow, green, blue, exempt.
    pub colour_counts: Vec<(keyproj_domain::colour::Colour, usize)>,
    /// The 在建 plan's completion and 序时 (basis points) by the last approved month, and
    /// their colour by the year's rules.
    pub done: Option<DoneAgainstBaseline>,
    /// The projects the signed-in county leader is the contact leader of (我联系的项目).
    pub my_projects: Vec<MyProject>,
    /// The month whose reports are due now (in Chinese), and who has not reported it.
    pub missing_month: String,
    pub missing: Vec<reports::Missing>,
    pub last_approved_month: Option<u32>,
}

fn groups<K: PartialEq + Copy>(
    lines: &[PlanLine],
    keys: &[(K, &str)],
    key_of: impl Fn(&PlanLine) -> K,
    approved: impl Fn(ProjectId) -> Money,
) -> Vec<PlanGroup> {
    keys.iter()
        .map(|(k, label)| {
            let ls: Vec<&PlanLine> = lines.iter().filter(|l| key_of(l) == *k).collect();
            PlanGroup {
                label: label.to_string(),
                projects: ls.len(),
                annual_plan: ls.iter().map(|l| l.plan.annual_plan).sum(),
                approved: ls.iter().map(|l| approved(l.project_id)).sum(),
            }
        })
        .filter(|g| g.projects > 0)
        .collect()
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn dashboard(app: &App, ctx: &Ctx, year: Option<i32>) -> Result<Dashboard> {
    require(ctx, Action::ViewProject)?;
    let today = ReportMonth::of(app.local_today());
    let (region, scope) = line_scope(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let year = match year {
        Some(y) => y,
        None => plan_repo::latest_plan_year(&mut tx, &region, today.year())
            .await?
            .unwrap_or(today.year()),
    };
    let lines = plan_repo::plan_lines(&mut tx, &region, year, scope).await?;
    let (Some(jan), Some(dec)) = (ReportMonth::new(year, 1), ReportMonth::new(year, 12)) else {
        return Err(crate::field_error("year", "invalid_year", "年度无效"));
    };
    let amounts = report_repo::approved_amounts(&mut tx, &region, jan, dec).await?;
    let ids: HashSet<ProjectId> = lines.iter().map(|l| l.project_id).collect();
    let by_month = approved_by_month(&amounts);
    let done = |p: ProjectId| approved_sum(&by_month, p);
    let categories: Vec<(YearCategory, &str)> =
        YearCategory::ALL.iter().map(|c| (*c, c.label())).collect();
    let by_category = groups(&lines, &categories, |l| l.plan.category, done);
    let levels: Vec<(Level, &str)> = Level::ALL.iter().map(|c| (*c, c.label())).collect();
    let by_level = groups(&lines, &levels, |l| l.level, done);
    let uc: Vec<&PlanLine> = lines
        .iter()
        .filter(|l| l.plan.category == YearCategory::UnderConstruction)
        .collect();
    let last_approved_month = amounts
        .iter()
        .filter(|a| ids.contains(&a.project_id))
        .map(|a| a.month.month())
        .max();
    let monthly = (1..=12u32)
        .map(|m| MonthPoint {
            plan: uc
                .iter()
                .map(|l| {
                    l.plan.cumulative_to(m).unwrap_or_else(|| {
                        Money::from_fen((l.plan.annual_plan.fen() as i128 * m as i128 / 12) as i64)
                    })
                })
                .sum(),
            approved: last_approved_month.filter(|last| m <= *last).map(|_| {
                uc.iter()
                    .filter_map(|l| by_month.get(&l.project_id))
                    .map(|a| a[..m as usize].iter().copied().sum::<Money>())
                    .sum()
            }),
        })
        .collect();
    // Industry and township come from the project records: one query for all in scope.
    let mut all = ProjectFilter::new(project_list_scope(&ctx.actor));
    all.limit = i64::MAX / 2;
    let (rows, _) = project_repo::list(&mut tx, &all).await?;
    let by_id: HashMap<ProjectId, &ProjectRow> = rows.iter().map(|p| (p.id, p)).collect();
    let mut by_industry: Vec<IndustryAmount> = vec![];
    let mut by_township: Vec<TownshipCount> = vec![];
    for l in &lines {
        let Some(p) = by_id.get(&l.project_id) else {
            continue;
        };
        if l.plan.category == YearCategory::UnderConstruction {
            let industry = p.industry.label();
            match by_industry.iter_mut().find(|x| x.industry == industry) {
                Some(x) => x.approved += done(l.project_id),
                None => by_industry.push(IndustryAmount {
                    industry: industry.to_string(),
                    approved: done(l.project_id),
                }),
            }
        }
        let town = p.township_name.clone().unwrap_or_else(|| "（未填）".into());
        match by_township.iter_mut().find(|x| x.township == town) {
            Some(x) => x.projects += 1,
            None => by_township.push(TownshipCount {
                township: town,
                projects: 1,
            }),
        }
    }
    by_industry.sort_by_key(|x| std::cmp::Reverse(x.approved));
    by_township.sort_by(|a, b| {
        b.projects
            .cmp(&a.projects)
            .then(a.township.cmp(&b.township))
    });
    by_township.truncate(12);
    use keyproj_domain::colour::Colour;
    let issue_rows = match colour_repo::list_issues(&mut tx, &region)
        .await?
        .into_iter()
        .find(|i| i.year == year)
    {
        Some(i) => Some((
            format!("{}年第{}期", i.year, i.number),
            colour_repo::issue_lines(&mut tx, i.id).await?,
        )),
        None => None,
    };
    let in_scope = |r: &&keyproj_db::repo::dispatch::colour::IssueLine| ids.contains(&r.project_id);
    let red_list = issue_rows
        .iter()
        .flat_map(|(_, rows)| rows.iter().filter(in_scope))
        .filter(|r| r.colour == Colour::Red)
        .map(|r| RedProject {
            id: r.project_id,
            name: r.name.clone(),
            reasons: r.reasons.clone(),
        })
        .collect();
    let colour_counts = [
        Colour::Red,
        Colour::Yellow,
        Colour::Green,
        Colour::Blue,
        Colour::Exempt,
    ]
    .into_iter()
    .map(|c| {
        let n = issue_rows
            .iter()
            .flat_map(|(_, rows)| rows.iter().filter(in_scope))
            .filter(|r| r.colour == c)
            .count();
        (c, n)
    })
    // no issue of the year: no tiles (zeros would read as "no red projects")
    .filter(|(c, n)| {
        issue_rows.is_some()
            && (*n > 0 || matches!(c, Colour::Red | Colour::Yellow | Colour::Green))
    })
    .collect();
    // the leader's own projects: their user is linked to a leader record by name
    let my_projects = if ctx.actor.has(keyproj_domain::authz::Role::CountyLeader) {
        let name = match ctx.actor.user_id {
            Some(id) => keyproj_db::repo::admin::users::get_user(&mut tx, id)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let leaders = keyproj_db::repo::org::list_leaders(&mut tx, &region).await?;
        let me = leaders
            .iter()
            .find(|l| !name.is_empty() && l.name == name)
            .map(|l| l.id);
        rows.iter()
            .filter(|p| me.is_some() && p.leader_id == me)
            .map(|p| {
                let line = issue_rows
                    .iter()
                    .flat_map(|(_, rows)| rows.iter())
                    .find(|r| r.project_id == p.id);
                MyProject {
                    id: p.id,
                    name: p.name.clone(),
                    colour: line.map(|l| l.colour),
                    reasons: line.map(|l| l.reasons.clone()).unwrap_or_default(),
                }
            })
            .collect()
    } else {
        vec![]
    };
    let red_issue = issue_rows.map(|(label, _)| label);
    let rules = crate::rules::colour_in(&mut tx, &region, year).await?.rules;
    let done = match last_approved_month {
        Some(m) => {
            let plan: Money = uc.iter().map(|l| l.plan.annual_plan).sum();
            let approved: Money = uc.iter().map(|l| done(l.project_id)).sum();
            (plan.fen() > 0).then(|| {
                let done_bp = (approved.fen() as i128 * 10_000 / plan.fen() as i128) as i64;
                let baseline_bp = (m as i64 * 10_000 + 6) / 12;
                DoneAgainstBaseline {
                    done_bp,
                    baseline_bp,
                    colour: rules.investment_colour(done_bp, baseline_bp),
                }
            })
        }
        None => None,
    };
    drop(tx);
    let due_month = today.prev();
    let overview = reports::month_overview(app, ctx, due_month).await?;
    Ok(Dashboard {
        year,
        by_category,
        by_level,
        monthly,
        by_industry,
        by_township,
        red_list,
        red_issue,
        colour_counts,
        done,
        my_projects,
        missing_month: due_month.chinese(),
        missing: overview.missing_by_unit,
        last_approved_month,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn yi_as_in_the_report() {
        use keyproj_domain::Money;
        assert_eq!(super::trim_yi(Money::from_wan_int(382_000)), "38.2");
        assert_eq!(super::trim_yi(Money::from_wan_int(1_942_778)), "194.2778");
        assert_eq!(super::trim_yi(Money::from_wan_int(10_000)), "1");
    }
}
