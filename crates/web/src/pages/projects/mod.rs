//! The project library: the list (filters in the URL, sorting, pages, .xlsx), one project
//! with its stage history and audit, creating and editing, and stage changes.

mod detail;
mod form;
mod list;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use detail::{project_detail, project_stage};
use form::{project_create, project_edit, project_new, project_update};
use list::{project_export, project_list};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects", get(project_list))
        .route("/projects.xlsx", get(project_export))
        .route("/projects/new", get(project_new).post(project_create))
        .route("/projects/{id}", get(project_detail))
        .route(
            "/projects/{id}/edit",
            get(project_edit).post(project_update),
        )
        .route("/projects/{id}/stage", post(project_stage))
}
