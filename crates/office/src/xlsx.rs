//! Tables to .xlsx in the official layout: a title row, an optional subtitle (截至/期号),
//! a bold header, data rows, an optional totals row; amounts as numbers with two decimals.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    /// An amount in 万元 for display (two decimals).
    Wan(f64),
    Int(i64),
    /// A share as a fraction (0.583 → 58.3%), a real number the sheet can sum and sort.
    Percent(f64),
    /// A figure with one decimal (average days).
    Decimal(f64),
    /// A date cell (yyyy-mm-dd), not text.
    Date(chrono::NaiveDate),
    Empty,
}

impl Cell {
    /// A date, or an empty cell.
    pub fn date(d: Option<chrono::NaiveDate>) -> Cell {
        d.map(Cell::Date).unwrap_or(Cell::Empty)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

pub struct Sheet<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub subtitle: Option<&'a str>,
    pub headers: &'a [(&'a str, f64)],
    pub rows: Vec<Vec<Cell>>,
    pub totals: Option<Vec<Cell>>,
}

/// Text that a spreadsheet could read as a formula (=, +, -, @, tab, CR) is marked as
/// plain text with a quote prefix, so an export can never run a formula.
pub fn needs_quote_prefix(s: &str) -> bool {
    matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'))
}

pub fn write(sheet: &Sheet) -> Result<Vec<u8>, XlsxError> {
    write_book(std::slice::from_ref(sheet))
}

/// Several sheets in one workbook (a statistics page with two tables), each as [`write`] lays
/// one out.
pub fn write_book(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    for sheet in sheets {
        add_sheet(&mut wb, sheet)?;
    }
    wb.save_to_buffer()
}

fn add_sheet(wb: &mut Workbook, sheet: &Sheet) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheet.name)?;
    let ncols = sheet.headers.len() as u16;
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_font_name("宋体");
    let sub = Format::new()
        .set_align(FormatAlign::Right)
        .set_font_name("宋体");
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_background_color(Color::RGB(0xDDE6F0))
        .set_font_name("宋体");
    let text = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
        .set_font_name("宋体");
    let quoted = text.clone().set_quote_prefix();
    let num = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0.00")
        .set_font_name("宋体");
    let int = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0")
        .set_font_name("宋体");
    let percent = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.0%")
        .set_font_name("宋体");
    let decimal = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.0")
        .set_font_name("宋体");
    let date = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("yyyy-mm-dd")
        .set_align(FormatAlign::Left)
        .set_font_name("宋体");
    let total_text = text.clone().set_bold();
    let total_num = num.clone().set_bold();

    let last = ncols.saturating_sub(1);
    ws.merge_range(0, 0, 0, last, sheet.title, &title)?;
    ws.set_row_height(0, 30)?;
    let mut r = 1u32;
    if let Some(s) = sheet.subtitle {
        ws.merge_range(r, 0, r, last, s, &sub)?;
        r += 1;
    }
    for (c, (h, w)) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(r, c as u16, *h, &head)?;
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(r + 1, 0)?;
    r += 1;
    let put = |ws: &mut rust_xlsxwriter::Worksheet,
               r: u32,
               cells: &[Cell],
               bold: bool|
     -> Result<(), XlsxError> {
        for (c, cell) in cells.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) if needs_quote_prefix(s) => {
                    ws.write_string_with_format(r, c, s, &quoted)?
                }
                Cell::Text(s) => {
                    ws.write_string_with_format(r, c, s, if bold { &total_text } else { &text })?
                }
                Cell::Wan(v) => {
                    ws.write_number_with_format(r, c, *v, if bold { &total_num } else { &num })?
                }
                Cell::Int(v) => ws.write_number_with_format(r, c, *v as f64, &int)?,
                Cell::Percent(v) => ws.write_number_with_format(r, c, *v, &percent)?,
                Cell::Decimal(v) => ws.write_number_with_format(r, c, *v, &decimal)?,
                Cell::Date(d) => {
                    use chrono::Datelike;
                    let x = rust_xlsxwriter::ExcelDateTime::from_ymd(
                        d.year().clamp(1900, 9999) as u16,
                        d.month() as u8,
                        d.day() as u8,
                    )?;
                    ws.write_datetime_with_format(r, c, &x, &date)?
                }
                Cell::Empty => ws.write_blank(r, c, &text)?,
            };
        }
        Ok(())
    };
    for row in &sheet.rows {
        put(ws, r, row, false)?;
        r += 1;
    }
    if let Some(t) = &sheet.totals {
        put(ws, r, t, true)?;
    }
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, if sheet.subtitle.is_some() { 2 } else { 1 })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    #[test]
    fn round_trip_and_no_formulas() {
        let sheet = Sheet {
            name: "项目库",
            title: "桃江县重点建设项目库",
            subtitle: Some("截至2022年12月"),
            headers: &[("序号", 6.0), ("项目名称", 30.0), ("总投资（万元）", 14.0)],
            rows: vec![
                vec![
                    Cell::Int(1),
                    Cell::Text("=HYPERLINK(\"http://x\")".into()),
                    Cell::Wan(12345.67),
                ],
                vec![
                    Cell::Int(2),
                    Cell::Text("桃花江储能电站".into()),
                    Cell::Wan(0.5),
                ],
            ],
            totals: Some(vec![
                Cell::Text("合计".into()),
                Cell::Empty,
                Cell::Wan(12346.17),
            ]),
        };
        let bytes = write(&sheet).unwrap();
        let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = wb.worksheet_range("项目库").unwrap();
        assert_eq!(
            range.get_value((0, 0)),
            Some(&Data::String("桃江县重点建设项目库".into()))
        );
        assert_eq!(
            range.get_value((3, 1)),
            Some(&Data::String("=HYPERLINK(\"http://x\")".into()))
        );
        assert_eq!(range.get_value((3, 2)), Some(&Data::Float(12345.67)));
        assert_eq!(range.get_value((5, 0)), Some(&Data::String("合计".into())));
        let formulas = wb.worksheet_formula("项目库").unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "no cell may hold a formula"
        );
    }

    #[test]
    fn quote_prefix_rule() {
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"] {
            assert!(needs_quote_prefix(s));
        }
        assert!(!needs_quote_prefix("桃江"));
        assert!(!needs_quote_prefix(""));
    }
}
