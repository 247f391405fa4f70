//! The item list (filters, pages, .xlsx), registering (and assigning in one step), one item's
//! page with its log, documents, attachments and the steps the actor may take.

use super::workflow::Typed;
use super::{ItemForm, ItemLine, PAGE, ask_to_assign, assign_draft, item_draft, line};
use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::{ConfirmPage, allowed, xlsx_response};
use crate::params::Path;
use crate::views::{self, Choice, Chrome, choices, named_choices};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_db::repo::problems::documents::DocumentRow;
use keyproj_db::repo::problems::items::ItemFilter;
use keyproj_db::repo::problems::workflow::EventRow;
use keyproj_domain::authz::{Action, Role};
use keyproj_domain::ids::{AttachmentId, ItemId, ProjectId, UnitId};
use keyproj_domain::problem::{
    Alert, Category, DocumentKind, EventKind, ItemKind, Source, State as ItemState, Step,
};
use keyproj_domain::{ReportMonth, ValidationErrors};
use keyproj_service::problems::items::{self as svc, ItemRef};
use keyproj_service::{ServiceError, org};

/// The filter and page a link asks for; 每页 is `per_page` (50 when none, at most 200), as on
/// the project list.
fn filter_of(s: &AppState, signed: &Signed, q: &FormData) -> Result<(ItemFilter, i64), PageError> {
    let per_page = if q.get("per_page").trim().is_empty() {
        PAGE
    } else {
        svc::page_size(&q.get("per_page"))?
    };
    Ok(svc::filter_from_query(
        &s.app,
        &signed.ctx,
        |k| q.get(k),
        per_page,
    )?)
}

#[derive(Template, WebTemplate)]
#[template(path = "problems/list.html")]
pub(super) struct ListPage {
    chrome: Chrome,
    lines: Vec<ItemLine>,
    total: i64,
    pager: views::Pager,
    query: String,
    /// A page size the link chose, kept by the filter form.
    per_page: Option<i64>,
    q: String,
    states: Vec<Choice>,
    sources: Vec<Choice>,
    categories: Vec<Choice>,
    kinds: Vec<Choice>,
    units: Vec<Choice>,
    open: bool,
    overdue: bool,
    can_raise: bool,
    /// Filters a link carries that the form has no control for (项目, 年度, 督办等级): kept
    /// as hidden fields so changing a select does not drop them, and named above the table.
    kept: Vec<KeptFilter>,
    /// The query without those (the link that clears them).
    query_without_kept: String,
    /// Refused filter values: the page lists nothing and says why (422).
    refused: Vec<String>,
}

struct KeptFilter {
    name: &'static str,
    value: String,
    label: String,
}

/// The filters only links set, with how the page names them.
fn kept_filters(q: &FormData) -> Vec<KeptFilter> {
    [
        ("project", "项目 ID"),
        ("year", "年度"),
        ("alert", "督办等级"),
    ]
    .into_iter()
    .filter_map(|(name, what)| {
        let value = q.get(name).trim().to_string();
        if value.is_empty() {
            return None;
        }
        let shown = match name {
            "alert" => Alert::from_input(&value)
                .map(|a| a.label().to_string())
                .unwrap_or_else(|| value.clone()),
            _ => value.clone(),
        };
        Some(KeptFilter {
            name,
            label: format!("{what}：{shown}"),
            value,
        })
    })
    .collect()
}

fn query_without_page(q: &FormData) -> String {
    views::query_of(
        q,
        &[
            "q", "state", "source", "category", "kind", "alert", "open", "overdue", "unit",
            "project", "year",
        ],
    )
}

pub(super) async fn list(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let today = s.app.local_today();
    // A refused value (an edited link) brings back the page with the form as sent and the
    // reason, listing nothing, rather than a bare error page.
    let listed = match filter_of(&s, &signed, &q) {
        Ok((f, _)) => svc::list(&s.app, &signed.ctx, &f)
            .await
            .map(|found| (found, f.handler_unit_id, f.limit))
            .map_err(PageError),
        Err(e) => Err(e),
    };
    let (found, page, per_page, selected_unit, refused) = match listed {
        Ok((found, unit, per_page)) => {
            let page = found.page;
            (found, page, per_page, unit, vec![])
        }
        Err(PageError(ServiceError::Validation(v))) => (
            svc::ItemPage::nothing(),
            1,
            PAGE,
            None,
            v.0.into_iter().map(|e| e.message).collect(),
        ),
        Err(e) => return Err(e),
    };
    let units =
        if allowed(&signed, Action::ManageProblems) || signed.ctx.actor.has(Role::CountyLeader) {
            let selected: Vec<UnitId> = selected_unit.into_iter().collect();
            named_choices(
                org::units(&s.app, &signed.ctx)
                    .await?
                    .into_iter()
                    .map(|u| (u.id, u.name)),
                &selected,
            )
        } else {
            vec![]
        };
    let page = ListPage {
        chrome: Chrome::new(&signed, "problems"),
        lines: found.items.iter().map(|r| line(r, today)).collect(),
        total: found.total,
        pager: views::Pager::new(
            "/problems",
            &query_without_page(&q),
            page,
            ((found.total + per_page - 1) / per_page).max(1),
            Some(per_page),
        ),
        query: query_without_page(&q),
        per_page: (per_page != PAGE).then_some(per_page),
        q: q.get("q"),
        states: choices::<ItemState>(&q.get("state")),
        sources: choices::<Source>(&q.get("source")),
        categories: choices::<Category>(&q.get("category")),
        kinds: choices::<ItemKind>(&q.get("kind")),
        units,
        open: q.get("open") == "1",
        overdue: q.get("overdue") == "1",
        can_raise: allowed(&signed, Action::RaiseProblem),
        kept: kept_filters(&q),
        query_without_kept: views::query_of(
            &q,
            &[
                "q", "state", "source", "category", "kind", "open", "overdue", "unit",
            ],
        ),
        refused,
    };
    let status = if page.refused.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page).into_response())
}

pub(super) async fn export(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (mut f, _) = filter_of(&s, &signed, &q)?;
    f.limit = 200_000;
    f.offset = 0;
    let found = svc::list(&s.app, &signed.ctx, &f).await?;
    let bytes = keyproj_service::exports::items_xlsx(&s.app, &found.items)?;
    Ok(xlsx_response("重点项目问题清单.xlsx", bytes))
}

#[derive(Template, WebTemplate)]
#[template(path = "problems/new.html")]
pub(super) struct NewPage {
    pub chrome: Chrome,
    pub f: ItemForm,
    /// On a patrol's page: its id and files.
    pub patrol: Option<PatrolFiles>,
}

/// A patrol's photos and materials, shown above its finding form.
pub(super) struct PatrolFiles {
    pub id: i64,
    pub files: Vec<FileLink>,
}

/// A stored file, linked by name.
pub(super) struct FileLink {
    pub id: AttachmentId,
    pub name: String,
}

const NEW_HEADING: &str = "登记问题或任务";

async fn new_page(
    s: &AppState,
    signed: &Signed,
    form: &FormData,
    errors: ValidationErrors,
) -> Result<NewPage, PageError> {
    Ok(NewPage {
        chrome: Chrome::new(signed, "problems"),
        f: ItemForm::new(
            s,
            signed,
            form,
            errors,
            "/problems".into(),
            NEW_HEADING,
            true,
        )
        .await?,
        patrol: None,
    })
}

pub(super) async fn new(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    if !allowed(&signed, Action::RaiseProblem) {
        return Err(ServiceError::Forbidden.into());
    }
    let q = query_pairs(raw.as_deref());
    Ok(new_page(&s, &signed, &q, ValidationErrors::new())
        .await?
        .into_response())
}

pub(super) async fn create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let assign = assign_draft(&form);
    if ConfirmPage::going_back(&form) {
        return Ok(new_page(&s, &signed, &form, ValidationErrors::new())
            .await?
            .into_response());
    }
    // a deadline or 协办 without a 承办单位 would be dropped: ask for the unit instead
    if assign.is_none()
        && (!form.get("deadline").trim().is_empty()
            || !form.all("assisting").is_empty()
            || form.id("leader").is_some())
    {
        let e = ValidationErrors::single(
            "handler",
            "required",
            "已填写办理时限、协办单位或交办领导，请同时选择承办单位（只登记不交办请清空这几项）",
        );
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            new_page(&s, &signed, &form, e).await?,
        )
            .into_response());
    }
    if let Err(v) = super::checked_before_confirm(&form, s.app.local_today(), false) {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            new_page(&s, &signed, &form, v).await?,
        )
            .into_response());
    }
    // who may not assign gets no confirmation page: the registration itself is refused below
    if assign.is_some()
        && allowed(&signed, Action::ManageProblems)
        && let Some(ask) = ask_to_assign(
            &s,
            &signed,
            &form,
            "/problems",
            "确认登记并交办",
            "/problems/new",
            async |v| new_page(&s, &signed, &form, v).await,
        )
        .await?
    {
        return Ok(ask);
    }
    match svc::register(
        &s.app,
        &signed.ctx,
        &item_draft(&form),
        assign.as_ref(),
        Default::default(),
    )
    .await
    {
        Ok(ItemRef { id, .. }) => Ok(Redirect::to(&format!("/problems/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            new_page(&s, &signed, &form, v).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// --- one item ----------------------------------------------------------------------------

pub(super) struct EventLine {
    at: String,
    actor: String,
    step: &'static str,
    note: String,
    change: String,
    deadline: String,
}

fn event_line(e: &EventRow, people: &keyproj_service::account::People) -> EventLine {
    EventLine {
        at: views::local_time(&e.at),
        actor: people.name(&e.actor),
        step: match e.kind {
            EventKind::Alert(Alert::Blue) => "蓝色提醒",
            EventKind::Alert(Alert::Yellow) => "黄色督办",
            EventKind::Alert(Alert::Red) => "红色督办",
            k => k.label(),
        },
        note: e.note.clone(),
        change: match e.from_state {
            Some(from) if from != e.to_state => {
                format!("{} → {}", from.label(), e.to_state.label())
            }
            _ => String::new(),
        },
        deadline: views::shown(&e.deadline),
    }
}

/// An issued document in a list.
pub(super) struct DocLine {
    pub id: keyproj_domain::ids::DocumentId,
    pub number: String,
    pub title: String,
    pub issued_on: String,
    /// The letter's colour (none for other documents).
    pub kind_class: &'static str,
}

pub(super) fn doc_class(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::LetterBlue => "blue",
        DocumentKind::LetterYellow => "yellow",
        DocumentKind::LetterRed => "red",
        DocumentKind::Assign | DocumentKind::Minutes => "",
    }
}

pub(super) fn doc_line(d: &DocumentRow) -> DocLine {
    DocLine {
        id: d.id,
        number: d.number.clone(),
        title: d.title.clone(),
        issued_on: d.issued_on.to_string(),
        kind_class: doc_class(d.kind),
    }
}

/// A file attached to the item.
pub(super) struct AttachmentLine {
    id: AttachmentId,
    name: String,
    size: String,
    by: String,
}

/// A step the actor may take, as a button.
pub(super) struct StepButton {
    key: &'static str,
    label: &'static str,
    /// Steps that send the item back or end it are shown as secondary buttons.
    secondary: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "problems/detail.html")]
pub(super) struct DetailPage {
    chrome: Chrome,
    item: keyproj_db::repo::problems::items::ItemRow,
    l: ItemLine,
    assisting: String,
    parent: Option<ItemRef>,
    events: Vec<EventLine>,
    /// Who raised it, by name.
    raised_by: String,
    documents: Vec<DocLine>,
    steps: Vec<StepButton>,
    can_assign: bool,
    units: Vec<views::UnitGroup>,
    assisting_units: Vec<views::UnitGroup>,
    leaders: Vec<Choice>,
    error: Option<String>,
    flash: Option<String>,
    attachments: Vec<AttachmentLine>,
    can_attach: bool,
    /// What was typed, shown again after an error, an upload or 返回修改.
    typed: Typed,
}

impl DetailPage {
    fn raised_on(&self) -> String {
        self.item.raised_on.to_string()
    }
    fn assigned_on(&self) -> String {
        views::shown(&self.item.assigned_on)
    }
    fn requested_deadline(&self) -> String {
        views::shown(&self.item.requested_deadline)
    }
    fn closed_on(&self) -> String {
        views::shown(&self.item.closed_on)
    }
}

pub(super) async fn detail_page(
    s: &AppState,
    signed: &Signed,
    id: ItemId,
    error: Option<String>,
    flash: Option<String>,
    typed: Typed,
) -> Result<DetailPage, PageError> {
    let d = svc::get(&s.app, &signed.ctx, id).await?;
    let attachments = keyproj_service::attachments::list(
        &s.app,
        &signed.ctx,
        keyproj_service::attachments::Owner::Item(id),
    )
    .await?;
    let people = keyproj_service::account::People::of(
        &s.app,
        d.events
            .iter()
            .map(|e| e.actor.clone())
            .chain(attachments.iter().map(|a| a.uploaded_by.clone()))
            .chain([d.item.raised_by.clone()]),
    )
    .await?;
    let can_assign = d.steps.contains(&Step::Assign);
    let (units, assisting_units, leaders) = if can_assign {
        let all = org::units(&s.app, &signed.ctx).await?;
        let handler: Vec<UnitId> = typed.handler.into_iter().collect();
        let leader: Vec<_> = typed.leader.into_iter().collect();
        (
            views::unit_groups(&all, &handler),
            views::unit_groups(&all, &typed.assisting),
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
    let attachments = attachments
        .into_iter()
        .map(|a| AttachmentLine {
            id: a.id,
            name: a.file_name,
            size: format!("{:.1} KB", a.size_bytes as f64 / 1024.0),
            by: people.name(&a.uploaded_by),
        })
        .collect();
    let actor = &signed.ctx.actor;
    let can_attach = d.item.state.is_open()
        && (actor.has(Role::CenterStaff)
            || actor.is_unit(d.item.handler_unit_id)
            || actor.is_unit(Some(d.item.raised_unit_id)));
    Ok(DetailPage {
        attachments,
        can_attach,
        chrome: Chrome::new(signed, "problems"),
        l: line(&d.item, s.app.local_today()),
        assisting: d.assisting_units.join("、"),
        parent: d.parent.clone(),
        events: d.events.iter().map(|e| event_line(e, &people)).collect(),
        raised_by: people.name(&d.item.raised_by),
        documents: d.documents.iter().map(doc_line).collect(),
        steps: d
            .steps
            .iter()
            .filter(|s| **s != Step::Assign)
            .map(|s| StepButton {
                key: s.key(),
                label: s.label(),
                secondary: matches!(s, Step::Return | Step::Withdraw | Step::RefuseExtension),
            })
            .collect(),
        can_assign,
        units,
        assisting_units,
        leaders,
        error,
        flash,
        typed,
        item: d.item,
    })
}

pub(super) async fn detail(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<ItemId>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    // after a step: say what was done (Post/Redirect/Get)
    let flash = Step::from_key(&query_pairs(q.as_deref()).get("done"))
        .map(|st| format!("已{}", st.label()));
    Ok(detail_page(&s, &signed, id, None, flash, Typed::default())
        .await?
        .into_response())
}

/// 月报存在问题 → a problem, in one click (owners and the lead unit).
pub(crate) async fn raise_from_report(
    State(s): State<AppState>,
    Path((project, month)): Path<(ProjectId, String)>,
    Posted { signed, .. }: Posted,
) -> Result<Response, PageError> {
    let month = ReportMonth::parse("month", "月份", &month).map_err(ServiceError::from)?;
    match svc::raise_from_report(&s.app, &signed.ctx, project, month).await {
        Ok(ItemRef { id, .. }) => Ok(Redirect::to(&format!("/problems/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            crate::pages::dispatch::reports::report_page(
                &s, &signed, project, month, None, v, None,
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
