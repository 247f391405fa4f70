//! 帮代办 (issue #11): the region's catalogue, each project's list with its progress strip, one
//! item with its clock, steps and permit, the list of all items (and the overdue ones) with its
//! export, and the statistics per department and per agent.

use crate::AppState;
use crate::auth::{FormData, Posted, PostedWithFiles, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::{ConfirmPage, xlsx_response};
use crate::params::Path;
use crate::views::{self, Choice, Chrome, choices, named_choices};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::Role;
use keyproj_domain::ids::{ApprovalItemId, CatalogueEntryId, ItemId, ProjectId, UnitId};
use keyproj_domain::pipeline::ApprovalState;
use keyproj_domain::pipeline::approvals::{ApprovalDraft, CatalogueDraft, Progress, StepDraft};
use keyproj_domain::problem::calendar::DayCount;
use keyproj_service::ServiceError;
use keyproj_service::account::People;
use keyproj_service::attachments::{Owner, attach_all};
use keyproj_service::pipeline::approvals::{self as svc, ApprovalView, ListQuery, StatLine};
use keyproj_service::{org, projects};

pub(super) fn routes() -> Router<AppState> {
    use crate::pages::UPLOAD_FORM_LIMIT;
    Router::new()
        .route("/approvals", get(list))
        .route("/approvals.xlsx", get(export))
        .route("/approvals/stats", get(stats))
        .route("/approvals/stats.xlsx", get(stats_xlsx))
        .route("/approvals/catalogue", get(catalogue).post(add_entry))
        .route("/approvals/catalogue/seed", post(seed))
        .route("/approvals/catalogue/{id}", post(update_entry))
        .route("/approvals/{id}", get(detail))
        .route(
            "/approvals/{id}/step",
            // the step form carries the permit (a file of up to 20 MB) with the step
            post(step).layer(DefaultBodyLimit::max(UPLOAD_FORM_LIMIT)),
        )
        .route(
            "/approvals/{id}/attachments",
            // up to three files; each is checked and named (the limit only stops floods)
            post(attach).layer(DefaultBodyLimit::max(UPLOAD_FORM_LIMIT)),
        )
        .route("/approvals/{id}/raise", post(raise))
        .route("/projects/{id}/approvals", get(project_list).post(add_item))
}

const PAGE: i64 = 50;

/// An item as listed.
pub(super) struct ItemLine {
    id: ApprovalItemId,
    project_id: ProjectId,
    project_name: String,
    name: String,
    unit_name: String,
    agent: String,
    state: &'static str,
    state_key: &'static str,
    received_on: String,
    accepted_on: String,
    completed_on: String,
    limit: String,
    used: String,
    overdue: bool,
    /// Done, but past the limit.
    late: bool,
    approval_no: String,
    problem: Option<ItemId>,
}

fn date(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn line(v: &ApprovalView, people: &People) -> ItemLine {
    let r = &v.row;
    ItemLine {
        id: r.id,
        project_id: r.project_id,
        project_name: r.project_name.clone(),
        name: r.name.clone(),
        unit_name: r.unit_name.clone(),
        agent: people.name(&r.agent),
        state: r.state.label(),
        state_key: r.state.key(),
        received_on: date(r.received_on),
        accepted_on: date(r.accepted_on),
        completed_on: date(r.completed_on),
        limit: format!("{}个{}", r.limit_days, r.day_count.label()),
        used: v.used_days.map(|n| n.to_string()).unwrap_or_default(),
        overdue: v.overdue,
        late: v.on_time == Some(false),
        approval_no: r.approval_no.clone().unwrap_or_default(),
        problem: r.problem_item_id,
    }
}

async fn people_of(s: &AppState, items: &[ApprovalView]) -> Result<People, PageError> {
    Ok(People::of(&s.app, items.iter().map(|v| v.row.agent.clone())).await?)
}

// --- the list ----------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/approvals.html")]
struct ListPage {
    chrome: Chrome,
    lines: Vec<ItemLine>,
    total: i64,
    pager: views::Pager,
    query: String,
    q: String,
    states: Vec<Choice>,
    units: Vec<Choice>,
    agents: Vec<Choice>,
    open: bool,
    overdue: bool,
    /// The overdue items per department (the overdue list's head).
    overdue_by_unit: Vec<(String, i64)>,
    link_projects: bool,
}

fn list_query(q: &FormData) -> (ListQuery, i64) {
    let text = |k: &str| Some(q.get(k)).filter(|v| !v.trim().is_empty());
    let page = q
        .get("page")
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, 100_000);
    (
        ListQuery {
            q: text("q"),
            state: text("state").and_then(|s| ApprovalState::from_input(&s)),
            open_only: q.get("open") == "1",
            overdue_only: q.get("overdue") == "1",
            project_id: q.typed("project"),
            unit_id: q.typed("unit"),
            agent: text("agent"),
            limit: Some(PAGE),
            offset: (page - 1) * PAGE,
        },
        page,
    )
}

fn query_without_page(q: &FormData) -> String {
    views::query_of(
        q,
        &["q", "state", "unit", "agent", "project", "open", "overdue"],
    )
}

async fn list(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (lq, page) = list_query(&q);
    let found = svc::list(&s.app, &signed.ctx, &lq).await?;
    let people = people_of(&s, &found.items).await?;
    let region_wide =
        signed.ctx.actor.has(Role::CenterStaff) || signed.ctx.actor.has(Role::CountyLeader);
    let (units, agents) = if region_wide {
        let units = org::units(&s.app, &signed.ctx).await?;
        let agents = svc::agents(&s.app, &signed.ctx).await?;
        (
            named_choices(
                units.into_iter().map(|u| (u.id, u.name)),
                &lq.unit_id.into_iter().collect::<Vec<_>>(),
            ),
            agents
                .into_iter()
                .map(|(login, name)| {
                    let selected = lq.agent.as_deref() == Some(login.as_str());
                    Choice {
                        label: if name.is_empty() { login.clone() } else { name },
                        value: login,
                        selected,
                    }
                })
                .collect(),
        )
    } else {
        (vec![], vec![])
    };
    let overdue_by_unit = if lq.overdue_only {
        let mut by: std::collections::BTreeMap<String, i64> = Default::default();
        let all = svc::list(
            &s.app,
            &signed.ctx,
            &ListQuery {
                limit: None,
                offset: 0,
                ..lq.clone()
            },
        )
        .await?;
        for v in &all.items {
            *by.entry(v.row.unit_name.clone()).or_default() += 1;
        }
        let mut v: Vec<(String, i64)> = by.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    } else {
        vec![]
    };
    Ok(ListPage {
        chrome: Chrome::new(&signed, "approvals"),
        lines: found.items.iter().map(|v| line(v, &people)).collect(),
        total: found.total,
        pager: views::Pager::new(
            "/approvals",
            &query_without_page(&q),
            page,
            ((found.total + PAGE - 1) / PAGE).max(1),
            None,
        ),
        query: query_without_page(&q),
        q: q.get("q"),
        states: choices::<ApprovalState>(&q.get("state")),
        units,
        agents,
        open: lq.open_only,
        overdue: lq.overdue_only,
        overdue_by_unit,
        link_projects: links_projects(&signed),
    }
    .into_response())
}

async fn export(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (mut lq, _) = list_query(&q);
    lq.limit = None;
    lq.offset = 0;
    let found = svc::list(&s.app, &signed.ctx, &lq).await?;
    let people = people_of(&s, &found.items).await?;
    let file = keyproj_service::exports::approvals_xlsx(&s.app, &found.items, &people)?;
    projects::record_export(&s.app, &signed.ctx, "approval_items", found.items.len()).await?;
    Ok(xlsx_response(&file.name, file.bytes))
}

// --- statistics --------------------------------------------------------------------------

struct StatView {
    name: String,
    handled: i64,
    completed: i64,
    on_time: i64,
    on_time_pct: String,
    average_days: String,
    overdue_now: i64,
    /// The list of this line's overdue items.
    overdue_href: String,
}

fn stat_view(l: &StatLine, param: &str) -> StatView {
    StatView {
        name: l.name.clone(),
        handled: l.handled,
        completed: l.completed,
        on_time: l.on_time,
        on_time_pct: l
            .on_time_pct()
            .map(|p| format!("{p:.1}%"))
            .unwrap_or_else(|| "—".into()),
        average_days: l
            .average_days
            .map(|d| format!("{d:.1}"))
            .unwrap_or_else(|| "—".into()),
        overdue_now: l.overdue_now,
        overdue_href: if param.is_empty() {
            "/approvals?overdue=1".into()
        } else {
            format!(
                "/approvals?overdue=1&{param}={}",
                form_urlencoded::byte_serialize(l.key.as_bytes()).collect::<String>()
            )
        },
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/approval_stats.html")]
struct StatsPage {
    chrome: Chrome,
    by_unit: Vec<StatView>,
    by_agent: Vec<StatView>,
    total: StatView,
}

async fn stats(State(s): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    let st = svc::stats(&s.app, &signed.ctx).await?;
    Ok(StatsPage {
        chrome: Chrome::new(&signed, "approvals"),
        by_unit: st.by_unit.iter().map(|l| stat_view(l, "unit")).collect(),
        by_agent: st.by_agent.iter().map(|l| stat_view(l, "agent")).collect(),
        total: stat_view(&st.total, ""),
    }
    .into_response())
}

async fn stats_xlsx(State(s): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    let st = svc::stats(&s.app, &signed.ctx).await?;
    let file = keyproj_service::exports::approval_stats_xlsx(&s.app, &st)?;
    projects::record_export(&s.app, &signed.ctx, "approval_stats", st.by_unit.len()).await?;
    Ok(xlsx_response(&file.name, file.bytes))
}

// --- the catalogue -----------------------------------------------------------------------

struct EntryLine {
    id: CatalogueEntryId,
    name: String,
    unit_name: String,
    limit: String,
    retired: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/catalogue.html")]
struct CataloguePage {
    chrome: Chrome,
    entries: Vec<EntryLine>,
    is_staff: bool,
    /// The entry being edited (its id and version), or none for a new one.
    editing: Option<(CatalogueEntryId, i64)>,
    retired: bool,
    units: Vec<Choice>,
    day_counts: Vec<Choice>,
    typed: FormData,
    errors: ValidationErrors,
    flash: Option<String>,
}

async fn catalogue_page(
    s: &AppState,
    signed: &Signed,
    editing: Option<CatalogueEntryId>,
    typed: Option<FormData>,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<CataloguePage, PageError> {
    let rows = svc::catalogue(&s.app, &signed.ctx).await?;
    let edited = editing.and_then(|id| rows.iter().find(|r| r.id == id));
    let typed = typed.unwrap_or_else(|| match edited {
        Some(r) => FormData(vec![
            ("name".into(), r.name.clone()),
            ("unit_id".into(), r.unit_id.to_string()),
            ("limit_days".into(), r.limit_days.to_string()),
            ("day_count".into(), r.day_count.key().into()),
            (
                "retired".into(),
                if r.retired { "1" } else { "" }.to_string(),
            ),
        ]),
        None => FormData(vec![("day_count".into(), DayCount::Working.key().into())]),
    });
    let units = org::units(&s.app, &signed.ctx).await?;
    let chosen: Vec<UnitId> = typed.typed("unit_id").into_iter().collect();
    Ok(CataloguePage {
        chrome: Chrome::new(signed, "approvals"),
        entries: rows
            .iter()
            .map(|r| EntryLine {
                id: r.id,
                name: r.name.clone(),
                unit_name: r.unit_name.clone(),
                limit: format!("{}个{}", r.limit_days, r.day_count.label()),
                retired: r.retired,
            })
            .collect(),
        is_staff: signed.ctx.actor.has(Role::CenterStaff),
        editing: edited.map(|r| (r.id, r.version)),
        retired: typed.get("retired") == "1",
        // the deciding departments: never an enterprise
        units: named_choices(
            units
                .into_iter()
                .filter(|u| u.kind != keyproj_domain::org::UnitKind::Enterprise)
                .map(|u| (u.id, u.name)),
            &chosen,
        ),
        day_counts: choices::<DayCount>(&typed.get("day_count")),
        typed,
        errors,
        flash,
    })
}

async fn catalogue(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let flash = match q.get("done").as_str() {
        "added" => Some("事项已加入目录".to_string()),
        "saved" => Some("事项已修改".to_string()),
        _ => None,
    };
    Ok(catalogue_page(
        &s,
        &signed,
        q.typed("edit"),
        None,
        ValidationErrors::new(),
        flash,
    )
    .await?
    .into_response())
}

fn entry_draft(form: &FormData) -> CatalogueDraft {
    CatalogueDraft {
        name: form.get("name"),
        unit_id: form.typed("unit_id"),
        limit_days: form.get("limit_days"),
        day_count: form.get("day_count"),
    }
}

async fn add_entry(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    match svc::add_entry(&s.app, &signed.ctx, &entry_draft(&form)).await {
        Ok(_) => Ok(Redirect::to("/approvals/catalogue?done=added").into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            catalogue_page(&s, &signed, None, Some(form), v, None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn update_entry(
    State(s): State<AppState>,
    Path(id): Path<CatalogueEntryId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let retired = form.get("retired") == "1";
    match svc::update_entry(
        &s.app,
        &signed.ctx,
        id,
        &entry_draft(&form),
        retired,
        version,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/approvals/catalogue?done=saved").into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            catalogue_page(&s, &signed, Some(id), Some(form), v, None).await?,
        )
            .into_response()),
        Err(ServiceError::Stale) => Ok((
            StatusCode::CONFLICT,
            catalogue_page(
                &s,
                &signed,
                Some(id),
                Some(form),
                ValidationErrors::single("name", "stale", "该事项刚被他人修改过，请核对后重新提交"),
                None,
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn seed(
    State(s): State<AppState>,
    Posted { signed, .. }: Posted,
) -> Result<Response, PageError> {
    let done = svc::seed_usual(&s.app, &signed.ctx).await?;
    // shown from what was done (not from the address, which anyone can write); seeding twice
    // adds nothing, so a reload is harmless
    let flash = format!(
        "已载入常用事项 {} 项{}",
        done.added.len(),
        if done.skipped.is_empty() {
            String::new()
        } else {
            format!("；未找到审批部门、未载入的：{}", done.skipped.join("、"))
        }
    );
    Ok(catalogue_page(
        &s,
        &signed,
        None,
        None,
        ValidationErrors::new(),
        Some(flash),
    )
    .await?
    .into_response())
}

// --- one project's list ------------------------------------------------------------------

/// A project's progress strip: the parts and their widths (steps of 5%).
pub(crate) struct Strip {
    pub done: u32,
    pub in_hand: u32,
    pub not_started: u32,
    pub w_done: u32,
    pub w_in_hand: u32,
    pub w_not_started: u32,
}

impl Strip {
    pub(crate) fn of(p: &Progress) -> Strip {
        let (a, b, c) = p.widths();
        Strip {
            done: p.done,
            in_hand: p.in_hand,
            not_started: p.not_started,
            w_done: a,
            w_in_hand: b,
            w_not_started: c,
        }
    }
    pub(crate) fn total(&self) -> u32 {
        self.done + self.in_hand + self.not_started
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/project_approvals.html")]
struct ProjectPage {
    chrome: Chrome,
    project_id: ProjectId,
    project_name: String,
    strip: Strip,
    lines: Vec<ItemLine>,
    is_staff: bool,
    catalogue: Vec<Choice>,
    units: Vec<Choice>,
    day_counts: Vec<Choice>,
    agents: Vec<Choice>,
    typed: FormData,
    errors: ValidationErrors,
    flash: Option<String>,
    link_projects: bool,
}

async fn project_page(
    s: &AppState,
    signed: &Signed,
    id: ProjectId,
    typed: Option<FormData>,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<ProjectPage, PageError> {
    let detail = projects::get(&s.app, &signed.ctx, id).await?;
    let items = svc::of_project(&s.app, &signed.ctx, id).await?;
    let people = people_of(s, &items).await?;
    let mut p = Progress::default();
    items.iter().for_each(|v| p.add(v.row.state));
    let is_staff = signed.ctx.actor.has(Role::CenterStaff);
    let typed = typed.unwrap_or_else(|| {
        FormData(vec![
            ("day_count".into(), DayCount::Working.key().into()),
            ("agent".into(), signed.ctx.actor.username.clone()),
        ])
    });
    let (catalogue, units, agents) = if is_staff {
        let chosen: Vec<CatalogueEntryId> = typed.typed("catalogue_id").into_iter().collect();
        let cat = named_choices(
            svc::catalogue(&s.app, &signed.ctx)
                .await?
                .into_iter()
                .filter(|c| !c.retired)
                .map(|c| {
                    (
                        c.id,
                        format!(
                            "{}（{}，{}个{}）",
                            c.name,
                            c.unit_name,
                            c.limit_days,
                            c.day_count.label()
                        ),
                    )
                }),
            &chosen,
        );
        let chosen_unit: Vec<UnitId> = typed.typed("unit_id").into_iter().collect();
        let units = named_choices(
            org::units(&s.app, &signed.ctx)
                .await?
                .into_iter()
                .filter(|u| u.kind != keyproj_domain::org::UnitKind::Enterprise)
                .map(|u| (u.id, u.name)),
            &chosen_unit,
        );
        let agent = typed.get("agent");
        let agents = svc::agents(&s.app, &signed.ctx)
            .await?
            .into_iter()
            .map(|(login, name)| Choice {
                selected: login == agent,
                label: if name.is_empty() { login.clone() } else { name },
                value: login,
            })
            .collect();
        (cat, units, agents)
    } else {
        (vec![], vec![], vec![])
    };
    Ok(ProjectPage {
        chrome: Chrome::new(signed, "approvals"),
        project_id: id,
        project_name: detail.project.name.clone(),
        strip: Strip::of(&p),
        lines: items.iter().map(|v| line(v, &people)).collect(),
        is_staff,
        catalogue,
        units,
        day_counts: choices::<DayCount>(&typed.get("day_count")),
        agents,
        typed,
        errors,
        flash,
        link_projects: true,
    })
}

async fn project_list(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<ProjectId>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let flash = (q.get("done") == "added").then(|| "事项已加入帮代办清单".to_string());
    Ok(
        project_page(&s, &signed, id, None, ValidationErrors::new(), flash)
            .await?
            .into_response(),
    )
}

async fn add_item(
    State(s): State<AppState>,
    Path(id): Path<ProjectId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let draft = ApprovalDraft {
        catalogue_id: form.typed("catalogue_id"),
        name: form.get("name"),
        unit_id: form.typed("unit_id"),
        limit_days: form.get("limit_days"),
        day_count: form.get("day_count"),
        agent: form.get("agent"),
        received_on: form.get("received_on"),
        note: form.get("note"),
    };
    match svc::add_item(&s.app, &signed.ctx, id, &draft).await {
        Ok(_) => Ok(Redirect::to(&format!("/projects/{id}/approvals?done=added")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            project_page(&s, &signed, id, Some(form), v, None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// --- one item ----------------------------------------------------------------------------

struct EventLine {
    on: String,
    step: &'static str,
    to_state: &'static str,
    note: String,
    approval_no: String,
    actor: String,
}

struct FileLine {
    id: keyproj_domain::ids::AttachmentId,
    name: String,
    size: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/approval.html")]
struct DetailPage {
    chrome: Chrome,
    item: ItemLine,
    version: i64,
    note: String,
    pauses: Vec<String>,
    events: Vec<EventLine>,
    files: Vec<FileLine>,
    steps: Vec<Choice>,
    may_raise: bool,
    may_attach: bool,
    problem_number: String,
    typed: FormData,
    error: Option<String>,
    /// The refused step's problems, shown at their fields.
    errors: ValidationErrors,
    flash: Option<String>,
    /// Whether the project links lead anywhere for this person (a department sees the items it
    /// decides, not always their projects).
    link_projects: bool,
}

/// A department user alone does not necessarily see the projects of the items it decides.
fn links_projects(signed: &Signed) -> bool {
    let a = &signed.ctx.actor;
    a.has(Role::CenterStaff) || a.has(Role::CountyLeader) || a.has(Role::Owner)
}

async fn detail_page(
    s: &AppState,
    signed: &Signed,
    id: ApprovalItemId,
    typed: FormData,
    error: Option<String>,
    flash: Option<String>,
) -> Result<DetailPage, PageError> {
    let d = svc::get(&s.app, &signed.ctx, id).await?;
    let people = People::of(
        &s.app,
        d.events
            .iter()
            .map(|e| e.actor.clone())
            .chain([d.item.row.agent.clone()]),
    )
    .await?;
    let files = keyproj_service::attachments::list(&s.app, &signed.ctx, Owner::Approval(id))
        .await?
        .into_iter()
        .map(|a| FileLine {
            id: a.id,
            name: a.file_name,
            size: format!("{:.1} KB", a.size_bytes as f64 / 1024.0),
        })
        .collect();
    let staff = signed.ctx.actor.has(Role::CenterStaff);
    Ok(DetailPage {
        chrome: Chrome::new(signed, "approvals"),
        note: d.item.row.note.clone(),
        version: d.item.row.version,
        pauses: d
            .item
            .row
            .pauses
            .iter()
            .map(|(a, b)| match b {
                Some(b) => format!("{a} 至 {b}"),
                None => format!("{a} 起（补正中）"),
            })
            .collect(),
        item: line(&d.item, &people),
        events: d
            .events
            .iter()
            .map(|e| EventLine {
                on: e.on.to_string(),
                step: e.step.label(),
                to_state: e.to_state.label(),
                note: e.note.clone(),
                approval_no: e.approval_no.clone().unwrap_or_default(),
                actor: people.name(&e.actor),
            })
            .collect(),
        files,
        steps: d
            .steps
            .iter()
            .map(|s| Choice {
                value: s.key().into(),
                label: s.label().into(),
                selected: false,
            })
            .collect(),
        may_raise: d.may_raise,
        may_attach: staff || signed.ctx.actor.is_unit(Some(d.item.row.unit_id)),
        problem_number: d.problem_number.unwrap_or_default(),
        typed,
        error,
        errors: ValidationErrors::new(),
        flash,
        link_projects: links_projects(signed),
    })
}

async fn detail(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<ApprovalItemId>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let mut page = detail_page(&s, &signed, id, FormData::default(), None, None).await?;
    // what the flash says is read from the record, never from the address
    page.flash = match q.get("done").as_str() {
        "step" => Some(format!("已办理，当前状态：{}", page.item.state)),
        "file" => Some("附件已上传".to_string()),
        "raised" if !page.problem_number.is_empty() => Some(format!(
            "已提交为问题{}，并交办审批部门",
            page.problem_number
        )),
        _ => None,
    };
    Ok(page.into_response())
}

/// A step, with the permit when one is chosen: the file is checked and stored first, so a bad
/// file refuses the step and the typed form comes back as it was.
async fn step(
    State(s): State<AppState>,
    Path(id): Path<ApprovalItemId>,
    PostedWithFiles {
        signed,
        form,
        files,
    }: PostedWithFiles,
) -> Result<Response, PageError> {
    let chose_file = files.iter().any(|f| f.field == "file");
    let again = |error: String, errors: ValidationErrors, status: StatusCode| {
        let (s, signed, form) = (&s, &signed, &form);
        async move {
            let mut page = detail_page(s, signed, id, form.clone(), Some(error), None).await?;
            page.errors = errors;
            if chose_file {
                // a browser never sends a chosen file back: say so, so nobody believes it kept
                page.error = page
                    .error
                    .map(|e| format!("{e}（所选附件未上传，请重新选择后提交）"));
            }
            Ok::<Response, PageError>((status, page).into_response())
        }
    };
    let bad = StatusCode::UNPROCESSABLE_ENTITY;
    let draft = StepDraft {
        step: form.get("step"),
        on: form.get("on"),
        note: form.get("note"),
        approval_no: form.get("approval_no"),
    };
    // the step is checked before any file is kept: a refused step stores nothing
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let uploads: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter(|f| f.field == "file")
        .map(|f| (f.file_name, f.bytes))
        .collect();
    // who may step comes first (403 before any word about the files or the fields)
    if svc::get(&s.app, &signed.ctx, id).await?.steps.is_empty()
        && !signed.ctx.actor.has(Role::CenterStaff)
    {
        return Err(ServiceError::Forbidden.into());
    }
    if !uploads.is_empty() {
        // the files are checked before the step: a refused file refuses the step
        if let Err(ServiceError::Validation(v)) =
            keyproj_service::attachments::check_files(Owner::Approval(id), &uploads)
        {
            return again(v.to_string(), ValidationErrors::new(), bad).await;
        }
    }
    match svc::step(&s.app, &signed.ctx, id, &draft, version).await {
        Ok(_) => {}
        Err(ServiceError::Validation(v)) => return again(v.to_string(), v, bad).await,
        Err(ServiceError::Stale) => {
            return again(
                "该事项刚被他人办理过，请核对后重新提交".into(),
                ValidationErrors::new(),
                StatusCode::CONFLICT,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    if !uploads.is_empty() {
        match attach_all(&s.app, &signed.ctx, Owner::Approval(id), uploads).await {
            Ok(_) => {}
            Err(ServiceError::Validation(v)) => {
                // the step is done; only the file was refused
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    detail_page(
                        &s,
                        &signed,
                        id,
                        FormData::default(),
                        Some(format!("已办理，但附件未能上传：{v}")),
                        None,
                    )
                    .await?,
                )
                    .into_response());
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Redirect::to(&format!("/approvals/{id}?done=step")).into_response())
}

async fn attach(
    State(s): State<AppState>,
    Path(id): Path<ApprovalItemId>,
    PostedWithFiles {
        signed,
        form: _,
        files,
    }: PostedWithFiles,
) -> Result<Response, PageError> {
    let uploads = crate::pages::chosen_files(files);
    match crate::pages::store_files(&s, &signed, Owner::Approval(id), uploads).await {
        Ok(()) => Ok(Redirect::to(&format!("/approvals/{id}?done=file")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            detail_page(
                &s,
                &signed,
                id,
                FormData::default(),
                Some(format!("{v}（附件未上传，请重新选择）")),
                None,
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// Raising an overdue item issues a numbered 交办单 to the department: it asks first.
async fn raise(
    State(s): State<AppState>,
    Path(id): Path<ApprovalItemId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    if ConfirmPage::going_back(&form) {
        return Ok(Redirect::to(&format!("/approvals/{id}")).into_response());
    }
    let d = svc::get(&s.app, &signed.ctx, id).await?;
    if let Some(ask) = ConfirmPage::unless_confirmed(
        &signed,
        &form,
        &format!("/approvals/{id}/raise"),
        "确认提交问题清单并交办",
        vec![
            format!("项目：{}", d.item.row.project_name),
            format!("事项：{}（{}）", d.item.row.name, d.item.row.unit_name),
            format!(
                "已用 {} 天，承诺 {} 个{}",
                d.item.used_days.unwrap_or(0),
                d.item.row.limit_days,
                d.item.row.day_count.label()
            ),
            "将登记为问题（来源：帮代办），并交办审批部门办理、签发交办单".into(),
        ],
        "确认提交并交办",
        &format!("/approvals/{id}"),
    ) {
        return Ok(ask);
    }
    match svc::raise_problem(&s.app, &signed.ctx, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/approvals/{id}?done=raised")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            detail_page(
                &s,
                &signed,
                id,
                FormData::default(),
                Some(v.to_string()),
                None,
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

impl DetailPage {
    fn typed(&self, name: &str) -> String {
        self.typed.get(name)
    }
}

impl ProjectPage {
    fn typed(&self, name: &str) -> String {
        self.typed.get(name)
    }
    fn error(&self, name: &str) -> Option<&str> {
        self.errors.for_field(name)
    }
}

impl CataloguePage {
    fn typed(&self, name: &str) -> String {
        self.typed.get(name)
    }
    fn error(&self, name: &str) -> Option<&str> {
        self.errors.for_field(name)
    }
}
