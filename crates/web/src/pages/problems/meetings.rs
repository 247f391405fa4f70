//! Meetings and patrols: the list, registering a meeting or a patrol, a meeting's page with its
//! decisions (each assigned after confirmation) and its 会议纪要, and a patrol's findings.

use super::items::{DocLine, FileLink, NewPage, PatrolFiles, doc_line};
use super::{ItemForm, ItemLine, ask_to_assign, assign_draft, item_draft, line};
use crate::AppState;
use crate::auth::{FormData, Posted, Signed};
use crate::error::PageError;
use crate::pages::{ConfirmPage, allowed};
use crate::params::Path;
use crate::views::{Choice, Chrome, named_choices};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_db::repo::problems::meetings::{MeetingRow, PatrolRow};
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::Action;
use keyproj_domain::ids::{LeaderId, MeetingId, PatrolId, ProjectId};
use keyproj_domain::problem::draft::MEETING_KINDS;
use keyproj_domain::problem::{MeetingDraft, PatrolDraft, Source};
use keyproj_service::problems::items::ItemRef;
use keyproj_service::problems::meetings::{self as svc, ProjectRef};
use keyproj_service::{ServiceError, org, projects};

#[derive(Template, WebTemplate)]
#[template(path = "problems/meetings.html")]
pub(super) struct MeetingsPage {
    chrome: Chrome,
    meetings: Vec<MeetingRow>,
    patrols: Vec<PatrolRow>,
    total: i64,
    kinds: Vec<Choice>,
    chairs: Vec<Choice>,
    /// 研究项目 of the meeting form.
    projects: Vec<Choice>,
    /// 巡查项目 of the patrol form.
    patrol_projects: Vec<Choice>,
    errors: ValidationErrors,
    can_manage: bool,
    today: String,
    /// The meeting or patrol form as posted (kept after an error).
    typed: FormData,
    pager: crate::views::Pager,
}

impl MeetingsPage {
    /// What was typed in `name`, or `default` on a fresh page.
    fn typed_or(&self, name: &str, default: &str) -> String {
        if self.typed.0.iter().any(|(k, _)| k == name) {
            self.typed.get(name)
        } else {
            default.to_string()
        }
    }
}

async fn meetings_page(
    s: &AppState,
    signed: &Signed,
    errors: ValidationErrors,
    typed: FormData,
    (page_no, per_page): (i64, i64),
) -> Result<MeetingsPage, PageError> {
    let mut page_no = page_no.max(1);
    let mut page = svc::meetings(
        &s.app,
        &signed.ctx,
        None,
        per_page,
        (page_no - 1) * per_page,
    )
    .await?;
    let pages = ((page.total + per_page - 1) / per_page).max(1);
    if page_no > pages {
        // past the end: the last page
        page_no = pages;
        page = svc::meetings(
            &s.app,
            &signed.ctx,
            None,
            per_page,
            (page_no - 1) * per_page,
        )
        .await?;
    }
    let pager = crate::views::Pager::new("/meetings", "", page_no, pages, Some(per_page));
    let can_manage = allowed(signed, Action::ManageProblems);
    let patrols = if can_manage {
        svc::patrols(&s.app, &signed.ctx, 100, 0).await?.patrols
    } else {
        vec![]
    };
    let kind = match Source::from_input(&typed.get("kind")) {
        Some(k) => k,
        None => Source::TopicMeeting,
    };
    let projects: Vec<(ProjectId, String)> = projects::choices(&s.app, &signed.ctx)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let is_meeting = typed.0.iter().any(|(k, _)| k == "held_on");
    let chosen: Vec<ProjectId> = typed.typed_all("projects");
    let chair: Vec<LeaderId> = typed.typed("chair").into_iter().collect();
    Ok(MeetingsPage {
        chrome: Chrome::new(signed, "meetings"),
        meetings: page.meetings,
        patrols,
        total: page.total,
        kinds: MEETING_KINDS
            .iter()
            .map(|k| Choice::new(k.key(), k.label(), *k == kind))
            .collect(),
        chairs: named_choices(
            org::leaders(&s.app, &signed.ctx)
                .await?
                .into_iter()
                .map(|l| (l.id, l.name)),
            &chair,
        ),
        projects: named_choices(projects.clone(), if is_meeting { &chosen } else { &[] }),
        patrol_projects: named_choices(projects, if is_meeting { &[] } else { &chosen }),
        errors,
        can_manage,
        typed,
        today: s.app.local_today().to_string(),
        pager,
    })
}

/// `?page=` and `?per_page=` of a list (20 a page by default, at most 200).
fn paging(q: Option<&str>) -> (i64, i64) {
    let q = crate::auth::query_pairs(q);
    let num = |k: &str| q.get(k).trim().parse::<i64>().ok();
    (
        num("page").unwrap_or(1).clamp(1, 1_000_000),
        num("per_page").filter(|n| *n >= 1).unwrap_or(20).min(200),
    )
}

pub(super) async fn list(
    State(s): State<AppState>,
    signed: Signed,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    Ok(meetings_page(
        &s,
        &signed,
        ValidationErrors::new(),
        FormData::default(),
        paging(q.as_deref()),
    )
    .await?
    .into_response())
}

pub(super) async fn create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let draft = MeetingDraft {
        kind: form.get("kind"),
        held_on: form.get("held_on"),
        place: form.get("place"),
        chair_leader_id: form.typed("chair"),
        attending_units: form.get("attending_units"),
        project_ids: form.typed_all("projects"),
        minutes: form.get("minutes"),
    };
    match svc::create_meeting(&s.app, &signed.ctx, &draft).await {
        Ok(id) => Ok(Redirect::to(&format!("/meetings/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            meetings_page(&s, &signed, v, form, (1, 20)).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn create_patrol(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let draft = PatrolDraft {
        patrol_on: form.get("patrol_on"),
        inspector: form.get("inspector"),
        project_ids: form.typed_all("projects"),
        findings: form.get("findings"),
    };
    match svc::create_patrol(&s.app, &signed.ctx, &draft).await {
        Ok(id) => Ok(Redirect::to(&format!("/patrols/{id}/finding")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            meetings_page(&s, &signed, v, form, (1, 20)).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "problems/meeting.html")]
pub(super) struct MeetingPage {
    chrome: Chrome,
    m: MeetingRow,
    kind: &'static str,
    projects: Vec<ProjectRef>,
    items: Vec<ItemLine>,
    documents: Vec<DocLine>,
    f: ItemForm,
    can_manage: bool,
    minutes_issued: bool,
}

async fn meeting_page(
    s: &AppState,
    signed: &Signed,
    id: MeetingId,
    form: &FormData,
    errors: ValidationErrors,
) -> Result<MeetingPage, PageError> {
    let d = svc::meeting(&s.app, &signed.ctx, id).await?;
    let today = s.app.local_today();
    let f = ItemForm::new(
        s,
        signed,
        form,
        errors,
        format!("/meetings/{id}/items"),
        "会议确定事项（登记并交办）",
        false,
    )
    .await?;
    Ok(MeetingPage {
        chrome: Chrome::new(signed, "meetings"),
        kind: d.meeting.kind.label(),
        minutes_issued: d.minutes_issued(),
        items: d.items.iter().map(|r| line(r, today)).collect(),
        documents: d.documents.iter().map(doc_line).collect(),
        projects: d.projects,
        f,
        can_manage: allowed(signed, Action::ManageProblems),
        m: d.meeting,
    })
}

pub(super) async fn detail(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<MeetingId>,
) -> Result<Response, PageError> {
    Ok(meeting_page(
        &s,
        &signed,
        id,
        &FormData::default(),
        ValidationErrors::new(),
    )
    .await?
    .into_response())
}

/// A meeting decision: registered and assigned in one step, after confirmation.
pub(super) async fn decision(
    State(s): State<AppState>,
    Path(id): Path<MeetingId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    if ConfirmPage::going_back(&form) {
        return Ok(
            meeting_page(&s, &signed, id, &form, ValidationErrors::new())
                .await?
                .into_response(),
        );
    }
    let checked = super::checked_before_confirm(&form, s.app.local_today(), true).and_then(|_| {
        match super::assign_draft(&form) {
            Some(_) => Ok(()),
            None => Err(ValidationErrors::single(
                "handler",
                "required",
                "会议议定事项须同时交办：请选择承办单位",
            )),
        }
    });
    if let Err(v) = checked {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            meeting_page(&s, &signed, id, &form, v).await?,
        )
            .into_response());
    }
    // a meeting the caller cannot see is not found; who may not assign gets no confirmation
    // page: the decision itself is refused below
    svc::meeting(&s.app, &signed.ctx, id).await?;
    if allowed(&signed, Action::ManageProblems)
        && let Some(ask) = ask_to_assign(
            &s,
            &signed,
            &form,
            &format!("/meetings/{id}/items"),
            "确认交办会议议定事项",
            &format!("/meetings/{id}"),
            async |v| meeting_page(&s, &signed, id, &form, v).await,
        )
        .await?
    {
        return Ok(ask);
    }
    let assign = assign_draft(&form).unwrap_or_default();
    match svc::add_decision(&s.app, &signed.ctx, id, &item_draft(&form), &assign).await {
        Ok(_) => Ok(Redirect::to(&format!("/meetings/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            meeting_page(&s, &signed, id, &form, v).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn minutes(
    State(s): State<AppState>,
    Path(id): Path<MeetingId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    if let Some(ask) = ConfirmPage::unless_confirmed(
        &signed,
        &form,
        &format!("/meetings/{id}/minutes"),
        "确认印发会议纪要",
        vec!["将印发编号的会议纪要，列出本次会议交办的全部事项。印发后不能再修改。".into()],
        "确认印发",
        &format!("/meetings/{id}"),
    ) {
        return Ok(ask);
    }
    let doc = svc::issue_minutes(&s.app, &signed.ctx, id).await?;
    Ok(Redirect::to(&format!("/documents/{doc}")).into_response())
}

const FINDING_HEADING: &str = "巡查发现（登记为问题，可同时交办）";

async fn finding_form(
    s: &AppState,
    signed: &Signed,
    id: PatrolId,
    form: &FormData,
    errors: ValidationErrors,
) -> Result<NewPage, PageError> {
    let files = keyproj_service::attachments::list(
        &s.app,
        &signed.ctx,
        keyproj_service::attachments::Owner::Patrol(id),
    )
    .await?
    .into_iter()
    .map(|a| FileLink {
        id: a.id,
        name: a.file_name,
    })
    .collect();
    Ok(NewPage {
        chrome: Chrome::new(signed, "meetings"),
        f: ItemForm::new(
            s,
            signed,
            form,
            errors,
            format!("/patrols/{id}/finding"),
            FINDING_HEADING,
            false,
        )
        .await?,
        patrol: Some(PatrolFiles {
            id: id.get(),
            files,
        }),
    })
}

pub(super) async fn finding_page(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<PatrolId>,
) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ManageProblems) {
        return Err(ServiceError::Forbidden.into());
    }
    Ok(finding_form(
        &s,
        &signed,
        id,
        &FormData::default(),
        ValidationErrors::new(),
    )
    .await?
    .into_response())
}

pub(super) async fn finding(
    State(s): State<AppState>,
    Path(id): Path<PatrolId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    if ConfirmPage::going_back(&form) {
        return Ok(
            finding_form(&s, &signed, id, &form, ValidationErrors::new())
                .await?
                .into_response(),
        );
    }
    let assign = assign_draft(&form);
    // who may not assign gets no confirmation page: the finding itself is refused below
    if assign.is_some() && allowed(&signed, Action::ManageProblems) {
        // a patrol the caller cannot see is not found (its files are read as its page does)
        keyproj_service::attachments::list(
            &s.app,
            &signed.ctx,
            keyproj_service::attachments::Owner::Patrol(id),
        )
        .await?;
        if let Some(ask) = ask_to_assign(
            &s,
            &signed,
            &form,
            &format!("/patrols/{id}/finding"),
            "确认登记并交办巡查发现",
            &format!("/patrols/{id}/finding"),
            async |v| finding_form(&s, &signed, id, &form, v).await,
        )
        .await?
        {
            return Ok(ask);
        }
    }
    match svc::add_finding(&s.app, &signed.ctx, id, &item_draft(&form), assign.as_ref()).await {
        Ok(ItemRef { id: item, .. }) => {
            Ok(Redirect::to(&format!("/problems/{item}")).into_response())
        }
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            finding_form(&s, &signed, id, &form, v).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
