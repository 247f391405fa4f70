//! The import page: download the template, upload a workbook, see the summary or every
//! problem (sheet, row, column, value, reason). Nothing is written when there is a problem.

use super::*;
use axum::extract::Multipart;
use keyproj_service::import::{ImportError, Problem, Summary, import_bytes};

/// Largest upload accepted on this route (the workbook limit plus the form around it).
pub(super) const UPLOAD_LIMIT: usize = 21 * 1024 * 1024;

#[derive(Template, WebTemplate)]
#[template(path = "import.html")]
pub(super) struct ImportPage {
    chrome: Chrome,
    summary: Option<Summary>,
    error: Option<String>,
    problems: Vec<Problem>,
}

pub(super) async fn import_page(signed: Signed) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ManagePlans) {
        return Err(ServiceError::Forbidden.into());
    }
    Ok(ImportPage {
        chrome: Chrome::new(&signed, "import"),
        summary: None,
        error: None,
        problems: vec![],
    }
    .into_response())
}

pub(super) async fn import_template(signed: Signed) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ViewProject) {
        return Err(ServiceError::Forbidden.into());
    }
    let bytes =
        keyproj_office::workbook::template().map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(xlsx_response("重点项目导入模板.xlsx", bytes))
}

pub(super) async fn import_upload(
    State(s): State<AppState>,
    signed: Signed,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut csrf = String::new();
    let mut file: Option<Vec<u8>> = None;
    let page = |summary, error: Option<String>, problems| ImportPage {
        chrome: Chrome::new(&signed, "import"),
        summary,
        error,
        problems,
    };
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
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
    match import_bytes(&s.app, &signed.ctx, &bytes, &Default::default()).await {
        Ok(sum) => Ok(page(Some(sum), None, vec![]).into_response()),
        Err(ImportError::File(m)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(None, Some(format!("未导入：{m}")), vec![]),
        )
            .into_response()),
        Err(ImportError::Problems(p)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                None,
                Some(format!(
                    "未导入任何数据：发现{}处问题，请修改后重新上传。",
                    p.len()
                )),
                p,
            ),
        )
            .into_response()),
        Err(ImportError::Service(e)) => Err(e.into()),
    }
}
