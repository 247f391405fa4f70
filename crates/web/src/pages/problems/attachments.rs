//! Files on items and patrols: uploading one (CSRF-checked multipart) and serving it to those
//! who may see its item.

use super::items::detail_page;
use super::workflow::Typed;
use crate::AppState;
use crate::auth::{self, Signed};
use crate::error::{PageError, page_error};
use crate::params::Path;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_domain::ids::{AttachmentId, ItemId, PatrolId};
use keyproj_service::ServiceError;
use keyproj_service::attachments::{Owner, attach, read};

/// A file of a multipart upload (field `file`), once its CSRF token is checked.
struct Uploaded {
    name: String,
    bytes: Vec<u8>,
}

async fn upload_of(
    signed: &Signed,
    mut multipart: axum::extract::Multipart,
) -> Result<Uploaded, Response> {
    let (mut csrf, mut name, mut file) = (String::new(), String::new(), vec![]);
    while let Ok(Some(field)) = multipart.next_field().await {
        let key = field.name().unwrap_or("").to_string();
        if key == "file" {
            name = field.file_name().unwrap_or("").to_string();
        }
        let Ok(data) = field.bytes().await else {
            return Err(page_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "附件不能超过20 MB",
            ));
        };
        match key.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&data).to_string(),
            "file" => file = data.to_vec(),
            _ => {}
        }
    }
    if !auth::same_secret(&csrf, signed.csrf()) {
        return Err(page_error(
            StatusCode::FORBIDDEN,
            "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
        ));
    }
    Ok(Uploaded { name, bytes: file })
}

pub(super) async fn item(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<ItemId>,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let up = match upload_of(&signed, multipart).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    match attach(&s.app, &signed.ctx, Owner::Item(id), &up.name, up.bytes).await {
        Ok(_) => Ok(Redirect::to(&format!("/problems/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            detail_page(&s, &signed, id, Some(v.to_string()), None, Typed::default()).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn patrol(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<PatrolId>,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let up = match upload_of(&signed, multipart).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    attach(&s.app, &signed.ctx, Owner::Patrol(id), &up.name, up.bytes).await?;
    Ok(Redirect::to(&format!("/patrols/{id}/finding")).into_response())
}

pub(super) async fn file(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<AttachmentId>,
) -> Result<Response, PageError> {
    let (row, bytes) = read(&s.app, &signed.ctx, id).await?;
    let encoded: String = form_urlencoded::byte_serialize(row.file_name.as_bytes()).collect();
    let disposition = if row.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    Ok((
        [
            (header::CONTENT_TYPE, row.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response())
}
