//! The problem list's figures per handling unit, assigning leader, source and category, for a
//! year or one month of it (page, .xlsx, API, dashboard and the public board).

use crate::{App, Ctx, Result, field_error, require};
use chrono::NaiveDate;
use keyproj_db::repo::org;
use keyproj_db::repo::problems::stats::{self as repo, PeriodRow};
use keyproj_domain::RegionCode;
use keyproj_domain::authz::Action;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The figures of one unit (or one leader) for the items assigned in the period.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnitStats {
    pub unit_id: i64,
    pub unit_name: String,
    pub assigned: i64,
    pub closed: i64,
    /// 办结率, percent with one decimal
    pub closure_rate_pct: f64,
    /// 按期办结率: closed on time ÷ closed
    pub on_time_rate_pct: f64,
    pub overdue: i64,
    /// average working/calendar days from assignment to closure
    pub avg_days: f64,
    pub letters: i64,
}

/// Counts of one group (a source, a category or a leader) of items raised in the period.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct GroupCount {
    /// What the group is, in words (来源, 类别 or the leader's name).
    pub label: String,
    pub raised: i64,
    pub closed: i64,
    pub overdue: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProblemStats {
    pub year: i32,
    pub month: Option<u32>,
    pub units: Vec<UnitStats>,
    pub by_source: Vec<GroupCount>,
    pub by_category: Vec<GroupCount>,
    pub by_leader: Vec<GroupCount>,
    /// Per assigning leader, the same figures as per unit (unit_id/unit_name: the leader's).
    pub leaders: Vec<UnitStats>,
}

/// Percent with one decimal, computed in integers so that 1/3 is 33.3 on every machine.
pub(crate) fn pct(n: i64, d: i64) -> f64 {
    if d == 0 {
        0.0
    } else {
        ((n * 1000 + d / 2) / d) as f64 / 10.0
    }
}

/// The period of a year or one month of it: [from, to).
fn period(year: i32, month: Option<u32>) -> Option<(NaiveDate, NaiveDate)> {
    let first = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1);
    match month {
        Some(12) => Some((first(year, 12)?, first(year + 1, 1)?)),
        Some(m) => Some((first(year, m)?, first(year, m + 1)?)),
        None => Some((first(year, 1)?, first(year + 1, 1)?)),
    }
}

/// Sums of the items assigned in the period: assigned, closed, on time, overdue, days, letters.
type Assigned = [i64; 6];

fn add_assigned(into: &mut Assigned, r: &PeriodRow) {
    let v = [
        r.a_count,
        r.a_closed,
        r.a_closed_on_time,
        r.a_overdue,
        r.a_close_days,
        r.a_letters,
    ];
    for (k, x) in v.into_iter().enumerate() {
        into[k] += x;
    }
}

fn figures(id: i64, name: String, f: Assigned) -> UnitStats {
    let [assigned, closed, on_time, overdue, days, letters] = f;
    UnitStats {
        unit_id: id,
        unit_name: name,
        assigned,
        closed,
        closure_rate_pct: pct(closed, assigned),
        on_time_rate_pct: pct(on_time, closed),
        overdue,
        avg_days: pct(days, closed * 100),
        letters,
    }
}

fn by_assigned(mut v: Vec<UnitStats>) -> Vec<UnitStats> {
    v.sort_by(|a, b| {
        b.assigned
            .cmp(&a.assigned)
            .then(a.unit_name.cmp(&b.unit_name))
    });
    v
}

fn groups(m: BTreeMap<String, GroupCount>) -> Vec<GroupCount> {
    let mut v: Vec<GroupCount> = m.into_values().collect();
    v.sort_by(|a, b| b.raised.cmp(&a.raised).then(a.label.cmp(&b.label)));
    v
}

fn count_raised(map: &mut BTreeMap<String, GroupCount>, label: &str, r: &PeriodRow) {
    let g = map.entry(label.to_string()).or_insert_with(|| GroupCount {
        label: label.to_string(),
        ..Default::default()
    });
    g.raised += r.r_count;
    g.closed += r.r_closed;
    g.overdue += r.r_overdue;
}

/// Per unit, leader, source and category for a year (or one month of it).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn stats(app: &App, ctx: &Ctx, year: i32, month: Option<u32>) -> Result<ProblemStats> {
    require(ctx, Action::ViewProblems)?;
    keyproj_domain::plan::check_year("year", &year.to_string())?;
    let (from, to) = period(year, month)
        .filter(|_| month.is_none_or(|m| (1..=12).contains(&m)))
        .ok_or_else(|| field_error("month", "invalid", "月份应为1–12"))?;
    let region = ctx.actor.region.clone();
    let mut tx = app.db.begin_read().await?;
    let rows = repo::period_stats(&mut tx, &region, from, to, app.local_today()).await?;
    let unit_names: HashMap<i64, String> = org::list_units(&mut tx, &region)
        .await?
        .into_iter()
        .map(|u| (u.id.get(), u.name))
        .collect();
    let leader_names: HashMap<i64, String> = org::list_leaders(&mut tx, &region)
        .await?
        .into_iter()
        .map(|l| (l.id.get(), l.name))
        .collect();
    let name = |names: &HashMap<i64, String>, id: i64| names.get(&id).cloned().unwrap_or_default();
    // per unit and leader: items assigned in the period; per source/category/leader: raised
    let mut per_unit: BTreeMap<i64, Assigned> = BTreeMap::new();
    let mut per_leader: BTreeMap<i64, Assigned> = BTreeMap::new();
    let (mut sources, mut categories, mut leaders) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for r in &rows {
        if r.a_count > 0 {
            if let Some(l) = r.assigning_leader_id {
                add_assigned(per_leader.entry(l.get()).or_default(), r);
            }
            if let Some(u) = r.handler_unit_id {
                add_assigned(per_unit.entry(u.get()).or_default(), r);
            }
        }
        if r.r_count > 0 {
            count_raised(&mut sources, r.source.label(), r);
            count_raised(&mut categories, r.category.label(), r);
            if let Some(l) = r.assigning_leader_id {
                count_raised(&mut leaders, &name(&leader_names, l.get()), r);
            }
        }
    }
    Ok(ProblemStats {
        year,
        month,
        units: by_assigned(
            per_unit
                .into_iter()
                .map(|(id, f)| figures(id, name(&unit_names, id), f))
                .collect(),
        ),
        by_source: groups(sources),
        by_category: groups(categories),
        by_leader: groups(leaders),
        leaders: by_assigned(
            per_leader
                .into_iter()
                .map(|(id, f)| figures(id, name(&leader_names, id), f))
                .collect(),
        ),
    })
}

/// The problem list's figures of a year as the annual report states them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct YearFigures {
    pub totals: repo::YearTotals,
    /// Meetings held in the year.
    pub meetings: i64,
    /// Items assigned by meetings and briefings (会议、简报交办任务).
    pub assigned_by_meetings: i64,
    /// Items of the given (后扶) projects closed in the year.
    pub closed_for_projects: i64,
}

pub(crate) async fn year_figures_in(
    tx: &mut keyproj_db::Tx,
    region: &RegionCode,
    year: i32,
    today: NaiveDate,
    projects: &[keyproj_domain::ids::ProjectId],
) -> Result<YearFigures> {
    Ok(YearFigures {
        totals: repo::year_totals(tx, region, year, today).await?,
        meetings: repo::meetings_in_year(tx, region, year).await?,
        assigned_by_meetings: repo::assigned_from_meetings(tx, region, year).await?,
        closed_for_projects: repo::closed_for_projects_in_year(tx, projects, year).await?,
    })
}

/// The public board's per-unit view: published only as counts and rates, no names of people.
pub async fn public_unit_stats(
    app: &App,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<UnitStats>> {
    let ctx = Ctx::system(region.clone());
    Ok(stats(app, &ctx, year, None).await?.units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_have_one_decimal_on_every_machine() {
        assert_eq!(pct(1, 3), 33.3);
        assert_eq!(pct(2, 3), 66.7);
        assert_eq!(pct(0, 0), 0.0);
    }

    #[test]
    fn a_month_is_a_half_open_period() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            period(2022, Some(12)),
            Some((d("2022-12-01"), d("2023-01-01")))
        );
        assert_eq!(period(2022, None), Some((d("2022-01-01"), d("2023-01-01"))));
        assert_eq!(period(2022, Some(13)), None);
    }
}
