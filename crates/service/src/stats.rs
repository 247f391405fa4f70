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
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AnnualStats {
    pub year: i32,
    pub region_code: String,
    pub under_construction: UnderConstruction,
    pub preliminary: Preliminary,
    pub post_support: PostSupport,
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
    let in_year = |m: &Option<String>| {
        m.as_deref()
            .is_some_and(|m| m.starts_with(&format!("{year}-")))
    };
    let (mut uc_n, mut uc_plan, mut uc_done, mut uc_completed) = (0i64, 0i64, 0i64, 0i64);
    let (mut pre_n, mut pre_total, mut pre_started) = (0i64, 0i64, 0i64);
    let mut ps_n = 0i64;
    for l in &lines {
        match l.category.as_str() {
            "under_construction" => {
                uc_n += 1;
                uc_plan += l.annual_plan_fen;
                uc_done += amounts
                    .iter()
                    .filter(|(p, _, _)| *p == l.project_id)
                    .map(|(_, _, f)| *f)
                    .sum::<i64>();
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
            _ => ps_n += 1,
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
    if ps_n > 0 {
        text.push(format!("对{ps_n}个已建成项目落实帮扶措施"));
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
        post_support: PostSupport { count: ps_n },
        text,
    })
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
