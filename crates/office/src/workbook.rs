//! The canonical import workbook: its sheets and exact headers, the template keyproj hands
//! out, and a bounded reader that turns an uploaded .xlsx into rows of text.
//!
//! Reading is defensive: the container is inspected before anything is unpacked (entry count
//! and declared uncompressed size), rows and cells are capped, formulas are never evaluated
//! (only the values stored in the file are read), and every problem is a Chinese sentence.

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use std::collections::BTreeMap;
use std::io::Cursor;

pub const SHEET_PROJECTS: &str = "项目库";
pub const SHEET_PLANS: &str = "年度计划";
pub const SHEET_REPORTS: &str = "月度调度";
pub const SHEET_SIGNED: &str = "签约项目";
pub const SHEET_APPROVALS: &str = "帮代办事项";

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
pub const REPORT_HEADERS: [&str; 6] = [
    "项目编号",
    "报告月份",
    "本月完成投资（万元）",
    "形象进度",
    "存在问题",
    "报送日期",
];

pub const SIGNED_HEADERS: [&str; 12] = [
    "合同编号",
    "项目名称",
    "投资方",
    "投资方来源地",
    "签约日期",
    "协议投资（万元）",
    "行业类别",
    "预计开工",
    "签约活动",
    "活动日期",
    "活动级别",
    "项目编号",
];
pub const APPROVAL_HEADERS: [&str; 12] = [
    "项目编号",
    "审批事项",
    "审批部门",
    "承诺时限（天）",
    "计算方式",
    "代办员",
    "状态",
    "收件日期",
    "受理日期",
    "办结日期",
    "批文号",
    "备注",
];

/// The sheets an import reads, in the order they are applied (projects before what names them).
pub const SHEETS: [&str; 5] = [
    SHEET_PROJECTS,
    SHEET_PLANS,
    SHEET_REPORTS,
    SHEET_SIGNED,
    SHEET_APPROVALS,
];

/// Columns a sheet must have; later ones may be left out (files made before they existed).
pub fn required_columns(sheet: &str) -> usize {
    match sheet {
        // 报送日期 came later: a history month without it counts as reported on time
        SHEET_REPORTS => 5,
        _ => headers_of(sheet).map(|h| h.len()).unwrap_or(0),
    }
}

pub fn headers_of(sheet: &str) -> Option<&'static [&'static str]> {
    match sheet {
        SHEET_PROJECTS => Some(&PROJECT_HEADERS),
        SHEET_PLANS => Some(&PLAN_HEADERS),
        SHEET_REPORTS => Some(&REPORT_HEADERS),
        SHEET_SIGNED => Some(&SIGNED_HEADERS),
        SHEET_APPROVALS => Some(&APPROVAL_HEADERS),
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
    for name in SHEETS {
        let headers = headers_of(name).expect("a sheet of the workbook");
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
                    | "报送日期"
                    | "合同编号"
                    | "签约日期"
                    | "预计开工"
                    | "活动日期"
                    | "收件日期"
                    | "受理日期"
                    | "办结日期"
                    | "批文号"
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
    /// Distinct texts in the shared-string table (each is held in memory while reading).
    pub max_strings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 20 * 1024 * 1024,
            max_entries: 500,
            max_uncompressed: 200 * 1024 * 1024,
            max_rows: 200_000,
            max_cells: 4_000_000,
            max_strings: 1_000_000,
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
///
/// Nothing is allocated from a size the file declares: the container's entry sizes are checked
/// first (the zip reader refuses an entry that inflates past its declared size), the shared
/// string table's declared and actual counts are checked before the spreadsheet reader loads
/// it, and sheets are read cell by cell as a stream, so a lone cell at `XFD1048576` or a
/// `<dimension ref="A1:XFD1048576">` costs nothing and is refused by the row limit.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<SheetRows>, ReadError> {
    let known: Vec<(&str, &[&str], usize)> = SHEETS
        .into_iter()
        .filter_map(|n| headers_of(n).map(|h| (n, h, required_columns(n))))
        .collect();
    read_sheets(bytes, limits, &known).map_err(|e| match e {
        ReadError::File(m) if m.is_empty() => ReadError::File(format!(
            "工作簿中没有可导入的工作表（应为“{SHEET_PROJECTS}”“{SHEET_PLANS}”“{SHEET_REPORTS}”“{SHEET_SIGNED}”“{SHEET_APPROVALS}”之一，请使用系统下载的模板）"
        )),
        e => e,
    })
}

/// [`read`] for any set of sheets: (name, canonical headers, columns required). None of them
/// in the workbook is `ReadError::File` with an empty message, for the caller to name them.
pub fn read_sheets(
    bytes: &[u8],
    limits: &Limits,
    sheets: &[(&str, &[&str], usize)],
) -> Result<Vec<SheetRows>, ReadError> {
    if bytes.len() > limits.max_bytes {
        return Err(ReadError::File(format!(
            "文件超过上限（{} MB）",
            limits.max_bytes / 1024 / 1024
        )));
    }
    check_container(bytes, limits)?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|_| ReadError::File("文件不是有效的 .xlsx 工作簿".into()))?;
    let mut out = vec![];
    let mut problems = vec![];
    let mut cells = 0usize;
    let names = wb.sheet_names();
    let known: Vec<&(&str, &[&str], usize)> = sheets
        .iter()
        .filter(|(n, _, _)| names.iter().any(|x| x == n))
        .collect();
    if known.is_empty() {
        return Err(ReadError::File(String::new()));
    }
    for &&(name, expected, required) in &known {
        let unreadable = || ReadError::File(format!("工作表“{name}”无法读取"));
        let mut reader = wb.worksheet_cells_reader(name).map_err(|_| unreadable())?;
        // Row index (0-based) → the expected columns' text; other columns are only counted.
        let mut grid: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        while let Some(cell) = reader.next_cell().map_err(|_| unreadable())? {
            let (r, c) = cell.get_position();
            if r as usize > limits.max_rows {
                return Err(ReadError::File(format!(
                    "工作表“{name}”超过{}行上限",
                    limits.max_rows
                )));
            }
            cells += 1;
            if cells > limits.max_cells {
                return Err(ReadError::File(format!(
                    "工作簿单元格数超过上限（{}）",
                    limits.max_cells
                )));
            }
            let c = c as usize;
            if c >= expected.len() {
                continue;
            }
            let value: Data = cell.get_value().clone().into();
            let text = match cell_text(&value) {
                Ok(v) => v,
                Err(reason) => {
                    if r > 0 {
                        problems.push(CellProblem {
                            sheet: name.into(),
                            row: r as usize + 1,
                            column: expected[c].into(),
                            value: format!("{value}"),
                            reason,
                        });
                    }
                    String::new()
                }
            };
            if text.is_empty() {
                continue;
            }
            grid.entry(r)
                .or_insert_with(|| vec![String::new(); expected.len()])[c] = text;
        }
        let header = grid.remove(&0).unwrap_or_default();
        let header: Vec<&str> = header
            .iter()
            .map(|s| s.as_str())
            .take_while(|s| !s.is_empty())
            .collect();
        if header.len() < required || header[..] != expected[..header.len().min(expected.len())] {
            return Err(ReadError::File(format!(
                "工作表“{name}”的表头与模板不一致：应为 {}",
                expected.join("、")
            )));
        }
        out.push(SheetRows {
            name: name.to_string(),
            rows: grid
                .into_iter()
                .map(|(r, values)| (r as usize + 1, values))
                .collect(),
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        problems.sort_by_key(|p| (p.sheet.clone(), p.row));
        Err(ReadError::Cells(problems))
    }
}

/// Inspects the container before the spreadsheet reader sees it: entry count, declared sizes,
/// compression ratio, and the shared string table (its declared `count`/`uniqueCount` and the
/// strings it really holds), all against the limits.
fn check_container(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        ReadError::File("文件不是有效的 .xlsx 工作簿（请用 Excel 或 WPS 另存为 .xlsx 格式）".into())
    })?;
    if zip.len() > limits.max_entries {
        return Err(ReadError::File(
            "工作簿结构异常（内部文件过多），已拒绝".into(),
        ));
    }
    let mut declared = 0u64;
    let mut string_tables = vec![];
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
        // The spreadsheet reader finds parts case-insensitively and with either slash.
        let normalised = f
            .name()
            .map_err(|_| ReadError::File("工作簿已损坏".into()))?
            .replace('\\', "/")
            .to_ascii_lowercase();
        if normalised.ends_with("sharedstrings.xml") {
            string_tables.push(i);
        }
    }
    if declared > limits.max_uncompressed {
        return Err(ReadError::File(format!(
            "工作簿解压后超过上限（{} MB），已拒绝",
            limits.max_uncompressed / 1024 / 1024
        )));
    }
    for i in string_tables {
        let f = zip
            .by_index(i)
            .map_err(|_| ReadError::File("工作簿已损坏".into()))?;
        count_shared_strings(std::io::BufReader::new(f), limits.max_strings)?;
    }
    Ok(())
}

/// Streams a shared string table, refusing it when its declared or actual number of strings
/// exceeds `max` (a workbook cannot use more strings than it may have cells).
fn count_shared_strings<R: std::io::BufRead>(xml: R, max: usize) -> Result<(), ReadError> {
    use quick_xml::events::Event;
    let refused = || ReadError::File(format!("工作簿的共享字符串数超过上限（{max}），已拒绝"));
    let broken = || ReadError::File("工作簿已损坏（共享字符串表无法读取）".into());
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::with_capacity(1024);
    let mut strings = 0usize;
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).map_err(|_| broken())? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "sst" => {
                    for a in e.attributes() {
                        let a = a.map_err(|_| broken())?;
                        if matches!(a.key.local_name().as_ref(), "count" | "uniqueCount") {
                            let declared =
                                a.value.trim().parse::<u128>().ok().ok_or_else(broken)?;
                            if declared > max as u128 {
                                return Err(refused());
                            }
                        }
                    }
                }
                "si" => {
                    strings += 1;
                    if strings > max {
                        return Err(refused());
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(()),
            _ => {}
        }
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
            SHEETS.to_vec()
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
                    String::new(),
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

    /// The canonical 月度调度 sheet with one row, with one part of the package rewritten.
    fn rewritten(part: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
        use std::io::{Read, Write};
        let rows = vec![vec!["TJ-1", "2022-01", "1", "主体施工", ""]];
        let original = book(SHEET_REPORTS, &REPORT_HEADERS, &rows, &[]);
        let mut zin = zip::ZipArchive::new(Cursor::new(original)).unwrap();
        let mut buf = Cursor::new(Vec::new());
        {
            let mut zout = zip::ZipWriter::new(&mut buf);
            for i in 0..zin.len() {
                let mut f = zin.by_index(i).unwrap();
                let name = f.name().unwrap().to_string();
                let mut text = String::new();
                f.read_to_string(&mut text).unwrap();
                if name == part {
                    text = edit(text);
                }
                zout.start_file(name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                zout.write_all(text.as_bytes()).unwrap();
            }
            zout.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn declared_string_count_is_checked_before_the_reader_allocates() {
        // 7 KB that once made the reader reserve 2.4 TB and abort the process.
        let bomb = rewritten("xl/sharedStrings.xml", |t| {
            t.replacen("uniqueCount=\"", "uniqueCount=\"100000000000\" x=\"", 1)
        });
        assert!(bomb.len() < 10_000);
        let e = read(&bomb, &Limits::default()).unwrap_err();
        assert!(
            matches!(&e, ReadError::File(m) if m.contains("共享字符串数超过上限")),
            "{e:?}"
        );
        let count = rewritten("xl/sharedStrings.xml", |t| {
            t.replacen(" count=\"", " count=\"99999999999999999999\" y=\"", 1)
        });
        assert!(matches!(
            read(&count, &Limits::default()),
            Err(ReadError::File(_))
        ));
        // more strings than the limit allows, each one real
        let many = rewritten("xl/sharedStrings.xml", |t| {
            let extra = "<si><t>x</t></si>".repeat(50);
            t.replacen("</sst>", &format!("{extra}</sst>"), 1)
        });
        let small = Limits {
            max_strings: 20,
            ..Limits::default()
        };
        assert!(
            matches!(read(&many, &small), Err(ReadError::File(m)) if m.contains("共享字符串数超过上限"))
        );
    }

    #[test]
    fn a_far_cell_or_a_huge_dimension_costs_nothing() {
        // one cell at the last column of the last row
        let far = rewritten("xl/worksheets/sheet1.xml", |t| {
            t.replacen(
                "</sheetData>",
                "<row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row></sheetData>",
                1,
            )
        });
        assert!(far.len() < 10_000);
        let e = read(&far, &Limits::default()).unwrap_err();
        assert!(
            matches!(&e, ReadError::File(m) if m.contains("200000行上限")),
            "{e:?}"
        );
        // a declared dimension of the whole sheet over ordinary content reads normally
        let dim = rewritten("xl/worksheets/sheet1.xml", |t| {
            let start = t.find("<dimension ref=\"").unwrap() + "<dimension ref=\"".len();
            let end = start + t[start..].find('"').unwrap();
            format!("{}A1:XFD1048576{}", &t[..start], &t[end..])
        });
        let sheets = read(&dim, &Limits::default()).unwrap();
        assert_eq!(sheets[0].rows.len(), 1);
        assert_eq!(sheets[0].rows[0].1[0], "TJ-1");
        // a cell far to the right in an ordinary row is counted, not stored
        let wide = rewritten("xl/worksheets/sheet1.xml", |t| {
            t.replacen("</row>", "<c r=\"XFD1\"><v>7</v></c></row>", 1)
        });
        assert_eq!(read(&wide, &Limits::default()).unwrap()[0].rows.len(), 1);
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
