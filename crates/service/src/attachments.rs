//! Files attached to problem-list items (evidence of a reply, a resolution), to patrols (site
//! photos) and to approval items (the permit). Accepted by content only: PDF, JPEG/PNG/WebP
//! (re-encoded, so EXIF and GPS are dropped) and Word/Excel (OOXML) files, at most 20 MB; stored under generated names in the
//! deployment's object store and served only to those who may see the item.

use crate::problems::items::visible_item;
use crate::problems::meetings::visible_patrol;
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error, require};
use keyproj_db::repo::attachments::{self as repo, AttachmentRow, NewAttachment};
pub use keyproj_domain::attachment::Owner;
use keyproj_domain::authz::{Action, Role};
use keyproj_domain::ids::AttachmentId;

pub const MAX_ATTACHMENT: usize = 20 * 1024 * 1024;

/// What the bytes are: (content type, extension). PDFs and images by their signature; a ZIP
/// only when it is a real Word or Excel package without macros, ActiveX, OLE programs or
/// external links (checked part by part, see [`keyproj_office::package`]).
pub fn kind_of(b: &[u8]) -> Result<(&'static str, &'static str)> {
    if b.starts_with(b"%PDF-") {
        return Ok(("application/pdf", "pdf"));
    }
    if crate::files::sniff(b).is_some() {
        return Ok(("image/jpeg", "jpg"));
    }
    if b.starts_with(b"PK\x03\x04") {
        return keyproj_office::package::inspect(b)
            .map(|k| (k.content_type(), k.extension()))
            .map_err(|m| field_error("file", "type", m));
    }
    Err(field_error(
        "file",
        "type",
        "只能上传 PDF、图片（JPEG、PNG、WebP）或 Word、Excel 文件",
    ))
}

/// Whether the actor may attach to `owner` (404 unseen, 403 not theirs), asked before any word
/// about the files.
pub async fn may_attach(app: &App, ctx: &Ctx, owner: Owner) -> Result<()> {
    match owner {
        Owner::Item(id) => {
            let mut tx = app.db.begin_read().await?;
            let row = visible_item(&mut tx, ctx, id).await?;
            let staff = ctx.actor.has(Role::CenterStaff);
            let party = ctx.actor.is_unit(row.handler_unit_id)
                || ctx.actor.is_unit(Some(row.raised_unit_id));
            if !(staff || party) {
                return Err(ServiceError::Forbidden);
            }
            if !row.state.is_open() {
                return Err(field_error(
                    "file",
                    "closed",
                    "该事项已办结或已撤销，不能再添加附件",
                ));
            }
            Ok(())
        }
        Owner::Patrol(id) => {
            require(ctx, Action::ManageProblems)?;
            let mut tx = app.db.begin_read().await?;
            visible_patrol(&mut tx, ctx, id).await?;
            Ok(())
        }
        Owner::Approval(id) => {
            // the permit: attached by center staff or the competent department
            let mut tx = app.db.begin_read().await?;
            let row = crate::pipeline::approvals::visible(&mut tx, ctx, id).await?;
            if ctx.actor.has(Role::CenterStaff) || ctx.actor.is_unit(Some(row.unit_id)) {
                Ok(())
            } else {
                Err(ServiceError::Forbidden)
            }
        }
    }
}

/// Checks files before anything is recorded: at most three, each within 20 MB and of a kind
/// the owner takes (a permit is a PDF or a picture of one), a picture opened to its declared
/// size. A refusal names the file. Forms that take a step with their files call it first, so a
/// refused file refuses the step too.
pub fn check_files(owner: Owner, files: &[(String, Vec<u8>)]) -> Result<()> {
    const MAX_FILES: usize = 3;
    if files.len() > MAX_FILES {
        return Err(field_error(
            "file",
            "too_many",
            format!("一次最多上传{MAX_FILES}个附件"),
        ));
    }
    for (name, data) in files {
        let refuse = |m: String| field_error("file", "refused", format!("“{name}”：{m}"));
        let permit = matches!(owner, Owner::Approval(_));
        let permit_kinds = "批文只能上传 PDF 或图片（JPEG、PNG、WebP）";
        if data.is_empty() {
            return Err(refuse("是空文件".into()));
        }
        if data.len() > MAX_ATTACHMENT {
            return Err(refuse("附件不能超过20 MB".into()));
        }
        let (content_type, _) = kind_of(data).map_err(|e| match e {
            ServiceError::Validation(_) if permit => refuse(permit_kinds.into()),
            ServiceError::Validation(v) => refuse(v.to_string()),
            e => e,
        })?;
        if permit && !matches!(content_type, "application/pdf" | "image/jpeg") {
            return Err(refuse(permit_kinds.into()));
        }
        if content_type == "image/jpeg"
            && let Err(e) = crate::files::precheck(data)
        {
            // the photo check's words, for any picture
            return Err(match e {
                ServiceError::Validation(v) => refuse(v.to_string().replace("照片", "图片")),
                e => e,
            });
        }
    }
    Ok(())
}

/// Attaches several files at once (a form's file input): every file is checked first
/// ([`check_files`]) and only then are they stored, so a bad third file does not leave the
/// first two stored with an error.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn attach_all(
    app: &App,
    ctx: &Ctx,
    owner: Owner,
    files: Vec<(String, Vec<u8>)>,
) -> Result<Vec<AttachmentId>> {
    // who may attach first (403 before any word about the file), then the files
    may_attach(app, ctx, owner).await?;
    check_files(owner, &files)?;
    let mut ids = vec![];
    for (name, data) in files {
        ids.push(attach(app, ctx, owner, &name, data).await?);
    }
    Ok(ids)
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn attach(
    app: &App,
    ctx: &Ctx,
    owner: Owner,
    file_name: &str,
    data: Vec<u8>,
) -> Result<AttachmentId> {
    may_attach(app, ctx, owner).await?;
    if data.is_empty() {
        return Err(field_error("file", "required", "请选择要上传的文件"));
    }
    if data.len() > MAX_ATTACHMENT {
        return Err(field_error("file", "too_large", "附件不能超过20 MB"));
    }
    let (content_type, ext) = kind_of(&data)?;
    let data = if content_type == "image/jpeg" {
        // images are decoded and re-encoded: no EXIF, no GPS position
        crate::files::process_bounded(data)
            .await
            .map_err(|e| match e {
                // the form's field here is `file`
                ServiceError::Validation(mut v) => {
                    v.0.iter_mut().for_each(|f| f.field = "file".into());
                    ServiceError::Validation(v)
                }
                e => e,
            })?
            .0
    } else {
        data
    };
    let (owner_type, owner_id) = owner.parts();
    let key = format!(
        "attachments/{owner_type}/{owner_id}/{}.{ext}",
        crate::random_token()
    );
    let size = data.len() as i64;
    crate::files::put(app, &key, data).await?;
    // the shown name: the uploaded name without any path, with the real extension
    let base: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        // controls, and the direction marks that would show 「gnp.exe」 reversed, are dropped
        .filter(|c| !c.is_control() && !keyproj_domain::error::invisible_control(*c))
        .take(80)
        .collect();
    let stem = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(&base);
    let shown = format!(
        "{}.{ext}",
        if stem.trim().is_empty() {
            "附件"
        } else {
            stem.trim()
        }
    );
    let mut w = Work::begin(app, ctx).await?;
    let id = repo::insert_attachment(
        &mut w.tx,
        &NewAttachment {
            owner,
            file_name: &shown,
            content_type,
            object_key: &key,
            size_bytes: size,
            uploaded_by: &ctx.actor.username,
        },
        w.now,
    )
    .await?;
    w.audit(
        Audit::new("attach", owner_type)
            .id(owner_id)
            .after(&serde_json::json!({ "attachment": id, "name": shown, "bytes": size })),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn list(app: &App, ctx: &Ctx, owner: Owner) -> Result<Vec<AttachmentRow>> {
    let mut tx = app.db.begin_read().await?;
    match owner {
        Owner::Item(id) => {
            visible_item(&mut tx, ctx, id).await?;
        }
        Owner::Patrol(id) => {
            require(ctx, Action::ManageProblems)?;
            visible_patrol(&mut tx, ctx, id).await?;
        }
        Owner::Approval(id) => {
            crate::pipeline::approvals::visible(&mut tx, ctx, id).await?;
        }
    }
    Ok(repo::attachments_of(&mut tx, owner).await?)
}

/// An attachment the actor may see, with its bytes.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn read(app: &App, ctx: &Ctx, id: AttachmentId) -> Result<(AttachmentRow, Vec<u8>)> {
    let row = {
        let mut tx = app.db.begin_read().await?;
        let row = repo::get_attachment(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        match row.owner {
            Owner::Item(item) => {
                visible_item(&mut tx, ctx, item).await?;
            }
            Owner::Patrol(patrol) => {
                if !ctx.actor.has(Role::CenterStaff) {
                    return Err(ServiceError::NotFound);
                }
                visible_patrol(&mut tx, ctx, patrol).await?;
            }
            Owner::Approval(approval) => {
                crate::pipeline::approvals::visible(&mut tx, ctx, approval).await?;
            }
        }
        row
    };
    let bytes = crate::files::get(app, &row.object_key).await?;
    Ok((row, bytes))
}
