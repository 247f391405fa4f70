//! 部门整体支出绩效自评 over JSON (issue #13): the year's ledger (read and kept at the version
//! read), the year's score with every leaf's working, the L1 scores, the total and the grade,
//! the report (composed or issued; its texts kept; issued and frozen), and the surveys counted.

use crate::AppState;
use crate::auth::{ApiCaller, JsonBody};
use crate::error::{ApiError, ApiErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use keyproj_domain::evaluation::Ledger;
use keyproj_service::ServiceError;
use keyproj_service::evaluation as svc;
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/self-evaluation/{year}", get(year))
        .route("/self-evaluation/{year}/ledger", get(ledger).put(save))
        .route(
            "/self-evaluation/{year}/ledger/import",
            post(import_ledger).layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024)),
        )
        .route(
            "/self-evaluation/{year}/template",
            get(template).put(save_template),
        )
        .route("/self-evaluation/{year}/report", get(report))
        .route("/self-evaluation/{year}/report/texts", put(save_texts))
        .route("/self-evaluation/{year}/report/issue", post(issue))
        .route("/self-evaluation/{year}/surveys", get(surveys))
        .route("/surveys/{id}", get(survey))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        year,
        ledger,
        save,
        import_ledger,
        report,
        save_texts,
        issue,
        surveys,
        survey
    ),
    components(schemas(LedgerIn, TextsIn, IssueIn, TemplateIn))
)]
pub(super) struct Doc;

fn year_of(s: &str) -> Result<i32, ApiError> {
    s.parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or(ApiError(ServiceError::NotFound))
}

/// The year scored: the ledger, keyproj's own figures, the template, and `evaluation`
/// (`leaves` as [L1, L2, name, weight, {points, working, review}], `l1` as [name, weight,
/// points], `total` and `grade`; points in hundredths). Center staff and county leaders.
#[utoipa::path(get, path = "/api/v1/self-evaluation/{year}", params(("year" = i32, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn year(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let v = svc::evaluate(&s.app, &c.ctx, year_of(&y)?).await?;
    Ok(Json(serde_json::to_value(&v).unwrap_or_default()))
}

/// The year's ledger with its version (404 before it is kept).
#[utoipa::path(get, path = "/api/v1/self-evaluation/{year}/ledger", params(("year" = i32, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)))]
async fn ledger(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let row = svc::ledger(&s.app, &c.ctx, year_of(&y)?)
        .await?
        .ok_or(ApiError(ServiceError::NotFound))?;
    Ok(Json(serde_json::to_value(&row).unwrap_or_default()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LedgerIn {
    /// The version read; absent for the year's first ledger.
    #[serde(default)]
    version: Option<i64>,
    /// Amounts in fen: income by source, 基本支出 and its classes, 项目支出 and its lines,
    /// 结转结余, 三公 parts, budget and last year's total, answered checklists and judgements.
    #[schema(value_type = Object)]
    ledger: Ledger,
}

/// Keeps the year's ledger (center staff): totals must reconcile, or the line that is off is
/// named with how far; nothing is written.
#[utoipa::path(put, path = "/api/v1/self-evaluation/{year}/ledger", params(("year" = i32, Path)), request_body = LedgerIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn save(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
    JsonBody(b): JsonBody<LedgerIn>,
) -> Result<Response, ApiError> {
    svc::save_ledger(&s.app, &c.ctx, year_of(&y)?, &b.ledger, b.version).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The year's report: `doc` (title, blocks of the seven chapters, score rows, project sheets),
/// the typed `texts` with `texts_version`, `issued` (number, date, by) once issued, and the
/// problems and measures the lost points suggest.
#[utoipa::path(get, path = "/api/v1/self-evaluation/{year}/report", params(("year" = i32, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn report(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let r = svc::report(&s.app, &c.ctx, year_of(&y)?).await?;
    Ok(Json(serde_json::to_value(&r).unwrap_or_default()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TextsIn {
    /// The texts' version read; absent the first time.
    #[serde(default)]
    version: Option<i64>,
    /// goals, work, basis, problems, suggestions.
    #[schema(value_type = Object)]
    texts: keyproj_domain::evaluation::report::ReportTexts,
}

/// Keeps the report's typed words (center staff) until it is issued.
#[utoipa::path(put, path = "/api/v1/self-evaluation/{year}/report/texts", params(("year" = i32, Path)), request_body = TextsIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn save_texts(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
    JsonBody(b): JsonBody<TextsIn>,
) -> Result<Response, ApiError> {
    svc::save_texts(&s.app, &c.ctx, year_of(&y)?, &b.texts, b.version).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct IssueIn {
    /// The texts' version the caller read (null when none were saved): a change since is 409.
    texts_version: Option<i64>,
}

/// Issues the year's report (center staff): numbered and frozen. Refused (422) without goals
/// and basis, 409 when the texts changed since read, 422 when already issued.
#[utoipa::path(post, path = "/api/v1/self-evaluation/{year}/report/issue", params(("year" = i32, Path)), request_body = IssueIn,
    responses((status = 200, body = Object), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn issue(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
    JsonBody(b): JsonBody<IssueIn>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let i = svc::issue(&s.app, &c.ctx, year_of(&y)?, b.texts_version).await?;
    Ok(Json(serde_json::to_value(&i).unwrap_or_default()))
}

/// The year's surveys with their answers counted (`tally`: per question the counts of each
/// choice and the texts; `satisfied` of `scale_replies`). Center staff and county leaders.
#[utoipa::path(get, path = "/api/v1/self-evaluation/{year}/surveys", params(("year" = i32, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)))]
async fn surveys(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let v = keyproj_service::survey::list(&s.app, &c.ctx, Some(year_of(&y)?)).await?;
    Ok(Json(serde_json::to_value(&v).unwrap_or_default()))
}

/// One survey of the caller's county with its answers counted.
#[utoipa::path(get, path = "/api/v1/surveys/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)))]
async fn survey(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = crate::api::id_of(&id)?;
    let v = keyproj_service::survey::get(&s.app, &c.ctx, id).await?;
    Ok(Json(serde_json::to_value(&v).unwrap_or_default()))
}

/// Imports the year's ledger from its 部门收支账表 workbook (center staff): the figures and
/// the profile from the sheet, the checklists and judgements kept; all or nothing, every line
/// that cannot be read named (`row12`), nothing written on refusal.
#[utoipa::path(post, path = "/api/v1/self-evaluation/{year}/ledger/import", params(("year" = i32, Path)),
    request_body(content_type = "multipart/form-data", description = "field `file`: .xlsx"),
    responses((status = 204), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn import_ledger(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
    mut multipart: crate::params::Multipart,
) -> Result<Response, ApiError> {
    let year = year_of(&y)?;
    let (_, bytes) = multipart
        .file("file", "账表文件不能超过2 MB")
        .await
        .map_err(|e| ApiError(e.into()))?
        .ok_or_else(|| {
            ApiError(
                keyproj_domain::FieldError::new(
                    "file",
                    "required",
                    "请上传 .xlsx 文件（字段 file）",
                )
                .into(),
            )
        })?;
    svc::import_ledger(&s.app, &c.ctx, year, &bytes).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The indicator template the county scores the year by (`version` null while it is the
/// national default): `roots` (L1/L2/L3 nodes with `weight` in hundredths and leaves' `measure`
/// and `rule`), `grades` (inclusive lower bounds), `basis`, `not_applicable`.
#[utoipa::path(get, path = "/api/v1/self-evaluation/{year}/template", params(("year" = i32, Path)),
    responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)))]
async fn template(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (t, version) = svc::template(&s.app, &c.ctx, year_of(&y)?).await?;
    Ok(Json(serde_json::json!({"version": version, "template": t})))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TemplateIn {
    /// The version read; absent while the year is on the default.
    #[serde(default)]
    version: Option<i64>,
    #[schema(value_type = Object)]
    template: keyproj_domain::evaluation::Template,
}

/// Adopts the year's template (center staff): weights that add up at every level, rules
/// without gaps, grades in order, each measure once; the node at fault named, nothing written.
#[utoipa::path(put, path = "/api/v1/self-evaluation/{year}/template", params(("year" = i32, Path)), request_body = TemplateIn,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn save_template(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(y): Path<String>,
    JsonBody(b): JsonBody<TemplateIn>,
) -> Result<Response, ApiError> {
    svc::save_template(&s.app, &c.ctx, year_of(&y)?, &b.template, b.version).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
