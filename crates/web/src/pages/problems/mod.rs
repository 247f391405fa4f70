//! The problem list pages, in the files the service mirrors: [`items`] (the list, its export,
//! registering and one item's page), [`workflow`] (the steps, assigning with confirmation),
//! [`documents`], [`meetings`] (meetings and patrols), [`todo`], [`stats`], [`supervision`]
//! (rules, calendar, an on-demand run) and [`attachments`].

mod attachments;
mod documents;
mod items;
mod meetings;
mod stats;
mod supervision;
mod todo;
mod workflow;

use crate::AppState;
use crate::auth::{FormData, Signed};
use crate::views::{self, Choice, choices, named_choices};
use axum::Router;
use axum::routing::{get, post};
use keyproj_db::repo::problems::items::ItemRow;
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::Action;
use keyproj_domain::ids::{ItemId, LeaderId, ProjectId, UnitId};
use keyproj_domain::problem::{Alert, AssignDraft, Category, ItemDraft, ItemKind, Level, Source};
use keyproj_service::{org, projects};

pub(crate) use items::raise_from_report;

pub fn routes() -> Router<AppState> {
    use crate::pages::UPLOAD_FORM_LIMIT;
    use axum::extract::DefaultBodyLimit;
    Router::new()
        .route("/problems", get(items::list).post(items::create))
        .route("/problems.xlsx", get(items::export))
        .route("/problems/new", get(items::new))
        .route("/problems/stats", get(stats::page))
        .route("/problems/stats.xlsx", get(stats::xlsx))
        .route(
            "/problems/settings",
            get(supervision::page).post(supervision::save),
        )
        .route("/problems/{id}", get(items::detail))
        .route(
            "/problems/{id}/step",
            // the step form carries up to three attachments of 20 MB with the note
            post(workflow::step).layer(DefaultBodyLimit::max(UPLOAD_FORM_LIMIT)),
        )
        .route(
            "/problems/{id}/attachments",
            // up to three files; the check of each names it (the body limit only stops floods)
            post(attachments::item).layer(DefaultBodyLimit::max(UPLOAD_FORM_LIMIT)),
        )
        .route(
            "/patrols/{id}/attachments",
            post(attachments::patrol).layer(DefaultBodyLimit::max(UPLOAD_FORM_LIMIT)),
        )
        .route("/attachments/{id}", get(attachments::file))
        .route(
            "/reports/{project_id}/{month}/raise",
            post(raise_from_report),
        )
        .route("/documents/{id}", get(documents::page))
        .route("/todo", get(todo::page))
        .route("/todo/read", post(todo::read))
        .route("/todo/open/{id}", get(todo::open))
        .route("/meetings", get(meetings::list).post(meetings::create))
        .route("/meetings/{id}", get(meetings::detail))
        .route("/meetings/{id}/items", post(meetings::decision))
        .route("/meetings/{id}/minutes", post(meetings::minutes))
        .route("/patrols", post(meetings::create_patrol))
        .route(
            "/patrols/{id}/finding",
            get(meetings::finding_page).post(meetings::finding),
        )
}

/// Items per list page.
const PAGE: i64 = 50;

/// The chip of a supervision step: (class, text).
pub(super) struct AlertChip {
    pub class: &'static str,
    pub text: &'static str,
}

fn alert_chip(a: Option<Alert>) -> AlertChip {
    let (class, text) = match a {
        Some(Alert::Blue) => ("blue", "蓝"),
        Some(Alert::Yellow) => ("yellow", "黄"),
        Some(Alert::Red) => ("red", "红"),
        None => ("", ""),
    };
    AlertChip { class, text }
}

/// One row of an item list, ready to show.
pub(super) struct ItemLine {
    pub id: ItemId,
    pub number: String,
    pub title: String,
    pub kind: &'static str,
    pub source: &'static str,
    pub category: &'static str,
    pub project: String,
    pub handler: String,
    pub deadline: String,
    pub state: &'static str,
    pub state_key: &'static str,
    pub alert: AlertChip,
    pub overdue: bool,
    pub pending_extension: bool,
}

fn line(r: &ItemRow, today: chrono::NaiveDate) -> ItemLine {
    ItemLine {
        id: r.id,
        number: r.number.clone(),
        title: r.title.clone(),
        kind: r.kind.label(),
        source: r.source.label(),
        category: r.category.label(),
        project: r.project_name.clone().unwrap_or_default(),
        handler: r.handler_unit_name.clone().unwrap_or_default(),
        deadline: views::shown(&r.deadline),
        state: r.state.label(),
        state_key: r.state.key(),
        alert: alert_chip(r.alert),
        overdue: r.state.with_unit() && r.deadline.is_some_and(|d| d < today),
        pending_extension: r.extension_pending,
    }
}

/// The register-and-assign form (a new item, a meeting decision, a patrol finding).
pub(super) struct ItemForm {
    pub errors: ValidationErrors,
    pub action: String,
    pub heading: String,
    pub title: String,
    pub description: String,
    pub raised_on: String,
    pub deadline: String,
    pub kinds: Vec<Choice>,
    pub sources: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub levels: Vec<Choice>,
    pub projects: Vec<Choice>,
    /// 承办单位 options, grouped by kind.
    pub units: Vec<views::UnitGroup>,
    /// 协办单位 options (checkboxes), grouped by kind.
    pub assisting: Vec<views::UnitGroup>,
    pub leaders: Vec<Choice>,
    pub can_assign: bool,
    pub show_source: bool,
    pub csrf: String,
}

impl ItemForm {
    /// The form as submitted (or empty), with `errors` at their fields.
    pub(super) async fn new(
        s: &AppState,
        signed: &Signed,
        form: &FormData,
        errors: ValidationErrors,
        action: String,
        heading: &str,
        show_source: bool,
    ) -> Result<ItemForm, crate::error::PageError> {
        let can_assign = crate::pages::allowed(signed, Action::ManageProblems);
        let (units, assisting, leaders) = if can_assign {
            let all = org::units(&s.app, &signed.ctx).await?;
            let handler: Vec<UnitId> = form.typed("handler").into_iter().collect();
            let leader: Vec<LeaderId> = form.typed("leader").into_iter().collect();
            (
                views::unit_groups(&all, &handler),
                views::unit_groups(&all, &form.typed_all::<UnitId>("assisting")),
                named_choices(
                    org::leaders(&s.app, &signed.ctx)
                        .await?
                        .into_iter()
                        .map(|l| (l.id, l.name)),
                    &leader,
                ),
            )
        } else {
            (vec![], vec![], vec![])
        };
        let project: Vec<ProjectId> = form.typed("project").into_iter().collect();
        let projects = named_choices(
            projects::choices(&s.app, &signed.ctx)
                .await?
                .into_iter()
                .map(|p| (p.id, p.name)),
            &project,
        );
        let or = |k: &str, d: &str| {
            let v = form.get(k);
            if v.is_empty() { d.to_string() } else { v }
        };
        Ok(ItemForm {
            errors,
            action,
            heading: heading.to_string(),
            title: form.get("title"),
            description: form.get("description"),
            raised_on: form.get("raised_on"),
            deadline: form.get("deadline"),
            kinds: choices::<ItemKind>(&or("kind", ItemKind::Problem.key())),
            sources: choices::<Source>(&or("source", Source::OwnerReport.key())),
            categories: choices::<Category>(&form.get("category")),
            levels: choices::<Level>(&or("level", Level::Unit.key())),
            projects,
            units,
            assisting,
            leaders,
            can_assign,
            show_source,
            csrf: signed.csrf().to_string(),
        })
    }
}

/// The item fields of a register form.
/// The item and its assignment checked before the confirmation page: a form with mistakes is
/// shown again with its messages, instead of a confirmation that then fails.
fn checked_before_confirm(
    form: &FormData,
    today: chrono::NaiveDate,
    of_meeting: bool,
) -> Result<(), ValidationErrors> {
    let mut errs = ValidationErrors::new();
    let mut item = item_draft(form);
    if of_meeting {
        // a meeting decision takes its source and date from the meeting (the service sets them)
        item.source = "topic_meeting".into();
        if item.raised_on.trim().is_empty() {
            item.raised_on = today.to_string();
        }
    }
    if let Err(v) = item.validate(today) {
        for e in v.all() {
            errs.push(e.clone());
        }
    }
    if let Some(a) = assign_draft(form)
        && let Err(v) = a.validate(today)
    {
        for e in v.all() {
            errs.push(e.clone());
        }
    }
    errs.into_result()
}

fn item_draft(form: &FormData) -> ItemDraft {
    ItemDraft {
        kind: form.get("kind"),
        project_id: form.typed("project"),
        source: form.get("source"),
        category: form.get("category"),
        level: form.get("level"),
        title: form.get("title"),
        description: form.get("description"),
        raised_on: form.get("raised_on"),
    }
}

/// The assignment of a form, if a 承办单位 was chosen.
fn assign_draft(form: &FormData) -> Option<AssignDraft> {
    form.typed::<UnitId>("handler").map(|h| AssignDraft {
        handler_unit_id: Some(h),
        assisting_unit_ids: form.typed_all("assisting"),
        leader_id: form.typed("leader"),
        deadline: form.get("deadline"),
    })
}

/// The confirmation page an assignment asks for (it issues a numbered 交办单), unless the form
/// was confirmed (None: go on to the service); a unit or leader the caller cannot choose is
/// refused first: the form's own page again (`again`), at 422.
#[allow(clippy::too_many_arguments)]
async fn ask_to_assign<P: axum::response::IntoResponse>(
    s: &AppState,
    signed: &Signed,
    form: &FormData,
    action: &str,
    title: &str,
    back: &str,
    again: impl AsyncFnOnce(ValidationErrors) -> Result<P, crate::error::PageError>,
) -> Result<Option<axum::response::Response>, crate::error::PageError> {
    use axum::response::IntoResponse;
    let lines = match assign_lines(s, signed, form).await {
        Ok(lines) => lines,
        Err(v) => {
            let page = again(v).await?;
            return Ok(Some(
                (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
            ));
        }
    };
    Ok(crate::pages::ConfirmPage::unless_confirmed(
        signed,
        form,
        action,
        title,
        lines,
        "确认交办并签发交办单",
        back,
    ))
}

/// What an assignment will do, for the confirmation page; a unit or leader the caller cannot
/// choose (another county's, or none) is named at its field instead, before any confirmation.
async fn assign_lines(
    s: &AppState,
    signed: &Signed,
    form: &FormData,
) -> Result<Vec<String>, ValidationErrors> {
    let mut lines = vec![];
    let mut unknown = ValidationErrors::new();
    if !form.get("title").trim().is_empty() {
        lines.push(format!("事项：{}", form.get("title").trim()));
    }
    if let Some(id) = form.typed::<UnitId>("handler") {
        match org::unit(&s.app, &signed.ctx, id).await {
            Ok(u) => lines.push(format!("承办单位：{}", u.name)),
            Err(_) => unknown.add("handler", "unknown", "承办单位不存在，请重新选择"),
        }
    }
    // as the 交办单 will list them: the 承办 unit is not also 协办, each unit once
    let handler = form.typed::<UnitId>("handler");
    let mut assisting: Vec<UnitId> = form.typed_all("assisting");
    assisting.retain(|u| Some(*u) != handler);
    assisting.sort_unstable();
    assisting.dedup();
    if !assisting.is_empty() {
        let mut names = vec![];
        for id in assisting {
            match org::unit(&s.app, &signed.ctx, id).await {
                Ok(u) => names.push(u.name),
                Err(_) => unknown.add("assisting", "unknown", "协办单位不存在，请重新选择"),
            }
        }
        lines.push(format!("协办单位：{}", names.join("、")));
    }
    if let Some(id) = form.typed::<LeaderId>("leader") {
        match org::leader(&s.app, &signed.ctx, id).await {
            Ok(l) => lines.push(format!("交办领导：{}", l.name)),
            Err(_) => unknown.add("leader", "unknown", "交办领导不存在，请重新选择"),
        }
    }
    let deadline = form.get("deadline");
    lines.push(format!(
        "办理时限：{}",
        if deadline.trim().is_empty() {
            "按督办规则的默认时限".to_string()
        } else {
            deadline
        }
    ));
    lines.push("确认后将签发编号的交办单并通知承办单位。".into());
    unknown.into_result().map(|()| lines)
}
