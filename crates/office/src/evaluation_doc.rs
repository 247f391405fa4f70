//! 部门整体支出绩效自评报告 as a Word file in the official style the other documents use: the
//! title in 方正小标宋, the number when issued, chapters in 黑体, sections in 楷体, body in
//! 仿宋_GB2312 三号 with a two-character indent, the unit and date at the end, then the annexed
//! tables — the 指标评分表 and one 项目支出绩效自评表 per project line.

use crate::docx::{
    BODY_FONT, HEADING_FONT, SIZE_2, SIZE_3, TITLE_FONT, chinese_date, fonts, heading, indented,
    run, table_widths,
};
use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum,
    Paragraph, Run, SpecialIndentType,
};
use keyproj_domain::evaluation::report::{Block, ReportDoc};

const SECTION_FONT: &str = "楷体_GB2312";
const SIZE_4: usize = 28;

fn section(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, SECTION_FONT, SIZE_3))
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
        .line_spacing(
            LineSpacing::new()
                .line_rule(LineSpacingType::Exact)
                .line(560),
        )
        .keep_next(true)
}

fn centered(text: &str, font: &str, size: usize) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, font, size))
        .align(AlignmentType::Center)
}

fn page_break() -> Paragraph {
    Paragraph::new().add_run(Run::new().add_break(BreakType::Page))
}

/// The report as a .docx; `number` and `date` (YYYY-MM-DD) once issued, a draft mark before.
pub fn self_evaluation(
    d: &ReportDoc,
    number: Option<&str>,
    date: &str,
) -> Result<Vec<u8>, std::io::Error> {
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .add_run(run("— ", BODY_FONT, SIZE_4))
            .add_page_num(PageNum::new())
            .add_run(run(" —", BODY_FONT, SIZE_4))
            .align(AlignmentType::Center),
    );
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(2098)
                .bottom(1984)
                .left(1588)
                .right(1474),
        )
        .default_fonts(fonts(BODY_FONT))
        .default_size(SIZE_3)
        .footer(footer);
    doc = doc
        .add_paragraph(centered(&d.title[0], TITLE_FONT, SIZE_2))
        .add_paragraph(centered(&d.title[1], TITLE_FONT, SIZE_2));
    doc = doc.add_paragraph(match number {
        Some(n) => centered(n, BODY_FONT, SIZE_3),
        None => centered("（草稿，未印发）", BODY_FONT, SIZE_3),
    });
    doc = doc.add_paragraph(Paragraph::new());
    for b in &d.blocks {
        doc = doc.add_paragraph(match b {
            Block::Chapter(t) => heading(t),
            Block::Section(t) => section(t),
            Block::Para(t) => indented(Paragraph::new().add_run(run(t, BODY_FONT, SIZE_3))),
        });
    }
    doc = doc
        .add_paragraph(Paragraph::new())
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&d.unit, BODY_FONT, SIZE_3))
                .align(AlignmentType::Right),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&chinese_date(date), BODY_FONT, SIZE_3))
                .align(AlignmentType::Right),
        );

    // 附件1: the score table
    doc = doc
        .add_paragraph(page_break())
        .add_paragraph(Paragraph::new().add_run(run("附件1", HEADING_FONT, SIZE_3)))
        .add_paragraph(centered(
            &format!("{}年度部门整体支出绩效评价指标（评分）表", d.year),
            TITLE_FONT,
            SIZE_3,
        ));
    let head: Vec<String> = [
        "一级指标",
        "二级指标",
        "三级指标",
        "分值",
        "得分",
        "评分说明",
    ]
    .map(String::from)
    .to_vec();
    let mut rows: Vec<Vec<String>> = d
        .score_rows
        .iter()
        .map(|r| {
            vec![
                r.l1.clone(),
                r.l2.clone(),
                r.name.clone(),
                r.weight.clone(),
                r.points.clone(),
                r.working.clone(),
            ]
        })
        .collect();
    for (n, w, p) in &d.l1 {
        rows.push(vec![
            format!("{n}小计"),
            String::new(),
            String::new(),
            w.clone(),
            p.clone(),
            String::new(),
        ]);
    }
    rows.push(vec![
        "合计".into(),
        String::new(),
        String::new(),
        "100".into(),
        d.total.clone(),
        format!("等次：{}", d.grade),
    ]);
    doc = doc.add_table(table_widths(
        &head,
        &rows,
        &[1000, 1300, 1900, 700, 700, 3400],
    ));

    // 附件2: one sheet per project line
    if !d.projects.is_empty() {
        doc = doc
            .add_paragraph(page_break())
            .add_paragraph(Paragraph::new().add_run(run("附件2", HEADING_FONT, SIZE_3)));
        for p in &d.projects {
            doc = doc
                .add_paragraph(centered(
                    &format!("{}年度项目支出绩效自评表", d.year),
                    TITLE_FONT,
                    SIZE_3,
                ))
                .add_table(table_widths(
                    &["项目".to_string(), "内容".to_string()],
                    &[
                        vec!["项目名称".into(), p.name.clone()],
                        vec!["实施单位".into(), p.unit.clone()],
                        vec!["全年预算数（万元）".into(), p.budget_wan.clone()],
                        vec!["全年执行数（万元）".into(), p.spent_wan.clone()],
                        vec!["预算执行率".into(), p.rate.clone()],
                        vec!["分值".into(), "10".into()],
                        vec!["得分".into(), p.points.clone()],
                        vec!["年度绩效目标".into(), p.target.clone()],
                        vec![
                            "偏差原因及改进措施".into(),
                            if p.deviation.is_empty() {
                                "无".into()
                            } else {
                                p.deviation.clone()
                            },
                        ],
                    ],
                    &[2600, 6400],
                ))
                .add_paragraph(Paragraph::new());
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(std::io::Error::other)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docx::{east_asian_fonts, text_of};
    use keyproj_domain::evaluation::report::{ProjectSheet, ScoreRow};

    #[test]
    fn the_report_reads_back_with_chapters_tables_and_fonts() {
        let d = ReportDoc {
            year: 2022,
            unit: "桃江县重点项目建设事务中心".into(),
            title: [
                "桃江县重点项目建设事务中心".into(),
                "2022年度部门整体支出绩效自评报告".into(),
            ],
            blocks: vec![
                Block::Chapter("一、部门概况".into()),
                Block::Section("（一）部门基本情况".into()),
                Block::Para("2022年度收入92.67万元 <&>。".into()),
            ],
            score_rows: vec![ScoreRow {
                l1: "投入".into(),
                l2: "目标设定".into(),
                name: "绩效目标合理性".into(),
                weight: "2".into(),
                points: "2".into(),
                working: "达成".into(),
            }],
            l1: vec![("投入".into(), "10".into(), "10".into())],
            total: "100".into(),
            grade: "优".into(),
            projects: vec![ProjectSheet {
                name: "经费补助缺口".into(),
                unit: "桃江县重点项目建设事务中心".into(),
                budget_wan: "17.99".into(),
                spent_wan: "17.99".into(),
                rate: "100.00%".into(),
                points: "10".into(),
                target: "保障运转".into(),
                deviation: String::new(),
            }],
        };
        let bytes = self_evaluation(&d, Some("绩效自评〔2023〕1号"), "2023-03-15").unwrap();
        let text = text_of(&bytes).unwrap();
        for want in [
            "2022年度部门整体支出绩效自评报告",
            "绩效自评〔2023〕1号",
            "一、部门概况",
            "92.67万元 <&>",
            "2023年3月15日",
            "部门整体支出绩效评价指标（评分）表",
            "等次：优",
            "项目支出绩效自评表",
            "经费补助缺口",
        ] {
            assert!(text.contains(want), "missing {want}");
        }
        let fonts = east_asian_fonts(&bytes).unwrap();
        for f in [TITLE_FONT, BODY_FONT, HEADING_FONT, SECTION_FONT] {
            assert!(fonts.iter().any(|x| x == f), "font {f} missing");
        }
        let draft = self_evaluation(&d, None, "2023-03-15").unwrap();
        assert!(text_of(&draft).unwrap().contains("草稿"));
    }
}
