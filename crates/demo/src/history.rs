//! The 2022 year of the reference county, so that the demo states the reference figures itself:
//! 45 在建 plan entries with 38.2亿元 approved = 98% of their plan and 23 completed in the year;
//! 23 前期 entries with 194.2778亿元 total investment of which 5 started; 5 后扶; monthly
//! reports January–December (approved, reported on the 3rd of the next month) and 9 published
//! colour tables (April–December). Entered the way a center enters history: as a workbook
//! import (built in memory), so every plan and month is written by the import's use cases with
//! its own audit row; then the year is adopted and the tables are published.

use crate::DemoProject;
use crate::county::split_exact;
use keyproj_domain::{Money, ReportMonth};
use keyproj_office::workbook::{
    PLAN_HEADERS, REPORT_HEADERS, SHEET_PLANS, SHEET_REPORTS, SheetRows,
};
use keyproj_service::dispatch::{colour, plans};
use keyproj_service::import::{self, ImportError};
use keyproj_service::{App, Ctx, Result, ServiceError, projects};

/// 万元 as a sheet writes it (two decimals).
fn wan(m: Money) -> String {
    m.wan_2dp()
}

/// One 年度计划 row.
fn plan_row(code: &str, category: &str, plan: Money, targets: &str) -> Vec<String> {
    let mut v = vec![
        code.to_string(),
        "2022".into(),
        category.into(),
        wan(plan),
        targets.into(),
    ];
    v.resize(PLAN_HEADERS.len(), String::new());
    v
}

/// One 月度调度 row, reported on the 3rd of the next month.
fn report_row(code: &str, month: u32, amount: Money, progress: &str) -> Result<Vec<String>> {
    let m = ReportMonth::new(2022, month).ok_or(ServiceError::NotFound)?;
    let reported_on = keyproj_domain::report::due_date(m, 3);
    let mut v = vec![
        code.to_string(),
        m.to_string(),
        wan(amount),
        progress.to_string(),
        String::new(),
        reported_on.to_string(),
    ];
    v.resize(REPORT_HEADERS.len(), String::new());
    Ok(v)
}

fn code_of(p: &DemoProject) -> &str {
    p.input.draft.code.as_str()
}

pub(crate) async fn load(app: &App, ctx: &Ctx, projects_: &[DemoProject]) -> Result<()> {
    let of_stage = |s: &'static str| projects_.iter().filter(move |p| p.stage == s);
    let completed: Vec<&DemoProject> = of_stage("竣工").collect();
    let building: Vec<&DemoProject> = of_stage("在建").filter(|p| !p.started_2022).collect();
    let started: Vec<&DemoProject> = projects_.iter().filter(|p| p.started_2022).collect();
    let mut uc: Vec<&DemoProject> = completed.iter().take(23).copied().collect();
    uc.extend(building.iter().take(45 - uc.len()).copied());
    let mut pre: Vec<&DemoProject> = started.iter().take(5).copied().collect();
    pre.extend(of_stage("前期").take(23 - pre.len()));
    let ps: Vec<&DemoProject> = of_stage("后扶").take(5).collect();
    if uc.len() != 45 || pre.len() != 23 || ps.len() != 5 {
        return Err(ServiceError::invariant(
            "演示数据的项目数不足以组成2022年度计划",
        ));
    }
    // 前期: the 23 projects' total investment is exactly 194.2778亿元 (the largest is corrected).
    let target = Money::from_wan_int(1_942_778);
    let sum: Money = pre.iter().map(|p| p.total).sum();
    if let Some(largest) = pre.iter().max_by_key(|p| p.total) {
        let detail = projects::get(app, ctx, largest.id).await?;
        let mut input = largest.input.clone();
        input.draft.total_investment_wan =
            Money::from_fen(largest.total.fen() + target.fen() - sum.fen()).wan_2dp();
        projects::update(app, ctx, largest.id, detail.project.version, &input).await?;
    }
    let mut plan_rows = vec![];
    let mut report_rows = vec![];
    // 在建: plans adding up to 38.98亿元, approved reports adding up to 38.2亿元 (98.0%).
    let weights: Vec<i64> = uc.iter().map(|p| p.total.fen() / 1_000_000 + 500).collect();
    let plan_amounts = split_exact(Money::from_wan_int(389_800).fen(), &weights);
    // Some projects run ahead, some behind; the total stays exact.
    let done_weights: Vec<i64> = plan_amounts
        .iter()
        .enumerate()
        .map(|(i, p)| p / 10_000 * [70, 85, 95, 100, 100, 105, 110, 120][i % 8])
        .collect();
    let done = split_exact(Money::from_wan_int(382_000).fen(), &done_weights);
    for (i, p) in uc.iter().enumerate() {
        plan_rows.push(plan_row(
            code_of(p),
            "在建",
            Money::from_fen(plan_amounts[i]),
            "完成年度投资计划，按节点推进",
        ));
        // The year's amount over twelve months, back-loaded like real construction.
        let months = split_exact(done[i], &[4, 5, 7, 8, 8, 9, 9, 9, 10, 10, 10, 11]);
        for (m, amount) in months.iter().enumerate() {
            let progress = ["基础施工", "主体结构施工", "主体封顶", "装饰装修及设备安装"][m / 3];
            report_rows.push(report_row(
                code_of(p),
                m as u32 + 1,
                Money::from_fen(*amount),
                progress,
            )?);
        }
    }
    for p in &pre {
        plan_rows.push(plan_row(
            code_of(p),
            "前期",
            Money::ZERO,
            "完成前期手续，力争开工",
        ));
        for m in 1..=12u32 {
            let (amount, progress) = if p.started_2022 && m >= 6 {
                (Money::from_wan_int(200), "已开工，场地平整")
            } else {
                (Money::ZERO, "办理前期手续")
            };
            report_rows.push(report_row(code_of(p), m, amount, progress)?);
        }
    }
    for p in &ps {
        plan_rows.push(plan_row(
            code_of(p),
            "后扶",
            Money::ZERO,
            "帮扶解决生产运营困难",
        ));
        for m in 1..=12u32 {
            report_rows.push(report_row(code_of(p), m, Money::ZERO, "正常运营")?);
        }
    }
    let numbered = |rows: Vec<Vec<String>>| -> Vec<(usize, Vec<String>)> {
        rows.into_iter()
            .enumerate()
            .map(|(i, r)| (i + 2, r))
            .collect()
    };
    let sheets = [
        SheetRows {
            name: SHEET_PLANS.into(),
            rows: numbered(plan_rows),
        },
        SheetRows {
            name: SHEET_REPORTS.into(),
            rows: numbered(report_rows),
        },
    ];
    match import::import(app, ctx, &sheets).await {
        Ok(_) => {}
        Err(ImportError::Service(e)) => return Err(e),
        Err(ImportError::File(m)) => return Err(ServiceError::invariant(m)),
        Err(ImportError::Problems(p)) => {
            return Err(ServiceError::invariant(format!(
                "演示数据导入失败：{:?}",
                p.first()
            )));
        }
    }
    plans::freeze(app, ctx, 2022).await?;
    // The nine colour tables of 2022 (April–December).
    for m in 4..=12 {
        let month = ReportMonth::new(2022, m).ok_or(ServiceError::NotFound)?;
        colour::publish(app, ctx, month, None, "").await?;
    }
    Ok(())
}
