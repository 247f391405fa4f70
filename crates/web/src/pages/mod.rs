//! Server-rendered pages, one module per area. Post/Redirect/Get for successful forms; forms with errors are
//! re-rendered with the message at each field.

mod account;
mod admin;
mod dispatch_pages;
mod import_pages;
mod org_pages;
mod problem_pages;
mod project_pages;

use account::*;
use admin::*;
use dispatch_pages::*;
pub(crate) use dispatch_pages::{ColourLine, colour_counts, colour_lines};
pub(crate) use import_pages::UPLOAD_LIMIT;
use import_pages::*;
use org_pages::*;
use problem_pages::*;
use project_pages::*;

use crate::AppState;
use crate::auth::{
    self, FormData, Posted, PostedWithFiles, Signed, query_pairs, session_cookie_name, set_cookie,
};
use crate::error::{PageError, page_error};
use crate::params::Path;
use crate::params::{audit_filter_of, list_query_of};
use crate::views::{self, Chrome};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::{Action, Decision, Role};
use keyproj_domain::org::UnitKind;
use keyproj_domain::project::{Industry, Level, ProjectDraft, Stage, allowed_next};
use keyproj_office::xlsx::{self, Cell};
use keyproj_service::projects::{ListQuery, ProjectInput, StageChangeInput};
use keyproj_service::{ServiceError, audit_log, auth as auth_svc, org, projects, users};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/password", get(password_page).post(password_submit))
        .route("/", get(dashboard))
        .route("/projects", get(project_list))
        .route("/projects.xlsx", get(project_export))
        .route("/projects/new", get(project_new).post(project_create))
        .route("/projects/{id}", get(project_detail))
        .route(
            "/projects/{id}/edit",
            get(project_edit).post(project_update),
        )
        .route("/projects/{id}/stage", post(project_stage))
        .route("/org", get(org_page))
        .route("/org/units", post(org_unit_create))
        .route("/org/units/{id}", get(org_unit_edit).post(org_unit_update))
        .route("/org/leaders", post(org_leader_create))
        .route(
            "/org/leaders/{id}",
            get(org_leader_edit).post(org_leader_update),
        )
        .route("/org/thresholds", post(org_threshold))
        .route("/admin/users", get(users_page).post(user_create))
        .route("/admin/users/{id}/{op}", post(user_op))
        .route("/plans", get(plan_list))
        .route("/plans.xlsx", get(plan_list_xlsx))
        .route("/reports.xlsx", get(report_month_xlsx))
        .route("/plans/op/{op}", post(plan_year_op))
        .route("/plans/{project_id}/{year}", get(plan_edit).post(plan_save))
        .route("/reports", get(report_month))
        .route(
            "/reports/{project_id}/{month}",
            // the report form carries up to three photos with the figures
            get(report_form)
                .post(report_submit)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_FORM_LIMIT)),
        )
        .route("/photos/{id}", get(photo))
        .route("/colour", get(colour_preview))
        .route("/colour/publish", post(colour_publish))
        .route("/colour/issues/{id}", get(colour_issue))
        .route("/colour/issues/{id}/xlsx", get(colour_issue_xlsx))
        .route("/colour/rules", get(colour_rules).post(colour_rules_save))
        .route("/stats/annual", get(annual_stats))
        .route(
            "/import",
            get(import_page)
                .post(import_upload)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/import/template.xlsx", get(import_template))
        .route("/import/jobs/{id}", get(import_job_page))
        .route("/problems", get(problem_list).post(problem_create))
        .route("/problems.xlsx", get(problem_export))
        .route("/problems/new", get(problem_new))
        .route("/problems/stats", get(problem_stats))
        .route("/problems/stats.xlsx", get(problem_stats_xlsx))
        .route(
            "/problems/settings",
            get(problem_settings).post(problem_settings_save),
        )
        .route("/problems/{id}", get(problem_detail))
        .route(
            "/problems/{id}/step",
            // the step form carries up to three attachments of 20 MB with the note
            post(problem_step).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_FORM_LIMIT)),
        )
        .route(
            "/problems/{id}/attachments",
            post(item_attach).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/patrols/{id}/attachments",
            post(patrol_attach).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/attachments/{id}", get(attachment_file))
        .route(
            "/reports/{project_id}/{month}/raise",
            post(raise_from_report),
        )
        .route("/documents/{id}", get(document_page))
        .route("/todo", get(todo_page))
        .route("/todo/read", post(todo_read))
        .route("/meetings", get(meeting_list).post(meeting_create))
        .route("/meetings/{id}", get(meeting_detail))
        .route("/meetings/{id}/items", post(meeting_item))
        .route("/meetings/{id}/minutes", post(meeting_minutes))
        .route("/patrols", post(patrol_create))
        .route(
            "/patrols/{id}/finding",
            get(patrol_finding_page).post(patrol_finding),
        )
        .route("/audit", get(audit_page))
        .route("/audit.xlsx", get(audit_export))
        .route("/tokens", get(tokens_page).post(token_create))
        .route("/tokens/{id}/revoke", post(token_revoke))
}

/// Forms that carry files with typed text: large enough that an oversized file is refused at its
/// field (with the typed text kept) rather than by the body limit.
const UPLOAD_FORM_LIMIT: usize = 64 * 1024 * 1024;

fn allowed(s: &Signed, a: Action) -> bool {
    keyproj_domain::authz::authorize(&s.info.actor, a) == Decision::Allow
}

fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
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

/// A text input of a form, with its value and error.
pub(super) struct TextField {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) value: String,
    pub(super) hint: &'static str,
    pub(super) required: bool,
    pub(super) wide: bool,
    pub(super) error: Option<String>,
}

/// A select of a form; options are (value, label, selected).
pub(super) struct SelectField {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) options: Vec<(String, String, bool)>,
    pub(super) required: bool,
    pub(super) multiple: bool,
    pub(super) disabled: bool,
    pub(super) error: Option<String>,
}

/// The page that asks before an official act (issuing a document, publishing a table, freezing
/// a plan). It works without script: the submitted form comes back as hidden fields with
/// `confirmed=1`, and only that second post acts. Nothing is lost if the person goes back.
#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
pub(super) struct ConfirmPage {
    chrome: Chrome,
    title: String,
    lines: Vec<String>,
    warning: &'static str,
    action: String,
    fields: Vec<(String, String)>,
    button: &'static str,
    back: String,
    /// 返回修改 posts the fields back (with `confirmed=back`) so the form shows them again.
    back_posts: bool,
}

impl ConfirmPage {
    /// The person pressed 返回修改 on the confirmation page: show the form again, filled in.
    pub(super) fn going_back(form: &FormData) -> bool {
        form.get("confirmed") == "back"
    }
    /// Asks for `action` unless the form already says `confirmed=1`.
    pub(super) fn unless_confirmed(
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
                    .cloned()
                    .collect(),
                button,
                back: back.to_string(),
                back_posts,
            }
            .into_response(),
        )
    }
}
