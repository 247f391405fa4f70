//! Site photos of monthly reports, kept with the month's report (see [`crate::files`] for how a
//! picture is checked, re-encoded and stored).

use crate::files::{self, precheck, process_bounded};
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error};
use keyproj_db::repo::dispatch::photos::{self as repo, NewPhoto, PhotoRow};
use keyproj_db::repo::dispatch::reports as report_repo;
use keyproj_domain::ReportMonth;
use keyproj_domain::authz::Action;
use keyproj_domain::ids::{PhotoId, ProjectId};
use keyproj_domain::report::ReportStatus;

/// Whether the actor may add or remove a month's photos: the reporter or center staff (404
/// otherwise), and only until the month is approved (`approved` says why not).
async fn may_change_photos(
    tx: &mut keyproj_db::Tx,
    ctx: &Ctx,
    project_id: ProjectId,
    month: ReportMonth,
    approved: &str,
) -> Result<()> {
    if crate::projects::visible(tx, ctx, project_id, Action::SubmitReport)
        .await
        .is_err()
    {
        crate::projects::visible(tx, ctx, project_id, Action::ReviewReports).await?;
    }
    // an approved month is a record: its photos are part of it
    if report_repo::get_report(tx, project_id, month)
        .await?
        .is_some_and(|r| r.status == ReportStatus::Approved)
    {
        return Err(field_error("photo", "approved", approved));
    }
    Ok(())
}

/// The most photos one project's month keeps.
pub const MAX_PHOTOS_PER_MONTH: usize = 12;

/// Adds a photo to a project's month (the reporter or center staff). The same picture twice is
/// refused, so a reloaded page does not store it again.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn upload(
    app: &App,
    ctx: &Ctx,
    project_id: ProjectId,
    month: ReportMonth,
    bytes: &[u8],
) -> Result<PhotoId> {
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(bytes));
    {
        let mut tx = app.db.begin_read().await?;
        may_change_photos(
            &mut tx,
            ctx,
            project_id,
            month,
            "本月月报已审核通过，照片随月报一并存档，不能再添加（如需补充请联系中心修订月报）",
        )
        .await?;
        crate::dispatch::reports::check_reportable(&mut tx, project_id, month, app.local_today())
            .await
            .map_err(|e| match e {
                ServiceError::Validation(mut v) => {
                    for f in v.0.iter_mut() {
                        f.field = "photo".into();
                    }
                    ServiceError::Validation(v)
                }
                e => e,
            })?;
        // a month's photos are bounded: a page of pictures, not a store to fill
        if repo::photos_of(&mut tx, project_id, month).await?.len() >= MAX_PHOTOS_PER_MONTH {
            return Err(field_error(
                "photo",
                "too_many",
                format!("本月照片已达{MAX_PHOTOS_PER_MONTH}张上限，请先删除不需要的照片"),
            ));
        }
        if repo::photo_exists(&mut tx, project_id, month, &hash).await? {
            return Err(field_error("photo", "duplicate", "这张照片已经上传过了"));
        }
    }
    let (photo, thumb, width, height) = process_bounded(bytes.to_vec()).await?;
    let key = format!("photos/{project_id}/{}.jpg", crate::random_token());
    let thumb_key = key.replace(".jpg", "_thumb.jpg");
    let size = photo.len() as i64;
    files::put(app, &key, photo).await?;
    files::put(app, &thumb_key, thumb).await?;
    let mut w = Work::begin(app, ctx).await?;
    // counted again where it is written: uploads racing each other stop at the cap
    if repo::photos_of(&mut w.tx, project_id, month).await?.len() >= MAX_PHOTOS_PER_MONTH {
        return Err(field_error(
            "photo",
            "too_many",
            format!("本月照片已达{MAX_PHOTOS_PER_MONTH}张上限，请先删除不需要的照片"),
        ));
    }
    let id = repo::insert_photo(
        &mut w.tx,
        &NewPhoto {
            project_id,
            month,
            object_key: &key,
            thumb_key: &thumb_key,
            width: i64::from(width),
            height: i64::from(height),
            size_bytes: size,
            uploaded_by: &ctx.actor.username,
            content_hash: &hash,
        },
        w.now,
    )
    .await
    .map_err(|e| match e {
        keyproj_db::DbError::Duplicate(m) => field_error("photo", "duplicate", m),
        e => e.into(),
    })?;
    w.audit(Audit::new("upload", "photo").id(id).after(
        &serde_json::json!({ "project_id": project_id, "month": month, "width": width, "height": height, "bytes": size }),
    ))
    .await?;
    w.commit().await?;
    Ok(id)
}

/// Several photos from one form: all are checked before any is stored, and a refusal names the
/// file. Returns how many were stored.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn upload_all(
    app: &App,
    ctx: &Ctx,
    project_id: ProjectId,
    month: ReportMonth,
    uploads: &[(String, Vec<u8>)],
) -> Result<usize> {
    const MAX_FILES: usize = 3;
    if uploads.len() > MAX_FILES {
        return Err(field_error(
            "photo",
            "too_many",
            format!("一次最多上传{MAX_FILES}张照片"),
        ));
    }
    let named = |name: &str, e: ServiceError| match e {
        ServiceError::Validation(mut v) => {
            for f in v.0.iter_mut() {
                // a file's name is quoted as any refused value is: its first 20 characters,
                // with what would show as something else dropped
                let shown: String = name
                    .chars()
                    .filter(|c| !keyproj_domain::error::invisible_control(*c))
                    .collect();
                f.message = format!("“{}”：{}", keyproj_domain::error::echoed(&shown), f.message);
            }
            ServiceError::Validation(v)
        }
        e => e,
    };
    for (name, bytes) in uploads {
        precheck(bytes).map_err(|e| named(name, e))?;
    }
    // the whole batch fits, or none of it is stored
    let held = {
        let mut tx = app.db.begin_read().await?;
        repo::photos_of(&mut tx, project_id, month).await?.len()
    };
    if held + uploads.len() > MAX_PHOTOS_PER_MONTH {
        return Err(field_error(
            "photo",
            "too_many",
            format!(
                "本月已有{held}张照片，最多{MAX_PHOTOS_PER_MONTH}张：这次最多还能上传{}张",
                MAX_PHOTOS_PER_MONTH.saturating_sub(held)
            ),
        ));
    }
    for (name, bytes) in uploads {
        upload(app, ctx, project_id, month, bytes)
            .await
            .map_err(|e| named(name, e))?;
    }
    Ok(uploads.len())
}

/// Deletes a wrong photo before its month is approved (the reporter or center staff): the row
/// and its audit entry in one transaction, then the stored files. An approved month keeps its
/// photos as part of the record.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn delete(
    app: &App,
    ctx: &Ctx,
    project_id: ProjectId,
    month: ReportMonth,
    id: PhotoId,
) -> Result<()> {
    let mut w = Work::begin(app, ctx).await?;
    // a photo of another project or month (a crafted id) is not there
    let row = repo::get_photo(&mut w.tx, id)
        .await?
        .filter(|r| r.project_id == project_id && r.month == month)
        .ok_or(ServiceError::NotFound)?;
    may_change_photos(
        &mut w.tx,
        ctx,
        row.project_id,
        row.month,
        "本月月报已审核通过，照片随月报存档，不能删除（如有错误请联系中心修订月报）",
    )
    .await?;
    repo::delete_photo(&mut w.tx, id).await?;
    w.audit(Audit::new("delete", "photo").id(id).before(&row))
        .await?;
    w.commit().await?;
    // the files go after the row: a failure here leaves an unreferenced file, never a row
    // without its picture
    for key in [&row.object_key, &row.thumb_key] {
        if let Err(e) = files::delete(app, key).await {
            tracing::warn!(
                error = e.chain(),
                key = key.as_str(),
                "a deleted photo's file stays"
            );
        }
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn list(
    app: &App,
    ctx: &Ctx,
    project_id: ProjectId,
    month: ReportMonth,
) -> Result<Vec<PhotoRow>> {
    let mut tx = app.db.begin_read().await?;
    crate::projects::visible(&mut tx, ctx, project_id, Action::ViewProject).await?;
    Ok(repo::photos_of(&mut tx, project_id, month).await?)
}

/// The stored JPEG of a photo the actor may see (or its thumbnail).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn read(app: &App, ctx: &Ctx, id: PhotoId, thumb: bool) -> Result<Vec<u8>> {
    let row = {
        let mut tx = app.db.begin_read().await?;
        let row = repo::get_photo(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        crate::projects::visible(&mut tx, ctx, row.project_id, Action::ViewProject).await?;
        row
    };
    files::get(
        app,
        if thumb {
            &row.thumb_key
        } else {
            &row.object_key
        },
    )
    .await
}
