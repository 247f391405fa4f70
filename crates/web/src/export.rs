//! Published tables to their official .xlsx layout.

use keyproj_domain::colour::{Colour, bp_percent};
use keyproj_domain::plan::YearCategory;
use keyproj_domain::{Money, ReportMonth};
use keyproj_office::colour_sheet::{ColourRow, ColourSheet, write};
use keyproj_service::colour::Issue;

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
