//! 《重点项目建设简报》 over JSON (issue #12): the year's briefings, one briefing (a draft's
//! blocks computed now, an issued one as frozen), composing, changing and discarding a draft,
//! issuing it, and its Word file.

use super::{YearParam, id_of, year_of};
use crate::AppState;
use crate::auth::{ApiCaller, JsonBody};
use crate::error::{ApiError, ApiErrorBody};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyproj_domain::briefing::{HeadDraft, SectionDraft, TaskDraft};
use keyproj_service::briefings::{self as svc, Compose};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/briefings", get(list).post(create))
        .route("/briefings/{id}", get(one).put(update).delete(discard))
        .route("/briefings/{id}/issue", post(issue))
        .route("/briefings/{id}/docx", get(docx))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, one, update, discard, issue, docx),
    components(schemas(BriefingLineOut, BriefingIn, BriefingVersionIn))
)]
pub(super) struct Doc;

#[derive(Serialize, ToSchema)]
struct BriefingLineOut {
    id: i64,
    year: i32,
    /// 第N期 once issued.
    seq: Option<i64>,
    /// draft or issued
    state: String,
    title: String,
    signer: String,
    issued_on: Option<String>,
    /// Tasks planned (draft) or assigned (issued).
    tasks: usize,
    version: i64,
}

/// The year's briefings (this year without `year`): issued in 期号 order, then drafts (staff and leaders); a unit's users
/// see the issued ones.
#[utoipa::path(get, path = "/api/v1/briefings", params(YearParam), responses((status = 200, body = [BriefingLineOut]), (status = 404, body = ApiErrorBody)))]
async fn list(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(q): RawQuery,
) -> Result<Json<Vec<BriefingLineOut>>, ApiError> {
    // the year asked, else this year
    let year = if crate::auth::query_pairs(q.as_deref())
        .get("year")
        .is_empty()
    {
        svc::default_year(&s.app)
    } else {
        year_of(q.as_deref())?
    };
    let rows = svc::of_year(&s.app, &c.ctx, year).await?;
    Ok(Json(
        rows.into_iter()
            .map(|b| BriefingLineOut {
                id: b.id,
                year: b.year,
                seq: b.seq,
                state: b.state.key().into(),
                tasks: if b.seq.is_some() {
                    b.content.tasks.len()
                } else {
                    b.tasks.len()
                },
                title: b.head.title,
                signer: b.head.signer,
                issued_on: b.issued_on.map(|d| d.to_string()),
                version: b.version,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct BriefingIn {
    /// The year (new drafts only).
    year: Option<i32>,
    title: String,
    editor: String,
    signer: String,
    send_to: String,
    copy_to: String,
    /// `[{kind: "text", markup}, {kind: "computed", block, top}]`; blocks: year_figures,
    /// plan_by_category, colour_lists, problems_by_unit, top_projects, assessment_ranking,
    /// signed_and_started.
    #[schema(value_type = Vec<Object>)]
    sections: Vec<SectionDraft>,
    /// `[{title, description, handler_unit_id, deadline}]`
    #[schema(value_type = Vec<Object>)]
    tasks: Vec<TaskDraft>,
    /// The version read (changes only).
    version: i64,
}

impl BriefingIn {
    fn compose(self) -> Compose {
        Compose {
            head: HeadDraft {
                title: self.title,
                editor: self.editor,
                signer: self.signer,
                send_to: self.send_to,
                copy_to: self.copy_to,
            },
            sections: self.sections,
            tasks: self.tasks,
        }
    }
}

/// A new draft (center staff).
#[utoipa::path(post, path = "/api/v1/briefings", request_body = BriefingIn,
    responses((status = 201), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<BriefingIn>,
) -> Result<Response, ApiError> {
    let year = b.year.unwrap_or_else(|| svc::default_year(&s.app));
    let id = svc::create(&s.app, &c.ctx, year, &b.compose()).await?;
    Ok(super::Created::response(id))
}

/// A briefing: the head, the sections, the tasks and `content` — an issued briefing's frozen
/// snapshot, or a draft's blocks as they read now.
#[utoipa::path(get, path = "/api/v1/briefings/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)))]
async fn one(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let v = svc::get(&s.app, &c.ctx, id_of(&id)?).await?;
    Ok(Json(serde_json::to_value(&v).unwrap_or_default()))
}

/// Changes a draft (center staff; an issued briefing is refused).
#[utoipa::path(put, path = "/api/v1/briefings/{id}", params(("id" = i64, Path)), request_body = BriefingIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn update(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<BriefingIn>,
) -> Result<Response, ApiError> {
    let version = b.version;
    svc::update(&s.app, &c.ctx, id_of(&id)?, version, &b.compose()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct BriefingVersionIn {
    version: i64,
}

/// Discards a draft (center staff).
#[utoipa::path(delete, path = "/api/v1/briefings/{id}", params(("id" = i64, Path)), request_body = BriefingVersionIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn discard(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<BriefingVersionIn>,
) -> Result<Response, ApiError> {
    svc::discard(&s.app, &c.ctx, id_of(&id)?, b.version).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Issues a draft (center staff): numbered, blocks snapshotted, tasks registered and assigned.
#[utoipa::path(post, path = "/api/v1/briefings/{id}/issue", params(("id" = i64, Path)), request_body = BriefingVersionIn,
    responses((status = 200, body = Object), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn issue(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<BriefingVersionIn>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let row = svc::issue(&s.app, &c.ctx, id_of(&id)?, b.version).await?;
    Ok(Json(serde_json::to_value(&row).unwrap_or_default()))
}

/// The Word file with the red masthead.
#[utoipa::path(get, path = "/api/v1/briefings/{id}/docx", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (status = 404, body = ApiErrorBody)))]
async fn docx(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (name, bytes) = svc::docx(&s.app, &c.ctx, id_of(&id)?).await?;
    Ok(crate::pages::docx_response(&name, bytes))
}
