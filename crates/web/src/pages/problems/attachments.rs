//! Files on items and patrols: uploading them (CSRF-checked multipart, all or none) and serving
//! them to those who may see their item.

use super::items::detail_page;
use super::workflow::Typed;
use crate::AppState;
use crate::auth::{PostedWithFiles, Signed};
use crate::error::PageError;
use crate::params::Path;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_domain::ids::{AttachmentId, ItemId, PatrolId};
use keyproj_service::ServiceError;
use keyproj_service::attachments::{Owner, read};

pub(super) async fn item(
    State(s): State<AppState>,
    Path(id): Path<ItemId>,
    PostedWithFiles { signed, files, .. }: PostedWithFiles,
) -> Result<Response, PageError> {
    match crate::pages::store_files(
        &s,
        &signed,
        Owner::Item(id),
        crate::pages::chosen_files(files),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/problems/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            detail_page(
                &s,
                &signed,
                id,
                Some(format!("{v}（附件未上传，请重新选择）")),
                None,
                Typed::default(),
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn patrol(
    State(s): State<AppState>,
    Path(id): Path<PatrolId>,
    PostedWithFiles { signed, files, .. }: PostedWithFiles,
) -> Result<Response, PageError> {
    crate::pages::store_files(
        &s,
        &signed,
        Owner::Patrol(id),
        crate::pages::chosen_files(files),
    )
    .await?;
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
