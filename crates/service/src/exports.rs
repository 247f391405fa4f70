//! Spreadsheet layouts: every .xlsx the application hands out (lists, statistics, the official
//! colour table), built from what the use cases return. No database access here: the pages, the
//! API and the command line read first, then call these.

use crate::dispatch::colour::Issue;
use crate::dispatch::plans::YearPlan;
use crate::dispatch::reports::MonthOverview;
use crate::problems::stats::ProblemStats;
use crate::projects::{ListQuery, ProjectPage};
use crate::{App, Result, ServiceError, local_time};
use keyproj_db::repo::problems::items::ItemRow;
use keyproj_domain::colour::Colour;
use keyproj_domain::{Money, RegionCode};
use keyproj_office::colour_sheet::{ColourRow, ColourSheet};
use keyproj_office::xlsx::{self, Cell};

/// A file to hand out: its name and bytes.
pub struct XlsxFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

fn written(r: std::result::Result<Vec<u8>, keyproj_office::XlsxError>) -> Result<Vec<u8>> {
    r.map_err(|e| ServiceError::internal("writing a spreadsheet", e))
}

fn shown<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

/// The problem list (every row of the filter).
pub fn items_xlsx(app: &App, items: &[ItemRow]) -> Result<Vec<u8>> {
    let headers: &[(&str, f64)] = &[
        ("编号", 22.0),
        ("类型", 6.0),
        ("来源", 12.0),
        ("类别", 10.0),
        ("事项", 40.0),
        ("项目", 30.0),
        ("承办单位", 20.0),
        ("交办领导", 10.0),
        ("提出日期", 12.0),
        ("办理时限", 12.0),
        ("状态", 10.0),
        ("督办", 6.0),
        ("办结日期", 12.0),
    ];
    let rows = items
        .iter()
        .map(|r| {
            vec![
                Cell::from(r.number.clone()),
                r.kind.label().into(),
                r.source.label().into(),
                r.category.label().into(),
                r.title.clone().into(),
                r.project_name.clone().unwrap_or_default().into(),
                r.handler_unit_name.clone().unwrap_or_default().into(),
                r.leader_name.clone().unwrap_or_default().into(),
                Cell::Date(r.raised_on),
                Cell::date(r.deadline),
                r.state.label().into(),
                r.alert
                    .map(|a| a.label().chars().next().unwrap_or(' ').to_string())
                    .unwrap_or_default()
                    .into(),
                Cell::date(r.closed_on),
            ]
        })
        .collect();
    let subtitle = format!("导出时间：{}", local_time(&app.now()));
    written(xlsx::write(&xlsx::Sheet {
        name: "问题清单",
        title: "重点项目问题清单",
        subtitle: Some(&subtitle),
        headers,
        rows,
        totals: None,
    }))
}

/// The problem list's figures per handling unit.
pub fn problem_stats_xlsx(st: &ProblemStats) -> Result<XlsxFile> {
    let headers: &[(&str, f64)] = &[
        ("承办单位", 28.0),
        ("交办", 8.0),
        ("办结", 8.0),
        ("办结率", 10.0),
        ("按期办结率", 12.0),
        ("逾期未办结", 10.0),
        ("平均办理天数", 12.0),
        ("收到督办函", 10.0),
    ];
    let rows = st
        .units
        .iter()
        .map(|u| {
            vec![
                Cell::from(u.unit_name.clone()),
                Cell::Int(u.assigned),
                Cell::Int(u.closed),
                Cell::Percent(u.closure_rate_pct / 100.0),
                Cell::Percent(u.on_time_rate_pct / 100.0),
                Cell::Int(u.overdue),
                Cell::Decimal(u.avg_days),
                Cell::Int(u.letters),
            ]
        })
        .collect();
    let title = format!(
        "{}年{}重点项目问题交办办理情况",
        st.year,
        st.month.map(|m| format!("{m}月")).unwrap_or_default()
    );
    let bytes = written(xlsx::write(&xlsx::Sheet {
        name: "办理情况",
        title: &title,
        subtitle: None,
        headers,
        rows,
        totals: None,
    }))?;
    Ok(XlsxFile {
        name: format!("{title}.xlsx"),
        bytes,
    })
}

/// The project library (every page of a filter, read by the caller).
/// The names of the units and the leader a project list is filtered by.
#[derive(Debug, Clone, Default)]
pub struct FilterNames {
    pub township: Option<String>,
    pub lead_unit: Option<String>,
    pub leader: Option<String>,
}

impl FilterNames {
    /// The names of the units and the leader `q` filters by, each of the actor's region (the
    /// list has checked them; one that is not is not found).
    pub async fn of(app: &App, ctx: &crate::Ctx, q: &ListQuery) -> Result<FilterNames> {
        let mut tx = app.db.read().await?;
        let region = &ctx.actor.region;
        let mut names = FilterNames::default();
        for (id, name) in [
            (q.township, &mut names.township),
            (q.lead_unit, &mut names.lead_unit),
        ] {
            if let Some(id) = id {
                let unit = crate::org::unit_in(&mut tx, region, id).await?;
                *name = Some(unit.ok_or(ServiceError::NotFound)?.name);
            }
        }
        if let Some(id) = q.leader {
            let leader = crate::org::leader_in(&mut tx, region, id).await?;
            names.leader = Some(leader.ok_or(ServiceError::NotFound)?.name);
        }
        Ok(names)
    }
}

/// The filters of a project list, as the export's title row names them.
fn project_filters(q: &ListQuery, names: &FilterNames) -> Vec<String> {
    use keyproj_domain::project::{Industry, Level, Stage};
    let mut out = vec![];
    let q_text = q.q.trim();
    if !q_text.is_empty() {
        out.push(format!("搜索“{q_text}”"));
    }
    let vocab = [
        ("建设阶段", Stage::from_input(&q.stage).map(|v| v.label())),
        ("项目级别", Level::from_input(&q.level).map(|v| v.label())),
        (
            "行业类别",
            Industry::from_input(&q.industry).map(|v| v.label()),
        ),
        ("本期评价", Colour::from_input(&q.colour).map(|v| v.label())),
    ];
    for (label, value) in vocab {
        if let Some(v) = value {
            out.push(format!("{label} {v}"));
        }
    }
    let named = |label: &str, id: Option<i64>, name: &Option<String>| {
        id.map(|id| match name {
            Some(n) => format!("{label} {n}"),
            None => format!("{label}（编号{id}）"),
        })
    };
    out.extend(named(
        "所属乡镇",
        q.township.map(|u| u.get()),
        &names.township,
    ));
    out.extend(named(
        "牵头单位",
        q.lead_unit.map(|u| u.get()),
        &names.lead_unit,
    ));
    out.extend(named(
        "县级联系领导",
        q.leader.map(|l| l.get()),
        &names.leader,
    ));
    match q.below_threshold {
        Some(true) => out.push("低于门槛".into()),
        Some(false) => out.push("不低于门槛".into()),
        None => {}
    }
    out
}

pub fn projects_xlsx(
    app: &App,
    region: &RegionCode,
    query: &ListQuery,
    names: &FilterNames,
    pages: &[ProjectPage],
) -> Result<XlsxFile> {
    let mut rows: Vec<Vec<Cell>> = vec![];
    let mut count = 0;
    let mut total = Money::ZERO;
    for page in pages {
        count = page.totals.count;
        total = page.totals.total_investment;
        for ((p, r), c) in page
            .items
            .iter()
            .zip(page.responsible.iter())
            .zip(page.colours.iter())
        {
            rows.push(vec![
                Cell::Int(rows.len() as i64 + 1),
                p.code.clone().unwrap_or_default().into(),
                p.name.clone().into(),
                p.national_code.clone().unwrap_or_default().into(),
                p.level.label().into(),
                p.stage.label().into(),
                p.industry.label().into(),
                p.township_name.clone().unwrap_or_default().into(),
                p.owner_name.clone().unwrap_or_default().into(),
                p.content_scale.clone().into(),
                Cell::Wan(p.total_investment.wan_for_sheet()),
                // months (YYYY-MM), not dates: text as the office writes them
                shown(&p.planned_start).into(),
                shown(&p.planned_completion).into(),
                shown(&p.actual_start).into(),
                shown(&p.actual_completion).into(),
                p.leader_name.clone().unwrap_or_default().into(),
                p.lead_unit_name.clone().unwrap_or_default().into(),
                r.join("、").into(),
                c.map(|c| c.label()).unwrap_or_default().into(),
            ]);
        }
    }
    let title = format!("{}重点建设项目库", crate::org::region_name(region));
    // what the page said above its table: the count, the filters, the issue of the colours
    let mut subtitle = format!("导出时间：{}　共{}个项目", local_time(&app.now()), count);
    let filters = project_filters(query, names);
    if !filters.is_empty() {
        subtitle.push_str(&format!("　筛选：{}", filters.join("，")));
    }
    match pages.first().and_then(|p| p.issue.as_deref()) {
        Some(issue) => subtitle.push_str(&format!("　本期评价取自{issue}分色表")),
        None => subtitle.push_str("　尚无已发布的分色表"),
    }
    let headers: &[(&str, f64)] = &[
        ("序号", 6.0),
        ("项目编号", 12.0),
        ("项目名称", 32.0),
        ("项目代码", 26.0),
        ("项目级别", 9.0),
        ("建设阶段", 9.0),
        ("行业类别", 11.0),
        ("所属乡镇", 12.0),
        ("业主单位", 24.0),
        ("建设内容及规模", 40.0),
        ("总投资（万元）", 14.0),
        ("计划开工", 10.0),
        ("计划竣工", 10.0),
        ("实际开工", 10.0),
        ("实际竣工", 10.0),
        ("县级联系领导", 12.0),
        ("牵头单位", 18.0),
        ("责任单位", 24.0),
        ("本期评价", 9.0),
    ];
    let mut total_row = vec![Cell::Text("合计".into())];
    total_row.extend((1..10).map(|_| Cell::Empty));
    total_row.push(Cell::Wan(total.wan_for_sheet()));
    total_row.extend((11..headers.len()).map(|_| Cell::Empty));
    let bytes = written(xlsx::write(&xlsx::Sheet {
        name: "项目库",
        title: &title,
        subtitle: Some(&subtitle),
        headers,
        rows,
        totals: Some(total_row),
    }))?;
    Ok(XlsxFile {
        name: format!("{title}.xlsx"),
        bytes,
    })
}

/// A published colour table in its official layout.
pub fn colour_issue_xlsx(i: &Issue) -> Result<XlsxFile> {
    let month = i.issue.as_of_month;
    let rows: Vec<ColourRow> = i
        .rows
        .iter()
        .map(|r| ColourRow {
            group: format!("{}项目（{}）", r.category.label(), r.level.label()),
            name: r.name.clone(),
            content: r.content_scale.clone(),
            total_wan: r.total_investment.wan_for_sheet(),
            annual_wan: r.annual_plan.wan_for_sheet(),
            done_wan: r.completed_ytd.wan_for_sheet(),
            completion: r.completion_bp.map(|b| b as f64 / 10_000.0),
            baseline: r.baseline_bp as f64 / 10_000.0,
            progress: r.progress.clone(),
            leader: r.leader_name.clone(),
            lead_unit: r.lead_unit_name.clone(),
            responsible: r.responsible_units.clone(),
            colour_label: r.colour.label().into(),
            colour_rgb: r.colour.rgb(),
            reasons: r.reasons.clone(),
        })
        .collect();
    let subtitle = format!(
        "截至{}　第{}期{}",
        month.chinese(),
        i.issue.number,
        i.corrects_number
            .map(|n| format!("（更正第{n}期：{}）", i.issue.note))
            .unwrap_or_default()
    );
    let done_header = format!("1–{}月累计完成（万元）", month.month());
    let legend = [
        (
            "红",
            Colour::Red.rgb(),
            "严重滞后：落后序时进度超过规定幅度，或开工、节点严重滞后",
        ),
        (
            "黄",
            Colour::Yellow.rgb(),
            "滞后：落后序时进度，或开工、节点滞后，或未按时报送",
        ),
        ("绿", Colour::Green.rgb(), "正常：达到或超过序时进度"),
        ("免评", Colour::Exempt.rgb(), "有正当理由，本期不评色"),
    ];
    let bytes = written(keyproj_office::colour_sheet::write(&ColourSheet {
        title: &i.title,
        subtitle: &subtitle,
        done_header: &done_header,
        rows: &rows,
        legend: &legend,
    }))?;
    Ok(XlsxFile {
        name: format!("{}.xlsx", i.title),
        bytes,
    })
}

/// The year's plan of the actor's region.
pub fn year_plan_xlsx(region: &RegionCode, y: &YearPlan) -> Result<XlsxFile> {
    let rows: Vec<Vec<Cell>> = y
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                Cell::Int(i as i64 + 1),
                l.code.clone().unwrap_or_default().into(),
                l.name.clone().into(),
                l.plan.category.label().into(),
                Cell::Wan(l.total_investment.wan_for_sheet()),
                Cell::Wan(l.plan.annual_plan.wan_for_sheet()),
                l.plan.targets.clone().into(),
                l.leader_name.clone().unwrap_or_default().into(),
                l.lead_unit_name.clone().unwrap_or_default().into(),
            ]
        })
        .collect();
    let total: Money = y.lines.iter().map(|l| l.plan.annual_plan).sum();
    let title = format!(
        "{}{}年重点建设项目年度计划",
        crate::org::region_name(region),
        y.year
    );
    let headers: &[(&str, f64)] = &[
        ("序号", 6.0),
        ("项目编号", 12.0),
        ("项目名称", 32.0),
        ("年度类别", 9.0),
        ("总投资（万元）", 14.0),
        ("年度计划投资（万元）", 14.0),
        ("年度目标", 36.0),
        ("县级联系领导", 12.0),
        ("牵头单位", 18.0),
    ];
    let totals = vec![
        Cell::Text(format!("合计（{}个）", y.lines.len())),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Wan(total.wan_for_sheet()),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ];
    let subtitle = if y.frozen { "已下达" } else { "编制中" };
    let bytes = written(xlsx::write(&xlsx::Sheet {
        name: "年度计划",
        title: &title,
        subtitle: Some(subtitle),
        headers,
        rows,
        totals: Some(totals),
    }))?;
    Ok(XlsxFile {
        name: format!("{title}.xlsx"),
        bytes,
    })
}

/// A month's reports: status, amounts and text of every planned project.
pub fn month_reports_xlsx(region: &RegionCode, o: &MonthOverview) -> Result<XlsxFile> {
    let rows: Vec<Vec<Cell>> = o
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let r = l.report.as_ref();
            vec![
                Cell::Int(i as i64 + 1),
                l.line.code.clone().unwrap_or_default().into(),
                l.line.name.clone().into(),
                l.line.plan.category.label().into(),
                l.line.lead_unit_name.clone().unwrap_or_default().into(),
                r.map(|r| r.status.label()).unwrap_or("未报").into(),
                if l.late { "逾期".into() } else { Cell::Empty },
                r.map(|r| Cell::Wan(r.fields.month_investment.wan_for_sheet()))
                    .unwrap_or(Cell::Empty),
                r.map(|r| r.fields.progress.clone())
                    .unwrap_or_default()
                    .into(),
                r.map(|r| r.fields.problems.clone())
                    .unwrap_or_default()
                    .into(),
            ]
        })
        .collect();
    let title = format!(
        "{}{}月报报送情况",
        crate::org::region_name(region),
        o.month.chinese()
    );
    let headers: &[(&str, f64)] = &[
        ("序号", 6.0),
        ("项目编号", 12.0),
        ("项目名称", 30.0),
        ("年度类别", 9.0),
        ("牵头单位", 18.0),
        ("状态", 10.0),
        ("逾期", 6.0),
        ("本月完成投资（万元）", 14.0),
        ("形象进度", 30.0),
        ("存在问题", 30.0),
    ];
    let subtitle = format!("报送截止：{}", o.due);
    let bytes = written(xlsx::write(&xlsx::Sheet {
        name: "月报",
        title: &title,
        subtitle: Some(&subtitle),
        headers,
        rows,
        totals: None,
    }))?;
    Ok(XlsxFile {
        name: format!("{title}.xlsx"),
        bytes,
    })
}

/// The audit log rows of a filter, with each row's hash so a reader can check the chain.
pub fn audit_xlsx(
    app: &App,
    rows: &[keyproj_db::repo::admin::audit::AuditRow],
) -> Result<XlsxFile> {
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Int(r.id),
                local_time(&r.at).into(),
                r.username.clone().into(),
                r.ip.clone().into(),
                keyproj_domain::audit::action_label(&r.action).into(),
                keyproj_domain::audit::entity_label(&r.entity_type).into(),
                shown(&r.entity_id).into(),
                shown(&r.before_json).into(),
                shown(&r.after_json).into(),
                r.hash.clone().into(),
            ]
        })
        .collect();
    let headers: &[(&str, f64)] = &[
        ("编号", 8.0),
        ("时间（北京时间）", 20.0),
        ("用户", 12.0),
        ("IP", 14.0),
        ("操作", 14.0),
        ("对象类型", 12.0),
        ("对象编号", 10.0),
        ("修改前", 50.0),
        ("修改后", 50.0),
        ("校验值", 30.0),
    ];
    let bytes = written(xlsx::write(&xlsx::Sheet {
        name: "审计日志",
        title: "审计日志",
        subtitle: Some(&format!("导出时间：{}", local_time(&app.now()))),
        headers,
        rows: cells,
        totals: None,
    }))?;
    Ok(XlsxFile {
        name: "审计日志.xlsx".into(),
        bytes,
    })
}

/// A PDF made from one of our Office files.
pub struct PdfFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Conversions waiting or running at once; more are refused at once instead of queueing (one
/// person asking for many PDFs must not hold everyone else's for minutes).
static PDF_QUEUE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const PDF_QUEUE_MAX: usize = 3;

/// The PDF of a frozen record (a published issue, an issued document): made once through
/// LibreOffice (see `keyproj_office::pdf`), off the async threads, then kept in the file store
/// under `cache_key` and served from there. Without LibreOffice: Unavailable, saying which
/// file to print instead.
pub async fn pdf_of(
    app: &App,
    cache_key: &str,
    office: impl FnOnce() -> Result<Vec<u8>>,
    ext: &'static str,
    name: String,
) -> Result<PdfFile> {
    use keyproj_office::pdf::PdfError;
    use std::sync::atomic::Ordering;
    if let Some(bytes) = crate::files::get_if_any(app, cache_key).await? {
        return Ok(PdfFile { name, bytes });
    }
    if PDF_QUEUE.fetch_add(1, Ordering::SeqCst) >= PDF_QUEUE_MAX {
        PDF_QUEUE.fetch_sub(1, Ordering::SeqCst);
        return Err(ServiceError::Unavailable(
            "正在生成其他 PDF，请稍后再试（也可先下载 Word/Excel 文件）".into(),
        ));
    }
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            PDF_QUEUE.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let leave = Leave;
    let bytes = office()?;
    // a task of its own: when the asker leaves, the conversion still finishes and is kept for
    // the next one (and its place in the queue is held until then)
    let (app2, key) = (app.clone(), cache_key.to_string());
    let made = tokio::spawn(async move {
        let _leave = leave;
        let made = tokio::task::spawn_blocking(move || keyproj_office::pdf::convert(&bytes, ext))
            .await
            .map_err(|e| ServiceError::internal("the PDF task", e))?;
        if let Ok(pdf) = &made {
            crate::files::put(&app2, &key, pdf.clone()).await?;
        }
        Ok::<_, ServiceError>(made)
    })
    .await
    .map_err(|e| ServiceError::internal("the PDF task", e))??;
    match made {
        Ok(bytes) => Ok(PdfFile { name, bytes }),
        Err(PdfError::NotInstalled) => Err(ServiceError::Unavailable(format!(
            "服务器未安装 LibreOffice，暂不能生成 PDF；请下载 {} 文件后打印或另存为 PDF",
            if ext == "docx" { "Word" } else { "Excel" }
        ))),
        // LibreOffice there but failing (a missing component, a broken profile): the person is
        // told what to do instead; the cause goes to the log
        Err(e) => {
            tracing::error!(error = %e, "LibreOffice made no PDF");
            Err(ServiceError::Unavailable(format!(
                "服务器未能生成 PDF（LibreOffice 缺少组件或出错），请下载 {} 文件后打印或另存为 PDF",
                if ext == "docx" { "Word" } else { "Excel" }
            )))
        }
    }
}

/// The published 第N期 as PDF (A3 landscape, from its official .xlsx).
pub async fn colour_issue_pdf(app: &App, i: &Issue) -> Result<PdfFile> {
    let x = colour_issue_xlsx(i)?;
    let name = x.name.trim_end_matches(".xlsx").to_string() + ".pdf";
    let key = format!("pdf/colour-issue-{}.pdf", i.issue.id);
    pdf_of(app, &key, move || Ok(x.bytes), "xlsx", name).await
}

/// The signed projects (招商签约) as a workbook: one row each, typed dates and amounts.
pub fn signed_xlsx(
    app: &App,
    rows: &[keyproj_db::repo::pipeline::signing::SignedRow],
    event_name: impl Fn(Option<keyproj_domain::ids::SigningEventId>) -> String,
) -> Result<XlsxFile> {
    let headers: &[(&str, f64)] = &[
        ("序号", 6.0),
        ("项目名称", 30.0),
        ("投资方", 28.0),
        ("投资方来源地", 12.0),
        ("合同编号", 18.0),
        ("签约日期", 12.0),
        ("协议投资（万元）", 16.0),
        ("行业", 12.0),
        ("签约活动", 28.0),
        ("纳入项目库", 12.0),
    ];
    let total: Money = rows.iter().map(|r| r.agreed_investment).sum();
    let body = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                Cell::Int(i as i64 + 1),
                r.name.clone().into(),
                r.investor.clone().into(),
                r.investor_origin.clone().into(),
                r.contract_no.clone().into(),
                Cell::Date(r.contract_on),
                Cell::Wan(r.agreed_investment.wan_for_sheet()),
                r.industry.label().into(),
                event_name(r.event_id).into(),
                if r.project_id.is_some() {
                    "已纳入"
                } else {
                    "未达门槛"
                }
                .into(),
            ]
        })
        .collect();
    let subtitle = format!("导出时间：{}", local_time(&app.now()));
    let bytes = written(xlsx::write(&xlsx::Sheet {
        name: "签约项目",
        title: "招商签约项目",
        subtitle: Some(&subtitle),
        headers,
        rows: body,
        totals: Some(vec![
            Cell::Text(format!("合计（{}个）", rows.len())),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Wan(total.wan_for_sheet()),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ]),
    }))?;
    Ok(XlsxFile {
        name: "招商签约项目.xlsx".into(),
        bytes,
    })
}

/// The 帮代办 items (as listed, with their clocks) as .xlsx.
pub fn approvals_xlsx(
    app: &App,
    items: &[crate::pipeline::approvals::ApprovalView],
    people: &crate::account::People,
) -> Result<XlsxFile> {
    let headers: &[(&str, f64)] = &[
        ("序号", 6.0),
        ("项目名称", 28.0),
        ("审批事项", 20.0),
        ("审批部门", 16.0),
        ("代办员", 16.0),
        ("状态", 10.0),
        ("收件日期", 12.0),
        ("受理日期", 12.0),
        ("办结日期", 12.0),
        ("承诺时限", 12.0),
        ("已用天数", 10.0),
        ("是否超时", 10.0),
        ("批文号", 22.0),
    ];
    let body = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let r = &v.row;
            vec![
                Cell::Int(i as i64 + 1),
                r.project_name.clone().into(),
                r.name.clone().into(),
                r.unit_name.clone().into(),
                people.name(&r.agent).into(),
                r.state.label().into(),
                Cell::date(r.received_on),
                Cell::date(r.accepted_on),
                Cell::date(r.completed_on),
                format!("{}个{}", r.limit_days, r.day_count.label()).into(),
                v.used_days.map(Cell::Int).unwrap_or(Cell::Empty),
                if v.overdue {
                    "超时"
                } else if v.on_time == Some(false) {
                    "超时办结"
                } else {
                    ""
                }
                .into(),
                r.approval_no.clone().unwrap_or_default().into(),
            ]
        })
        .collect();
    let subtitle = format!("导出时间：{}", local_time(&app.now()));
    let bytes = written(xlsx::write(&xlsx::Sheet {
        name: "帮代办事项",
        title: "重点项目帮代办事项",
        subtitle: Some(&subtitle),
        headers,
        rows: body,
        totals: None,
    }))?;
    Ok(XlsxFile {
        name: "重点项目帮代办事项.xlsx".into(),
        bytes,
    })
}

/// The 帮代办 statistics per department and per agent as one workbook of two sheets.
pub fn approval_stats_xlsx(
    app: &App,
    stats: &crate::pipeline::approvals::Stats,
) -> Result<XlsxFile> {
    use crate::pipeline::approvals::StatLine;
    let subtitle = format!("导出时间：{}", local_time(&app.now()));
    let rows = |lines: &[StatLine]| -> Vec<Vec<Cell>> {
        lines
            .iter()
            .map(|l| {
                vec![
                    l.name.clone().into(),
                    Cell::Int(l.handled),
                    Cell::Int(l.completed),
                    Cell::Int(l.on_time),
                    if l.completed > 0 {
                        // one decimal of a percent, as the page shows it
                        Cell::Percent(
                            (l.on_time as f64 * 1000.0 / l.completed as f64).round() / 1000.0,
                        )
                    } else {
                        Cell::Empty
                    },
                    l.average_days.map(Cell::Decimal).unwrap_or(Cell::Empty),
                    Cell::Int(l.overdue_now),
                ]
            })
            .collect()
    };
    let total = rows(std::slice::from_ref(&stats.total)).pop();
    let headers = |first: &'static str| -> Vec<(&'static str, f64)> {
        vec![
            (first, 26.0),
            ("办理事项", 10.0),
            ("已办结", 10.0),
            ("按时办结", 10.0),
            ("按时办结率", 12.0),
            ("平均用时（天）", 14.0),
            ("当前超时", 10.0),
        ]
    };
    let (h1, h2) = (headers("审批部门"), headers("代办员"));
    let bytes = written(xlsx::write_book(&[
        xlsx::Sheet {
            name: "按审批部门",
            title: "帮代办事项办理情况（按审批部门）",
            subtitle: Some(&subtitle),
            headers: &h1,
            rows: rows(&stats.by_unit),
            totals: total.clone(),
        },
        xlsx::Sheet {
            name: "按代办员",
            title: "帮代办事项办理情况（按代办员）",
            subtitle: Some(&subtitle),
            headers: &h2,
            rows: rows(&stats.by_agent),
            totals: total,
        },
    ]))?;
    Ok(XlsxFile {
        name: "帮代办事项统计.xlsx".into(),
        bytes,
    })
}

/// The year's 《重点项目建设简报》 as listed (期号, title, state, 签发人, date, tasks) as .xlsx.
pub fn briefings_xlsx(app: &App, year: i32, rows: &[Vec<String>]) -> Result<XlsxFile> {
    let headers: &[(&str, f64)] = &[
        ("期号", 10.0),
        ("标题", 40.0),
        ("状态", 10.0),
        ("签发人", 14.0),
        ("印发日期", 12.0),
        ("交办任务", 10.0),
    ];
    let body = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, c)| match i {
                    4 => Cell::date(chrono::NaiveDate::parse_from_str(c, "%Y-%m-%d").ok()),
                    5 => Cell::Int(c.parse().unwrap_or(0)),
                    _ => Cell::Text(c.clone()),
                })
                .collect()
        })
        .collect();
    let title = format!("{year}年《重点项目建设简报》");
    let subtitle = format!("导出时间：{}", local_time(&app.now()));
    let bytes = written(xlsx::write(&xlsx::Sheet {
        name: "简报",
        title: &title,
        subtitle: Some(&subtitle),
        headers,
        rows: body,
        totals: None,
    }))?;
    Ok(XlsxFile {
        name: format!("{title}.xlsx"),
        bytes,
    })
}

/// 部门整体支出绩效评价指标(评分)表: every leaf with its L1 and L2, weight, points and working,
/// the L1 subtotals and the total with its grade.
pub fn self_evaluation_xlsx(y: &crate::evaluation::YearEvaluation) -> Result<XlsxFile> {
    use keyproj_domain::assessment::points_text;
    let headers: &[(&str, f64)] = &[
        ("一级指标", 10.0),
        ("二级指标", 12.0),
        ("三级指标", 22.0),
        ("分值", 8.0),
        ("得分", 8.0),
        ("评分说明", 48.0),
    ];
    // points keep their two decimals (86.63), as the title states them
    let pts = |p: i64| Cell::Wan(p as f64 / 100.0);
    let mut rows: Vec<Vec<Cell>> = y
        .evaluation
        .leaves
        .iter()
        .map(|(l1, l2, name, weight, s)| {
            vec![
                l1.clone().into(),
                l2.clone().into(),
                name.clone().into(),
                pts(*weight),
                s.points.map(pts).unwrap_or_else(|| "不适用".into()),
                s.working.clone().into(),
            ]
        })
        .collect();
    for (name, weight, points) in &y.evaluation.l1 {
        rows.push(vec![
            format!("{name}小计").into(),
            Cell::Empty,
            Cell::Empty,
            pts(*weight),
            points.map(pts).unwrap_or_else(|| "不适用".into()),
            Cell::Empty,
        ]);
    }
    let title = format!("{}年部门整体支出绩效评价指标（评分）表", y.year);
    let subtitle = format!(
        "总分{}分，等次“{}”",
        points_text(y.evaluation.total),
        y.evaluation.grade
    );
    let bytes = written(xlsx::write(&xlsx::Sheet {
        name: "评分表",
        title: &title,
        subtitle: Some(&subtitle),
        headers,
        rows,
        totals: Some(vec![
            "合计".into(),
            Cell::Empty,
            Cell::Empty,
            pts(10_000),
            pts(y.evaluation.total),
            format!("等次：{}", y.evaluation.grade).into(),
        ]),
    }))?;
    Ok(XlsxFile {
        name: format!("{title}.xlsx"),
        bytes,
    })
}
