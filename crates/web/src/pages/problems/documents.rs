//! An issued document: its printable page (A4), `/documents/{id}.docx` for the Word file
//! made from the same frozen content, and `/documents/{id}.pdf` made from that Word file.

use super::items::doc_class;
use crate::AppState;
use crate::auth::Signed;
use crate::error::PageError;
use crate::params::Path;
use crate::views::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use keyproj_domain::ids::DocumentId;
use keyproj_domain::problem::DocumentKind;
use keyproj_service::ServiceError;
use keyproj_service::problems::documents::{self as svc, IssuedDocument};

#[derive(Template, WebTemplate)]
#[template(path = "problems/document.html")]
pub(super) struct DocumentPage {
    chrome: Chrome,
    d: IssuedDocument,
    colour: &'static str,
    is_minutes: bool,
    /// 2026年12月14日
    issued_on: String,
}

pub(super) async fn page(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let docx = id.ends_with(".docx");
    let pdf = id.ends_with(".pdf");
    let id: DocumentId = id
        .trim_end_matches(".docx")
        .trim_end_matches(".pdf")
        .parse()
        .map_err(|_| ServiceError::NotFound)?;
    let d = svc::document(&s.app, &signed.ctx, id).await?;
    if pdf {
        let file = svc::pdf_of(&s.app, &d).await?;
        return Ok(crate::pages::pdf_response(&file.name, file.bytes));
    }
    if docx {
        let bytes = keyproj_office::docx::official(&svc::docx_of(&d))
            .map_err(|e| ServiceError::internal("writing a Word document", e))?;
        let name = format!("{}.docx", d.document.number);
        let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                        .to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename*=UTF-8''{encoded}"),
                ),
            ],
            bytes,
        )
            .into_response());
    }
    Ok(DocumentPage {
        chrome: Chrome::new(&signed, "problems"),
        colour: doc_class(d.document.kind),
        is_minutes: d.document.kind == DocumentKind::Minutes,
        issued_on: keyproj_domain::month::chinese_date(d.document.issued_on),
        d,
    }
    .into_response())
}
