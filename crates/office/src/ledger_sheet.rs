//! The 部门收支账表 workbook: written from the ledger (the template, filled in or empty) and
//! read back under the same canonical headers, bounded like every import.

use crate::workbook::{Limits, ReadError, SheetRows, read_sheets};
use keyproj_domain::evaluation::sheet::{HEADERS, SHEET};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The sheet's lines as a workbook: amounts as numbers with two decimals, everything else as
/// text (never a formula).
pub fn write(rows: &[[String; 6]]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET)?;
    let bold = Format::new().set_bold();
    let amount = Format::new().set_num_format("0.00");
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (c, w) in [12.0, 28.0, 14.0, 14.0, 10.0, 60.0].iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            let c16 = c as u16;
            if v.is_empty() {
                continue;
            }
            match (c, v.parse::<f64>()) {
                (2 | 3, Ok(n)) => ws.write_number_with_format(r, c16, n, &amount)?,
                _ => ws.write_string(r, c16, v)?,
            };
        }
    }
    ws.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
}

/// The sheet's rows (1-based row numbers), or why the file is refused.
pub fn read(bytes: &[u8]) -> Result<SheetRows, ReadError> {
    let limits = Limits {
        max_rows: 2_000,
        max_cells: 20_000,
        max_strings: 20_000,
        ..Limits::default()
    };
    let mut sheets =
        read_sheets(bytes, &limits, &[(SHEET, &HEADERS, HEADERS.len())]).map_err(|e| match e {
            ReadError::File(m) if m.is_empty() => ReadError::File(format!(
                "工作簿中没有“{SHEET}”工作表，请使用系统下载的账表模板"
            )),
            e => e,
        })?;
    sheets
        .pop()
        .ok_or_else(|| ReadError::File(format!("工作簿中没有“{SHEET}”工作表")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyproj_domain::evaluation::reference_ledger;
    use keyproj_domain::evaluation::sheet::{ledger_of, rows_of};

    #[test]
    fn the_ledger_goes_round_the_workbook() {
        let l = reference_ledger();
        let bytes = write(&rows_of(&l)).unwrap();
        let sheet = read(&bytes).unwrap();
        assert_eq!(ledger_of(&sheet.rows, &l).unwrap(), l);
    }

    #[test]
    fn another_workbook_is_refused_by_name() {
        let bytes = crate::workbook::template().unwrap();
        let Err(ReadError::File(m)) = read(&bytes) else {
            panic!("a project workbook read as a ledger")
        };
        assert!(m.contains("部门收支账表"), "{m}");
    }
}
