//! 帮代办: the region's catalogue of approval items and the items the center runs on each
//! project's behalf. Center staff keep the catalogue and the items; a department records 受理,
//! 补正 and 办结 on the items it decides; owners read their projects' items; county leaders read
//! everything. An item past its promised limit is overdue and may be raised into the problem list
//! once, with the department as 承办单位.

use crate::problems::items::{ItemRef, Origin, register_in};
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error};
use chrono::NaiveDate;
use keyproj_db::Tx;
use keyproj_db::repo::admin::users as user_repo;
use keyproj_db::repo::pipeline::approvals::{
    self as repo, ApprovalEventRow, ApprovalFilter, ApprovalRow, ApprovalScope, CatalogueRow,
    ClockRow, ItemUpdate, NewApproval, NewApprovalEvent,
};
use keyproj_domain::authz::{Action, Role};
use keyproj_domain::ids::{ApprovalItemId, CatalogueEntryId, ProjectId, UnitId};
use keyproj_domain::pipeline::approvals::{
    ApprovalDraft, ApprovalKind, CatalogueDraft, CatalogueFields, ItemDates, Progress, StepDraft,
    USUAL_CHAIN, pauses_after,
};
use keyproj_domain::pipeline::{ApprovalState, ApprovalStep};
use keyproj_domain::problem::calendar::{Calendar, DayCount};
use keyproj_domain::problem::draft::{AssignDraft, ItemDraft};
use keyproj_domain::problem::{Category, ItemKind, Level, Source};
use serde::Serialize;

fn staff(ctx: &Ctx) -> Result<()> {
    if ctx.actor.has(Role::CenterStaff) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// Whose items the actor sees; None: none at all.
fn scope_of(ctx: &Ctx) -> Option<ApprovalScope> {
    let a = &ctx.actor;
    if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) {
        Some(ApprovalScope::Region)
    } else if a.has(Role::UnitUser) {
        a.unit_id.map(ApprovalScope::Department)
    } else if a.has(Role::Owner) {
        a.unit_id.map(ApprovalScope::Owner)
    } else {
        None
    }
}

fn may_see(ctx: &Ctx, row: &ApprovalRow) -> bool {
    if !ctx.actor.region.contains(&row.region_code) {
        return false;
    }
    match scope_of(ctx) {
        Some(ApprovalScope::Region) => true,
        Some(ApprovalScope::Department(u)) => row.unit_id == u,
        Some(ApprovalScope::Owner(u)) => row.owner_unit_id == Some(u),
        None => false,
    }
}

pub(crate) async fn visible(tx: &mut Tx, ctx: &Ctx, id: ApprovalItemId) -> Result<ApprovalRow> {
    repo::get_item(tx, id)
        .await?
        .filter(|r| may_see(ctx, r))
        .ok_or(ServiceError::NotFound)
}

/// The steps the actor may take on an item now: staff any the state allows; the competent
/// department 受理, 补正, 办结 and 不予受理; owners none.
pub fn steps_for(ctx: &Ctx, row: &ApprovalRow) -> Vec<ApprovalStep> {
    let staff = ctx.actor.has(Role::CenterStaff);
    let department = ctx.actor.has(Role::UnitUser) && ctx.actor.is_unit(Some(row.unit_id));
    ApprovalStep::ALL
        .iter()
        .copied()
        .filter(|s| keyproj_domain::pipeline::next_approval_state(row.state, *s).is_ok())
        .filter(|s| {
            staff
                || (department
                    && matches!(
                        s,
                        ApprovalStep::Accept
                            | ApprovalStep::Correct
                            | ApprovalStep::Complete
                            | ApprovalStep::Refuse
                    ))
        })
        .collect()
}

// --- the catalogue -----------------------------------------------------------------------

/// The region's catalogue (anyone of the region who sees approval items reads it).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn catalogue(app: &App, ctx: &Ctx) -> Result<Vec<CatalogueRow>> {
    scope_of(ctx).ok_or(ServiceError::Forbidden)?;
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list_catalogue(&mut tx, &ctx.actor.region).await?)
}

/// The competent department: a unit of the region that decides (a department, township or
/// park — never an enterprise or an owner).
async fn check_unit(w: &mut Work<'_>, unit: UnitId) -> Result<()> {
    let u = crate::org::unit_in(&mut w.tx, &w.ctx.actor.region, unit)
        .await?
        .ok_or_else(|| field_error("unit_id", "unknown", "审批部门不存在"))?;
    if u.kind == keyproj_domain::org::UnitKind::Enterprise {
        return Err(field_error(
            "unit_id",
            "kind",
            format!("“{}”是企业，不能作为审批部门", u.name),
        ));
    }
    Ok(())
}

/// Adds an entry to the region's catalogue (center staff).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn add_entry(app: &App, ctx: &Ctx, draft: &CatalogueDraft) -> Result<CatalogueEntryId> {
    staff(ctx)?;
    let f = draft.validate()?;
    let mut w = Work::begin(app, ctx).await?;
    let id = add_entry_in(&mut w, &f).await?;
    w.commit().await?;
    Ok(id)
}

async fn add_entry_in(w: &mut Work<'_>, f: &CatalogueFields) -> Result<CatalogueEntryId> {
    check_unit(w, f.unit_id).await?;
    let region = w.ctx.actor.region.clone();
    if repo::list_catalogue(&mut w.tx, &region)
        .await?
        .iter()
        .any(|c| c.name == f.name)
    {
        return Err(field_error(
            "name",
            "duplicate",
            format!("目录中已有“{}”", f.name),
        ));
    }
    let id = repo::insert_catalogue(&mut w.tx, &region, f, w.now).await?;
    w.audit(Audit::create("approval_catalogue", id).after(f))
        .await?;
    Ok(id)
}

/// Changes an entry (or retires it: no longer offered, kept for the items that name it).
/// Items already taken keep the department and limit they were taken with.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn update_entry(
    app: &App,
    ctx: &Ctx,
    id: CatalogueEntryId,
    draft: &CatalogueDraft,
    retired: bool,
    version: i64,
) -> Result<()> {
    staff(ctx)?;
    let f = draft.validate()?;
    let mut w = Work::begin(app, ctx).await?;
    let before = repo::get_catalogue(&mut w.tx, id)
        .await?
        .filter(|c| c.region_code == ctx.actor.region)
        .ok_or(ServiceError::NotFound)?;
    check_unit(&mut w, f.unit_id).await?;
    if repo::list_catalogue(&mut w.tx, &ctx.actor.region)
        .await?
        .iter()
        .any(|c| c.name == f.name && c.id != id)
    {
        return Err(field_error(
            "name",
            "duplicate",
            format!("目录中已有“{}”", f.name),
        ));
    }
    if !repo::update_catalogue(&mut w.tx, id, &f, retired, version, w.now).await? {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::update("approval_catalogue", id)
            .before(&before)
            .after(&serde_json::json!({ "fields": f, "retired": retired })),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

/// What seeding the usual chain did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Seeded {
    pub added: Vec<String>,
    /// Items whose department the region does not have (by name): add them by hand.
    pub skipped: Vec<String>,
}

/// Seeds the region's catalogue with the usual chain (立项 … 竣工验收), each with the region's unit
/// of the usual department (matched by name) and the usual working-day limit. Entries the
/// catalogue already has are left as they are; running it twice adds nothing.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn seed_usual(app: &App, ctx: &Ctx) -> Result<Seeded> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let region = ctx.actor.region.clone();
    let units = keyproj_db::repo::org::list_units(&mut w.tx, &region).await?;
    let have: Vec<String> = repo::list_catalogue(&mut w.tx, &region)
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    let mut out = Seeded::default();
    for (name, dept, days) in USUAL_CHAIN {
        if have.iter().any(|h| h == name) {
            continue;
        }
        // 县发展和改革局 matches 发展和改革局; 发改局 is matched by its short form too
        let short: String = dept.chars().take(2).collect();
        let unit = units
            .iter()
            .find(|u| u.name.contains(dept))
            .or_else(|| units.iter().find(|u| u.name.contains(&short)));
        match unit {
            Some(u) => {
                let f = CatalogueFields {
                    name: name.to_string(),
                    unit_id: u.id,
                    limit_days: days,
                    day_count: DayCount::Working,
                };
                add_entry_in(&mut w, &f).await?;
                out.added.push(name.to_string());
            }
            None => out.skipped.push(format!("{name}（未找到{dept}）")),
        }
    }
    w.commit().await?;
    Ok(out)
}

// --- the items ---------------------------------------------------------------------------

/// Center staff who may act as agents (代办员): (login, name).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn agents(app: &App, ctx: &Ctx) -> Result<Vec<(String, String)>> {
    scope_of(ctx).ok_or(ServiceError::Forbidden)?;
    let mut tx = app.db.begin_read().await?;
    Ok(user_repo::with_role(&mut tx, &ctx.actor.region, Role::CenterStaff).await?)
}

/// Adds an approval item to a project's 帮代办 list (center staff). Every id is checked against
/// the region: the project, the catalogue entry, the department and the agent.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn add_item(
    app: &App,
    ctx: &Ctx,
    project_id: ProjectId,
    draft: &ApprovalDraft,
) -> Result<ApprovalItemId> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let id = add_item_in(&mut w, project_id, draft).await?;
    w.commit().await?;
    Ok(id)
}

/// [`add_item`] inside a caller's work (imports).
pub(crate) async fn add_item_in(
    w: &mut Work<'_>,
    project_id: ProjectId,
    draft: &ApprovalDraft,
) -> Result<ApprovalItemId> {
    staff(w.ctx)?;
    let f = draft.validate(w.today())?;
    let region = w.ctx.actor.region.clone();
    crate::projects::visible(&mut w.tx, w.ctx, project_id, Action::ViewProject)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound => field_error("project_id", "unknown", "项目不存在"),
            e => e,
        })?;
    let (catalogue_id, fields) = match &f.kind {
        ApprovalKind::Catalogue { id } => {
            let c = repo::get_catalogue(&mut w.tx, *id)
                .await?
                .filter(|c| region.contains(&c.region_code))
                .ok_or_else(|| field_error("catalogue_id", "unknown", "目录中没有该事项"))?;
            if c.retired {
                return Err(field_error(
                    "catalogue_id",
                    "retired",
                    format!("“{}”已停用，不能再用于新事项", c.name),
                ));
            }
            (
                Some(c.id),
                CatalogueFields {
                    name: c.name,
                    unit_id: c.unit_id,
                    limit_days: c.limit_days,
                    day_count: c.day_count,
                },
            )
        }
        ApprovalKind::AdHoc(a) => {
            check_unit(w, a.unit_id).await?;
            (None, a.clone())
        }
    };
    let agent_ok = match user_repo::find_user(&mut w.tx, &f.agent).await? {
        Some(u) if region.contains(&u.region_code) && !u.disabled => {
            crate::account::actor_of(&mut w.tx, &u)
                .await?
                .has(Role::CenterStaff)
        }
        _ => false,
    };
    if !agent_ok {
        return Err(field_error(
            "agent",
            "unknown",
            "代办员须是本中心的工作人员",
        ));
    }
    // the same approval twice for one project (a double click, a second clerk) is refused while
    // the first is alive; after 不予受理 or 撤回 it may be started again
    if let Some(twin) = repo::find_item(&mut w.tx, project_id, &fields.name).await?
        && !matches!(
            twin.state,
            ApprovalState::Refused | ApprovalState::Withdrawn
        )
    {
        return Err(field_error(
            "catalogue_id",
            "duplicate",
            format!(
                "该项目已有“{}”（{}），不重复添加",
                fields.name,
                twin.state.label()
            ),
        ));
    }
    let state = if f.received_on.is_some() {
        ApprovalState::Preparing
    } else {
        ApprovalState::NotStarted
    };
    let id = repo::insert_item(
        &mut w.tx,
        &NewApproval {
            region: &region,
            project_id,
            catalogue_id,
            name: &fields.name,
            unit_id: fields.unit_id,
            limit_days: fields.limit_days,
            day_count: fields.day_count,
            agent: &f.agent,
            state,
            received_on: f.received_on,
            note: &f.note,
        },
        w.now,
    )
    .await?;
    w.audit(
        Audit::create("approval_item", id).after(&serde_json::json!({
            "project_id": project_id, "catalogue_id": catalogue_id, "fields": fields,
            "agent": f.agent, "received_on": f.received_on, "state": state,
        })),
    )
    .await?;
    Ok(id)
}

/// Takes a step on an item (受理, 补正, 办结 …) on the day given, if it is still at `version`.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn step(
    app: &App,
    ctx: &Ctx,
    id: ApprovalItemId,
    draft: &StepDraft,
    version: i64,
) -> Result<ApprovalState> {
    let mut w = Work::begin(app, ctx).await?;
    let to = step_in(&mut w, id, draft, Some(version)).await?;
    w.commit().await?;
    Ok(to)
}

/// [`step`] inside a caller's work; `version` None for imports (the row as it is now).
pub(crate) async fn step_in(
    w: &mut Work<'_>,
    id: ApprovalItemId,
    draft: &StepDraft,
    version: Option<i64>,
) -> Result<ApprovalState> {
    let row = visible(&mut w.tx, w.ctx, id).await?;
    if steps_for(w.ctx, &row).is_empty() && !w.ctx.actor.has(Role::CenterStaff) {
        return Err(ServiceError::Forbidden);
    }
    let today = w.today();
    let (f, to) = draft.validate(
        row.state,
        ItemDates {
            received_on: row.received_on,
            accepted_on: row.accepted_on,
            correcting_since: row.pauses.last().filter(|p| p.1.is_none()).map(|p| p.0),
            last_step_on: [row.received_on, row.accepted_on, row.completed_on]
                .into_iter()
                .flatten()
                .chain(
                    row.pauses
                        .iter()
                        .flat_map(|(a, b)| [Some(*a), *b])
                        .flatten(),
                )
                .max(),
        },
        today,
    )?;
    if !steps_for(w.ctx, &row).contains(&f.step) {
        return Err(ServiceError::Forbidden);
    }
    let mut received_on = row.received_on;
    let mut accepted_on = row.accepted_on;
    let mut completed_on = row.completed_on;
    match f.step {
        ApprovalStep::Prepare => received_on = received_on.or(Some(f.on)),
        ApprovalStep::Accept => {
            received_on = received_on.or(Some(f.on));
            accepted_on = Some(f.on);
        }
        ApprovalStep::Complete => completed_on = Some(f.on),
        _ => {}
    }
    let pauses = pauses_after(row.pauses.clone(), f.step, f.on);
    let approval_no = f.approval_no.as_deref().or(row.approval_no.as_deref());
    let updated = repo::update_item(
        &mut w.tx,
        &ItemUpdate {
            id,
            version: version.unwrap_or(row.version),
            state: to,
            received_on,
            accepted_on,
            completed_on,
            pauses: &pauses,
            approval_no,
        },
        w.now,
    )
    .await?;
    if !updated {
        return Err(ServiceError::Stale);
    }
    repo::insert_event(
        &mut w.tx,
        &NewApprovalEvent {
            item_id: id,
            step: f.step,
            on: f.on,
            from_state: row.state,
            to_state: to,
            note: &f.note,
            approval_no: f.approval_no.as_deref(),
            actor: &w.ctx.actor.username,
        },
        w.now,
    )
    .await?;
    w.audit(
        Audit::new(f.step.key(), "approval_item")
            .id(id)
            .before(&serde_json::json!({ "state": row.state }))
            .after(&serde_json::json!({ "state": to, "step": f })),
    )
    .await?;
    Ok(to)
}

/// An item with its clock read on a day.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalView {
    #[serde(flatten)]
    pub row: ApprovalRow,
    /// Days used against the limit (None before 受理 and once refused or withdrawn).
    pub used_days: Option<i64>,
    pub overdue: bool,
    /// Done within the limit (None unless done).
    pub on_time: Option<bool>,
}

impl ApprovalView {
    pub fn of(row: ApprovalRow, cal: &Calendar, today: NaiveDate) -> ApprovalView {
        let clock = row.clock();
        let used_days = clock.used(cal, today);
        let overdue = clock.overdue(cal, today);
        let on_time = clock.on_time(cal, today);
        ApprovalView {
            row,
            used_days,
            overdue,
            on_time,
        }
    }
}

/// The calendar from the earliest 受理 of `rows` on (so every clock reads its holidays).
async fn calendar_for(
    tx: &mut Tx,
    ctx: &Ctx,
    rows: &[ApprovalRow],
    today: NaiveDate,
) -> Result<Calendar> {
    let from = rows
        .iter()
        .filter_map(|r| r.accepted_on)
        .min()
        .unwrap_or(today)
        .min(today);
    crate::rules::calendar_in(tx, &ctx.actor.region, from).await
}

/// What a list of items is asked for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub q: Option<String>,
    pub state: Option<ApprovalState>,
    pub open_only: bool,
    /// Only those past their limit now.
    pub overdue_only: bool,
    pub project_id: Option<ProjectId>,
    pub unit_id: Option<UnitId>,
    pub agent: Option<String>,
    /// None: all of them (exports).
    pub limit: Option<i64>,
    pub offset: i64,
}

/// A page of items and the count of all that match.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalPage {
    pub items: Vec<ApprovalView>,
    pub total: i64,
}

/// The actor's items matching `q`. The overdue list is computed in days (working days cannot be
/// counted in SQL on both engines): it reads the items in the department's hands and pages them
/// here.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn list(app: &App, ctx: &Ctx, q: &ListQuery) -> Result<ApprovalPage> {
    let scope = scope_of(ctx).ok_or(ServiceError::Forbidden)?;
    let mut f = ApprovalFilter::new(ctx.actor.region.clone(), scope);
    f.q = q.q.clone();
    f.state = q.state;
    f.open_only = q.open_only;
    f.project_id = q.project_id;
    f.unit_id = q.unit_id;
    f.agent = q.agent.clone();
    if q.overdue_only {
        f.state = Some(ApprovalState::Accepted);
    } else {
        f.limit = q.limit;
        f.offset = q.offset;
    }
    let today = app.local_today();
    let mut tx = app.db.begin_read().await?;
    let (rows, total) = repo::list_items(&mut tx, &f).await?;
    let cal = calendar_for(&mut tx, ctx, &rows, today).await?;
    let views: Vec<ApprovalView> = rows
        .into_iter()
        .map(|r| ApprovalView::of(r, &cal, today))
        .collect();
    if q.overdue_only {
        let overdue: Vec<ApprovalView> = views.into_iter().filter(|v| v.overdue).collect();
        let total = overdue.len() as i64;
        let items = overdue
            .into_iter()
            .skip(q.offset.max(0) as usize)
            .take(q.limit.unwrap_or(i64::MAX).max(0) as usize)
            .collect();
        return Ok(ApprovalPage { items, total });
    }
    Ok(ApprovalPage {
        items: views,
        total,
    })
}

/// One item with its log and the steps the actor may take.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalDetail {
    pub item: ApprovalView,
    pub events: Vec<ApprovalEventRow>,
    pub steps: Vec<ApprovalStep>,
    /// Overdue, not yet raised, and the actor is center staff.
    pub may_raise: bool,
    /// The problem-list number it was raised as.
    pub problem_number: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn get(app: &App, ctx: &Ctx, id: ApprovalItemId) -> Result<ApprovalDetail> {
    let today = app.local_today();
    let mut tx = app.db.begin_read().await?;
    let row = visible(&mut tx, ctx, id).await?;
    let events = repo::events_of(&mut tx, id).await?;
    let cal = calendar_for(&mut tx, ctx, std::slice::from_ref(&row), today).await?;
    let steps = steps_for(ctx, &row);
    let problem_number = match row.problem_item_id {
        Some(p) => keyproj_db::repo::problems::items::get_item(&mut tx, p)
            .await?
            .map(|i| i.number),
        None => None,
    };
    let item = ApprovalView::of(row, &cal, today);
    Ok(ApprovalDetail {
        may_raise: item.overdue
            && item.row.problem_item_id.is_none()
            && ctx.actor.has(Role::CenterStaff),
        item,
        events,
        steps,
        problem_number,
    })
}

/// Raises an overdue item into the problem list (source 帮代办, category 审批手续), assigned to
/// the competent department at once; never twice.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn raise_problem(app: &App, ctx: &Ctx, id: ApprovalItemId) -> Result<ItemRef> {
    staff(ctx)?;
    let today = app.local_today();
    let mut w = Work::begin(app, ctx).await?;
    let row = visible(&mut w.tx, ctx, id).await?;
    if let Some(p) = row.problem_item_id {
        let number = keyproj_db::repo::problems::items::get_item(&mut w.tx, p)
            .await?
            .map(|i| i.number)
            .unwrap_or_default();
        return Err(field_error(
            "item",
            "already_raised",
            format!("该事项已提交为问题{number}，不重复提交"),
        ));
    }
    let cal = calendar_for(&mut w.tx, ctx, std::slice::from_ref(&row), today).await?;
    let view = ApprovalView::of(row, &cal, today);
    if !view.overdue {
        let why = if view.row.state.is_closed() {
            format!("该事项已{}，不能提交为问题", view.row.state.label())
        } else if view.row.state == ApprovalState::Correcting {
            "该事项正在补正，计时已暂停，不能提交为问题".to_string()
        } else {
            "该事项未超过承诺时限，不能提交为问题".to_string()
        };
        return Err(field_error("item", "not_overdue", why));
    }
    let r = &view.row;
    let used = view.used_days.unwrap_or(0);
    let draft = ItemDraft {
        kind: ItemKind::Problem.key().into(),
        project_id: Some(r.project_id),
        source: Source::Approval.key().into(),
        category: Category::Approval.key().into(),
        level: Level::Unit.key().into(),
        title: format!("{}超时未办结（{}）", r.name, r.unit_name)
            .chars()
            .take(60)
            .collect(),
        description: format!(
            "{}的“{}”于{}受理，承诺{}个{}办结，至今已用{}天，尚未办结。",
            r.project_name,
            r.name,
            r.accepted_on.map(|d| d.to_string()).unwrap_or_default(),
            r.limit_days,
            r.day_count.label(),
            used
        ),
        raised_on: String::new(),
    };
    let assign = AssignDraft {
        handler_unit_id: Some(r.unit_id),
        ..Default::default()
    };
    let item = register_in(&mut w, &draft, Some(&assign), Origin::default()).await?;
    if !repo::set_problem(&mut w.tx, id, item.id).await? {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::new("raise_problem", "approval_item")
            .id(id)
            .after(&serde_json::json!({ "problem": item.number })),
    )
    .await?;
    w.commit().await?;
    Ok(item)
}

/// A project's items, for its 帮代办 list.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn of_project(app: &App, ctx: &Ctx, project: ProjectId) -> Result<Vec<ApprovalView>> {
    {
        let mut tx = app.db.begin_read().await?;
        crate::projects::visible(&mut tx, ctx, project, Action::ViewProject).await?;
    }
    Ok(list(
        app,
        ctx,
        &ListQuery {
            project_id: Some(project),
            ..Default::default()
        },
    )
    .await?
    .items)
}

/// Where a project's approvals stand, for the strip on its page (internal: never on the board).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn progress(app: &App, ctx: &Ctx, project: ProjectId) -> Result<Option<Progress>> {
    if scope_of(ctx).is_none() {
        return Ok(None);
    }
    let mut tx = app.db.begin_read().await?;
    crate::projects::visible(&mut tx, ctx, project, Action::ViewProject).await?;
    let mut p = Progress::default();
    for (_, state, n) in repo::states_by_project(&mut tx, &ctx.actor.region, Some(project)).await? {
        p.add_many(state, n);
    }
    Ok(Some(p))
}

// --- statistics --------------------------------------------------------------------------

/// One line of the statistics: a department or an agent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StatLine {
    pub key: String,
    pub name: String,
    /// Items worked on (all but 待启动).
    pub handled: i64,
    pub completed: i64,
    pub on_time: i64,
    /// Average days used by the completed items, one decimal.
    pub average_days: Option<f64>,
    pub overdue_now: i64,
    #[serde(skip)]
    used_sum: i64,
}

/// An item's clock read on a day, for the statistics.
struct ClockRead {
    state: ApprovalState,
    used_days: Option<i64>,
    overdue: bool,
    on_time: Option<bool>,
}

impl ClockRead {
    fn of(r: &ClockRow, cal: &Calendar, today: NaiveDate) -> ClockRead {
        let clock = r.clock();
        ClockRead {
            state: r.state,
            used_days: clock.used(cal, today),
            overdue: clock.overdue(cal, today),
            on_time: clock.on_time(cal, today),
        }
    }
}

impl StatLine {
    fn add(&mut self, v: &ClockRead) {
        if v.state != ApprovalState::NotStarted {
            self.handled += 1;
        }
        if v.state == ApprovalState::Done {
            self.completed += 1;
            self.used_sum += v.used_days.unwrap_or(0);
        }
        if v.on_time == Some(true) {
            self.on_time += 1;
        }
        if v.overdue {
            self.overdue_now += 1;
        }
    }
    fn finish(&mut self) {
        self.average_days = (self.completed > 0)
            .then(|| (self.used_sum as f64 / self.completed as f64 * 10.0).round() / 10.0);
    }
    /// On time as a percentage of the completed, one decimal.
    pub fn on_time_pct(&self) -> Option<f64> {
        (self.completed > 0)
            .then(|| (self.on_time as f64 * 1000.0 / self.completed as f64).round() / 10.0)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub by_unit: Vec<StatLine>,
    pub by_agent: Vec<StatLine>,
    pub total: StatLine,
}

/// Items handled, completed, on time, average days and overdue now, per department and per
/// agent, over the actor's items.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn stats(app: &App, ctx: &Ctx) -> Result<Stats> {
    let scope = scope_of(ctx).ok_or(ServiceError::Forbidden)?;
    let today = app.local_today();
    let (rows, cal, unit_names) = {
        let mut tx = app.db.begin_read().await?;
        let rows = repo::clock_rows(
            &mut tx,
            &ApprovalFilter::new(ctx.actor.region.clone(), scope),
        )
        .await?;
        let from = rows
            .iter()
            .filter_map(|r| r.accepted_on)
            .min()
            .unwrap_or(today)
            .min(today);
        let cal = crate::rules::calendar_in(&mut tx, &ctx.actor.region, from).await?;
        let mut ids: Vec<UnitId> = rows.iter().map(|r| r.unit_id).collect();
        ids.sort();
        ids.dedup();
        let mut names = std::collections::HashMap::new();
        for id in ids {
            if let Some(u) = keyproj_db::repo::org::get_unit(&mut tx, id).await? {
                names.insert(id, u.name);
            }
        }
        (rows, cal, names)
    };
    let people = crate::account::People::of(app, rows.iter().map(|r| r.agent.clone())).await?;
    let mut by_unit: std::collections::BTreeMap<i64, StatLine> = Default::default();
    let mut by_agent: std::collections::BTreeMap<String, StatLine> = Default::default();
    let mut total = StatLine {
        name: "合计".into(),
        ..Default::default()
    };
    for r in &rows {
        let v = ClockRead::of(r, &cal, today);
        by_unit
            .entry(r.unit_id.get())
            .or_insert_with(|| StatLine {
                key: r.unit_id.to_string(),
                name: unit_names.get(&r.unit_id).cloned().unwrap_or_default(),
                ..Default::default()
            })
            .add(&v);
        by_agent
            .entry(r.agent.clone())
            .or_insert_with(|| StatLine {
                key: r.agent.clone(),
                name: people.name(&r.agent),
                ..Default::default()
            })
            .add(&v);
        total.add(&v);
    }
    let mut by_unit: Vec<StatLine> = by_unit.into_values().collect();
    let mut by_agent: Vec<StatLine> = by_agent.into_values().collect();
    for l in by_unit.iter_mut().chain(by_agent.iter_mut()) {
        l.finish();
    }
    total.finish();
    // the most overdue first, then the busiest
    let order = |a: &StatLine, b: &StatLine| {
        b.overdue_now
            .cmp(&a.overdue_now)
            .then(b.handled.cmp(&a.handled))
            .then(a.name.cmp(&b.name))
    };
    by_unit.sort_by(order);
    by_agent.sort_by(order);
    Ok(Stats {
        by_unit,
        by_agent,
        total,
    })
}
