//! 《重点项目建设简报》 as a Word file: the red masthead (报头) — the title in large red
//! 方正小标宋, the 期号, the 编印单位 and date on one line over a red rule — then the body in
//! 仿宋_GB2312 (headings in 黑体, bold runs kept, lists, computed blocks as tables), the tasks
//! the issue assigns, 报送/抄送 between rules at the end, and page numbers in the footer.

use crate::docx::{
    BODY_FONT, SIZE_2, SIZE_3, SIZE_SMALL_4, TITLE_FONT, chinese_date, fonts, heading, indented,
    run, table,
};
use docx_rs::{
    AlignmentType, BorderType, Docx, Footer, LineSpacing, PageMargin, PageNum, Paragraph,
    ParagraphBorder, ParagraphBorderPosition, ParagraphBorders, Run,
};
use keyproj_domain::briefing::{Block, Content, Rendered, Span};

/// What the masthead and the end of an issue say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Masthead {
    /// 重点项目建设简报
    pub name: String,
    /// 第4期
    pub issue: String,
    /// 编印单位
    pub editor: String,
    /// YYYY-MM-DD
    pub date: String,
    /// 本期标题
    pub title: String,
    pub signer: String,
    pub send_to: String,
    pub copy_to: String,
}

/// Half-points: 初号 42 pt, 四号 14 pt (the others are the documents' own).
const SIZE_0: usize = 84;

const SIZE_4: usize = 28;

fn rule(mut p: Paragraph, position: ParagraphBorderPosition, colour: &str) -> Paragraph {
    p.property = p.property.set_borders(
        ParagraphBorders::with_empty().set(
            ParagraphBorder::new(position)
                .val(BorderType::Single)
                .size(18)
                .space(4)
                .color(colour),
        ),
    );
    p
}

fn spans(mut p: Paragraph, spans: &[Span], font: &str, size: usize) -> Paragraph {
    for s in spans {
        let mut r = run(&s.text, font, size);
        if s.bold {
            r = r.bold();
        }
        p = p.add_run(r);
    }
    p
}

/// The issue as a .docx.
pub fn briefing(m: &Masthead, content: &Content) -> Result<Vec<u8>, std::io::Error> {
    let center = |r: Run| Paragraph::new().add_run(r).align(AlignmentType::Center);
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
        .footer(footer)
        .add_paragraph(center(
            run(&m.name, TITLE_FONT, SIZE_0).color("FF0000").bold(),
        ))
        .add_paragraph(
            center(run(&m.issue, BODY_FONT, SIZE_3))
                .line_spacing(LineSpacing::new().before(120).after(240)),
        )
        .add_paragraph(rule(
            Paragraph::new()
                .add_run(run(&m.editor, BODY_FONT, SIZE_3))
                .add_run(run("\u{3000}\u{3000}\u{3000}\u{3000}", BODY_FONT, SIZE_3))
                .add_run(run(&chinese_date(&m.date), BODY_FONT, SIZE_3))
                .align(AlignmentType::Center),
            ParagraphBorderPosition::Bottom,
            "FF0000",
        ))
        .add_paragraph(Paragraph::new())
        .add_paragraph(center(run(&m.title, TITLE_FONT, SIZE_2)))
        .add_paragraph(Paragraph::new());
    for section in &content.sections {
        match section {
            Rendered::Text { blocks } => {
                for b in blocks {
                    match b {
                        Block::Heading(s) => {
                            let text: String = s.iter().map(|x| x.text.as_str()).collect();
                            doc = doc.add_paragraph(heading(&text));
                        }
                        Block::Paragraph(s) => {
                            doc = doc.add_paragraph(indented(spans(
                                Paragraph::new(),
                                s,
                                BODY_FONT,
                                SIZE_3,
                            )));
                        }
                        Block::List(items) => {
                            for s in items {
                                let p = Paragraph::new().add_run(run("· ", BODY_FONT, SIZE_3));
                                doc = doc.add_paragraph(indented(spans(p, s, BODY_FONT, SIZE_3)));
                            }
                        }
                    }
                }
            }
            Rendered::Computed {
                title,
                paragraphs,
                head,
                rows,
                ..
            } => {
                doc = doc.add_paragraph(heading(title));
                for p in paragraphs {
                    doc = doc.add_paragraph(indented(
                        Paragraph::new().add_run(run(p, BODY_FONT, SIZE_3)),
                    ));
                }
                if !rows.is_empty() {
                    doc = doc
                        .add_table(table(head, rows))
                        .add_paragraph(Paragraph::new());
                }
            }
        }
    }
    if !content.tasks.is_empty() {
        doc = doc.add_paragraph(heading(&format!(
            "本期交办事项（{}项）",
            content.tasks.len()
        )));
        let head: Vec<String> = ["编号", "事项", "要求", "承办单位", "办理时限"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rows: Vec<Vec<String>> = content
            .tasks
            .iter()
            .map(|t| {
                vec![
                    t.number.clone(),
                    t.title.clone(),
                    t.description.clone(),
                    t.unit.clone(),
                    chinese_date(&t.deadline),
                ]
            })
            .collect();
        doc = doc.add_table(table(&head, &rows));
    }
    doc = doc
        .add_paragraph(Paragraph::new())
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&format!("签发：{}", m.signer), BODY_FONT, SIZE_SMALL_4))
                .align(AlignmentType::Right),
        )
        // the 报送/抄送 block stays on one page with its rules
        .add_paragraph(
            rule(Paragraph::new(), ParagraphBorderPosition::Bottom, "000000").keep_next(true),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&format!("报送：{}。", m.send_to), BODY_FONT, SIZE_4))
                .keep_next(true),
        );
    if !m.copy_to.is_empty() {
        doc = doc.add_paragraph(
            Paragraph::new()
                .add_run(run(&format!("抄送：{}。", m.copy_to), BODY_FONT, SIZE_4))
                .keep_next(true),
        );
    }
    doc = doc.add_paragraph(rule(
        Paragraph::new().add_run(run(
            &format!("{}\u{3000}\u{3000}{}印发", m.editor, chinese_date(&m.date)),
            BODY_FONT,
            SIZE_4,
        )),
        ParagraphBorderPosition::Bottom,
        "000000",
    ));
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(std::io::Error::other)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docx::{east_asian_fonts, text_of};
    use keyproj_domain::briefing::{BlockKind, IssuedTask, parse_markup};

    #[test]
    fn an_issue_reads_back_with_its_masthead_blocks_tasks_and_fonts() {
        let m = Masthead {
            name: "重点项目建设简报".into(),
            issue: "第4期".into(),
            editor: "桃江县重点项目建设事务中心".into(),
            date: "2022-12-15".into(),
            title: "全县重点项目建设进展情况".into(),
            signer: "李四".into(),
            send_to: "县委、县政府主要领导".into(),
            copy_to: "各牵头单位".into(),
        };
        let content = Content {
            sections: vec![
                Rendered::Text {
                    blocks: parse_markup(
                        "# 一、总体情况\n全县**完成投资**38.2亿元 <&>。\n- 城区道路",
                    ),
                },
                Rendered::Computed {
                    block: BlockKind::ColourLists,
                    title: "红黄项目名单".into(),
                    paragraphs: vec!["第11期红色2个。".into()],
                    head: vec!["评价".into(), "项目".into()],
                    rows: vec![vec!["红".into(), "城南路".into()]],
                },
            ],
            tasks: vec![IssuedTask {
                item_id: 1,
                number: "桃重项交〔2022〕9号".into(),
                title: "加快征拆".into(),
                description: "月底前完成签约".into(),
                unit_id: 2,
                unit: "县住建局".into(),
                deadline: "2022-12-31".into(),
            }],
        };
        let bytes = briefing(&m, &content).unwrap();
        let text = text_of(&bytes).unwrap();
        for want in [
            "重点项目建设简报",
            "第4期",
            "2022年12月15日",
            "全县重点项目建设进展情况",
            "一、总体情况",
            "完成投资",
            "38.2亿元 <&>。",
            "城区道路",
            "红黄项目名单",
            "城南路",
            "本期交办事项（1项）",
            "桃重项交〔2022〕9号",
            "2022年12月31日",
            "月底前完成签约",
            "报送：县委、县政府主要领导。",
            "抄送：各牵头单位。",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        let fonts = east_asian_fonts(&bytes).unwrap();
        for f in [TITLE_FONT, BODY_FONT, crate::docx::HEADING_FONT] {
            assert!(fonts.contains(&f.to_string()), "{fonts:?}");
        }
        // a footer with the page number field
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
        let footer = zip
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.to_string()))
            .find(|n| n.contains("footer"))
            .expect("footer");
        let mut xml = String::new();
        use std::io::Read;
        zip.by_name(&footer)
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        assert!(xml.contains("PAGE"), "{xml}");
    }
}
