//! The overview pages: the dashboard (stages, the year's plan against what was approved, the
//! latest red projects, who has not reported, the problem list) and the annual statistics.

use crate::AppState;
use crate::auth::{Signed, query_pairs};
use crate::error::PageError;
use crate::pages::allowed;
use crate::pages::dispatch::year_of;
use crate::views::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use keyproj_domain::Money;
use keyproj_domain::authz::{Action, Role};
use keyproj_domain::money::percent_1dp;
use keyproj_service::dispatch::reports::Missing;
use keyproj_service::stats::{self, PlanGroup, RedProject};
use keyproj_service::{problems, projects};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/stats/annual", get(annual))
}

/// Projects of one stage.
struct StageTile {
    key: &'static str,
    label: &'static str,
    count: i64,
    total_wan: String,
}

/// One row of the plan-against-approved tables.
struct GroupRow {
    label: String,
    projects: usize,
    plan_wan: String,
    approved_wan: String,
    rate: String,
}

impl GroupRow {
    fn of(g: &PlanGroup) -> GroupRow {
        GroupRow {
            label: g.label.clone(),
            projects: g.projects,
            plan_wan: g.annual_plan.wan_grouped(),
            approved_wan: g.approved.wan_grouped(),
            rate: rate(g.annual_plan, g.approved),
        }
    }
}

/// The problem list of the year at a glance.
struct ProblemTiles {
    raised: i64,
    closed: i64,
    closure_rate: String,
    overdue: i64,
}

/// A unit with items overdue.
struct OverdueUnit {
    name: String,
    overdue: i64,
    closure_rate: String,
}

fn rate(plan: Money, done: Money) -> String {
    percent_1dp(done.fen(), plan.fen())
        .map(|r| format!("{r}%"))
        .unwrap_or_else(|| "—".into())
}

#[derive(Template, WebTemplate)]
#[template(path = "stats/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    total_count: i64,
    /// The headline total in 亿元 ("495.35"); tables below stay in 万元.
    total_yi: String,
    stages: Vec<StageTile>,
    by_stage_svg: String,
    year: i32,
    by_category: Vec<GroupRow>,
    by_level: Vec<GroupRow>,
    monthly_svg: String,
    industry_svg: String,
    township_svg: String,
    red_list: Vec<RedProject>,
    red_issue: String,
    missing_month: String,
    missing: Vec<Missing>,
    /// The share of the year elapsed by the last approved month, and the share of the 在建
    /// plan approved so far.
    baseline: String,
    done_rate: String,
    problems: Option<ProblemTiles>,
    overdue_units: Vec<OverdueUnit>,
    /// The latest issue's colours first: (key, label, count).
    colour_counts: Vec<(&'static str, &'static str, usize)>,
    /// The class of the completion's chip by the same rule as the table.
    done_colour: &'static str,
    my_projects: Vec<MyLine>,
    is_leader: bool,
}

/// A leader's own project on the dashboard.
struct MyLine {
    id: keyproj_domain::ids::ProjectId,
    name: String,
    colour_key: &'static str,
    colour: &'static str,
    reasons: String,
}

async fn dashboard(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ViewProject) {
        // Administrators have no business data: send them to their own page.
        let a = &signed.info.actor;
        let to = if a.has(Role::AuditAdmin) {
            "/audit"
        } else if a.has(Role::SystemAdmin) || a.has(Role::SecurityAdmin) {
            "/admin/users"
        } else {
            "/tokens"
        };
        return Ok(Redirect::to(to).into_response());
    }
    if signed.info.actor.only_reports() {
        // owners and unit users report: their home is 本月待报
        return Ok(Redirect::to("/reports").into_response());
    }
    // no year: the latest year with plans; a year given that is not one is refused
    let asked = query_pairs(q.as_deref());
    let year = if asked.get("year").trim().is_empty() {
        None
    } else {
        Some(year_of(&asked, &s)?)
    };
    let summary = projects::stage_summary(&s.app, &signed.ctx).await?;
    let total_count: i64 = summary.iter().map(|c| c.count).sum();
    let total: Money = summary.iter().map(|c| c.total_investment).sum();
    let stages: Vec<StageTile> = summary
        .iter()
        .map(|c| StageTile {
            key: c.stage.key(),
            label: c.stage.label(),
            count: c.count,
            total_wan: c.total_investment.wan_grouped(),
        })
        .collect();
    let bars: Vec<(String, f64)> = stages
        .iter()
        .map(|t| (t.label.to_string(), t.count as f64))
        .collect();
    let d = stats::dashboard(&s.app, &signed.ctx, year).await?;
    let labels: Vec<String> = (1..=12).map(|m| format!("{m}月")).collect();
    let yi = |m: Money| m.fen() as f64 / 10_000_000_000.0;
    let plan: Vec<Option<f64>> = d.monthly.iter().map(|p| Some(yi(p.plan))).collect();
    let actual: Vec<Option<f64>> = d.monthly.iter().map(|p| p.approved.map(yi)).collect();
    let monthly_svg = keyproj_office::chart::line_svg(
        &labels,
        &[
            ("计划累计", "#9e9e9e", true, plan),
            ("完成累计（已审核）", "#1f4e8c", false, actual),
        ],
        "亿元",
    );
    let industry: Vec<(String, f64)> = d
        .by_industry
        .iter()
        .map(|i| (i.industry.clone(), (i.approved.fen() / 1_000_000) as f64))
        .collect();
    let township: Vec<(String, f64)> = d
        .by_township
        .iter()
        .map(|t| (t.township.clone(), t.projects as f64))
        .collect();
    let (baseline, done_rate, done_colour) = match &d.done {
        Some(x) => (
            format!("{}%", keyproj_domain::colour::bp_percent(x.baseline_bp)),
            format!("{}%", keyproj_domain::colour::bp_percent(x.done_bp)),
            x.colour.key(),
        ),
        None => ("—".into(), "—".into(), ""),
    };
    let (problem_tiles, overdue_units) = if allowed(&signed, Action::ViewProblems) {
        // the same year as the rest of the page (the latest plan year when none was asked)
        let st = problems::stats::stats(&s.app, &signed.ctx, d.year, None).await?;
        let raised: i64 = st.by_source.iter().map(|r| r.raised).sum();
        let assigned: i64 = st.units.iter().map(|u| u.assigned).sum();
        let closed: i64 = st.units.iter().map(|u| u.closed).sum();
        let overdue: i64 = st.units.iter().map(|u| u.overdue).sum();
        let mut worst: Vec<OverdueUnit> = st
            .units
            .iter()
            .filter(|u| u.overdue > 0)
            .map(|u| OverdueUnit {
                name: u.unit_name.clone(),
                overdue: u.overdue,
                closure_rate: format!("{:.1}%", u.closure_rate_pct),
            })
            .collect();
        worst.sort_by_key(|w| std::cmp::Reverse(w.overdue));
        worst.truncate(8);
        let tiles = ProblemTiles {
            raised,
            closed,
            closure_rate: percent_1dp(closed, assigned)
                .map(|r| format!("{r}%"))
                .unwrap_or_else(|| "—".into()),
            overdue,
        };
        (Some(tiles), worst)
    } else {
        (None, vec![])
    };
    Ok(DashboardPage {
        problems: problem_tiles,
        overdue_units,
        chrome: Chrome::new(&signed, "home"),
        total_count,
        total_yi: total.yi(2),
        by_stage_svg: keyproj_office::chart::bar_svg(&bars, "个"),
        stages,
        year: d.year,
        by_category: d.by_category.iter().map(GroupRow::of).collect(),
        by_level: d.by_level.iter().map(GroupRow::of).collect(),
        monthly_svg,
        industry_svg: if industry.is_empty() {
            String::new()
        } else {
            keyproj_office::chart::bar_svg(&industry, "万元")
        },
        township_svg: if township.is_empty() {
            String::new()
        } else {
            keyproj_office::chart::bar_svg(&township, "个")
        },
        red_list: d.red_list,
        red_issue: d.red_issue.unwrap_or_default(),
        missing_month: d.missing_month,
        missing: d.missing,
        baseline,
        done_rate,
        done_colour,
        colour_counts: d
            .colour_counts
            .iter()
            .map(|(c, n)| (c.key(), c.label(), *n))
            .collect(),
        is_leader: signed.info.actor.has(Role::CountyLeader),
        my_projects: d
            .my_projects
            .iter()
            .map(|p| MyLine {
                id: p.id,
                name: p.name.clone(),
                colour_key: p.colour.map(|c| c.key()).unwrap_or(""),
                colour: p.colour.map(|c| c.label()).unwrap_or(""),
                reasons: p.reasons.clone(),
            })
            .collect(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "stats/annual.html")]
struct AnnualPage {
    chrome: Chrome,
    year: i32,
    s: stats::AnnualStats,
}

async fn annual(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let year =
        crate::pages::dispatch::year_or_latest(&query_pairs(q.as_deref()), &s, &signed).await?;
    let st = stats::annual_for(&s.app, &signed.ctx, year).await?;
    Ok(AnnualPage {
        chrome: Chrome::new(&signed, "stats"),
        year,
        s: st,
    }
    .into_response())
}
