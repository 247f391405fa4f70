//! Timed runs on generated datasets (the figures in `BENCHMARKS.md`).

use chrono::{Datelike, NaiveDate};
use keyproj_domain::ids::UnitId;
use keyproj_domain::org::{UnitDraft, UnitKind};
use keyproj_domain::{RegionCode, ReportMonth};
use keyproj_service::problems::{items, stats, supervision};
use keyproj_service::{App, Ctx, Result};
use serde::Serialize;

/// What `keyproj bench-problems` measured.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemBench {
    pub items: usize,
    pub open: usize,
    pub units: usize,
    pub generate_secs: f64,
    pub stats_ms: f64,
    pub first_run: supervision::Run,
    pub first_run_secs: f64,
    pub second_run: supervision::Run,
    pub second_run_ms: f64,
    pub list_overdue_ms: f64,
}

/// Generates `items` problem-list items in the home region (`open` of them still with their
/// units, deadlines from 30 days ago to 60 days ahead; the rest closed, a tenth of them late),
/// handled by 60 units; then times the per-unit statistics, the first supervision run of the
/// day (letters for every overdue item), a second run the same day, and the overdue list page.
pub async fn problems(app: &App, items_n: usize, open: usize) -> Result<ProblemBench> {
    let region = app.cfg.default_region.clone();
    let started = std::time::Instant::now();
    keyproj_service::admin::users::bootstrap_admin(app).await?;
    let ctx = Ctx::system(region.clone());
    let today = app.local_today();
    let year = today.year();
    let existing = keyproj_service::org::units(app, &ctx).await?;
    let mut units: Vec<UnitId> = vec![];
    for i in 0..60 {
        let name = format!("测试承办单位{i:02}");
        let id = match existing.iter().find(|u| u.name == name) {
            Some(u) => u.id,
            None => {
                keyproj_service::org::create_unit(
                    app,
                    &ctx,
                    &UnitDraft {
                        name,
                        kind: UnitKind::Department.key().into(),
                        sort_order: 100,
                        ..Default::default()
                    },
                )
                .await?
            }
        };
        units.push(id);
    }

    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).expect("date");
    let span = (today - jan1).num_days().max(1);
    let mut rows = Vec::with_capacity(items_n);
    for i in 0..items_n {
        let closed = i >= open;
        let (raised, deadline) = if closed {
            let r = jan1 + chrono::Duration::days((i as i64 * 7919) % span);
            (r, r + chrono::Duration::days(14))
        } else {
            let d = today + chrono::Duration::days((i as i64 % 91) - 30);
            (d - chrono::Duration::days(14), d)
        };
        let late = i % 10 == 0;
        let closed_on = closed.then(|| {
            let c = raised + chrono::Duration::days(if late { 20 } else { 9 });
            c.min(today)
        });
        // the days to close count from the day raised, even one before this year
        let mut item =
            crate::seed::generated_item(i, &units, None, raised.max(jan1), deadline, closed_on);
        item.close_days = closed_on.map(|c| (c - raised).num_days());
        rows.push(item);
    }
    for chunk in rows.chunks(20_000) {
        crate::seed::items(app, &ctx, &region, year, chunk).await?;
    }
    app.db.optimize().await?;
    let generate_secs = started.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    stats::stats(app, &ctx, year, None).await?;
    let stats_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = std::time::Instant::now();
    let first_run = supervision::evaluate(app, &region, today, false).await?;
    let first_run_secs = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let second_run = supervision::evaluate(app, &region, today, false).await?;
    let second_run_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut f = items::filter_for(&ctx)?;
    f.overdue_on = Some(today);
    let t = std::time::Instant::now();
    items::list(app, &ctx, &f).await?;
    let list_overdue_ms = t.elapsed().as_secs_f64() * 1000.0;
    Ok(ProblemBench {
        items: items_n,
        open,
        units: units.len(),
        generate_secs,
        stats_ms,
        first_run,
        first_run_secs,
        second_run,
        second_run_ms,
        list_overdue_ms,
    })
}

/// Median of `runs` timings of an async step, in milliseconds, with the last result.
async fn timed<F, Fut, T>(runs: usize, mut f: F) -> Result<(f64, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut ms = vec![];
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = std::time::Instant::now();
        last = Some(f().await?);
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    let last = last.ok_or_else(|| keyproj_service::ServiceError::invariant("no timed run"))?;
    Ok((ms[ms.len() / 2], last))
}

/// Times the heavy paths of monthly dispatch on the current database (after
/// `keyproj generate --months 60`): one county's colour table, the province's annual figures,
/// the province's project export and dashboard, and importing 10,000 rows of 月度调度 into the
/// county. Returns the lines `keyproj bench` prints.
pub async fn dispatch(app: &App, county: &RegionCode, month: ReportMonth) -> Result<Vec<String>> {
    use crate::seed;
    use keyproj_service::{exports, import, projects, stats};
    let province = RegionCode::parse(&county.as_str()[..2])?;
    let mut out = vec![];
    let volume = seed::volume(app).await?;
    out.push(format!(
        "数据：{} 个项目，{} 条月报（{}）",
        volume.projects,
        volume.reports,
        app.db.backend()
    ));
    let county_staff = Ctx::system(county.clone());
    let (ms, table) = timed(5, || {
        keyproj_service::dispatch::colour::preview(app, &county_staff, month)
    })
    .await?;
    out.push(format!(
        "一个县的进度分色表（{county}，{month}，{} 个项目）：中位数 {ms:.1} ms",
        table.rows.len()
    ));
    let (ms, st) = timed(3, || stats::annual(app, &province, month.year())).await?;
    out.push(format!(
        "全省年度统计（{province}，{} 年，在建 {} 个）：中位数 {ms:.1} ms",
        month.year(),
        st.under_construction.count
    ));
    let staff = Ctx::system(province.clone());
    let (ms, file) = timed(3, || async {
        let pages = projects::list_all(app, &staff, Default::default()).await?;
        exports::projects_xlsx(
            app,
            &province,
            &Default::default(),
            &Default::default(),
            &pages,
        )
    })
    .await?;
    out.push(format!(
        "导出项目库（{:.1} MB）：中位数 {ms:.1} ms",
        file.bytes.len() as f64 / 1024.0 / 1024.0
    ));
    let (ms, _) = timed(3, || stats::dashboard(app, &staff, Some(month.year()))).await?;
    out.push(format!("全省首页（仪表盘）：中位数 {ms:.1} ms"));

    // 10,000 rows of 月度调度 for the county's projects, months before any stored report
    let codes: Vec<String> = projects::list_all(app, &county_staff, Default::default())
        .await?
        .into_iter()
        .flat_map(|p| p.items)
        .filter_map(|p| p.code)
        .collect();
    if codes.is_empty() {
        return Err(keyproj_service::ServiceError::invariant(
            "该县没有项目，请先运行 keyproj generate --months 60",
        ));
    }
    let file = report_rows_workbook(&codes, 10_000)?;
    let mut ctx = Ctx::system(county.clone());
    ctx.actor.username = "bench".into();
    let t = std::time::Instant::now();
    let sum = import::import_bytes(app, &ctx, &file, &Default::default())
        .await
        .map_err(|e| keyproj_service::ServiceError::invariant(format!("{e:?}")))?;
    out.push(format!(
        "导入 10000 行月度调度（新增 {}）：{:.0} ms",
        sum.reports_created,
        t.elapsed().as_secs_f64() * 1000.0
    ));
    Ok(out)
}

/// A workbook of `rows` 月度调度 rows over `codes`, from January 2000 on.
fn report_rows_workbook(codes: &[String], rows: u32) -> Result<Vec<u8>> {
    let sheet_error = |e: rust_xlsxwriter::XlsxError| {
        keyproj_service::ServiceError::internal("writing the bench workbook", e)
    };
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("月度调度").map_err(sheet_error)?;
    for (c, h) in keyproj_office::workbook::REPORT_HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).map_err(sheet_error)?;
    }
    let mut row = 1u32;
    let mut m = ReportMonth::new(2000, 1)
        .ok_or_else(|| keyproj_service::ServiceError::invariant("month"))?;
    'outer: loop {
        for code in codes {
            ws.write_string(row, 0, code).map_err(sheet_error)?;
            ws.write_string(row, 1, m.to_string())
                .map_err(sheet_error)?;
            ws.write_number(row, 2, 12.5).map_err(sheet_error)?;
            ws.write_string(row, 3, "主体施工").map_err(sheet_error)?;
            row += 1;
            if row > rows {
                break 'outer;
            }
        }
        m = m.next();
    }
    wb.save_to_buffer().map_err(sheet_error)
}

/// What `keyproj bench-approvals` measured.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalBench {
    pub backend: String,
    pub items: usize,
    pub projects_region: String,
    pub generate_secs: f64,
    /// The statistics page's figures per department and agent (median of 3).
    pub stats_ms: f64,
    pub departments: usize,
    /// The overdue list's first page of 50 (median of 3).
    pub overdue_page_ms: f64,
    pub overdue: i64,
    /// The list's first page of 50, all states (median of 3).
    pub list_page_ms: f64,
    /// The annual figures of the province, with its signing and 帮代办 parts (median of 3).
    pub annual_ms: f64,
}

/// Generates `n` approval items over the projects of `region` (a province after `keyproj
/// generate`), then times, as the province's staff: the statistics, the overdue list's first
/// page, the plain list's first page and the annual figures.
pub async fn approvals(app: &App, region: &RegionCode, n: usize) -> Result<ApprovalBench> {
    use keyproj_service::pipeline::approvals::{self as svc, ListQuery};
    let ctx = Ctx::system(region.clone());
    let t = std::time::Instant::now();
    let items = crate::seed::approvals(app, &ctx, region, n).await?;
    app.db.optimize().await?;
    let generate_secs = t.elapsed().as_secs_f64();
    let (stats_ms, st) = timed(3, || svc::stats(app, &ctx)).await?;
    let page = |overdue_only: bool| ListQuery {
        overdue_only,
        limit: Some(50),
        ..Default::default()
    };
    let (overdue_q, plain_q) = (page(true), page(false));
    let (overdue_page_ms, od) = timed(3, || svc::list(app, &ctx, &overdue_q)).await?;
    let (list_page_ms, _) = timed(3, || svc::list(app, &ctx, &plain_q)).await?;
    let year = app.local_today().year();
    let (annual_ms, _) = timed(3, || keyproj_service::stats::annual(app, region, year)).await?;
    Ok(ApprovalBench {
        backend: app.db.backend().to_string(),
        items,
        projects_region: region.to_string(),
        generate_secs,
        stats_ms,
        departments: st.by_unit.len(),
        overdue_page_ms,
        overdue: od.total,
        list_page_ms,
        annual_ms,
    })
}

/// What `keyproj bench-assessment` measured.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentBench {
    pub backend: String,
    pub year: i32,
    pub counties: usize,
    /// Unit scores written (every assessed kind of every county).
    pub units_scored: usize,
    /// Computing every county's year, one round per county, one after another.
    pub province_secs: f64,
    /// The median and the slowest county.
    pub county_median_ms: f64,
    pub county_max_ms: f64,
    /// Reading one scored round back (the ranking page's data), median of 3.
    pub round_read_ms: f64,
}

/// Scores a year for every county of the generated province (after `keyproj generate`): the
/// example 考核办法 adopted where none is, then one round per county computed from the records.
pub async fn assessment(app: &App, year: i32) -> Result<AssessmentBench> {
    use keyproj_service::assessment::{rounds, rules};
    let counties = crate::province::county_codes();
    let mut ctxs = vec![];
    for code in &counties {
        let region = RegionCode::parse(code).map_err(|e| {
            keyproj_service::ServiceError::invariant(format!("county code: {}", e.message))
        })?;
        let ctx = Ctx::system(region);
        if rules::year(app, &ctx, year).await?.in_force().is_none() {
            rules::start_draft(app, &ctx, year).await?;
            rules::adopt(
                app,
                &ctx,
                year,
                &rules::Adoption {
                    doc_number: format!("重项办发〔{year}〕1号"),
                    adopted_on: format!("{year}-03-01"),
                    reason: String::new(),
                },
            )
            .await?;
        }
        ctxs.push(ctx);
    }
    let started = std::time::Instant::now();
    let mut each = vec![];
    let mut units_scored = 0;
    let mut last = None;
    for ctx in &ctxs {
        let t = std::time::Instant::now();
        // a county's open round is computed again rather than refused
        let open = rounds::year(app, ctx, year)
            .await?
            .rounds
            .into_iter()
            .find(|r| r.period.key() == year.to_string() && r.state.key() == "draft");
        let id = match open {
            Some(r) => {
                rounds::recompute(app, ctx, r.id, r.version).await?;
                r.id
            }
            None => rounds::compute(app, ctx, &year.to_string()).await?,
        };
        each.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some((ctx, id));
    }
    let province_secs = started.elapsed().as_secs_f64();
    for ctx in &ctxs {
        for r in rounds::year(app, ctx, year).await?.rounds {
            if r.period.key() == year.to_string() && r.state.key() == "draft" {
                let v = rounds::get(app, ctx, r.id).await?;
                units_scored += v.kinds.iter().map(|k| k.scores.len()).sum::<usize>();
            }
        }
    }
    let (ctx, id) = last.ok_or_else(|| keyproj_service::ServiceError::invariant("no county"))?;
    let (round_read_ms, _) = timed(3, || rounds::get(app, ctx, id)).await?;
    each.sort_by(|a, b| a.total_cmp(b));
    Ok(AssessmentBench {
        backend: app.db.backend().to_string(),
        year,
        counties: ctxs.len(),
        units_scored,
        province_secs,
        county_median_ms: each.get(each.len() / 2).copied().unwrap_or(0.0),
        county_max_ms: each.last().copied().unwrap_or(0.0),
        round_read_ms,
    })
}

/// The self-evaluation of a province's year (issue #13).
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvaluationBench {
    pub backend: String,
    pub year: i32,
    pub counties: usize,
    /// Every county scored (ledger, its records of the year, the template, every leaf).
    pub score_province_secs: f64,
    pub score_county_median_ms: f64,
    pub score_county_max_ms: f64,
    /// Every county's report composed (the score again, the year's statistics sentences, the
    /// survey, the seven chapters) and written as Word.
    pub report_province_secs: f64,
    pub report_county_median_ms: f64,
    pub report_county_max_ms: f64,
    pub docx_bytes_median: usize,
}

/// Scores the year and writes the report for every county of the generated province (after
/// `keyproj generate`): the reference ledger kept where a county has none.
pub async fn evaluation(app: &App, year: i32) -> Result<EvaluationBench> {
    use keyproj_service::evaluation as ev;
    let mut ctxs = vec![];
    for code in crate::province::county_codes() {
        let region = RegionCode::parse(&code).map_err(|e| {
            keyproj_service::ServiceError::invariant(format!("county code: {}", e.message))
        })?;
        let ctx = Ctx::system(region);
        if ev::ledger(app, &ctx, year).await?.is_none() {
            ev::save_ledger(
                app,
                &ctx,
                year,
                &keyproj_domain::evaluation::reference_ledger(),
                None,
            )
            .await?;
        }
        ctxs.push(ctx);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        (
            v.get(v.len() / 2).copied().unwrap_or(0.0),
            v.last().copied().unwrap_or(0.0),
        )
    };
    let started = std::time::Instant::now();
    let mut scores = vec![];
    for ctx in &ctxs {
        let t = std::time::Instant::now();
        ev::evaluate(app, ctx, year).await?;
        scores.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let score_province_secs = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let mut reports = vec![];
    let mut sizes = vec![];
    for ctx in &ctxs {
        let t = std::time::Instant::now();
        let (_, bytes) = ev::report_docx(app, ctx, year).await?;
        reports.push(t.elapsed().as_secs_f64() * 1000.0);
        sizes.push(bytes.len());
    }
    let report_province_secs = started.elapsed().as_secs_f64();
    sizes.sort_unstable();
    let (score_county_median_ms, score_county_max_ms) = median(&mut scores);
    let (report_county_median_ms, report_county_max_ms) = median(&mut reports);
    Ok(EvaluationBench {
        backend: app.db.backend().to_string(),
        year,
        counties: ctxs.len(),
        score_province_secs,
        score_county_median_ms,
        score_county_max_ms,
        report_province_secs,
        report_county_median_ms,
        report_county_max_ms,
        docx_bytes_median: sizes.get(sizes.len() / 2).copied().unwrap_or(0),
    })
}
