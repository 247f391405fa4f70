//! Office formats: .xlsx out and in (reading bounded by declared sizes before allocating),
//! .docx in the official style, and SVG charts. No database here: functions take plain rows
//! and return bytes.

pub mod assessment_sheet;
pub mod briefing_doc;
pub mod chart;
pub mod colour_sheet;
pub mod docx;
pub mod evaluation_doc;
pub mod ledger_sheet;
pub mod package;
pub mod pdf;
pub mod qr;
pub mod workbook;
pub mod xlsx;
pub use rust_xlsxwriter::XlsxError;
