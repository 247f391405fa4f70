//! Taking a step on an item. The step form carries the note, the new deadline and attachments
//! together: an attachment is uploaded first whatever button was pressed, and "上传附件" only
//! uploads and shows the form again with the note still in it, so nothing typed is lost.
//! Assigning asks for confirmation first (it issues a numbered 交办单).

use super::items::detail_page;
use super::{ask_to_assign, assign_draft};
use crate::AppState;
use crate::auth::{FormData, PostedWithFiles};
use crate::error::PageError;
use crate::pages::ConfirmPage;
use crate::params::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_domain::ids::{ItemId, LeaderId, UnitId};
use keyproj_domain::problem::{AssignDraft, Step};
use keyproj_service::ServiceError;
use keyproj_service::attachments::{Owner, attach_all};
use keyproj_service::problems::workflow::{self as svc, StepInput};

/// The detail page's forms as they were submitted.
#[derive(Default)]
pub(super) struct Typed {
    pub note: String,
    pub new_deadline: String,
    pub handler: Option<UnitId>,
    pub assisting: Vec<UnitId>,
    pub leader: Option<LeaderId>,
    pub deadline: String,
}

impl Typed {
    pub(super) fn of(form: &FormData) -> Typed {
        Typed {
            note: form.get("note"),
            new_deadline: form.get("new_deadline"),
            handler: form.typed("handler"),
            assisting: form.typed_all("assisting"),
            leader: form.typed("leader"),
            deadline: form.get("deadline"),
        }
    }
}

pub(super) async fn step(
    State(s): State<AppState>,
    Path(id): Path<ItemId>,
    PostedWithFiles {
        signed,
        form,
        files,
    }: PostedWithFiles,
) -> Result<Response, PageError> {
    let step = form.get("step");
    let again = |error: Option<String>, flash: Option<String>, status: StatusCode| {
        let (s, signed, form) = (&s, &signed, &form);
        async move {
            Ok::<Response, PageError>(
                (
                    status,
                    detail_page(s, signed, id, error, flash, Typed::of(form)).await?,
                )
                    .into_response(),
            )
        }
    };
    if step == "assign" {
        if ConfirmPage::going_back(&form) {
            return again(None, None, StatusCode::OK).await;
        }
        // an item the caller cannot see is not found; one the caller may not assign now gets
        // no confirmation page: the step itself is refused below, and nothing changes
        let detail = keyproj_service::problems::items::get(&s.app, &signed.ctx, id).await?;
        if detail.steps.contains(&Step::Assign) {
            // what can be checked here is named before any confirmation is asked (no 承办单位
            // chosen is one of them)
            if let Err(v) = assign_draft(&form)
                .unwrap_or_default()
                .validate(s.app.local_today())
            {
                return again(Some(v.to_string()), None, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            let (action, back) = (format!("/problems/{id}/step"), format!("/problems/{id}"));
            let refused = async |v: keyproj_domain::ValidationErrors| {
                again(Some(v.to_string()), None, StatusCode::UNPROCESSABLE_ENTITY).await
            };
            if let Some(ask) =
                ask_to_assign(&s, &signed, &form, &action, "确认交办", &back, refused).await?
            {
                return Ok(ask);
            }
        }
    }
    let uploads: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter(|f| f.field == "file")
        .map(|f| (f.file_name, f.bytes))
        .collect();
    let uploaded = uploads.len();
    if uploaded > 0 {
        match attach_all(&s.app, &signed.ctx, Owner::Item(id), uploads).await {
            Ok(_) => {}
            Err(ServiceError::Validation(v)) => {
                return again(Some(v.to_string()), None, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if step == "attach" {
        return if uploaded == 0 {
            again(
                Some("请先选择要上传的文件".into()),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        } else {
            again(
                None,
                Some(format!(
                    "已上传{uploaded}个附件。上方填写的说明尚未提交，请选择要办理的操作"
                )),
                StatusCode::OK,
            )
            .await
        };
    }
    let input = StepInput {
        version: form.edited_version(),
        note: form.get("note"),
        new_deadline: form.get("new_deadline"),
        assign: assign_draft(&form).or_else(|| (step == "assign").then(AssignDraft::default)),
        step,
    };
    match svc::act(&s.app, &signed.ctx, id, &input).await {
        Ok(out) => {
            let to = match out.child {
                Some(child) => format!("/problems/{}", child.id),
                None => format!("/problems/{id}?done={}", input.step),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(ServiceError::Validation(v)) => {
            again(Some(v.to_string()), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
