//! The 考核结果 workbook in its official layout: a sheet per assessed kind with the title, the
//! period and notice number, two-row headers (each indicator group merged over its indicators,
//! the points each is worth under its name), every unit's points, the total, rank and 等次.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

pub struct ScoreRow {
    pub rank: u32,
    pub unit: String,
    /// Points per indicator, in the table's order.
    pub points: Vec<f64>,
    pub total: f64,
    pub grade: String,
}

pub struct KindSheet {
    /// "牵头单位"
    pub name: String,
    /// (group, [(indicator, "40分")]) in the table's order.
    pub groups: Vec<(String, Vec<(String, String)>)>,
    pub rows: Vec<ScoreRow>,
}

pub struct ResultBook<'a> {
    pub title: &'a str,
    /// "考核期间：2022年度　通报文号：桃重项考〔2022〕1号"
    pub subtitle: &'a str,
    pub sheets: &'a [KindSheet],
}

pub fn write(book: &ResultBook) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
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
        .set_align(FormatAlign::VerticalCenter)
        .set_font_name(font)
        .set_font_size(10);
    let quoted = cell.clone().set_quote_prefix();
    let num = cell
        .clone()
        .set_num_format("0.00")
        .set_align(FormatAlign::Right);
    let centred = cell.clone().set_align(FormatAlign::Center);
    for s in book.sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&s.name)?;
        let n: u16 = s.groups.iter().map(|(_, i)| i.len() as u16).sum();
        // 排名, 单位, the indicators, 总分, 等次
        let last = n + 3;
        ws.merge_range(0, 0, 0, last, book.title, &title)?;
        ws.set_row_height(0, 34)?;
        ws.merge_range(1, 0, 1, last, book.subtitle, &sub)?;
        ws.merge_range(2, 0, 3, 0, "排名", &head)?;
        ws.merge_range(2, 1, 3, 1, &format!("{}名称", s.name), &head)?;
        ws.set_column_width(0, 6)?;
        ws.set_column_width(1, 22)?;
        let mut c = 2u16;
        for (g, items) in &s.groups {
            let w = items.len() as u16;
            if w == 1 {
                ws.write_string_with_format(2, c, g, &head)?;
            } else {
                ws.merge_range(2, c, 2, c + w - 1, g, &head)?;
            }
            for (name, max) in items {
                ws.write_string_with_format(3, c, format!("{name}\n（{max}）"), &head)?;
                ws.set_column_width(c, 12)?;
                c += 1;
            }
        }
        ws.merge_range(2, c, 3, c, "总分", &head)?;
        ws.merge_range(2, c + 1, 3, c + 1, "等次", &head)?;
        ws.set_column_width(c, 9)?;
        ws.set_column_width(c + 1, 9)?;
        ws.set_row_height(2, 24)?;
        ws.set_row_height(3, 48)?;
        ws.set_freeze_panes(4, 2)?;
        for (k, row) in s.rows.iter().enumerate() {
            let r = 4 + k as u32;
            ws.write_number_with_format(r, 0, row.rank as f64, &centred)?;
            let f = if crate::xlsx::needs_quote_prefix(&row.unit) {
                &quoted
            } else {
                &cell
            };
            ws.write_string_with_format(r, 1, &row.unit, f)?;
            for (i, p) in row.points.iter().enumerate() {
                ws.write_number_with_format(r, 2 + i as u16, *p, &num)?;
            }
            ws.write_number_with_format(r, c, row.total, &num.clone().set_bold())?;
            ws.write_string_with_format(r, c + 1, &row.grade, &centred)?;
        }
        ws.set_landscape();
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
        ws.set_repeat_rows(2, 3)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_book_reads_back() {
        let sheets = [KindSheet {
            name: "牵头单位".into(),
            groups: vec![
                (
                    "投资完成".into(),
                    vec![("年度投资完成率".into(), "40分".into())],
                ),
                (
                    "项目推进".into(),
                    vec![
                        ("按期开工率".into(), "20分".into()),
                        ("按期竣工率".into(), "10分".into()),
                    ],
                ),
            ],
            rows: vec![ScoreRow {
                rank: 1,
                unit: "=县发改局".into(),
                points: vec![40.0, 20.0, 10.0],
                total: 70.0,
                grade: "不合格".into(),
            }],
        }];
        let bytes = write(&ResultBook {
            title: "2022年度重点项目建设工作考核结果",
            subtitle: "通报文号：桃重项考〔2022〕1号",
            sheets: &sheets,
        })
        .unwrap();
        use calamine::{Reader, Xlsx};
        let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let r = x.worksheet_range("牵头单位").unwrap();
        assert_eq!(r.get_value((2, 3)).unwrap().to_string(), "项目推进");
        assert_eq!(r.get_value((4, 1)).unwrap().to_string(), "=县发改局");
        assert_eq!(r.get_value((4, 5)).unwrap().to_string(), "70");
        assert_eq!(r.get_value((4, 6)).unwrap().to_string(), "不合格");
    }
}
