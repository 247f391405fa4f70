//! Published tables to their official .xlsx layout.

use crate::views;
use keyproj_domain::colour::{Colour, bp_percent};
use keyproj_domain::plan::YearCategory;
use keyproj_domain::{Money, ReportMonth};
use keyproj_office::colour_sheet::{ColourRow, ColourSheet, write};
use keyproj_office::xlsx::{self, Cell};
use keyproj_service::colour::Issue;
use keyproj_service::{ServiceError, org, projects};

pub fn colour_issue_xlsx(i: &Issue) -> Result<Vec<u8>, keyproj_office::XlsxError> {
    let month = ReportMonth::parse("m", "m", &i.issue.as_of_month).ok();
    let rows: Vec<ColourRow> = i
        .rows
        .iter()
        .map(|r| {
            let c = Colour::from_key(&r.colour).unwrap_or(Colour::Green);
            ColourRow {
                group: format!(
                    "{}项目（{}）",
                    YearCategory::from_key(&r.category)
                        .map(|c| c.label())
                        .unwrap_or(""),
                    crate::views::level_label(&r.level)
                ),
                name: r.name.clone(),
                content: r.content_scale.clone(),
                total_wan: Money::from_fen(r.total_investment_fen).wan_for_sheet(),
                annual_wan: Money::from_fen(r.annual_plan_fen).wan_for_sheet(),
                done_wan: Money::from_fen(r.completed_ytd_fen).wan_for_sheet(),
                completion: r
                    .completion_bp
                    .map(|b| format!("{}%", bp_percent(b)))
                    .unwrap_or_default(),
                baseline: format!("{}%", bp_percent(r.baseline_bp)),
                progress: r.progress.clone(),
                leader: r.leader_name.clone(),
                lead_unit: r.lead_unit_name.clone(),
                responsible: r.responsible_units.clone(),
                colour_label: c.label().into(),
                colour_rgb: c.rgb(),
                reasons: r.reasons.clone(),
            }
        })
        .collect();
    let subtitle = format!(
        "截至{}　第{}期{}",
        month.map(|m| m.chinese()).unwrap_or_default(),
        i.issue.number,
        i.corrects_number
            .map(|n| format!("（更正第{n}期：{}）", i.issue.note))
            .unwrap_or_default()
    );
    let done_header = format!(
        "1–{}月累计完成（万元）",
        month.map(|m| m.month()).unwrap_or(12)
    );
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
    write(&ColourSheet {
        title: &i.title,
        subtitle: &subtitle,
        done_header: &done_header,
        rows: &rows,
        legend: &legend,
    })
}

/// The project list as the official .xlsx (every page of the filter): (title, bytes, rows).
pub async fn projects_xlsx(
    app: &keyproj_service::App,
    ctx: &keyproj_service::Ctx,
    query: keyproj_service::projects::ListQuery,
) -> Result<(String, Vec<u8>, usize), ServiceError> {
    let mut query = query;
    query.page = Some(1);
    query.per_page = Some(projects::MAX_PER_PAGE);
    let mut items = vec![];
    let mut responsible = vec![];
    let mut totals;
    // Page through the whole filtered set.
    loop {
        let page = projects::list(app, ctx, &query).await?;
        let done = page.page >= page.pages;
        items.extend(page.items);
        responsible.extend(page.responsible);
        totals = Some(page.totals);
        if done {
            break;
        }
        query.page = Some(page.page + 1);
    }
    let totals = totals.unwrap_or_default();
    let rows: Vec<Vec<Cell>> = items
        .iter()
        .zip(responsible.iter())
        .enumerate()
        .map(|(i, (p, r))| {
            vec![
                Cell::Int(i as i64 + 1),
                p.code.clone().unwrap_or_default().into(),
                p.name.clone().into(),
                p.national_code.clone().unwrap_or_default().into(),
                views::level_label(&p.level).into(),
                views::stage_label(&p.stage).into(),
                views::industry_label(&p.industry).into(),
                p.township_name.clone().unwrap_or_default().into(),
                p.owner_name.clone().unwrap_or_default().into(),
                p.content_scale.clone().into(),
                Cell::Wan(keyproj_domain::Money::from_fen(p.total_investment_fen).wan_for_sheet()),
                p.planned_start.clone().unwrap_or_default().into(),
                p.planned_completion.clone().unwrap_or_default().into(),
                p.actual_start.clone().unwrap_or_default().into(),
                p.actual_completion.clone().unwrap_or_default().into(),
                p.leader_name.clone().unwrap_or_default().into(),
                p.lead_unit_name.clone().unwrap_or_default().into(),
                r.join("、").into(),
            ]
        })
        .collect();
    let region = org::region_name(&ctx.actor.region);
    let title = format!("{region}重点建设项目库");
    let subtitle = format!(
        "导出时间：{}　共{}个项目",
        views::local_time(&app.now()),
        totals.count
    );
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
    ];
    let mut total_row = vec![Cell::Text("合计".into())];
    total_row.extend((1..10).map(|_| Cell::Empty));
    total_row.push(Cell::Wan(
        keyproj_domain::Money::from_fen(totals.total_investment_fen).wan_for_sheet(),
    ));
    total_row.extend((11..18).map(|_| Cell::Empty));
    let bytes = xlsx::write(&xlsx::Sheet {
        name: "项目库",
        title: &title,
        subtitle: Some(&subtitle),
        headers,
        rows,
        totals: Some(total_row),
    })
    .map_err(|e| ServiceError::internal("内部处理", e))?;
    let rows = items.len();
    Ok((title, bytes, rows))
}
