//! The import page: download the template, upload a workbook, see the summary or every
//! problem (sheet, row, column, value, reason). Nothing is written when there is a problem.

use crate::AppState;
use crate::auth::{self, Signed};
use crate::error::{PageError, page_error};
use crate::pages::{UPLOAD_LIMIT, allowed, xlsx_response};
use crate::params::Path;
use crate::views::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use keyproj_domain::authz::Action;
use keyproj_service::ServiceError;
use keyproj_service::import::{self, JobOutcome, JobView, Problem, Summary};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/import",
            get(import_page)
                .post(import_upload)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/import/template.xlsx", get(import_template))
        .route("/import/jobs/{id}", get(import_job_page))
}

#[derive(Template, WebTemplate)]
#[template(path = "import/import.html")]
struct ImportPage {
    chrome: Chrome,
    summary: Option<Summary>,
    error: Option<String>,
    problems: Vec<Problem>,
    job: Option<JobView>,
    job_created: String,
    running: bool,
}

async fn import_page(signed: Signed) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ManagePlans) {
        return Err(ServiceError::Forbidden.into());
    }
    Ok(ImportPage {
        chrome: Chrome::new(&signed, "import"),
        summary: None,
        error: None,
        problems: vec![],
        job: None,
        job_created: String::new(),
        running: false,
    }
    .into_response())
}

async fn import_template(signed: Signed) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ViewProject) {
        return Err(ServiceError::Forbidden.into());
    }
    let bytes =
        keyproj_office::workbook::template().map_err(|e| ServiceError::internal("内部处理", e))?;
    Ok(xlsx_response("重点项目导入模板.xlsx", bytes))
}

async fn import_upload(
    State(s): State<AppState>,
    signed: Signed,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut csrf = String::new();
    let mut file: Option<Vec<u8>> = None;
    let mut file_name = String::new();
    let page = |summary, error: Option<String>, problems| ImportPage {
        chrome: Chrome::new(&signed, "import"),
        summary,
        error,
        problems,
        job: None,
        job_created: String::new(),
        running: false,
    };
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                if name == "file" {
                    file_name = field.file_name().unwrap_or("").to_string();
                }
                let data = match field.bytes().await {
                    Ok(b) => b,
                    Err(_) => {
                        return Ok((
                            StatusCode::PAYLOAD_TOO_LARGE,
                            page(None, Some("文件超过上限（20 MB）".into()), vec![]),
                        )
                            .into_response());
                    }
                };
                match name.as_str() {
                    "csrf" => csrf = String::from_utf8_lossy(&data).to_string(),
                    "file" => file = Some(data.to_vec()),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => {
                return Ok((
                    StatusCode::BAD_REQUEST,
                    page(
                        None,
                        Some("上传的内容无法读取（文件可能超过20 MB）".into()),
                        vec![],
                    ),
                )
                    .into_response());
            }
        }
    }
    if !auth::same_secret(&csrf, signed.csrf()) {
        return Ok(page_error(
            StatusCode::FORBIDDEN,
            "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
        ));
    }
    let Some(bytes) = file.filter(|f| !f.is_empty()) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(None, Some("请选择要导入的 .xlsx 文件".into()), vec![]),
        )
            .into_response());
    };
    if !allowed(&signed, Action::ManagePlans) {
        return Err(ServiceError::Forbidden.into());
    }
    let id = import::start_job(&s.app, &signed.ctx, &file_name, bytes).await?;
    Ok(Redirect::to(&format!("/import/jobs/{id}")).into_response())
}

/// A job's progress (refreshing itself each second while it runs) and then its outcome.
async fn import_job_page(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let job = import::job(&s.app, &signed.ctx, &id).await?;
    let (mut summary, mut error, mut problems) = (None, None, vec![]);
    let status = match &job.finished {
        None => StatusCode::OK,
        Some(JobOutcome::Ok { summary: sum }) => {
            summary = Some(sum.clone());
            StatusCode::OK
        }
        Some(JobOutcome::Problems { problems: p }) => {
            error = Some(format!(
                "未导入任何数据：发现{}处问题，请修改后重新上传。",
                p.len()
            ));
            problems = p.clone();
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Some(JobOutcome::Refused { message }) => {
            error = Some(format!("未导入：{message}"));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Some(JobOutcome::Failed { message }) => {
            error = Some(format!("导入失败，未写入任何数据：{message}"));
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    Ok((
        status,
        ImportPage {
            chrome: Chrome::new(&signed, "import"),
            summary,
            error,
            problems,
            running: job.finished.is_none(),
            job_created: crate::views::local_time(&job.created_at),
            job: Some(job),
        },
    )
        .into_response())
}
