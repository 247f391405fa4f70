//! Official documents (交办单, 督办函, 会议纪要) as Word files in the style of GB/T 9704: A4 with
//! the standard margins, the issuer in red, the title in 方正小标宋简体 (named as the East-Asian
//! font, so Word uses it where installed and a substitute elsewhere), body in 仿宋_GB2312 三号
//! with a two-character first-line indent, the items as a table, the date on the right.

use docx_rs::{
    AlignmentType, BorderType, Docx, LineSpacing, LineSpacingType, PageMargin, Paragraph,
    ParagraphBorder, ParagraphBorderPosition, ParagraphBorders, Run, RunFonts, SpecialIndentType,
    Table, TableCell, TableRow, WidthType,
};

pub const TITLE_FONT: &str = "方正小标宋简体";
pub const BODY_FONT: &str = "仿宋_GB2312";
pub const HEADING_FONT: &str = "黑体";

/// What an official document says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Official {
    pub issuer: String,
    pub title: String,
    pub number: String,
    /// 主送 (empty: none)
    pub recipient: String,
    pub paragraphs: Vec<String>,
    pub table_headers: Vec<String>,
    pub table_rows: Vec<Vec<String>>,
    pub closing: String,
    /// YYYY-MM-DD, written as 2022年11月21日
    pub date: String,
    /// 抄送 (empty: none)
    pub copy_to: String,
    /// 联系人：…，联系电话：… after the signature (empty: none)
    pub contact: String,
}

pub(crate) fn fonts(name: &str) -> RunFonts {
    RunFonts::new().east_asia(name).ascii(name).hi_ansi(name)
}

/// Half-points: 二号 22 pt, 三号 16 pt, 四号 14 pt, 小四 12 pt.
pub(crate) const SIZE_2: usize = 44;
pub(crate) const SIZE_3: usize = 32;
pub(crate) const SIZE_SMALL_4: usize = 24;

/// Characters XML 1.0 cannot hold (control characters other than tab and line breaks) are left
/// out, so no stored text can make an official document that Word refuses to open.
pub(crate) fn xml_safe(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .filter(|c| !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        .collect()
}

pub(crate) fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new()
        .add_text(xml_safe(text))
        .fonts(fonts(font))
        .size(size)
}

/// Body lines 28 pt apart (GB/T 9704's 22 lines a page, near enough), first line indented
/// two characters.
pub(crate) fn indented(p: Paragraph) -> Paragraph {
    p.indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
        .line_spacing(
            LineSpacing::new()
                .line_rule(LineSpacingType::Exact)
                .line(560),
        )
}

/// A heading: 黑体, bold where the font is missing, kept with what follows, with room above.
pub(crate) fn heading(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, HEADING_FONT, SIZE_3).bold())
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
        .line_spacing(
            LineSpacing::new()
                .before(120)
                .line_rule(LineSpacingType::Exact)
                .line(560),
        )
        .keep_next(true)
}

pub(crate) fn table(head: &[String], rows: &[Vec<String>]) -> Table {
    let cell = |t: &str, bold: bool| {
        let mut r = run(t, if bold { HEADING_FONT } else { BODY_FONT }, SIZE_SMALL_4);
        if bold {
            r = r.bold();
        }
        TableCell::new().add_paragraph(Paragraph::new().add_run(r))
    };
    let mut out = vec![TableRow::new(head.iter().map(|h| cell(h, true)).collect())];
    for r in rows {
        out.push(TableRow::new(r.iter().map(|c| cell(c, false)).collect()));
    }
    Table::new(out).width(9000, WidthType::Dxa)
}

/// [`table`] with the columns' widths (twentieths of a point, adding up to 9000), so long
/// texts get the wide column instead of wrapping in every one.
pub(crate) fn table_widths(head: &[String], rows: &[Vec<String>], widths: &[usize]) -> Table {
    let cell = |t: &str, bold: bool, w: usize| {
        let mut r = run(t, if bold { HEADING_FONT } else { BODY_FONT }, SIZE_SMALL_4);
        if bold {
            r = r.bold();
        }
        TableCell::new()
            .width(w, WidthType::Dxa)
            .add_paragraph(Paragraph::new().add_run(r))
    };
    let w = |i: usize| widths.get(i).copied().unwrap_or(1000);
    let mut out = vec![TableRow::new(
        head.iter()
            .enumerate()
            .map(|(i, h)| cell(h, true, w(i)))
            .collect(),
    )];
    for r in rows {
        out.push(TableRow::new(
            r.iter()
                .enumerate()
                .map(|(i, c)| cell(c, false, w(i)))
                .collect(),
        ));
    }
    Table::new(out)
        .set_grid(widths.to_vec())
        .width(widths.iter().sum(), WidthType::Dxa)
}

fn body(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, BODY_FONT, SIZE_3))
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
}

/// 2022-11-21 → 2022年11月21日 (other text is kept as it is).
pub fn chinese_date(d: &str) -> String {
    let parts: Vec<&str> = d.split('-').collect();
    match parts.as_slice() {
        [y, m, day] => match (m.parse::<u32>(), day.parse::<u32>()) {
            (Ok(m), Ok(day)) => format!("{y}年{m}月{day}日"),
            _ => d.to_string(),
        },
        _ => d.to_string(),
    }
}

/// The red rule under the 文号 (GB/T 9704's 版头中的分隔线): a bottom border of the paragraph.
fn red_rule(mut p: Paragraph) -> Paragraph {
    // only the bottom: the default set would draw a box round the 文号
    p.property = p.property.set_borders(
        ParagraphBorders::with_empty().set(
            ParagraphBorder::new(ParagraphBorderPosition::Bottom)
                .val(BorderType::Single)
                .size(18)
                .space(4)
                .color("FF0000"),
        ),
    );
    p
}

pub fn official(o: &Official) -> Result<Vec<u8>, std::io::Error> {
    let center = |r: Run| Paragraph::new().add_run(r).align(AlignmentType::Center);
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
        .add_paragraph(center(run(&o.issuer, TITLE_FONT, SIZE_2).color("FF0000")))
        .add_paragraph(red_rule(center(run(&o.number, BODY_FONT, SIZE_3))))
        .add_paragraph(Paragraph::new())
        .add_paragraph(center(run(&o.title, TITLE_FONT, SIZE_2)))
        .add_paragraph(Paragraph::new());
    if !o.recipient.is_empty() {
        doc = doc.add_paragraph(Paragraph::new().add_run(run(
            &format!("{}：", o.recipient),
            BODY_FONT,
            SIZE_3,
        )));
    }
    for p in &o.paragraphs {
        doc = doc.add_paragraph(body(p));
    }
    if !o.table_rows.is_empty() {
        let cell = |t: &str, bold: bool| {
            let mut r = run(t, if bold { HEADING_FONT } else { BODY_FONT }, SIZE_SMALL_4);
            if bold {
                r = r.bold();
            }
            TableCell::new().add_paragraph(Paragraph::new().add_run(r))
        };
        let mut rows = vec![TableRow::new(
            o.table_headers.iter().map(|h| cell(h, true)).collect(),
        )];
        for r in &o.table_rows {
            rows.push(TableRow::new(r.iter().map(|c| cell(c, false)).collect()));
        }
        doc = doc.add_table(Table::new(rows).width(9000, WidthType::Dxa));
    }
    if !o.closing.is_empty() {
        doc = doc.add_paragraph(body(&o.closing));
    }
    doc = doc
        .add_paragraph(Paragraph::new())
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&o.issuer, BODY_FONT, SIZE_3))
                .align(AlignmentType::Right),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&chinese_date(&o.date), BODY_FONT, SIZE_3))
                .align(AlignmentType::Right),
        );
    if !o.contact.is_empty() {
        doc = doc.add_paragraph(body(&format!("（{}）", o.contact)));
    }
    if !o.copy_to.is_empty() {
        doc = doc
            .add_paragraph(Paragraph::new())
            .add_paragraph(Paragraph::new().add_run(run(
                &format!("抄送：{}。", o.copy_to),
                BODY_FONT,
                SIZE_SMALL_4,
            )));
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(std::io::Error::other)?;
    Ok(out.into_inner())
}

/// The paragraphs' text of a .docx (word/document.xml without its markup), one line per
/// paragraph: for reading a document back in tests and checks.
pub fn text_of(bytes: &[u8]) -> Result<String, String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .map_err(|e| e.to_string())?
        .take(20 << 20)
        .read_to_string(&mut xml)
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    let mut in_tag = false;
    let mut tag = String::new();
    for ch in xml.chars() {
        match ch {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' => {
                in_tag = false;
                if tag.starts_with("/w:p") && !tag.starts_with("/w:pP") {
                    out.push('\n');
                } else if tag.starts_with("/w:tc") {
                    out.push('\t');
                }
            }
            c if in_tag => tag.push(c),
            c => out.push(c),
        }
    }
    Ok(out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&"))
}

/// The East-Asian fonts named in a .docx (to check the official fonts are asked for).
pub fn east_asian_fonts(bytes: &[u8]) -> Result<Vec<String>, String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .map_err(|e| e.to_string())?
        .take(20 << 20)
        .read_to_string(&mut xml)
        .map_err(|e| e.to_string())?;
    let mut out: Vec<String> = xml
        .split("w:eastAsia=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(String::from))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_reads_back_with_its_fonts() {
        let o = Official {
            issuer: "桃江县重点项目建设事务中心".into(),
            title: "重点项目黄色督办函".into(),
            number: "桃重项督〔2022〕1号".into(),
            recipient: "县住建局".into(),
            paragraphs: vec!["你单位承办的下列事项已超过办理时限 <仍未办结> & 现予督办。".into()],
            table_headers: vec!["编号".into(), "事项".into()],
            table_rows: vec![vec!["桃重项交〔2022〕1号".into(), "城南路征拆".into()]],
            closing: "特此督办。".into(),
            date: "2022-11-21".into(),
            copy_to: "县交通运输局".into(),
            contact: "联系人：王五，联系电话：0737-1234567".into(),
        };
        let bytes = official(&o).unwrap();
        let text = text_of(&bytes).unwrap();
        for want in [
            "桃重项督〔2022〕1号",
            "重点项目黄色督办函",
            "县住建局：",
            "<仍未办结> & 现予督办",
            "城南路征拆",
            "2022年11月21日",
            "抄送：县交通运输局。",
            "（联系人：王五，联系电话：0737-1234567）",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        // the red rule under the 文号
        let xml = {
            use std::io::Read;
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
            let mut xml = String::new();
            zip.by_name("word/document.xml")
                .unwrap()
                .read_to_string(&mut xml)
                .unwrap();
            xml
        };
        assert!(
            xml.contains("w:bottom") && xml.contains("FF0000"),
            "red rule"
        );
        let fonts = east_asian_fonts(&bytes).unwrap();
        assert!(fonts.contains(&TITLE_FONT.to_string()), "{fonts:?}");
        assert!(fonts.contains(&BODY_FONT.to_string()), "{fonts:?}");
    }

    #[test]
    fn dates_in_chinese() {
        assert_eq!(chinese_date("2022-03-05"), "2022年3月5日");
        assert_eq!(chinese_date("不详"), "不详");
    }
}
