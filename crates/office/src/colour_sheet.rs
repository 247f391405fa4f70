//! The 进度分色表 in its official layout: title, 截至 month and 期号, two-row merged headers,
//! groups by 年度类别 and level with subtotal rows, a colour fill in the 评价 column, a legend.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

pub struct ColourRow {
    pub group: String,
    pub name: String,
    pub content: String,
    pub total_wan: f64,
    pub annual_wan: f64,
    pub done_wan: f64,
    /// 占年度计划 as a fraction (0.49 → 49.0%); None: no annual plan to measure against
    pub completion: Option<f64>,
    /// 序时进度 as a fraction
    pub baseline: f64,
    pub progress: String,
    pub leader: String,
    pub lead_unit: String,
    pub responsible: String,
    /// 红/黄/绿/蓝/免评
    pub colour_label: String,
    pub colour_rgb: u32,
    pub reasons: String,
}

pub struct ColourSheet<'a> {
    pub title: &'a str,
    pub subtitle: &'a str,
    /// "1–6月累计完成（万元）"
    pub done_header: &'a str,
    pub rows: &'a [ColourRow],
    /// (label, rgb, meaning)
    pub legend: &'a [(&'a str, u32, &'a str)],
}

pub fn write(sheet: &ColourSheet) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("进度分色表")?;
    let font = "宋体";
    let title = Format::new()
        .set_bold()
        .set_font_size(18)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_font_name("方正小标宋简体");
    let sub = Format::new()
        .set_align(FormatAlign::Right)
        .set_font_name(font);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_background_color(Color::RGB(0xDDE6F0))
        .set_font_name(font);
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
        .set_font_name(font)
        .set_font_size(10);
    // Text that looks like a formula is marked as text (quote prefix), never evaluated.
    let quoted = cell.clone().set_quote_prefix();
    let text = |s: &str| {
        if crate::xlsx::needs_quote_prefix(s) {
            &quoted
        } else {
            &cell
        }
    };
    let num = cell
        .clone()
        .set_num_format("#,##0.00")
        .set_align(FormatAlign::Right);
    let percent = cell
        .clone()
        .set_num_format("0.0%")
        .set_align(FormatAlign::Right);
    let group = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color(Color::RGB(0xF2F2F2))
        .set_font_name(font);
    let group_num = group.clone().set_num_format("#,##0.00");
    let headers: [(&str, f64); 13] = [
        ("序号", 5.0),
        ("项目名称", 26.0),
        ("建设内容及规模", 30.0),
        ("总投资（万元）", 12.0),
        ("年度计划投资（万元）", 12.0),
        ("", 12.0),
        ("", 9.0),
        ("序时进度", 8.0),
        ("形象进度", 30.0),
        ("县级联系领导", 10.0),
        ("牵头单位", 14.0),
        ("责任单位", 18.0),
        ("评价", 10.0),
    ];
    let last = headers.len() as u16 - 1;
    ws.merge_range(0, 0, 0, last, sheet.title, &title)?;
    ws.set_row_height(0, 34)?;
    ws.merge_range(1, 0, 1, last, sheet.subtitle, &sub)?;
    // Two header rows: most columns merged vertically; 完成情况 spans 累计完成 and 占年度计划%.
    for (c, (h, w)) in headers.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
        if c == 5 || c == 6 {
            continue;
        }
        ws.merge_range(2, c as u16, 3, c as u16, h, &head)?;
    }
    ws.merge_range(2, 5, 2, 6, "完成情况", &head)?;
    ws.write_string_with_format(3, 5, sheet.done_header, &head)?;
    ws.write_string_with_format(3, 6, "占年度计划%", &head)?;
    ws.set_freeze_panes(4, 2)?;
    // header rows tall enough for their wrapped titles (LibreOffice and WPS do not grow rows
    // by themselves when printing, so text would overlap)
    ws.set_row_height(2, 30)?;
    ws.set_row_height(3, 30)?;
    let mut r = 4u32;
    let mut groups: Vec<&str> = vec![];
    for row in sheet.rows {
        if !groups.contains(&row.group.as_str()) {
            groups.push(&row.group);
        }
    }
    let mut seq = 0;
    for g in groups {
        let rows: Vec<&ColourRow> = sheet.rows.iter().filter(|x| x.group == g).collect();
        let sum = |f: fn(&ColourRow) -> f64| rows.iter().map(|x| f(x)).sum::<f64>();
        ws.merge_range(r, 0, r, 2, &format!("{g}（{}个）", rows.len()), &group)?;
        ws.write_number_with_format(r, 3, sum(|x| x.total_wan), &group_num)?;
        ws.write_number_with_format(r, 4, sum(|x| x.annual_wan), &group_num)?;
        ws.write_number_with_format(r, 5, sum(|x| x.done_wan), &group_num)?;
        for c in 6..=last {
            ws.write_blank(r, c, &group)?;
        }
        r += 1;
        for x in rows {
            seq += 1;
            ws.write_number_with_format(r, 0, seq as f64, &cell)?;
            ws.write_string_with_format(r, 1, &x.name, text(&x.name))?;
            ws.write_string_with_format(r, 2, &x.content, text(&x.content))?;
            ws.write_number_with_format(r, 3, x.total_wan, &num)?;
            ws.write_number_with_format(r, 4, x.annual_wan, &num)?;
            ws.write_number_with_format(r, 5, x.done_wan, &num)?;
            match x.completion {
                Some(v) => ws.write_number_with_format(r, 6, v, &percent)?,
                None => ws.write_blank(r, 6, &cell)?,
            };
            ws.write_number_with_format(r, 7, x.baseline, &percent)?;
            ws.write_string_with_format(r, 8, &x.progress, text(&x.progress))?;
            ws.write_string_with_format(r, 9, &x.leader, text(&x.leader))?;
            ws.write_string_with_format(r, 10, &x.lead_unit, text(&x.lead_unit))?;
            ws.write_string_with_format(r, 11, &x.responsible, text(&x.responsible))?;
            let fill = cell
                .clone()
                .set_background_color(Color::RGB(x.colour_rgb))
                .set_align(FormatAlign::Center)
                .set_bold();
            let label = if x.reasons.is_empty() {
                x.colour_label.clone()
            } else {
                format!("{}（{}）", x.colour_label, x.reasons)
            };
            // each row as tall as its longest wrapped cell
            let lines = [
                (&x.name, headers[1].1),
                (&x.content, headers[2].1),
                (&x.progress, headers[8].1),
                (&x.leader, headers[9].1),
                (&x.lead_unit, headers[10].1),
                (&x.responsible, headers[11].1),
                (&label, headers[12].1),
            ]
            .iter()
            .map(|(t, w)| lines_in(t, *w))
            .max()
            .unwrap_or(1);
            ws.set_row_height(r, 15.0 * lines as f64 + 3.0)?;
            ws.write_string_with_format(r, 12, &label, &fill)?;
            r += 1;
        }
    }
    r += 1;
    ws.write_string(r, 0, "图例：")?;
    for (i, (label, rgb, meaning)) in sheet.legend.iter().enumerate() {
        let f = Format::new()
            .set_background_color(Color::RGB(*rgb))
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center)
            .set_font_name(font);
        ws.write_string_with_format(r + i as u32, 1, *label, &f)?;
        ws.merge_range(
            r + i as u32,
            2,
            r + i as u32,
            6,
            meaning,
            &Format::new().set_font_name(font),
        )?;
    }
    ws.set_landscape();
    ws.set_paper_size(8); // A3
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(2, 3)?;
    wb.save_to_buffer()
}

/// How many lines `text` wraps to in a column `width` characters wide (a Chinese character
/// takes two).
fn lines_in(text: &str, width: f64) -> usize {
    let units: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    let per_line = ((width - 1.0).max(2.0)) as usize;
    units.div_ceil(per_line).clamp(1, 40)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    #[test]
    fn layout_reads_back() {
        let row = |g: &str, n: &str, done: f64| ColourRow {
            group: g.into(),
            name: n.into(),
            content: "=cmd".into(),
            total_wan: 100.0,
            annual_wan: 50.0,
            done_wan: done,
            completion: Some(0.5),
            baseline: 0.5,
            progress: "主体施工".into(),
            leader: "张三".into(),
            lead_unit: "县发改局".into(),
            responsible: "县住建局".into(),
            colour_label: "绿".into(),
            colour_rgb: 0x2E7D32,
            reasons: String::new(),
        };
        let rows = [
            row("在建项目（县重点）", "甲", 25.0),
            row("在建项目（县重点）", "乙", 5.0),
            row("前期项目（县重点）", "丙", 0.0),
        ];
        let bytes = write(&ColourSheet {
            title: "桃江县2022年重点建设项目进度分色表（第9期）",
            subtitle: "截至2022年12月",
            done_header: "1–12月累计完成（万元）",
            rows: &rows,
            legend: &[("红", 0xC62828, "落后序时20个百分点以上")],
        })
        .unwrap();
        let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let r = wb.worksheet_range("进度分色表").unwrap();
        assert_eq!(
            r.get_value((0, 0)),
            Some(&Data::String(
                "桃江县2022年重点建设项目进度分色表（第9期）".into()
            ))
        );
        assert_eq!(r.get_value((2, 5)), Some(&Data::String("完成情况".into())));
        assert_eq!(
            r.get_value((4, 0)),
            Some(&Data::String("在建项目（县重点）（2个）".into()))
        );
        assert_eq!(
            r.get_value((4, 5)),
            Some(&Data::Float(30.0)),
            "subtotal of the group"
        );
        assert_eq!(r.get_value((5, 1)), Some(&Data::String("甲".into())));
        // percentages are numbers the sheet can sum, not text
        assert_eq!(r.get_value((5, 6)), Some(&Data::Float(0.5)));
        assert_eq!(r.get_value((5, 7)), Some(&Data::Float(0.5)));
        assert_eq!(r.get_value((5, 2)), Some(&Data::String("=cmd".into())));
        assert_eq!(
            r.get_value((7, 0)),
            Some(&Data::String("前期项目（县重点）（1个）".into()))
        );
        let merged = wb.merge_cells_by_sheet_name("进度分色表").unwrap();
        assert!(
            merged.len() >= 12,
            "merged headers and titles: {}",
            merged.len()
        );
    }
}
