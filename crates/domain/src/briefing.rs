//! 《重点项目建设简报》 (issue #12): a numbered issue per year made of sections in order —
//! editorial text and computed blocks — with the tasks it assigns. Editorial text is a small
//! markup (headings, paragraphs, bold, lists) parsed into blocks of plain text, so what is
//! stored can never carry HTML: every page and document renders the blocks, escaping the text.

use crate::error::{FieldError, ValidationErrors, check_text};
use crate::keyed_enum;
use serde::{Deserialize, Serialize};

/// Limits that keep one issue a briefing: bounded before anything is parsed.
pub const MAX_SECTIONS: usize = 40;
pub const MAX_TEXT_CHARS: usize = 50_000;
pub const MAX_TASKS: usize = 60;
pub const MAX_TOP_N: u32 = 50;
/// All editorial text of one issue together, and its runs of bold and plain text: a briefing
/// is a few pages, and every run costs its own markup in the Word file.
pub const MAX_TOTAL_CHARS: usize = 50_000;
pub const MAX_SPANS: usize = 2_000;

keyed_enum!(
    /// The computed blocks a briefing can insert: each is a snapshot taken when it is issued.
    pub enum BlockKind, "简报数据块" {
        YearFigures => "year_figures", "年度投资完成情况";
        PlanByCategory => "plan_by_category", "分类计划执行情况";
        ColourLists => "colour_lists", "红黄项目名单";
        ProblemsByUnit => "problems_by_unit", "各单位问题办理情况";
        TopProjects => "top_projects", "完成投资前列项目";
        AssessmentRanking => "assessment_ranking", "单位考核排名";
        SignedAndStarted => "signed_and_started", "签约及开工项目";
    }
);

keyed_enum!(
    /// Where a briefing stands: a draft is composed and changed freely; an issued one is frozen.
    pub enum BriefingState, "简报状态" {
        Draft => "draft", "草稿";
        Issued => "issued", "已印发";
    }
);

/// A run of text, bold or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub text: String,
    pub bold: bool,
}

/// A block of editorial text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "spans", rename_all = "snake_case")]
pub enum Block {
    Heading(Vec<Span>),
    Paragraph(Vec<Span>),
    List(Vec<Vec<Span>>),
}

/// `**bold**` runs within a line; an unmatched `**` stays as typed.
fn spans(line: &str) -> Vec<Span> {
    let parts: Vec<&str> = line.split("**").collect();
    // an even number of parts means one ** has no partner: the last one is literal
    let mut out: Vec<Span> = vec![];
    let closed = parts.len() % 2 == 1;
    for (i, p) in parts.iter().enumerate() {
        let last_open = !closed && i == parts.len() - 1;
        let (text, bold) = if last_open {
            (format!("**{p}"), false)
        } else if i % 2 == 1 && p.is_empty() {
            // `****` marks nothing bold: it stays as typed
            ("****".to_string(), false)
        } else {
            (p.to_string(), i % 2 == 1)
        };
        if text.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(s) if s.bold == bold => s.text.push_str(&text),
            _ => out.push(Span { text, bold }),
        }
    }
    out
}

/// Parses editorial markup: `# ` starts a heading line, `- ` (or `· `) a list item, blank lines
/// separate paragraphs, `**…**` is bold. Anything else, angle brackets included, is text.
pub fn parse_markup(input: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = vec![];
    let mut para: Vec<String> = vec![];
    let flush = |para: &mut Vec<String>, blocks: &mut Vec<Block>| {
        if !para.is_empty() {
            blocks.push(Block::Paragraph(spans(&para.join(""))));
            para.clear();
        }
    };
    for raw in input.lines() {
        let line = raw.trim();
        if line.is_empty() {
            flush(&mut para, &mut blocks);
        } else if let Some(h) = line.strip_prefix('#') {
            flush(&mut para, &mut blocks);
            blocks.push(Block::Heading(spans(h.trim_start_matches('#').trim())));
        } else if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("· ")) {
            flush(&mut para, &mut blocks);
            match blocks.last_mut() {
                Some(Block::List(items)) => items.push(spans(item.trim())),
                _ => blocks.push(Block::List(vec![spans(item.trim())])),
            }
        } else {
            para.push(line.to_string());
        }
    }
    flush(&mut para, &mut blocks);
    blocks
}

/// A section as composed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// unknown fields are let through here (not on tasks): a section read from the API carries
// its parsed `blocks`, and sending it back as it was read must work
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SectionDraft {
    /// Editorial text in the markup above.
    Text { markup: String },
    /// A computed block; `top` for the top-N block.
    Computed {
        block: String,
        #[serde(default)]
        top: Option<u32>,
    },
}

/// A checked section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Section {
    Text { markup: String, blocks: Vec<Block> },
    Computed { block: BlockKind, top: u32 },
}

/// A task the briefing assigns (it becomes a problem-list item with source 简报 on issue).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskDraft {
    pub title: String,
    pub description: String,
    /// The handling unit's id as posted (scope-checked by the service); the API may send it as
    /// a number or a string.
    #[serde(deserialize_with = "id_text")]
    pub handler_unit_id: String,
    /// YYYY-MM-DD
    pub deadline: String,
}

/// An id sent as `12` or `"12"`.
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IdText {
        Text(String),
        Number(i64),
    }
    Ok(match IdText::deserialize(d)? {
        IdText::Text(s) => s,
        IdText::Number(n) => n.to_string(),
    })
}

/// Checks the sections at once: the count first (bounded before parsing), each text's length,
/// each block's kind and its top-N.
pub fn check_sections(drafts: &[SectionDraft]) -> Result<Vec<Section>, ValidationErrors> {
    let mut e = ValidationErrors::new();
    if drafts.is_empty() {
        e.add("sections", "required", "简报至少需要一节内容");
        return Err(e);
    }
    if drafts.len() > MAX_SECTIONS {
        e.add(
            "sections",
            "too_many",
            format!("简报最多{MAX_SECTIONS}节，现有{}节", drafts.len()),
        );
        return Err(e);
    }
    let mut out = vec![];
    for (n, d) in drafts.iter().enumerate() {
        let field = format!("sections[{n}]");
        match d {
            SectionDraft::Text { markup } => {
                if markup.chars().count() > MAX_TEXT_CHARS {
                    e.add(
                        &field,
                        "too_long",
                        format!("第{}节文字超过{MAX_TEXT_CHARS}字", n + 1),
                    );
                    continue;
                }
                if markup.trim().is_empty() {
                    e.add(&field, "required", format!("第{}节没有文字", n + 1));
                    continue;
                }
                if markup.chars().any(crate::error::invisible_control) {
                    e.add(
                        &field,
                        "invalid_chars",
                        format!("第{}节文字含有不可见的控制字符", n + 1),
                    );
                    continue;
                }
                if markup.lines().any(is_directive) {
                    e.add(
                        &field,
                        "directive",
                        format!("第{}节文字中含有数据块行：数据块应作为单独的一节", n + 1),
                    );
                    continue;
                }
                out.push(Section::Text {
                    markup: markup.clone(),
                    blocks: parse_markup(markup),
                });
            }
            SectionDraft::Computed { block, top } => match BlockKind::from_key(block) {
                None => e.add(&field, "unknown", format!("第{}节的数据块不存在", n + 1)),
                Some(kind) => {
                    let top = top.unwrap_or(10);
                    if !(1..=MAX_TOP_N).contains(&top) {
                        e.add(
                            &field,
                            "range",
                            format!("第{}节的项目个数应在1至{MAX_TOP_N}之间", n + 1),
                        );
                    } else {
                        out.push(Section::Computed { block: kind, top });
                    }
                }
            },
        }
    }
    let total: usize = drafts
        .iter()
        .map(|d| match d {
            SectionDraft::Text { markup } => markup.chars().count(),
            SectionDraft::Computed { .. } => 0,
        })
        .sum();
    if total > MAX_TOTAL_CHARS {
        e.add(
            "sections",
            "too_long",
            format!("简报文字共{total}字，超过{MAX_TOTAL_CHARS}字，请分期编发"),
        );
    }
    let spans: usize = out
        .iter()
        .map(|s| match s {
            Section::Text { blocks, .. } => blocks
                .iter()
                .map(|b| match b {
                    Block::Heading(x) | Block::Paragraph(x) => x.len(),
                    Block::List(items) => items.iter().map(Vec::len).sum(),
                })
                .sum(),
            Section::Computed { .. } => 0,
        })
        .sum();
    if spans > MAX_SPANS {
        e.add(
            "sections",
            "too_many_runs",
            format!(
                "段落、列表项和加粗文字过多（共{spans}段，最多{MAX_SPANS}段），请精简或分期编发"
            ),
        );
    }
    e.into_result().map(|_| out)
}

/// A line that stands for a computed block.
fn is_directive(line: &str) -> bool {
    let l = line.trim();
    l.starts_with(DIRECTIVE_OPEN) && l.ends_with(DIRECTIVE_CLOSE)
}

/// The head of an issue: 编印单位, 签发人, 报送 and 抄送.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadDraft {
    pub title: String,
    pub editor: String,
    pub signer: String,
    pub send_to: String,
    pub copy_to: String,
}

impl HeadDraft {
    pub fn check(&self) -> Result<HeadDraft, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let mut take = |field: &str, label: &str, v: &str, required: bool, max: usize| {
            e.check(check_text(field, label, v, required, max))
                .unwrap_or_default()
        };
        let head = HeadDraft {
            title: take("title", "本期标题", &self.title, true, 100),
            editor: take("editor", "编印单位", &self.editor, true, 60),
            signer: take("signer", "签发人", &self.signer, true, 20),
            send_to: take("send_to", "报送", &self.send_to, true, 500),
            copy_to: take("copy_to", "抄送", &self.copy_to, false, 500),
        };
        e.into_result().map(|_| head)
    }
}

/// 第N期 of a year.
pub fn issue_label(year: i32, seq: i64) -> String {
    format!("{year}年第{seq}期")
}

/// A task's fields at their names (the service checks the unit and the date against its
/// calendar and scope).
pub fn check_task(n: usize, t: &TaskDraft) -> Vec<FieldError> {
    let mut out = vec![];
    let field = format!("tasks[{n}]");
    if let Err(mut f) = check_text(&field, "任务事项", &t.title, true, 100) {
        f.message = format!("第{}项任务：{}", n + 1, f.message);
        out.push(f);
    }
    if let Err(mut f) = check_text(&field, "任务要求", &t.description, false, 2000) {
        f.message = format!("第{}项任务：{}", n + 1, f.message);
        out.push(f);
    }
    out
}

/// The composing text may not be longer than this (bounded before it is split).
pub const MAX_BODY_CHARS: usize = 60_000;

const DIRECTIVE_OPEN: &str = "【数据块：";
const DIRECTIVE_CLOSE: &str = "】";

/// The line that stands for a computed block in the composing text:
/// `【数据块：红黄项目名单】`, with the count for the top-N block: `【数据块：完成投资前列项目 10】`.
pub fn directive(kind: BlockKind, top: u32) -> String {
    match kind {
        BlockKind::TopProjects => {
            format!("{DIRECTIVE_OPEN}{} {top}{DIRECTIVE_CLOSE}", kind.label())
        }
        _ => format!("{DIRECTIVE_OPEN}{}{DIRECTIVE_CLOSE}", kind.label()),
    }
}

/// Splits the composing text into sections: a directive line becomes a computed block, the text
/// between directives an editorial section. An unknown block is named with its line.
pub fn parse_body(body: &str) -> Result<Vec<SectionDraft>, ValidationErrors> {
    let mut e = ValidationErrors::new();
    if body.chars().count() > MAX_BODY_CHARS {
        e.add(
            "body",
            "too_long",
            format!("简报正文超过{MAX_BODY_CHARS}字，请分期编发"),
        );
        return Err(e);
    }
    let mut out: Vec<SectionDraft> = vec![];
    let mut text: Vec<&str> = vec![];
    let flush = |text: &mut Vec<&str>, out: &mut Vec<SectionDraft>| {
        let markup = text.join("\n");
        if !markup.trim().is_empty() {
            out.push(SectionDraft::Text {
                markup: markup.trim_matches('\n').to_string(),
            });
        }
        text.clear();
    };
    for (n, raw) in body.lines().enumerate() {
        let line = raw.trim();
        let Some(inner) = line
            .strip_prefix(DIRECTIVE_OPEN)
            .and_then(|l| l.strip_suffix(DIRECTIVE_CLOSE))
        else {
            text.push(raw.trim_end());
            continue;
        };
        flush(&mut text, &mut out);
        let inner = inner.trim();
        let (label, count) = match inner.rsplit_once(' ') {
            Some((l, c)) if c.chars().all(|c| c.is_ascii_digit()) && !c.is_empty() => {
                (l.trim(), Some(c))
            }
            _ => (inner, None),
        };
        match BlockKind::ALL.iter().find(|k| k.label() == label) {
            None => e.add(
                "body",
                "unknown",
                format!("第{}行的数据块「{label}」不存在，请从菜单插入", n + 1),
            ),
            Some(kind) => {
                let top = match count.map(|c| c.parse::<u32>()) {
                    None => None,
                    Some(Ok(t)) if (1..=MAX_TOP_N).contains(&t) => Some(t),
                    Some(_) => {
                        e.add(
                            "body",
                            "range",
                            format!("第{}行：项目个数应在1至{MAX_TOP_N}之间", n + 1),
                        );
                        None
                    }
                };
                out.push(SectionDraft::Computed {
                    block: kind.key().into(),
                    top,
                });
            }
        }
    }
    flush(&mut text, &mut out);
    e.into_result().map(|_| out)
}

/// The composing text of checked sections (the inverse of [`parse_body`]).
pub fn body_of(sections: &[Section]) -> String {
    sections
        .iter()
        .map(|s| match s {
            Section::Text { markup, .. } => markup.clone(),
            Section::Computed { block, top } => directive(*block, *top),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A section as issued: editorial blocks, or a computed block's snapshot — a title, sentences and
/// an optional table, all plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rendered {
    Text {
        blocks: Vec<Block>,
    },
    Computed {
        block: BlockKind,
        title: String,
        paragraphs: Vec<String>,
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// A task as listed at the end of an issued briefing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedTask {
    pub item_id: i64,
    pub number: String,
    pub title: String,
    /// 任务要求 as typed (empty: none).
    #[serde(default)]
    pub description: String,
    /// The handling unit (the issued page links a unit's users to their own tasks only).
    #[serde(default)]
    pub unit_id: i64,
    pub unit: String,
    pub deadline: String,
}

/// What an issued briefing says, frozen with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub sections: Vec<Rendered>,
    pub tasks: Vec<IssuedTask>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_section_with_an_override_is_refused() {
        let ok = vec![super::SectionDraft::Text {
            markup: "本月开工3个".into(),
        }];
        assert!(super::check_sections(&ok).is_ok());
        let bad = vec![super::SectionDraft::Text {
            markup: "本月\u{202e}开工".into(),
        }];
        let e = super::check_sections(&bad).unwrap_err();
        assert_eq!(e.0[0].code, "invalid_chars");
    }

    use super::*;
    use proptest::prelude::*;

    fn plain(t: &str) -> Vec<Span> {
        vec![Span {
            text: t.into(),
            bold: false,
        }]
    }

    #[test]
    fn markup_becomes_blocks_of_plain_text() {
        let b = parse_markup(
            "# 一、总体情况\n全县重点项目**完成投资**38.2亿元，\n占年度计划98%。\n\n- 城区道路\n- <script>alert(1)</script>\n\n末段**未闭合",
        );
        assert_eq!(b[0], Block::Heading(plain("一、总体情况")));
        assert_eq!(
            b[1],
            Block::Paragraph(vec![
                Span {
                    text: "全县重点项目".into(),
                    bold: false
                },
                Span {
                    text: "完成投资".into(),
                    bold: true
                },
                Span {
                    text: "38.2亿元，占年度计划98%。".into(),
                    bold: false
                },
            ])
        );
        // angle brackets are text, to be escaped wherever it is shown
        assert_eq!(
            b[2],
            Block::List(vec![plain("城区道路"), plain("<script>alert(1)</script>")])
        );
        assert_eq!(b[3], Block::Paragraph(plain("末段**未闭合")));
        // nothing between two markers: kept as typed
        assert_eq!(
            parse_markup("a****b"),
            vec![Block::Paragraph(plain("a****b"))]
        );
    }

    #[test]
    fn sections_are_bounded_and_checked_at_once() {
        let text = |s: &str| SectionDraft::Text { markup: s.into() };
        let block = |k: &str, top| SectionDraft::Computed {
            block: k.into(),
            top,
        };
        assert!(check_sections(&[]).is_err());
        let many: Vec<SectionDraft> = (0..=MAX_SECTIONS).map(|_| text("x")).collect();
        assert!(
            check_sections(&many)
                .unwrap_err()
                .for_field("sections")
                .unwrap()
                .contains("最多")
        );
        let e = check_sections(&[
            text(" "),
            block("nope", None),
            block("top_projects", Some(0)),
        ])
        .unwrap_err();
        assert_eq!(e.all().len(), 3);
        let ok = check_sections(&[
            text("# 综述"),
            block("top_projects", Some(5)),
            block("colour_lists", None),
        ])
        .unwrap();
        assert_eq!(
            ok[1],
            Section::Computed {
                block: BlockKind::TopProjects,
                top: 5
            }
        );
        let long = "字".repeat(MAX_TEXT_CHARS + 1);
        assert!(check_sections(&[text(&long)]).is_err());
        // all text together, and the runs a Word file would carry, are bounded too
        let many: Vec<SectionDraft> = (0..3).map(|_| text(&"字".repeat(20_000))).collect();
        assert!(
            check_sections(&many)
                .unwrap_err()
                .for_field("sections")
                .unwrap()
                .contains("分期")
        );
        let runs = "**a**b".repeat(1_500);
        assert!(
            check_sections(&[text(&runs)])
                .unwrap_err()
                .for_field("sections")
                .unwrap()
                .contains("过多")
        );
        // a block line inside a text section (the API) is refused, not printed as text
        let e = check_sections(&[text("正文\n【数据块：红黄项目名单】")]).unwrap_err();
        assert!(e.for_field("sections[0]").unwrap().contains("单独的一节"));
    }

    #[test]
    fn the_composing_text_splits_at_directives_and_comes_back() {
        let body = "# 一、总体情况\n全县重点项目稳步推进。\n\n【数据块：年度投资完成情况】\n二、存在问题\n【数据块：完成投资前列项目 5】";
        let drafts = parse_body(body).unwrap();
        assert_eq!(drafts.len(), 4);
        assert_eq!(
            drafts[1],
            SectionDraft::Computed {
                block: "year_figures".into(),
                top: None
            }
        );
        assert_eq!(
            drafts[3],
            SectionDraft::Computed {
                block: "top_projects".into(),
                top: Some(5)
            }
        );
        let checked = check_sections(&drafts).unwrap();
        let again = body_of(&checked);
        assert_eq!(parse_body(&again).unwrap(), drafts);
        let e = parse_body("正文\n【数据块：不存在的块】\n【数据块：完成投资前列项目 99】")
            .unwrap_err();
        let msg = e.for_field("body").unwrap();
        assert!(msg.contains("第2行") && msg.contains("不存在"), "{msg}");
        assert_eq!(e.all().len(), 2);
        assert!(parse_body(&"字".repeat(MAX_BODY_CHARS + 1)).is_err());
    }

    #[test]
    fn the_head_names_every_missing_field() {
        let e = HeadDraft::default().check().unwrap_err();
        for f in ["title", "editor", "signer", "send_to"] {
            assert!(e.for_field(f).is_some(), "{f}");
        }
        assert!(e.for_field("copy_to").is_none());
        assert_eq!(issue_label(2022, 4), "2022年第4期");
    }

    proptest! {
        /// Whatever is typed, parsing never fails and keeps every non-space character that is
        /// not markup: nothing typed is lost.
        #[test]
        fn parsing_keeps_the_text(s in "[a-z<>&\"'一二三 #*\\-\\n]{0,200}") {
            let blocks = parse_markup(&s);
            let kept: String = blocks.iter().flat_map(|b| match b {
                Block::Heading(x) | Block::Paragraph(x) => x.clone(),
                Block::List(items) => items.concat(),
            }).map(|sp| sp.text).collect();
            let letters = |t: &str| t.chars().filter(|c| c.is_alphanumeric() || "<>&\"'".contains(*c)).collect::<String>();
            prop_assert_eq!(letters(&kept), letters(&s));
        }
    }
}
