//! Server-rendered pages, one module per capability — the same names as `service` and
//! `db/repo`. Post/Redirect/Get for successful forms; forms with errors are re-rendered with
//! the message at each field. This module holds what every page module shares.

mod account;
mod admin;
mod assessment;
mod board;
mod briefings;
pub(crate) mod dispatch;
mod evaluation;
mod import;
mod org;
pub(crate) mod pipeline;
mod problems;
mod projects;
mod stats;
mod survey;

use crate::AppState;
use crate::auth::{FormData, Signed};
use crate::views::{Choice, Chrome};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use keyproj_domain::authz::Action;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(account::routes())
        .merge(admin::routes())
        .merge(board::routes())
        .merge(briefings::routes())
        .merge(dispatch::routes())
        .merge(evaluation::routes())
        .merge(import::routes())
        .merge(org::routes())
        .merge(pipeline::routes())
        .merge(assessment::routes())
        .merge(problems::routes())
        .merge(projects::routes())
        .merge(stats::routes())
        .merge(survey::routes())
}

/// Largest upload of a file on its own (the 20 MB file limit plus the form around it).
pub(crate) const UPLOAD_LIMIT: usize = 21 * 1024 * 1024;

/// Forms that carry files with typed text: large enough that an oversized file is refused at its
/// field (with the typed text kept) rather than by the body limit.
pub(crate) const UPLOAD_FORM_LIMIT: usize = 64 * 1024 * 1024;

pub(crate) fn allowed(s: &Signed, a: Action) -> bool {
    s.info.actor.may(a)
}

pub(crate) fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A PDF to open in the browser (inline: it shows, prints or saves from there).
/// An id in a path: anything but a positive number is a page that does not exist.
pub(crate) fn id_of(s: &str) -> Result<i64, crate::error::PageError> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(crate::error::PageError(
            keyproj_service::ServiceError::NotFound,
        ))
}

/// Center staff (who compose, compute and issue).
/// Center staff pass; a county leader (who reads these pages) may not act, 403; anyone else
/// does not find them, 404 — the same answer a GET gives.
pub(crate) fn staff_only(signed: &crate::auth::Signed) -> Result<(), crate::error::PageError> {
    use keyproj_domain::authz::Role;
    let a = &signed.ctx.actor;
    if a.has(Role::CenterStaff) {
        Ok(())
    } else if a.has(Role::CountyLeader) {
        Err(keyproj_service::ServiceError::Forbidden.into())
    } else {
        Err(keyproj_service::ServiceError::NotFound.into())
    }
}

pub(crate) fn is_staff(signed: &crate::auth::Signed) -> bool {
    signed
        .ctx
        .actor
        .has(keyproj_domain::authz::Role::CenterStaff)
}

/// A Word file to download under its Chinese name.
pub(crate) fn docx_response(name: &str, bytes: Vec<u8>) -> Response {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                    .to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"document.docx\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"document.pdf\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A text input of a form, with its value and error.
pub(crate) struct TextField {
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    pub(crate) value: String,
    pub(crate) hint: &'static str,
    pub(crate) required: bool,
    pub(crate) wide: bool,
    pub(crate) error: Option<String>,
}

/// A select of a form.
pub(crate) struct SelectField {
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    pub(crate) options: Vec<Choice>,
    pub(crate) required: bool,
    pub(crate) multiple: bool,
    pub(crate) disabled: bool,
    pub(crate) error: Option<String>,
}

/// A submitted field carried through the confirmation page.
pub(crate) struct Hidden {
    pub(crate) name: String,
    pub(crate) value: String,
}

/// The page that asks before an official act (issuing a document, publishing a table, freezing
/// a plan). It works without script: the submitted form comes back as hidden fields with
/// `confirmed=1`, and only that second post acts. Nothing is lost if the person goes back.
#[derive(Template, WebTemplate)]
#[template(path = "shared/confirm.html")]
pub(crate) struct ConfirmPage {
    chrome: Chrome,
    title: String,
    lines: Vec<String>,
    warning: &'static str,
    action: String,
    fields: Vec<Hidden>,
    button: &'static str,
    back: String,
    /// 返回修改 posts the fields back (with `confirmed=back`) so the form shows them again.
    back_posts: bool,
}

impl ConfirmPage {
    /// The person pressed 返回修改 on the confirmation page: show the form again, filled in.
    pub(crate) fn going_back(form: &FormData) -> bool {
        form.get("confirmed") == "back"
    }

    /// Asks for `action` unless the form already says `confirmed=1`.
    pub(crate) fn unless_confirmed(
        signed: &Signed,
        form: &FormData,
        action: &str,
        title: &str,
        lines: Vec<String>,
        button: &'static str,
        back: &str,
    ) -> Option<Response> {
        if form.get("confirmed") == "1" {
            return None;
        }
        // forms with typed input take their values back; the others are plain links
        let back_posts = form.0.iter().any(|(k, v)| {
            !matches!(k.as_str(), "csrf" | "year" | "what" | "month") && !v.is_empty()
        });
        Some(
            ConfirmPage {
                chrome: Chrome::new(signed, ""),
                title: title.to_string(),
                lines,
                warning: "确认后即生效，不能撤回。",
                action: action.to_string(),
                fields: form
                    .0
                    .iter()
                    .filter(|(k, _)| k != "confirmed")
                    .map(|(name, value)| Hidden {
                        name: name.clone(),
                        value: value.clone(),
                    })
                    .collect(),
                button,
                back: back.to_string(),
                back_posts,
            }
            .into_response(),
        )
    }
}

/// The chosen files of a form's `file` input.
pub(crate) fn chosen_files(files: Vec<crate::auth::Upload>) -> Vec<(String, Vec<u8>)> {
    files
        .into_iter()
        .filter(|f| f.field == "file")
        .map(|f| (f.file_name, f.bytes))
        .collect()
}

/// Stores every chosen file or none (each checked and named first); who may attach is asked
/// before anything is said about the files.
pub(crate) async fn store_files(
    s: &AppState,
    signed: &Signed,
    owner: keyproj_service::attachments::Owner,
    files: Vec<(String, Vec<u8>)>,
) -> Result<(), keyproj_service::ServiceError> {
    if files.is_empty() {
        keyproj_service::attachments::may_attach(&s.app, &signed.ctx, owner).await?;
        return Err(
            keyproj_domain::FieldError::new("file", "required", "请选择要上传的文件").into(),
        );
    }
    keyproj_service::attachments::attach_all(&s.app, &signed.ctx, owner, files)
        .await
        .map(|_| ())
}
