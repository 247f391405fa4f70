//! Registering items and reading them: the list with its filter, one item with its log, and
//! raising a monthly report's problems.

use super::workflow::{self, StepRequest};
use crate::notifications::{Notice, notify_in};
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error, require};
use keyproj_db::Tx;
use keyproj_db::repo::org;
use keyproj_db::repo::problems::documents::{self as doc_repo, DocumentRow};
use keyproj_db::repo::problems::items::{self as repo, ItemFilter, ItemRow, ItemScope, NewItem};
use keyproj_db::repo::problems::workflow::{self as log_repo, EventRow, NewEvent};
use keyproj_domain::ReportMonth;
use keyproj_domain::authz::{Action, ItemScope as AuthScope, Role, can_see_item};
use keyproj_domain::ids::{ItemId, MeetingId, PatrolId, ProjectId};
use keyproj_domain::notification::NotificationKind;
use keyproj_domain::problem::{
    Alert, AssignDraft, Category, EventKind, ItemDraft, ItemFields, ItemKind, Level, Source, State,
    Status, Step,
};
use serde::Serialize;

/// Where an item came from besides its source tag.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin {
    pub meeting_id: Option<MeetingId>,
    /// The 简报 that assigned it.
    pub briefing_id: Option<i64>,
    pub patrol_id: Option<PatrolId>,
    pub parent_id: Option<ItemId>,
    pub report_month: Option<ReportMonth>,
}

/// An item by its id and number (桃重项交〔2022〕17号).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRef {
    pub id: ItemId,
    pub number: String,
}

/// What decides who may see an item.
pub(crate) fn auth_scope(row: &ItemRow) -> AuthScope<'_> {
    AuthScope {
        region: &row.region_code,
        handler_unit_id: row.handler_unit_id,
        assisting_unit_ids: &row.assisting_unit_ids,
        raised_unit_id: row.raised_unit_id,
    }
}

/// The item if the actor may see it (404 otherwise).
pub(crate) async fn visible_item(tx: &mut Tx, ctx: &Ctx, id: ItemId) -> Result<ItemRow> {
    let row = repo::get_item(tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !can_see_item(&ctx.actor, &auth_scope(&row)) {
        return Err(ServiceError::NotFound);
    }
    Ok(row)
}

pub fn status_of(row: &ItemRow) -> Status {
    Status {
        state: row.state,
        extension_pending: row.extension_pending,
        verified: row.verified,
    }
}

/// Registers an item, and assigns it in the same step when `assign` is given (center staff
/// only).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn register(
    app: &App,
    ctx: &Ctx,
    input: &ItemDraft,
    assign: Option<&AssignDraft>,
    origin: Origin,
) -> Result<ItemRef> {
    let mut w = Work::begin(app, ctx).await?;
    let item = register_in(&mut w, input, assign, origin).await?;
    w.commit().await?;
    Ok(item)
}

/// [`register`] inside a caller's work.
pub(crate) async fn register_in(
    w: &mut Work<'_>,
    input: &ItemDraft,
    assign: Option<&AssignDraft>,
    origin: Origin,
) -> Result<ItemRef> {
    require(w.ctx, Action::RaiseProblem)?;
    if assign.is_some()
        || origin.meeting_id.is_some()
        || origin.patrol_id.is_some()
        || origin.briefing_id.is_some()
    {
        require(w.ctx, Action::ManageProblems)?;
    }
    let fields = input.validate(w.today())?;
    if let Some(p) = fields.project_id {
        crate::projects::visible(&mut w.tx, w.ctx, p, Action::ViewProject)
            .await
            .map_err(|e| match e {
                ServiceError::NotFound => field_error("project_id", "unknown", "项目不存在"),
                e => e,
            })?;
    }
    repo::lock_registration(&mut w.tx, &w.ctx.actor.region).await?;
    // the same item from the same person a moment ago is a form sent twice (a double click, a
    // reload of the confirmation): never a second numbered 交办单. A briefing's tasks are not
    // forms: the issue itself happens once, and the same task may go to several units.
    if origin.briefing_id.is_none()
        && let Some((_, number)) = repo::recent_twin(
            &mut w.tx,
            &w.ctx.actor.region,
            &fields.title,
            fields.project_id,
            &w.ctx.actor.username,
            w.now - chrono::Duration::minutes(10),
        )
        .await?
    {
        return Err(field_error(
            "title",
            "duplicate",
            format!(
                "同一事项刚刚已登记（{number}），不重复登记；如确需再登记，请修改标题或稍后再试"
            ),
        ));
    }
    let item = insert_in(w, &fields, origin).await?;
    if let Some(a) = assign {
        let row = repo::get_item(&mut w.tx, item.id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        workflow::apply_in(
            w,
            row,
            &StepRequest {
                step: Step::Assign,
                note: "",
                assign: Some(a),
                new_deadline: None,
            },
        )
        .await?;
    }
    Ok(item)
}

/// Writes a checked item, its first log line, its audit row and the center's notice.
pub(crate) async fn insert_in(w: &mut Work<'_>, f: &ItemFields, origin: Origin) -> Result<ItemRef> {
    use chrono::Datelike;
    let region = w.ctx.actor.region.clone();
    // every path that numbers an item (forms, meetings, patrols, reports, briefings) locks
    repo::lock_registration(&mut w.tx, &region).await?;
    let year = f.raised_on.year();
    let (rules, _) = crate::rules::supervision_in(&mut w.tx, &region, year).await?;
    let center = crate::org::center_unit_in(&mut w.tx, &region).await?;
    let raised_unit = w.ctx.actor.unit_id.unwrap_or(center);
    let (id, number) = repo::insert_item(
        &mut w.tx,
        &NewItem {
            region_code: &region,
            year,
            number_prefix: &rules.assign_prefix,
            kind: f.kind,
            source: f.source,
            category: f.category,
            level: f.level,
            project_id: f.project_id,
            title: &f.title,
            description: &f.description,
            raised_by: &w.ctx.actor.username,
            raised_unit_id: raised_unit,
            raised_on: f.raised_on,
            day_count: rules.day_count,
            parent_id: origin.parent_id,
            meeting_id: origin.meeting_id,
            briefing_id: origin.briefing_id,
            patrol_id: origin.patrol_id,
            report_month: origin.report_month,
        },
        w.now,
    )
    .await?;
    log_repo::insert_event(
        &mut w.tx,
        &NewEvent {
            item_id: id,
            actor: &w.ctx.actor.username,
            actor_unit_id: w.ctx.actor.unit_id,
            kind: EventKind::Register,
            note: &f.description,
            from_state: None,
            to_state: State::Registered,
            deadline: None,
        },
        w.now,
    )
    .await?;
    w.audit(
        Audit::new("register", "problem_item")
            .id(id)
            .after(&serde_json::json!({ "number": number, "input": f })),
    )
    .await?;
    if w.ctx.actor.has(Role::Owner) || w.ctx.actor.has(Role::UnitUser) {
        let text = format!(
            "{number}：{} 提出新问题“{}”，待交办",
            w.ctx.actor.username, f.title
        );
        notify_in(
            w,
            &region,
            &Notice {
                link: String::new(),
                unit: center,
                kind: NotificationKind::Raised,
                item: Some(id),
                document: None,
                text,
            },
        )
        .await?;
    }
    Ok(ItemRef { id, number })
}

/// An owner (or the lead unit) raises the 存在问题 of a monthly report as a problem, once.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn raise_from_report(
    app: &App,
    ctx: &Ctx,
    project_id: ProjectId,
    month: ReportMonth,
) -> Result<ItemRef> {
    let mut w = Work::begin(app, ctx).await?;
    crate::projects::visible(&mut w.tx, ctx, project_id, Action::ViewProject).await?;
    // once is enough: a second click must not register the same problem again
    if let Some((_, number)) = repo::raised_from_report(&mut w.tx, project_id, month).await? {
        return Err(field_error(
            "problems",
            "already_raised",
            format!("该月报的“存在问题”已提交为{number}，不能重复提交"),
        ));
    }
    let text = crate::dispatch::reports::problems_text(&mut w.tx, project_id, month).await?;
    let text = text.trim();
    if text.is_empty() {
        return Err(field_error(
            "problems",
            "required",
            "该月报没有填写“存在问题及需协调事项”",
        ));
    }
    let title: String = text
        .lines()
        .next()
        .unwrap_or(text)
        .chars()
        .take(60)
        .collect();
    let input = ItemDraft {
        kind: ItemKind::Problem.key().into(),
        project_id: Some(project_id),
        source: Source::MonthlyReport.key().into(),
        category: Category::Other.key().into(),
        level: Level::Unit.key().into(),
        title,
        description: text.chars().take(4000).collect(),
        raised_on: String::new(),
    };
    let item = register_in(
        &mut w,
        &input,
        None,
        Origin {
            report_month: Some(month),
            ..Origin::default()
        },
    )
    .await?;
    w.commit().await?;
    Ok(item)
}

// --- reading -----------------------------------------------------------------------------

fn list_scope(ctx: &Ctx) -> Option<ItemScope> {
    let a = &ctx.actor;
    if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) {
        Some(ItemScope::Region)
    } else if a.has(Role::UnitUser) {
        a.unit_id.map(ItemScope::Unit)
    } else if a.has(Role::Owner) {
        a.unit_id.map(ItemScope::Owner)
    } else {
        None
    }
}

/// A filter for the actor's list (the scope is set here, never taken from the request).
pub fn filter_for(ctx: &Ctx) -> Result<ItemFilter> {
    require(ctx, Action::ViewProblems)?;
    Ok(ItemFilter::new(
        ctx.actor.region.clone(),
        list_scope(ctx).ok_or(ServiceError::Forbidden)?,
    ))
}

/// The actor's filter from list query parameters (q, state, source, category, kind, alert,
/// open=1, overdue=1, unit, project, year, page); unknown values are ignored, the page is
/// clamped. Returns the filter and the page number. Used by the list page and the API alike.
pub fn filter_from_query(
    app: &App,
    ctx: &Ctx,
    get: impl Fn(&str) -> String,
    per_page: i64,
) -> Result<(ItemFilter, i64)> {
    let mut f = filter_for(ctx)?;
    // A value no select offers (an edited link, a script's typo) is refused with a message at
    // its field, as the project list does, rather than quietly listing everything.
    let mut errs = keyproj_domain::ValidationErrors::new();
    let text = |k: &str| Some(get(k)).filter(|v| !v.trim().is_empty());
    let mut number = |k: &str, label: &str| {
        errs.check(keyproj_domain::error::positive_number(k, label, &get(k)))
            .flatten()
    };
    let unit = number("unit", "承办单位");
    let project = number("project", "项目");
    let year = number("year", "年度");
    // 0, negative or too long a number is clamped, as a page past the end is
    let page = errs
        .check(keyproj_domain::error::page_number(
            "page",
            "页码",
            &get("page"),
        ))
        .flatten()
        .unwrap_or(1)
        .min(100_000);
    f.q = text("q");
    f.state = text("state").and_then(|s| errs.check(State::parse("state", &s)));
    f.source = text("source").and_then(|s| errs.check(Source::parse("source", &s)));
    f.category = text("category").and_then(|s| errs.check(Category::parse("category", &s)));
    f.kind = text("kind").and_then(|s| errs.check(ItemKind::parse("kind", &s)));
    f.alert = text("alert").and_then(|s| errs.check(Alert::parse("alert", &s)));
    // the checkboxes send 1; anything else but nothing is refused like the selects
    let mut tick = |k: &str, label: &str| match get(k).trim() {
        "1" => true,
        "" | "0" => false,
        other => {
            errs.add(
                k,
                "invalid_value",
                format!("{label}“{other}”无效，应为 1（是）、0 或不填"),
            );
            false
        }
    };
    f.open_only = tick("open", "未办结");
    if tick("overdue", "已逾期") {
        f.overdue_on = Some(app.local_today());
    }
    f.handler_unit_id = unit.map(Into::into);
    f.project_id = project.map(Into::into);
    f.year = match year {
        Some(y) if (2000..=2100).contains(&y) => Some(y as i32),
        Some(y) => {
            errs.add(
                "year",
                "invalid_number",
                format!("年度“{y}”无效，应在 2000 至 2100 之间"),
            );
            None
        }
        None => None,
    };
    errs.into_result()?;
    f.limit = per_page;
    f.offset = (page - 1) * per_page;
    Ok((f, page))
}

/// A page of items and the count of all that match.
#[derive(Debug, Clone, Serialize)]
pub struct ItemPage {
    pub items: Vec<ItemRow>,
    pub total: i64,
    /// The page shown (1-based): the one asked for, or the last one when that is past the end.
    pub page: i64,
}

impl ItemPage {
    /// What a refused filter lists: nothing.
    pub fn nothing() -> ItemPage {
        ItemPage {
            items: vec![],
            total: 0,
            page: 1,
        }
    }
}

/// The most items one page of the list gives (the API's `per_page`), as on the project list.
pub const MAX_PER_PAGE: i64 = crate::projects::MAX_PER_PAGE;

/// A page size typed into the API: 50 when none, 1 to [`MAX_PER_PAGE`]; refused at its field
/// when it is not a number.
pub fn page_size(text: &str) -> Result<i64> {
    let n = keyproj_domain::error::page_number("per_page", "每页条数", text)
        .map_err(|e| ServiceError::Validation(keyproj_domain::ValidationErrors(vec![e])))?;
    Ok(n.map_or(50, |n| n.min(MAX_PER_PAGE)))
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn list(app: &App, ctx: &Ctx, f: &ItemFilter) -> Result<ItemPage> {
    let mut f = f.clone();
    let own = filter_for(ctx)?;
    f.region = own.region;
    f.scope = own.scope;
    // Outside a transaction: the page and its count are two statements, and a registration
    // landing between them at worst shows a count one higher than the rows.
    let mut tx = app.db.read().await?;
    // the unit and the project a filter names must be ones the actor may see: another
    // county's id, or one that names nothing, is refused at its field
    let mut errs = keyproj_domain::ValidationErrors::new();
    if let Some(u) = f.handler_unit_id
        && crate::org::unit_in(&mut tx, &ctx.actor.region, u)
            .await?
            .is_none()
    {
        errs.add(
            "unit",
            "unknown",
            format!("承办单位“{u}”不存在或不在本辖区"),
        );
    }
    if let Some(p) = f.project_id {
        match crate::projects::visible(&mut tx, ctx, p, Action::ViewProject).await {
            Ok(_) => {}
            Err(ServiceError::NotFound | ServiceError::Forbidden) => {
                errs.add("project", "unknown", format!("项目“{p}”不存在或无权查看"));
            }
            Err(e) => return Err(e),
        }
    }
    errs.into_result()?;
    let (mut items, total) = repo::list_items(&mut tx, &f).await?;
    let limit = f.limit.max(1);
    let last_offset = (total - 1).max(0) / limit * limit;
    if items.is_empty() && f.offset > last_offset {
        // a page past the end (an old link, a typed number) shows the last page, as the
        // project list does
        f.offset = last_offset;
        (items, _) = repo::list_items(&mut tx, &f).await?;
    }
    Ok(ItemPage {
        items,
        total,
        page: f.offset / limit + 1,
    })
}

/// One item with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct ItemDetail {
    pub item: ItemRow,
    pub events: Vec<EventRow>,
    pub documents: Vec<DocumentRow>,
    pub assisting_units: Vec<String>,
    pub parent: Option<ItemRef>,
    /// Steps the actor may take now.
    pub steps: Vec<Step>,
    pub overdue: bool,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn get(app: &App, ctx: &Ctx, id: ItemId) -> Result<ItemDetail> {
    require(ctx, Action::ViewProblems)?;
    let mut tx = app.db.begin_read().await?;
    let item = visible_item(&mut tx, ctx, id).await?;
    let events = log_repo::events_of(&mut tx, id).await?;
    let documents = doc_repo::documents_of_item(&mut tx, id).await?;
    let mut assisting_units = vec![];
    for u in &item.assisting_unit_ids {
        if let Some(u) = org::get_unit(&mut tx, *u).await? {
            assisting_units.push(u.name);
        }
    }
    let parent = match item.parent_id {
        Some(p) => repo::get_item(&mut tx, p).await?.map(|r| ItemRef {
            id: r.id,
            number: r.number,
        }),
        None => None,
    };
    let steps = workflow::steps_for(ctx, &item);
    let today = app.local_today();
    let overdue = item.state.with_unit() && item.deadline.is_some_and(|d| d < today);
    Ok(ItemDetail {
        item,
        events,
        documents,
        assisting_units,
        parent,
        steps,
        overdue,
    })
}
