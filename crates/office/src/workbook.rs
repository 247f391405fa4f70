//! The canonical import workbook: its sheets and exact headers, the template keyproj hands
//! out, and a bounded reader that turns an uploaded .xlsx into rows of text.
//!
//! Reading is defensive: the container is inspected before anything is unpacked (entry count
//! and declared uncompressed size), rows and cells are capped, formulas are never evaluated
//! (only the values stored in the file are read), and every problem is a Chinese sentence.

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use std::io::Cursor;

pub const SHEET_PROJECTS: &str = "项目库";
pub const SHEET_PLANS: &str = "年度计划";
pub const SHEET_REPORTS: &str = "月度调度";

pub const PROJECT_HEADERS: [&str; 17] = [
    "项目编号",
    "项目名称",
    "项目代码",
    "项目级别",
    "建设阶段",
    "行业类别",
    "所属乡镇",
    "业主单位",
    "建设内容及规模",
    "总投资（万元）",
    "计划开工",
    "计划竣工",
    "实际开工",
    "实际竣工",
    "县级联系领导",
    "牵头单位",
    "责任单位",
];
pub const PLAN_HEADERS: [&str; 17] = [
    "项目编号",
    "年度",
    "年度类别",
    "年度计划投资（万元）",
    "年度目标",
    "1月",
    "2月",
    "3月",
    "4月",
    "5月",
    "6月",
    "7月",
    "8月",
    "9月",
    "10月",
    "11月",
    "12月",
];
pub const REPORT_HEADERS: [&str; 5] = [
    "项目编号",
    "报告月份",
    "本月完成投资（万元）",
    "形象进度",
    "存在问题",
];

pub fn headers_of(sheet: &str) -> Option<&'static [&'static str]> {
    match sheet {
        SHEET_PROJECTS => Some(&PROJECT_HEADERS),
        SHEET_PLANS => Some(&PLAN_HEADERS),
        SHEET_REPORTS => Some(&REPORT_HEADERS),
        _ => None,
    }
}

/// The empty template with the exact headers (and a note row explaining each sheet).
pub fn template() -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_background_color(rust_xlsxwriter::Color::RGB(0xDDE6F0))
        .set_font_name("宋体");
    let text = Format::new().set_num_format("@");
    for (name, headers) in [
        (SHEET_PROJECTS, &PROJECT_HEADERS[..]),
        (SHEET_PLANS, &PLAN_HEADERS[..]),
        (SHEET_REPORTS, &REPORT_HEADERS[..]),
    ] {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &head)?;
            ws.set_column_width(
                c as u16,
                if h.contains("内容")
                    || h.contains("目标")
                    || h.contains("进度")
                    || h.contains("问题")
                {
                    30.0
                } else {
                    14.0
                },
            )?;
            // Codes and months as text, so Excel does not turn 2022-03 into a date or drop zeros.
            if matches!(
                *h,
                "项目编号"
                    | "项目代码"
                    | "报告月份"
                    | "计划开工"
                    | "计划竣工"
                    | "实际开工"
                    | "实际竣工"
            ) {
                ws.set_column_format(c as u16, &text)?;
            }
        }
        ws.set_freeze_panes(1, 0)?;
    }
    wb.save_to_buffer()
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_entries: usize,
    pub max_uncompressed: u64,
    pub max_rows: usize,
    pub max_cells: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 20 * 1024 * 1024,
            max_entries: 500,
            max_uncompressed: 200 * 1024 * 1024,
            max_rows: 200_000,
            max_cells: 4_000_000,
        }
    }
}

/// One sheet's rows as text, with their 1-based row numbers in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetRows {
    pub name: String,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// A cell problem found while reading (not yet a field check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    pub sheet: String,
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The whole file is refused.
    File(String),
    /// Some cells are unreadable.
    Cells(Vec<CellProblem>),
}

/// Excel's day 0 is 1899-12-30 (after the 1900 leap-year bug).
fn serial_to_date(serial: f64) -> Option<String> {
    let days = serial.floor() as i64;
    if !(1..=2_958_465).contains(&days) {
        return None;
    }
    // Civil-from-days (Howard Hinnant), from 1970-01-01 = serial 25569.
    let z = days - 25569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

fn cell_text(d: &Data) -> Result<String, String> {
    Ok(match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        // Shortest exact decimal of the stored number: 12345.67 stays "12345.67".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => format!("{f}"),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(dt) => {
            serial_to_date(dt.as_f64()).ok_or_else(|| "日期超出范围".to_string())?
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(format!("单元格含错误值（{e}）")),
    })
}

/// Reads the known sheets of a workbook. Unknown sheets are ignored; a known sheet must have
/// exactly the canonical headers in its first row.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<SheetRows>, ReadError> {
    if bytes.len() > limits.max_bytes {
        return Err(ReadError::File(format!(
            "文件超过上限（{} MB）",
            limits.max_bytes / 1024 / 1024
        )));
    }
    // Inspect the container before unpacking anything.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        ReadError::File("文件不是有效的 .xlsx 工作簿（请用 Excel 或 WPS 另存为 .xlsx 格式）".into())
    })?;
    if zip.len() > limits.max_entries {
        return Err(ReadError::File(
            "工作簿结构异常（内部文件过多），已拒绝".into(),
        ));
    }
    let mut declared = 0u64;
    for i in 0..zip.len() {
        let f = zip
            .by_index_raw(i)
            .map_err(|_| ReadError::File("工作簿已损坏".into()))?;
        declared = declared.saturating_add(f.size());
        if f.compressed_size() > 0
            && f.size() / f.compressed_size().max(1) > 200
            && f.size() > 10 * 1024 * 1024
        {
            return Err(ReadError::File(
                "工作簿压缩比异常（疑似压缩炸弹），已拒绝".into(),
            ));
        }
    }
    if declared > limits.max_uncompressed {
        return Err(ReadError::File(format!(
            "工作簿解压后超过上限（{} MB），已拒绝",
            limits.max_uncompressed / 1024 / 1024
        )));
    }
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|_| ReadError::File("文件不是有效的 .xlsx 工作簿".into()))?;
    let mut out = vec![];
    let mut problems = vec![];
    let mut cells = 0usize;
    let names = wb.sheet_names();
    let known: Vec<&str> = [SHEET_PROJECTS, SHEET_PLANS, SHEET_REPORTS]
        .into_iter()
        .filter(|n| names.iter().any(|x| x == n))
        .collect();
    if known.is_empty() {
        return Err(ReadError::File(format!(
            "工作簿中没有可导入的工作表（应为“{SHEET_PROJECTS}”“{SHEET_PLANS}”“{SHEET_REPORTS}”之一，请使用系统下载的模板）"
        )));
    }
    for name in known {
        let range = wb
            .worksheet_range(name)
            .map_err(|_| ReadError::File(format!("工作表“{name}”无法读取")))?;
        let (height, width) = range.get_size();
        if height > limits.max_rows + 1 {
            return Err(ReadError::File(format!(
                "工作表“{name}”超过{}行上限",
                limits.max_rows
            )));
        }
        cells += height * width;
        if cells > limits.max_cells {
            return Err(ReadError::File(format!(
                "工作簿单元格数超过上限（{}）",
                limits.max_cells
            )));
        }
        let expected = headers_of(name).expect("known sheet");
        let start = range.start().unwrap_or((0, 0));
        let mut rows = range.rows();
        let header: Vec<String> = rows
            .next()
            .map(|r| r.iter().map(|c| cell_text(c).unwrap_or_default()).collect())
            .unwrap_or_default();
        let header: Vec<&str> = header
            .iter()
            .map(|s| s.as_str())
            .take_while(|s| !s.is_empty())
            .collect();
        if start != (0, 0) || header != expected {
            return Err(ReadError::File(format!(
                "工作表“{name}”的表头与模板不一致：应为 {}",
                expected.join("、")
            )));
        }
        let mut sheet = SheetRows {
            name: name.to_string(),
            rows: vec![],
        };
        for (i, row) in rows.enumerate() {
            let line = i + 2;
            let mut values = vec![];
            for (c, cell) in row.iter().take(expected.len()).enumerate() {
                match cell_text(cell) {
                    Ok(v) => values.push(v),
                    Err(reason) => {
                        problems.push(CellProblem {
                            sheet: name.into(),
                            row: line,
                            column: expected[c].into(),
                            value: format!("{cell}"),
                            reason,
                        });
                        values.push(String::new());
                    }
                }
            }
            values.resize(expected.len(), String::new());
            if values.iter().all(|v| v.is_empty()) {
                continue;
            }
            sheet.rows.push((line, values));
        }
        out.push(sheet);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ReadError::Cells(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serial_dates() {
        assert_eq!(serial_to_date(44621.0).as_deref(), Some("2022-03-01"));
        assert_eq!(serial_to_date(1.0).as_deref(), Some("1899-12-31"));
        assert_eq!(serial_to_date(-5.0), None);
    }

    #[test]
    fn template_reads_back_empty() {
        let t = template().unwrap();
        let sheets = read(&t, &Limits::default()).unwrap();
        assert_eq!(
            sheets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            vec![SHEET_PROJECTS, SHEET_PLANS, SHEET_REPORTS]
        );
        assert!(sheets.iter().all(|s| s.rows.is_empty()));
    }

    fn book(
        name: &str,
        headers: &[&str],
        rows: &[Vec<&str>],
        numbers: &[(u32, u16, f64)],
    ) -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
        for (r, c, v) in numbers {
            ws.write_number(*r, *c, *v).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn rows_numbers_and_formulas() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(SHEET_REPORTS).unwrap();
        for (c, h) in REPORT_HEADERS.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "TJ-1").unwrap();
        ws.write_string(1, 1, "2022-03").unwrap();
        ws.write_number(1, 2, 12345.67).unwrap();
        ws.write_string(1, 3, "主体施工").unwrap();
        // a formula: only its stored result may be read, never evaluated by us
        ws.write_formula(2, 2, rust_xlsxwriter::Formula::new("=1+1").set_result("2"))
            .unwrap();
        ws.write_string(2, 0, "TJ-2").unwrap();
        let sheets = read(&wb.save_to_buffer().unwrap(), &Limits::default()).unwrap();
        assert_eq!(
            sheets[0].rows[0],
            (
                2,
                vec![
                    "TJ-1".into(),
                    "2022-03".into(),
                    "12345.67".into(),
                    "主体施工".into(),
                    String::new()
                ]
            )
        );
        assert_eq!(sheets[0].rows[1].1[2], "2");
    }

    #[test]
    fn refusals() {
        assert!(
            matches!(read(b"not a zip", &Limits::default()), Err(ReadError::File(m)) if m.contains("不是有效"))
        );
        let other = book("Sheet1", &["a"], &[], &[]);
        assert!(
            matches!(read(&other, &Limits::default()), Err(ReadError::File(m)) if m.contains("没有可导入的工作表"))
        );
        let wrong = book(SHEET_REPORTS, &["项目编号", "月份"], &[], &[]);
        assert!(
            matches!(read(&wrong, &Limits::default()), Err(ReadError::File(m)) if m.contains("表头与模板不一致"))
        );
        let rows: Vec<Vec<&str>> = (0..20)
            .map(|_| vec!["TJ-1", "2022-01", "1", "x", ""])
            .collect();
        let big = book(SHEET_REPORTS, &REPORT_HEADERS, &rows, &[]);
        let small = Limits {
            max_rows: 10,
            ..Limits::default()
        };
        assert!(matches!(read(&big, &small), Err(ReadError::File(m)) if m.contains("10行上限")));
        let tiny = Limits {
            max_bytes: 100,
            ..Limits::default()
        };
        assert!(matches!(read(&big, &tiny), Err(ReadError::File(m)) if m.contains("文件超过上限")));
        let low = Limits {
            max_uncompressed: 1000,
            ..Limits::default()
        };
        assert!(
            matches!(read(&big, &low), Err(ReadError::File(m)) if m.contains("解压后超过上限"))
        );
    }

    #[test]
    fn zip_bomb_is_refused_before_unpacking() {
        use std::io::Write;
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file(
                "xl/worksheets/sheet1.xml",
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
            let zeros = vec![b'0'; 1024 * 1024];
            for _ in 0..40 {
                z.write_all(&zeros).unwrap();
            }
            z.finish().unwrap();
        }
        let bytes = buf.into_inner();
        assert!(bytes.len() < 2 * 1024 * 1024);
        assert!(
            matches!(read(&bytes, &Limits::default()), Err(ReadError::File(m)) if m.contains("已拒绝"))
        );
    }
}
