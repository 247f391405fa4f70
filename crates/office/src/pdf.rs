//! PDF of a generated .docx or .xlsx through LibreOffice headless (`soffice`), when the server
//! has it: the red-header document and the A3 colour table print exactly as their Office files
//! do, with the fonts the server has. Without LibreOffice the caller offers the Office file.
//!
//! Why LibreOffice and not a pure-Rust PDF writer: the documents are laid out once (the .docx
//! and .xlsx writers, with GB/T 9704 margins and the sheet's print setup); a second layout
//! engine would drift from them, and Chinese text needs font embedding and line breaking that
//! LibreOffice already does.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why no PDF was made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("LibreOffice (soffice) is not installed")]
    NotInstalled,
    #[error("LibreOffice did not finish within {0:?}")]
    TimedOut(Duration),
    #[error("LibreOffice failed: {0}")]
    Failed(String),
}

/// One conversion at a time: LibreOffice is heavy, and a second instance on a two-core
/// server would only make both slower.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The longest a conversion may take before it is abandoned.
const LIMIT: Duration = Duration::from_secs(90);

/// Converts `bytes` (an Office file with extension `ext`: "docx" or "xlsx") to PDF. Blocking:
/// call it from a blocking task.
/// `KEYPROJ_SOFFICE` names the program when it is not `soffice` on the PATH.
pub fn convert(bytes: &[u8], ext: &str) -> Result<Vec<u8>, PdfError> {
    let program = std::env::var("KEYPROJ_SOFFICE").unwrap_or_else(|_| "soffice".into());
    convert_with(&program, bytes, ext)
}

fn convert_with(program: &str, bytes: &[u8], ext: &str) -> Result<Vec<u8>, PdfError> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch_dir().map_err(|e| PdfError::Failed(e.to_string()))?;
    let result = (|| {
        let input = dir.join(format!("document.{ext}"));
        std::fs::write(&input, bytes).map_err(|e| PdfError::Failed(e.to_string()))?;
        let mut child = Command::new(program)
            .arg(format!(
                "-env:UserInstallation=file://{}",
                dir.join("profile").display()
            ))
            .args([
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
            ])
            .arg(&dir)
            .arg(&input)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => PdfError::NotInstalled,
                _ => PdfError::Failed(e.to_string()),
            })?;
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if started.elapsed() > LIMIT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(PdfError::TimedOut(LIMIT));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(PdfError::Failed(e.to_string())),
            }
        }
        let out = dir.join("document.pdf");
        std::fs::read(&out).map_err(|_| {
            let mut err = String::new();
            if let Some(mut s) = child.stderr.take() {
                use std::io::Read;
                let _ = s.read_to_string(&mut err);
            }
            PdfError::Failed(format!("no PDF written: {}", err.trim()))
        })
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A fresh directory of our own under the system's temporary directory.
fn scratch_dir() -> std::io::Result<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "keyproj-pdf-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_is_not_installed() {
        let r = convert_with("keyproj-no-such-soffice", b"x", "docx");
        assert!(matches!(r, Err(PdfError::NotInstalled)), "{r:?}");
    }
}
