//! The year's figures the way the center states them (年度统计).

use crate::{App, Ctx, Result, require};
use keyproj_db::repo::dispatch as repo;
use keyproj_domain::authz::Action;
use keyproj_domain::money::percent_1dp;
use keyproj_domain::{Money, RegionCode};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnderConstruction {
    pub count: i64,
    pub annual_plan_wan: String,
    pub completed_wan: String,
    pub completion_rate_pct: Option<String>,
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

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AnnualStats {
    pub year: i32,
    pub region_code: String,
    pub under_construction: UnderConstruction,
    pub preliminary: Preliminary,
    pub post_support: PostSupport,
    pub problems: Problems,
    pub meetings: Meetings,
    /// The sentences of the self-evaluation report, written from the data.
    pub text: Vec<String>,
}

/// Figures from plan entries and approved reports only.
pub async fn annual(app: &App, region: &RegionCode, year: i32) -> Result<AnnualStats> {
    let mut tx = app.db.begin_read().await?;
    let lines = repo::plan_lines(&mut tx, region, year as i64, None, false).await?;
    let amounts = repo::approved_amounts(
        &mut tx,
        region,
        &format!("{year}-01"),
        &format!("{year}-12"),
    )
    .await?;
    let by_month = approved_by_month(&amounts);
    let in_year = |m: &Option<String>| {
        m.as_deref()
            .is_some_and(|m| m.starts_with(&format!("{year}-")))
    };
    let (mut uc_n, mut uc_plan, mut uc_done, mut uc_completed) = (0i64, 0i64, 0i64, 0i64);
    let (mut pre_n, mut pre_total, mut pre_started) = (0i64, 0i64, 0i64);
    let mut ps_n = 0i64;
    let mut ps_projects = vec![];
    for l in &lines {
        match l.category.as_str() {
            "under_construction" => {
                uc_n += 1;
                uc_plan += l.annual_plan_fen;
                uc_done += by_month
                    .get(&l.project_id)
                    .map(|m| m.iter().sum::<i64>())
                    .unwrap_or(0);
                if in_year(&l.actual_completion) {
                    uc_completed += 1;
                }
            }
            "preliminary" => {
                pre_n += 1;
                pre_total += l.total_investment_fen;
                if in_year(&l.actual_start) {
                    pre_started += 1;
                }
            }
            _ => {
                ps_n += 1;
                ps_projects.push(l.project_id);
            }
        }
    }
    let rate = percent_1dp(uc_done, uc_plan);
    let pct_prose = |r: &Option<String>| {
        r.as_deref()
            .map(|r| r.strip_suffix(".0").unwrap_or(r).to_string())
            .unwrap_or_else(|| "—".into())
    };
    let mut text = vec![format!(
        "{uc_n}个在建重点项目完成投资{}亿元，占年投资计划{}%",
        trim_yi(Money::from_fen(uc_done)),
        pct_prose(&rate)
    )];
    if uc_completed > 0 {
        text.push(format!("{uc_completed}个项目完成建设"));
    }
    text.push(format!(
        "{pre_n}个在库前期项目预计总投资{}亿元，{pre_started}个项目落地开工建设",
        trim_yi(Money::from_fen(pre_total))
    ));
    use keyproj_db::repo::problems as pr;
    let today = app.local_today().format("%Y-%m-%d").to_string();
    let (raised, assigned, closed, overdue) =
        pr::year_totals(&mut tx, region, year, &today).await?;
    let meetings = pr::meetings_in_year(&mut tx, region, year).await?;
    let by_meetings = pr::assigned_from_meetings(&mut tx, region, year).await?;
    let ps_closed = pr::closed_for_projects_in_year(&mut tx, &ps_projects, year).await?;
    if meetings > 0 || by_meetings > 0 {
        text.push(format!(
            "召开各类调度会议{meetings}次，交办会议和简报确定事项{by_meetings}项"
        ));
    }
    if ps_n > 0 {
        text.push(if ps_closed > 0 {
            format!("对{ps_n}个已建成项目落实帮扶措施，帮助解决问题{ps_closed}个")
        } else {
            format!("对{ps_n}个已建成项目落实帮扶措施")
        });
    }
    if raised > 0 {
        // The rate is over the items assigned, so the sentence names that denominator.
        text.push(format!(
            "全年收集项目建设问题{raised}个，交办{assigned}个，办结{closed}个，交办事项办结率{}%",
            pct_prose(&percent_1dp(closed, assigned.max(1)))
        ));
    }
    Ok(AnnualStats {
        year,
        region_code: region.to_string(),
        under_construction: UnderConstruction {
            count: uc_n,
            annual_plan_wan: Money::from_fen(uc_plan).wan_2dp(),
            completed_wan: Money::from_fen(uc_done).wan_2dp(),
            completion_rate_pct: rate,
            completed_projects: uc_completed,
        },
        preliminary: Preliminary {
            count: pre_n,
            total_investment_wan: Money::from_fen(pre_total).wan_2dp(),
            started: pre_started,
        },
        post_support: PostSupport {
            count: ps_n,
            problems_closed: ps_closed,
        },
        problems: Problems {
            raised,
            assigned,
            closed,
            closure_rate_pct: percent_1dp(closed, assigned),
            overdue,
            assigned_by_meetings: by_meetings,
        },
        meetings: Meetings { count: meetings },
        text,
    })
}

/// Approved amounts of one year per project and month (index 0 = January): one pass over the
/// rows instead of a scan per project.
pub(crate) fn approved_by_month(
    amounts: &[(i64, String, i64)],
) -> std::collections::HashMap<i64, [i64; 12]> {
    let mut out: std::collections::HashMap<i64, [i64; 12]> = std::collections::HashMap::new();
    for (p, m, f) in amounts {
        if let Some(mo) = m
            .get(5..7)
            .and_then(|x| x.parse::<usize>().ok())
            .filter(|x| (1..=12).contains(x))
        {
            out.entry(*p).or_insert([0; 12])[mo - 1] += f;
        }
    }
    out
}

/// 亿元 as the report writes it: up to four decimals, trailing zeros dropped (38.2, 194.2778).
pub fn trim_yi(m: Money) -> String {
    let s = m.yi(4);
    let s = s.trim_end_matches('0');
    s.trim_end_matches('.').to_string()
}

pub async fn annual_for(app: &App, ctx: &Ctx, year: i32) -> Result<AnnualStats> {
    require(ctx, Action::ViewProject)?;
    annual(app, &ctx.actor.region, year).await
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

/// What the dashboard shows for a year, over the projects the actor may see.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub year: i32,
    /// (label, projects, annual plan, approved so far)
    pub by_category: Vec<(String, usize, Money, Money)>,
    pub by_level: Vec<(String, usize, Money, Money)>,
    /// Month 1..=12: (cumulative plan, cumulative approved) of 在建 entries; approved is None
    /// for months not yet reported.
    pub monthly: Vec<(Money, Option<Money>)>,
    /// Approved investment by industry (在建).
    pub by_industry: Vec<(String, Money)>,
    /// Planned projects by township.
    pub by_township: Vec<(String, usize)>,
    /// Red projects of the latest published issue of the year: (name, reasons).
    pub red_list: Vec<(String, String)>,
    pub red_issue: Option<String>,
    /// The month whose reports are due now, and who has not reported it.
    pub missing_month: ReportMonthLabel,
    pub missing: Vec<(String, usize)>,
    pub last_approved_month: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportMonthLabel(pub String);

pub async fn dashboard(app: &App, ctx: &Ctx, year: Option<i32>) -> Result<Dashboard> {
    require(ctx, Action::ViewProject)?;
    use keyproj_domain::ReportMonth;
    use keyproj_domain::authz::{ListScope, project_list_scope};
    let today = ReportMonth::of(app.local_today());
    let (region, unit, owner) = match project_list_scope(&ctx.actor) {
        ListScope::Region(r) => (r, None, false),
        ListScope::Unit { region, unit_id } => (region, Some(unit_id), false),
        ListScope::Owner { region, unit_id } => (region, Some(unit_id), true),
        ListScope::Nothing => return Err(crate::ServiceError::Forbidden),
    };
    let mut tx = app.db.begin_read().await?;
    let year = match year {
        Some(y) => y,
        None => repo::latest_plan_year(&mut tx, &region, today.year() as i64)
            .await?
            .map(|y| y as i32)
            .unwrap_or(today.year()),
    };
    let lines = repo::plan_lines(&mut tx, &region, year as i64, unit, owner).await?;
    let amounts = repo::approved_amounts(
        &mut tx,
        &region,
        &format!("{year}-01"),
        &format!("{year}-12"),
    )
    .await?;
    let ids: std::collections::HashSet<i64> = lines.iter().map(|l| l.project_id).collect();
    let by_month = approved_by_month(&amounts);
    let done_of = |pid: i64| {
        by_month
            .get(&pid)
            .map(|m| m.iter().sum::<i64>())
            .unwrap_or(0)
    };
    let group = |key: &dyn Fn(&repo::PlanLine) -> String,
                 order: &[String]|
     -> Vec<(String, usize, Money, Money)> {
        order
            .iter()
            .map(|k| {
                let ls: Vec<_> = lines.iter().filter(|l| &key(l) == k).collect();
                (
                    k.clone(),
                    ls.len(),
                    Money::from_fen(ls.iter().map(|l| l.annual_plan_fen).sum()),
                    Money::from_fen(ls.iter().map(|l| done_of(l.project_id)).sum()),
                )
            })
            .filter(|g| g.1 > 0)
            .collect()
    };
    use keyproj_domain::plan::YearCategory;
    use keyproj_domain::project::Level;
    let cat_label = |l: &repo::PlanLine| {
        YearCategory::from_key(&l.category)
            .map(|c| c.label().to_string())
            .unwrap_or_default()
    };
    let by_category = group(
        &cat_label,
        &YearCategory::ALL
            .iter()
            .map(|c| c.label().to_string())
            .collect::<Vec<_>>(),
    );
    let lvl_label = |l: &repo::PlanLine| {
        Level::from_key(&l.level)
            .map(|c| c.label().to_string())
            .unwrap_or_default()
    };
    let by_level = group(
        &lvl_label,
        &Level::ALL
            .iter()
            .map(|c| c.label().to_string())
            .collect::<Vec<_>>(),
    );

    let uc: Vec<_> = lines
        .iter()
        .filter(|l| l.category == "under_construction")
        .collect();
    let last_approved_month = amounts
        .iter()
        .filter(|(p, _, _)| ids.contains(p))
        .filter_map(|(_, m, _)| ReportMonth::parse("m", "m", m).ok())
        .map(|m| m.month())
        .max();
    let mut monthly = vec![];
    for m in 1..=12u32 {
        let plan: i64 = uc
            .iter()
            .map(|l| {
                let split = crate::dispatch::monthly_from_text(&l.monthly_fen);
                if split.len() == 12 {
                    split.iter().take(m as usize).map(|x| x.fen()).sum()
                } else {
                    (l.annual_plan_fen as i128 * m as i128 / 12) as i64
                }
            })
            .sum();
        let actual = last_approved_month.filter(|last| m <= *last).map(|_| {
            Money::from_fen(
                uc.iter()
                    .filter_map(|l| by_month.get(&l.project_id))
                    .map(|a| a[..m as usize].iter().sum::<i64>())
                    .sum(),
            )
        });
        monthly.push((Money::from_fen(plan), actual));
    }
    // Industry and township come from the project records.
    let mut by_industry: Vec<(String, Money)> = vec![];
    let mut by_township: Vec<(String, usize)> = vec![];
    // One query for all the projects in scope, not one per plan line.
    let mut all = keyproj_db::repo::projects::ProjectFilter::new(project_list_scope(&ctx.actor));
    all.limit = i64::MAX / 2;
    let (rows, _) = keyproj_db::repo::projects::list(&mut tx, &all).await?;
    let by_id: std::collections::HashMap<i64, &keyproj_db::repo::projects::ProjectRow> =
        rows.iter().map(|p| (p.id, p)).collect();
    for l in &lines {
        let Some(p) = by_id.get(&l.project_id) else {
            continue;
        };
        let ind = keyproj_domain::project::Industry::from_key(&p.industry)
            .map(|i| i.label().to_string())
            .unwrap_or_default();
        if l.category == "under_construction" {
            match by_industry.iter_mut().find(|x| x.0 == ind) {
                Some(x) => x.1 = Money::from_fen(x.1.fen() + done_of(l.project_id)),
                None => by_industry.push((ind, Money::from_fen(done_of(l.project_id)))),
            }
        }
        let town = p.township_name.clone().unwrap_or_else(|| "（未填）".into());
        match by_township.iter_mut().find(|x| x.0 == town) {
            Some(x) => x.1 += 1,
            None => by_township.push((town, 1)),
        }
    }
    by_industry.sort_by_key(|x| std::cmp::Reverse(x.1));
    by_township.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    by_township.truncate(12);
    let (red_list, red_issue) = match repo::list_issues(&mut tx, &region)
        .await?
        .into_iter()
        .find(|i| i.year == year as i64)
    {
        Some(i) => {
            let rows = repo::issue_lines(&mut tx, i.id).await?;
            (
                rows.into_iter()
                    .filter(|r| r.colour == "red" && ids.contains(&r.project_id))
                    .map(|r| (r.name, r.reasons))
                    .collect(),
                Some(format!("{}年第{}期", i.year, i.number)),
            )
        }
        None => (vec![], None),
    };
    drop(tx);
    let due_month = today.prev();
    let overview = crate::dispatch::month_overview(app, ctx, due_month).await?;
    Ok(Dashboard {
        year,
        by_category,
        by_level,
        monthly,
        by_industry,
        by_township,
        red_list,
        red_issue,
        missing_month: ReportMonthLabel(due_month.chinese()),
        missing: overview.missing_by_unit,
        last_approved_month,
    })
}
