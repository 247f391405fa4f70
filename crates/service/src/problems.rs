//! The problem list (一单三制): registering items (also from meetings, patrols and monthly
//! reports), the workflow 交办 → 办理 → 申请销号 → 销号/退回 with extensions, withdrawal and
//! re-opening, the documents issued on the way, to-do lists and notifications.

use crate::{App, Ctx, Result, ServiceError, audit, check, field_error, require};
use chrono::NaiveDate;
use keyproj_db::Tx;
use keyproj_db::repo::org;
use keyproj_db::repo::problems::{self as repo, DocumentRow, EventRow, ItemRow, NewItem};
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::{Action, ItemScope as AuthScope, Role, authorize_item, can_see_item};
use keyproj_domain::error::check_text;
use keyproj_domain::problem::{
    Calendar, Category, DayCount, ItemKind, Level, Performer, Source, State, Status, Step,
    SupervisionRules,
};
use serde::Serialize;

pub const DATE: &str = "%Y-%m-%d";

/// A date typed in a form: a missing one is asked for by its label, a malformed one shown how.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate> {
    let label = match field {
        "new_deadline" => "延期后的办理时限",
        "deadline" => "办理时限",
        "held_on" => "会议日期",
        "patrol_on" => "巡查日期",
        "raised_on" => "提出日期",
        _ => "日期",
    };
    if s.trim().is_empty() {
        return Err(field_error(field, "required", format!("请填写{label}")));
    }
    NaiveDate::parse_from_str(s.trim(), DATE).map_err(|_| {
        field_error(
            field,
            "date",
            format!("{label}格式应为 2022-03-15（年-月-日）"),
        )
    })
}

fn assisting_ids(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|x| x.parse().ok()).collect()
}

fn assisting_text(ids: &[i64]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        let v: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        format!(",{},", v.join(","))
    }
}

pub fn status_of(row: &ItemRow) -> Result<Status> {
    Ok(Status {
        state: State::from_input(&row.state).ok_or_else(|| ServiceError::invariant("bad state"))?,
        extension_pending: row.extension_pending,
        verified: row.verified,
    })
}

fn scope_ids(row: &ItemRow) -> Vec<i64> {
    assisting_ids(&row.assisting_unit_ids)
}

/// The item if the actor may see it (404 otherwise).
pub(crate) async fn visible_item(tx: &mut Tx, ctx: &Ctx, id: i64) -> Result<ItemRow> {
    let row = repo::get_item(tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let region = keyproj_domain::RegionCode::parse(&row.region_code)
        .map_err(|_| ServiceError::invariant("bad region"))?;
    let ids = scope_ids(&row);
    let scope = AuthScope {
        region: &region,
        handler_unit_id: row.handler_unit_id,
        assisting_unit_ids: &ids,
        raised_unit_id: row.raised_unit_id,
    };
    if !can_see_item(&ctx.actor, &scope) {
        return Err(ServiceError::NotFound);
    }
    Ok(row)
}

fn authorize_step(ctx: &Ctx, row: &ItemRow, performer: Performer) -> Result<()> {
    let region = keyproj_domain::RegionCode::parse(&row.region_code)
        .map_err(|_| ServiceError::invariant("bad region"))?;
    let ids = scope_ids(row);
    check(authorize_item(
        &ctx.actor,
        performer,
        &AuthScope {
            region: &region,
            handler_unit_id: row.handler_unit_id,
            assisting_unit_ids: &ids,
            raised_unit_id: row.raised_unit_id,
        },
    ))
}

// --- rules and calendar ------------------------------------------------------------------

/// The supervision rules of a region and year: its own, else its parent's, else the default.
pub async fn rules_tx(
    tx: &mut Tx,
    region: &keyproj_domain::RegionCode,
    year: i32,
) -> Result<(SupervisionRules, i64)> {
    let mut r = Some(region.clone());
    while let Some(code) = r {
        if let Some((json, version)) = repo::rules(tx, code.as_str(), year).await? {
            let rules = serde_json::from_str(&json)
                .map_err(|e| ServiceError::internal("supervision rules", e))?;
            let own = if &code == region { version } else { 0 };
            return Ok((rules, own));
        }
        r = code.parent();
    }
    // nothing configured: the defaults, numbered in the region's own name
    let name = org::get_region(tx, region.as_str())
        .await?
        .map(|r| r.name)
        .filter(|n| !n.starts_with("地区"));
    Ok((
        name.map(|n| SupervisionRules::for_region_named(&n))
            .unwrap_or_default(),
        0,
    ))
}

pub async fn rules(app: &App, ctx: &Ctx, year: i32) -> Result<(SupervisionRules, i64)> {
    require(ctx, Action::ViewProblems)?;
    let mut tx = app.db.begin_read().await?;
    rules_tx(&mut tx, &ctx.actor.region, year).await
}

pub async fn save_rules(
    app: &App,
    ctx: &Ctx,
    year: i32,
    rules: &SupervisionRules,
    version: i64,
) -> Result<()> {
    require(ctx, Action::ManageProblems)?;
    rules.validate()?;
    let mut tx = app.db.begin_write().await?;
    let (before, _) = rules_tx(&mut tx, &ctx.actor.region, year).await?;
    let json = serde_json::to_string(rules).map_err(|e| ServiceError::internal("内部处理", e))?;
    let region = ctx.actor.region.as_str();
    if !repo::save_rules(
        &mut tx,
        region,
        year,
        &json,
        version,
        &ctx.actor.username,
        app.now(),
    )
    .await?
    {
        return Err(ServiceError::Stale);
    }
    audit(
        app,
        &mut tx,
        ctx,
        "save",
        "supervision_rules",
        Some(format!("{region}/{year}")),
        Some(&before),
        Some(rules),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The working-day calendar from `from` on for a region (its own holidays, else the defaults
/// of the years concerned).
pub async fn calendar_tx(tx: &mut Tx, region: &str, from: NaiveDate) -> Result<Calendar> {
    let rows = repo::holidays_from(tx, region, &from.format(DATE).to_string()).await?;
    let mut cal = Calendar::default();
    let years_with_rows: std::collections::BTreeSet<i32> = rows
        .iter()
        .filter_map(|r| r.day.get(..4).and_then(|y| y.parse().ok()))
        .collect();
    for r in rows {
        if let Ok(d) = NaiveDate::parse_from_str(&r.day, DATE) {
            if r.kind == "workday" {
                cal.makeup_workdays.insert(d);
            } else {
                cal.holidays.insert(d);
            }
        }
    }
    use chrono::Datelike;
    for y in from.year()..=from.year() + 1 {
        if !years_with_rows.contains(&y) {
            let (h, w) = keyproj_domain::problem::default_holidays(y);
            cal.holidays.extend(h.into_iter().map(|(d, _)| d));
            cal.makeup_workdays.extend(w);
        }
    }
    Ok(cal)
}

/// A year's calendar as shown on the page: stored rows, else the defaults.
pub async fn holidays(app: &App, ctx: &Ctx, year: i32) -> Result<(Vec<repo::HolidayRow>, bool)> {
    require(ctx, Action::ViewProblems)?;
    let mut tx = app.db.begin_read().await?;
    let rows = repo::holidays(&mut tx, ctx.actor.region.as_str(), year).await?;
    if !rows.is_empty() {
        return Ok((rows, true));
    }
    let (h, w) = keyproj_domain::problem::default_holidays(year);
    let mut out: Vec<repo::HolidayRow> = h
        .into_iter()
        .map(|(d, name)| repo::HolidayRow {
            day: d.format(DATE).to_string(),
            kind: "holiday".into(),
            name: name.into(),
        })
        .chain(w.into_iter().map(|d| repo::HolidayRow {
            day: d.format(DATE).to_string(),
            kind: "workday".into(),
            name: "调休上班".into(),
        }))
        .collect();
    out.sort_by(|a, b| a.day.cmp(&b.day));
    Ok((out, false))
}

/// Replaces a year's calendar from text lines `2022-10-01 国庆节` (holiday) or
/// `2022-10-08 上班` (a makeup working day).
pub async fn save_holidays(app: &App, ctx: &Ctx, year: i32, text: &str) -> Result<usize> {
    require(ctx, Action::ManageProblems)?;
    let mut rows = vec![];
    let mut errs = ValidationErrors::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (day, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let name = name.trim();
        use chrono::Datelike;
        match NaiveDate::parse_from_str(day, DATE) {
            Ok(d) if d.year() == year && seen.insert(d) => rows.push(repo::HolidayRow {
                day: d.format(DATE).to_string(),
                kind: if name.contains("上班") {
                    "workday"
                } else {
                    "holiday"
                }
                .into(),
                name: if name.is_empty() { "节假日" } else { name }
                    .chars()
                    .take(20)
                    .collect(),
            }),
            Ok(d) if d.year() != year => {
                errs.add("days", "year", format!("第{}行：{day} 不在{year}年", i + 1));
            }
            Ok(_) => errs.add("days", "duplicate", format!("第{}行：{day} 重复", i + 1)),
            Err(_) => errs.add(
                "days",
                "date",
                format!("第{}行：“{day}”不是日期（格式 2022-10-01 国庆节）", i + 1),
            ),
        }
    }
    errs.into_result()?;
    let mut tx = app.db.begin_write().await?;
    let region = ctx.actor.region.as_str();
    let before = repo::holidays(&mut tx, region, year).await?;
    repo::replace_holidays(&mut tx, region, year, &rows).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "save",
        "holidays",
        Some(format!("{region}/{year}")),
        Some(&before),
        Some(&rows),
    )
    .await?;
    tx.commit().await?;
    Ok(rows.len())
}

// --- registering -------------------------------------------------------------------------

/// A new item as typed in a form (text fields; parsed and checked here).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ItemInput {
    pub kind: String,
    pub source: String,
    pub category: String,
    pub level: String,
    pub project_id: Option<i64>,
    pub title: String,
    pub description: String,
    /// Empty: today.
    pub raised_on: String,
}

/// Assigning an item (交办): the handling unit, assisting units, the assigning leader and a
/// deadline (empty: the rules' default limit from today).
#[derive(Debug, Clone, Default, Serialize)]
pub struct AssignInput {
    pub handler_unit_id: Option<i64>,
    pub assisting_unit_ids: Vec<i64>,
    pub leader_id: Option<i64>,
    pub deadline: String,
}

/// Where an item came from besides its source tag.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    pub meeting_id: Option<i64>,
    pub patrol_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub report_month: Option<&'a str>,
}

struct Checked {
    kind: ItemKind,
    source: Source,
    category: Category,
    level: Level,
    raised_on: NaiveDate,
}

fn check_input(app: &App, input: &ItemInput) -> Result<Checked> {
    let mut e = ValidationErrors::new();
    let kind = ItemKind::from_input(&input.kind);
    if kind.is_none() {
        e.add("kind", "choice", "请选择类型（问题或任务）");
    }
    let source = Source::from_input(&input.source);
    if source.is_none() {
        e.add("source", "choice", "请选择来源");
    }
    let category = Category::from_input(&input.category);
    if category.is_none() {
        e.add("category", "choice", "请选择问题类别");
    }
    let level = Level::from_input(&input.level);
    if level.is_none() {
        e.add("level", "choice", "请选择协调层级（1–4级）");
    }
    // lengths and control characters (a \x0b in a title once froze an unreadable 交办单)
    e.check(check_text("title", "事项标题", &input.title, true, 100));
    e.check(check_text(
        "description",
        "具体情况",
        &input.description,
        false,
        4000,
    ));
    let raised_on = if input.raised_on.trim().is_empty() {
        Some(app.local_today())
    } else {
        match parse_date("raised_on", &input.raised_on) {
            Ok(d) if d <= app.local_today() => Some(d),
            Ok(_) => {
                e.add("raised_on", "future", "提出日期不能晚于今天");
                None
            }
            Err(ServiceError::Validation(v)) => {
                e.0.extend(v.0);
                None
            }
            Err(x) => return Err(x),
        }
    };
    e.into_result()?;
    Ok(Checked {
        kind: kind.expect("checked"),
        source: source.expect("checked"),
        category: category.expect("checked"),
        level: level.expect("checked"),
        raised_on: raised_on.expect("checked"),
    })
}

/// Registers an item, and assigns it in the same step when `assign` is given (center staff
/// only). Returns (id, number).
pub async fn register(
    app: &App,
    ctx: &Ctx,
    input: &ItemInput,
    assign: Option<&AssignInput>,
    origin: Origin<'_>,
) -> Result<(i64, String)> {
    require(ctx, Action::RaiseProblem)?;
    if assign.is_some() || origin.meeting_id.is_some() || origin.patrol_id.is_some() {
        require(ctx, Action::ManageProblems)?;
    }
    let c = check_input(app, input)?;
    let mut tx = app.db.begin_write().await?;
    if let Some(p) = input.project_id {
        crate::projects::visible(&mut tx, ctx, p, Action::ViewProject)
            .await
            .map_err(|e| match e {
                ServiceError::NotFound => field_error("project_id", "unknown", "项目不存在"),
                e => e,
            })?;
    }
    let (id, number) = insert_tx(app, &mut tx, ctx, input, &c, origin).await?;
    if let Some(a) = assign {
        let row = repo::get_item(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        apply(app, &mut tx, ctx, row, Step::Assign, "", Some(a), None).await?;
    }
    tx.commit().await?;
    Ok((id, number))
}

async fn insert_tx(
    app: &App,
    tx: &mut Tx,
    ctx: &Ctx,
    input: &ItemInput,
    c: &Checked,
    origin: Origin<'_>,
) -> Result<(i64, String)> {
    use chrono::Datelike;
    let year = c.raised_on.year();
    let (rules, _) = rules_tx(tx, &ctx.actor.region, year).await?;
    let unit = if ctx.actor.unit_id != 0 {
        ctx.actor.unit_id
    } else {
        center_unit(tx, &ctx.actor.region).await?
    };
    let new = NewItem {
        region_code: ctx.actor.region.as_str(),
        year: year as i64,
        number_prefix: &rules.assign_prefix,
        kind: c.kind.key(),
        source: c.source.key(),
        category: c.category.key(),
        level: c.level.key(),
        project_id: input.project_id,
        title: input.title.trim(),
        description: input.description.trim(),
        raised_by: &ctx.actor.username,
        raised_unit_id: unit,
        raised_on: &c.raised_on.format(DATE).to_string(),
        day_count: rules.day_count.key(),
        parent_id: origin.parent_id,
        meeting_id: origin.meeting_id,
        patrol_id: origin.patrol_id,
        report_month: origin.report_month,
    };
    let (id, number) = repo::insert_item(tx, &new, app.now()).await?;
    repo::insert_event(
        tx,
        id,
        &ctx.actor.username,
        ctx.actor.unit_id,
        "register",
        input.description.trim(),
        "",
        State::Registered.key(),
        None,
        app.now(),
    )
    .await?;
    audit(
        app,
        tx,
        ctx,
        "register",
        "problem_item",
        Some(id.to_string()),
        None::<&()>,
        Some(&serde_json::json!({ "number": number, "input": input })),
    )
    .await?;
    if ctx.actor.has(Role::Owner) || ctx.actor.has(Role::UnitUser) {
        let center = center_unit(tx, &ctx.actor.region).await?;
        notify(
            app,
            tx,
            ctx.actor.region.as_str(),
            center,
            "raised",
            Some(id),
            None,
            &format!(
                "{number}：{} 提出新问题“{}”，待交办",
                ctx.actor.username,
                input.title.trim()
            ),
        )
        .await?;
    }
    Ok((id, number))
}

/// The center unit of a region (where staff notifications go).
pub(crate) async fn center_unit(tx: &mut Tx, region: &keyproj_domain::RegionCode) -> Result<i64> {
    let mut r = Some(region.clone());
    while let Some(code) = r {
        let units = org::list_units(tx, &code).await?;
        if let Some(u) = units
            .iter()
            .find(|u| u.kind == "center" && u.region_code == code.as_str())
        {
            return Ok(u.id);
        }
        r = code.parent();
    }
    Err(ServiceError::invariant(
        "本地区没有重点项目建设事务中心单位",
    ))
}

// --- the workflow ------------------------------------------------------------------------

/// One workflow step as submitted.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub step: String,
    pub version: i64,
    pub note: String,
    /// 申请延期: the deadline asked for; 同意延期: optionally another one.
    pub new_deadline: String,
    pub assign: Option<AssignInput>,
}

/// What a step produced: the item, and a new child item for 重开.
#[derive(Debug, Clone, Serialize)]
pub struct StepOutcome {
    pub id: i64,
    pub child: Option<(i64, String)>,
}

pub async fn act(app: &App, ctx: &Ctx, id: i64, input: &StepInput) -> Result<StepOutcome> {
    let step =
        Step::from_input(&input.step).ok_or_else(|| field_error("step", "choice", "未知操作"))?;
    let mut tx = app.db.begin_write().await?;
    let row = visible_item(&mut tx, ctx, id).await?;
    if row.version != input.version {
        return Err(ServiceError::Stale);
    }
    let child = apply(
        app,
        &mut tx,
        ctx,
        row,
        step,
        &input.note,
        input.assign.as_ref(),
        Some(&input.new_deadline),
    )
    .await?;
    tx.commit().await?;
    Ok(StepOutcome { id, child })
}

#[allow(clippy::too_many_arguments)]
async fn apply(
    app: &App,
    tx: &mut Tx,
    ctx: &Ctx,
    row: ItemRow,
    step: Step,
    note: &str,
    assign: Option<&AssignInput>,
    new_deadline: Option<&str>,
) -> Result<Option<(i64, String)>> {
    authorize_step(ctx, &row, step.performer())?;
    let status = status_of(&row)?;
    let after =
        keyproj_domain::problem::next(status, step).map_err(|m| field_error("step", "state", m))?;
    let note = note.trim();
    if step.needs_note() && note.is_empty() {
        let msg = match step {
            Step::Reply => "请填写办理进展",
            Step::RequestClosure => "请填写办理结果（问题如何解决）",
            Step::Return => "请填写退回原因",
            Step::RequestExtension => "请填写延期理由",
            Step::RefuseExtension => "请填写不同意延期的理由",
            Step::Withdraw => "请填写撤销原因",
            Step::Reopen => "请填写新的指示（重开事项的内容）",
            _ => "请填写说明",
        };
        return Err(field_error("note", "required", msg));
    }
    check_text("note", "说明", note, false, 4000)?;
    let today = app.local_today();
    let region = keyproj_domain::RegionCode::parse(&row.region_code)
        .map_err(|_| ServiceError::invariant("bad region"))?;
    let before = row.clone();
    let mut new = row.clone();
    new.state = after.state.key().into();
    new.extension_pending = after.extension_pending;
    new.verified = after.verified;
    let day_count = DayCount::from_input(&row.day_count).unwrap_or(DayCount::Working);
    let mut event_deadline: Option<String> = None;
    let mut child = None;
    let mut reset_alert = false;
    let center = center_unit(tx, &region).await?;
    let handler = row.handler_unit_id;
    let mut notices: Vec<(i64, &str, String)> = vec![];
    match step {
        Step::Assign => {
            let a = assign
                .ok_or_else(|| field_error("handler_unit_id", "required", "请选择承办单位"))?;
            let handler = a
                .handler_unit_id
                .ok_or_else(|| field_error("handler_unit_id", "required", "请选择承办单位"))?;
            if crate::org::unit_in(tx, &region, handler).await?.is_none() {
                return Err(field_error("handler_unit_id", "unknown", "承办单位不存在"));
            }
            let mut assisting: Vec<i64> = a
                .assisting_unit_ids
                .iter()
                .copied()
                .filter(|u| *u != handler)
                .collect();
            assisting.sort_unstable();
            assisting.dedup();
            if assisting.len() > 30 {
                return Err(field_error(
                    "assisting_unit_ids",
                    "too_many",
                    "协办单位不能超过30个",
                ));
            }
            for u in &assisting {
                // another county's unit is as unknown as a missing one
                if crate::org::unit_in(tx, &region, *u).await?.is_none() {
                    return Err(field_error(
                        "assisting_unit_ids",
                        "unknown",
                        "协办单位不存在",
                    ));
                }
            }
            if let Some(l) = a.leader_id
                && crate::org::leader_in(tx, &region, l).await?.is_none()
            {
                return Err(field_error("leader_id", "unknown", "交办领导不存在"));
            }
            use chrono::Datelike;
            let (rules, _) = rules_tx(tx, &region, today.year()).await?;
            let cal = calendar_tx(tx, region.as_str(), today).await?;
            let deadline = if a.deadline.trim().is_empty() {
                cal.add_days(today, rules.default_limit_days, rules.day_count)
            } else {
                let d = parse_date("deadline", &a.deadline)?;
                if d < today {
                    return Err(field_error("deadline", "past", "办理时限不能早于今天"));
                }
                d
            };
            new.handler_unit_id = Some(handler);
            new.assisting_unit_ids = assisting_text(&assisting);
            new.assigning_leader_id = a.leader_id;
            new.assigned_on = Some(today.format(DATE).to_string());
            new.deadline = Some(deadline.format(DATE).to_string());
            new.day_count = rules.day_count.key().into();
            event_deadline = new.deadline.clone();
            let text = format!(
                "{}：交办“{}”，请于{}前办结并反馈",
                row.number, row.title, deadline
            );
            notices.push((handler, "assigned", text.clone()));
            for u in &assisting {
                notices.push((*u, "assisting", format!("{text}（协办）")));
            }
        }
        Step::Reply => {
            notices.push((
                center,
                "replied",
                format!("{}：承办单位反馈进展", row.number),
            ));
        }
        Step::RequestClosure => {
            new.resolution = note.to_string();
            notices.push((
                center,
                "closure_requested",
                format!("{}：承办单位申请销号，待核验", row.number),
            ));
        }
        Step::Close => {
            new.closed_on = Some(today.format(DATE).to_string());
            let assigned = row
                .assigned_on
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, DATE).ok())
                .unwrap_or(today);
            let cal = calendar_tx(tx, region.as_str(), assigned).await?;
            new.close_days = Some(cal.days_between(assigned, today, day_count).max(0));
            if let Some(h) = handler {
                notices.push((h, "closed", format!("{}：经核验，已销号", row.number)));
            }
        }
        Step::Return => {
            if let Some(h) = handler {
                notices.push((
                    h,
                    "returned",
                    format!("{}：销号申请被退回：{note}", row.number),
                ));
            }
        }
        Step::RequestExtension => {
            let d = parse_date("new_deadline", new_deadline.unwrap_or(""))?;
            let current = row
                .deadline
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, DATE).ok());
            if current.is_some_and(|c| today > c) || matches!(row.alert.as_str(), "yellow" | "red")
            {
                return Err(field_error(
                    "new_deadline",
                    "late",
                    "办理时限已过，不能再申请延期，请尽快办结",
                ));
            }
            if current.is_some_and(|c| d <= c) {
                return Err(field_error(
                    "new_deadline",
                    "order",
                    "申请的时限须晚于现在的办理时限",
                ));
            }
            new.requested_deadline = Some(d.format(DATE).to_string());
            event_deadline = new.requested_deadline.clone();
            notices.push((
                center,
                "extension_requested",
                format!("{}：申请延期至{d}，待答复", row.number),
            ));
        }
        Step::GrantExtension => {
            let asked = row.requested_deadline.clone().unwrap_or_default();
            let d = match new_deadline.map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => parse_date("new_deadline", s)?,
                None => parse_date("new_deadline", &asked)?,
            };
            if d < today {
                return Err(field_error(
                    "new_deadline",
                    "past",
                    "新的办理时限不能早于今天",
                ));
            }
            new.deadline = Some(d.format(DATE).to_string());
            new.requested_deadline = None;
            event_deadline = new.deadline.clone();
            reset_alert = true;
            if let Some(h) = handler {
                notices.push((
                    h,
                    "extension_granted",
                    format!("{}：同意延期至{d}", row.number),
                ));
            }
        }
        Step::RefuseExtension => {
            new.requested_deadline = None;
            if let Some(h) = handler {
                notices.push((
                    h,
                    "extension_refused",
                    format!("{}：不同意延期：{note}", row.number),
                ));
            }
        }
        Step::Withdraw => {
            if let Some(h) = handler {
                notices.push((h, "withdrawn", format!("{}：已撤销：{note}", row.number)));
            }
        }
        Step::Reopen => {}
    }
    if step != Step::Reopen {
        if !repo::update_workflow(tx, &new, app.now()).await? {
            return Err(ServiceError::Stale);
        }
        if reset_alert {
            repo::clear_alert(tx, row.id).await?;
        }
    }
    repo::insert_event(
        tx,
        row.id,
        &ctx.actor.username,
        ctx.actor.unit_id,
        step.key(),
        note,
        status.state.key(),
        after.state.key(),
        event_deadline.as_deref(),
        app.now(),
    )
    .await?;
    audit(
        app,
        tx,
        ctx,
        step.key(),
        "problem_item",
        Some(row.id.to_string()),
        Some(&before),
        Some(&new),
    )
    .await?;
    if step == Step::Assign {
        issue_assign_notice(app, tx, ctx, &new).await?;
    }
    if step == Step::Reopen {
        let input = ItemInput {
            kind: row.kind.clone(),
            source: Source::LeaderInstruction.key().into(),
            category: row.category.clone(),
            level: row.level.clone(),
            project_id: row.project_id,
            title: format!("{}（重开）", row.title).chars().take(100).collect(),
            description: note.to_string(),
            raised_on: String::new(),
        };
        let c = check_input(app, &input)?;
        child = Some(
            insert_tx(
                app,
                tx,
                ctx,
                &input,
                &c,
                Origin {
                    parent_id: Some(row.id),
                    ..Origin::default()
                },
            )
            .await?,
        );
    }
    for (unit, kind, text) in notices {
        notify(
            app,
            tx,
            &row.region_code,
            unit,
            kind,
            Some(row.id),
            None,
            &text,
        )
        .await?;
    }
    Ok(child)
}

/// The 交办单: the item as assigned, frozen under the item's number.
async fn issue_assign_notice(app: &App, tx: &mut Tx, ctx: &Ctx, row: &ItemRow) -> Result<i64> {
    let fresh = repo::get_item(tx, row.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let assisting: Vec<String> = {
        let mut v = vec![];
        for u in assisting_ids(&fresh.assisting_unit_ids) {
            if let Some(u) = org::get_unit(tx, u).await? {
                v.push(u.name);
            }
        }
        v
    };
    let content = DocContent {
        recipient: fresh.handler_unit_name.clone().unwrap_or_default(),
        assisting: assisting.join("、"),
        leader: fresh.leader_name.clone().unwrap_or_default(),
        intro: format!(
            "经研究，现将以下事项交由你单位牵头办理，请于{}前办结，并将办理结果书面反馈县重点项目建设事务中心。",
            fresh.deadline.clone().unwrap_or_default()
        ),
        items: vec![DocItem::of(&fresh)],
        closing: "逾期未办结的，将按规定发出督办函；情况特殊需延期的，请在时限届满前提出延期申请。"
            .into(),
    };
    let json =
        serde_json::to_string(&content).map_err(|e| ServiceError::internal("内部处理", e))?;
    let today = app.local_today().format(DATE).to_string();
    let (id, _) = repo::insert_document(
        tx,
        &repo::NewDocument {
            region_code: &fresh.region_code,
            kind: "assign",
            series: "assign",
            year: fresh.year,
            prefix: "",
            fixed_number: Some((&fresh.number, fresh.seq)),
            item_id: Some(fresh.id),
            meeting_id: None,
            recipient_unit_id: fresh.handler_unit_id,
            title: "重点项目问题交办单",
            content: &json,
            reply_by: fresh.deadline.as_deref(),
            issued_on: &today,
            issued_by: &ctx.actor.username,
            for_deadline: "",
        },
        app.now(),
    )
    .await?;
    audit(
        app,
        tx,
        ctx,
        "issue",
        "document",
        Some(id.to_string()),
        None::<&()>,
        Some(&serde_json::json!({"kind": "assign", "number": fresh.number})),
    )
    .await?;
    Ok(id)
}

/// The frozen content of an issued document (the .docx and the printable page are made from it).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DocContent {
    pub recipient: String,
    pub assisting: String,
    pub leader: String,
    pub intro: String,
    pub items: Vec<DocItem>,
    pub closing: String,
}

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DocItem {
    pub number: String,
    pub project: String,
    pub title: String,
    pub description: String,
    pub handler: String,
    pub deadline: String,
}

impl DocItem {
    pub fn of(r: &ItemRow) -> DocItem {
        DocItem {
            number: r.number.clone(),
            project: r.project_name.clone().unwrap_or_default(),
            title: r.title.clone(),
            description: r.description.clone(),
            handler: r.handler_unit_name.clone().unwrap_or_default(),
            deadline: r.deadline.clone().unwrap_or_default(),
        }
    }
}

/// The Word document of an issued document, from its frozen content.
pub fn docx_of(doc: &DocumentRow, c: &DocContent) -> keyproj_office::docx::Official {
    let is_minutes = doc.kind == "minutes";
    keyproj_office::docx::Official {
        issuer: "桃江县重点项目建设事务中心".into(),
        title: doc.title.clone(),
        number: doc.number.clone(),
        recipient: if is_minutes {
            String::new()
        } else {
            c.recipient.clone()
        },
        paragraphs: vec![c.intro.clone()],
        table_headers: vec!["编号", "项目", "事项", "具体情况", "承办单位", "办理时限"]
            .into_iter()
            .map(String::from)
            .collect(),
        table_rows: c
            .items
            .iter()
            .map(|i| {
                vec![
                    i.number.clone(),
                    i.project.clone(),
                    i.title.clone(),
                    i.description.clone(),
                    i.handler.clone(),
                    i.deadline.clone(),
                ]
            })
            .collect(),
        closing: c.closing.clone(),
        date: doc.issued_on.clone(),
        copy_to: if is_minutes {
            c.recipient.clone()
        } else {
            c.assisting.clone()
        },
    }
}

// --- notifications -----------------------------------------------------------------------

/// A notification to a unit, queued for the webhook when one is configured.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn notify(
    app: &App,
    tx: &mut Tx,
    region: &str,
    unit_id: i64,
    kind: &str,
    item_id: Option<i64>,
    document_id: Option<i64>,
    text: &str,
) -> Result<i64> {
    let now = app.now();
    let id = repo::notify(tx, region, unit_id, kind, item_id, document_id, text, now).await?;
    if app.cfg.webhook.is_some() {
        let unit = org::get_unit(tx, unit_id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        let payload = serde_json::json!({
            "notification_id": id,
            "kind": kind,
            "region_code": region,
            "unit_id": unit_id,
            "unit_name": unit,
            "item_id": item_id,
            "document_id": document_id,
            "text": text,
            "created_at": now,
        });
        repo::enqueue_webhook(tx, id, &payload.to_string(), now).await?;
    }
    Ok(id)
}

// --- reading -----------------------------------------------------------------------------

pub fn list_scope(ctx: &Ctx) -> Option<repo::ItemScope> {
    let a = &ctx.actor;
    if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) {
        Some(repo::ItemScope::Region)
    } else if a.has(Role::UnitUser) {
        Some(repo::ItemScope::Unit(a.unit_id))
    } else if a.has(Role::Owner) {
        Some(repo::ItemScope::Owner(a.unit_id))
    } else {
        None
    }
}

/// A filter for the actor's list (the scope is set here, never taken from the request).
pub fn filter_for(ctx: &Ctx) -> Result<repo::ItemFilter> {
    require(ctx, Action::ViewProblems)?;
    Ok(repo::ItemFilter {
        region: ctx.actor.region.clone(),
        scope: list_scope(ctx).ok_or(ServiceError::Forbidden)?,
        q: None,
        state: None,
        open_only: false,
        overdue_on: None,
        source: None,
        category: None,
        kind: None,
        handler_unit_id: None,
        project_id: None,
        meeting_id: None,
        year: None,
        alert: None,
        limit: 50,
        offset: 0,
    })
}

/// The actor's filter from list query parameters (q, state, source, category, kind, alert,
/// open=1, overdue=1, unit, project, year, page); unknown values are ignored, the page is
/// clamped. Returns the filter and the page number. Used by the list page and the API alike.
pub fn filter_from_query(
    app: &App,
    ctx: &Ctx,
    get: impl Fn(&str) -> String,
    per_page: i64,
) -> Result<(repo::ItemFilter, i64)> {
    let mut f = filter_for(ctx)?;
    let text = |k: &str| Some(get(k)).filter(|v| !v.trim().is_empty());
    let id = |k: &str| get(k).trim().parse::<i64>().ok();
    f.q = text("q");
    f.state = text("state").filter(|s| State::from_input(s).is_some());
    f.source = text("source").filter(|s| Source::from_input(s).is_some());
    f.category = text("category").filter(|s| Category::from_input(s).is_some());
    f.kind = text("kind").filter(|s| ItemKind::from_input(s).is_some());
    f.alert = text("alert").filter(|s| keyproj_domain::problem::Alert::from_input(s).is_some());
    f.open_only = get("open") == "1";
    if get("overdue") == "1" {
        f.overdue_on = Some(app.local_today().format(DATE).to_string());
    }
    f.handler_unit_id = id("unit");
    f.project_id = id("project");
    f.year = id("year");
    let page = id("page").unwrap_or(1).clamp(1, 100_000);
    f.limit = per_page;
    f.offset = (page - 1) * per_page;
    Ok((f, page))
}

pub async fn list(app: &App, ctx: &Ctx, f: &repo::ItemFilter) -> Result<(Vec<ItemRow>, i64)> {
    let mut f = f.clone();
    let own = filter_for(ctx)?;
    f.region = own.region;
    f.scope = own.scope;
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list_items(&mut tx, &f).await?)
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemDetail {
    pub item: ItemRow,
    pub events: Vec<EventRow>,
    pub documents: Vec<DocumentRow>,
    pub assisting_units: Vec<String>,
    pub parent: Option<(i64, String)>,
    /// Steps the actor may take now.
    pub steps: Vec<Step>,
    pub overdue: bool,
}

pub async fn get(app: &App, ctx: &Ctx, id: i64) -> Result<ItemDetail> {
    require(ctx, Action::ViewProblems)?;
    let mut tx = app.db.begin_read().await?;
    let item = visible_item(&mut tx, ctx, id).await?;
    let events = repo::events_of(&mut tx, id).await?;
    let documents = repo::documents_of_item(&mut tx, id).await?;
    let mut assisting_units = vec![];
    for u in assisting_ids(&item.assisting_unit_ids) {
        if let Some(u) = org::get_unit(&mut tx, u).await? {
            assisting_units.push(u.name);
        }
    }
    let parent = match item.parent_id {
        Some(p) => repo::get_item(&mut tx, p).await?.map(|r| (r.id, r.number)),
        None => None,
    };
    let status = status_of(&item)?;
    let steps = Step::ALL
        .iter()
        .copied()
        .filter(|s| keyproj_domain::problem::next(status, *s).is_ok())
        .filter(|s| authorize_step(ctx, &item, s.performer()).is_ok())
        .collect();
    let today = app.local_today().format(DATE).to_string();
    let overdue = State::from_input(&item.state).is_some_and(|s| s.with_unit())
        && item.deadline.as_deref().is_some_and(|d| d < today.as_str());
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

/// A document the actor may see (through its item or meeting).
pub async fn document(app: &App, ctx: &Ctx, id: i64) -> Result<DocumentRow> {
    require(ctx, Action::ViewProblems)?;
    let mut tx = app.db.begin_read().await?;
    let d = repo::get_document(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if let Some(item) = d.item_id {
        visible_item(&mut tx, ctx, item).await?;
    } else if d.meeting_id.is_some() {
        let region = keyproj_domain::RegionCode::parse(&d.region_code)
            .map_err(|_| ServiceError::invariant("bad region"))?;
        let staff = ctx.actor.has(Role::CenterStaff) || ctx.actor.has(Role::CountyLeader);
        let recipient = d.recipient_unit_id == Some(ctx.actor.unit_id);
        if !ctx.actor.region.contains(&region) || !(staff || recipient) {
            return Err(ServiceError::NotFound);
        }
    }
    Ok(d)
}

// --- to-do -------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Todo {
    /// Items waiting for the actor's unit (to reply, to finish, returned).
    pub to_handle: Vec<ItemRow>,
    /// Center: items to assign, closures to verify, extensions to decide.
    pub to_assign: Vec<ItemRow>,
    pub to_verify: Vec<ItemRow>,
    pub extensions: Vec<ItemRow>,
    pub notifications: Vec<repo::NotificationRow>,
    pub unread: i64,
}

pub async fn todo(app: &App, ctx: &Ctx) -> Result<Todo> {
    let base = filter_for(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let mut to_handle = vec![];
    let (mut to_assign, mut to_verify, mut extensions) = (vec![], vec![], vec![]);
    if ctx.actor.has(Role::UnitUser) || ctx.actor.has(Role::Owner) {
        for state in ["assigned", "in_progress"] {
            let f = repo::ItemFilter {
                handler_unit_id: Some(ctx.actor.unit_id),
                state: Some(state.into()),
                limit: 200,
                ..base.clone()
            };
            to_handle.extend(repo::list_items(&mut tx, &f).await?.0);
        }
        to_handle.sort_by(|a, b| a.deadline.cmp(&b.deadline));
    }
    if ctx.actor.has(Role::CenterStaff) {
        let by_state = |s: &str| repo::ItemFilter {
            state: Some(s.into()),
            limit: 200,
            ..base.clone()
        };
        to_assign = repo::list_items(&mut tx, &by_state("registered")).await?.0;
        to_verify = repo::list_items(&mut tx, &by_state("closure_requested"))
            .await?
            .0;
        for s in ["assigned", "in_progress"] {
            extensions.extend(
                repo::list_items(&mut tx, &by_state(s))
                    .await?
                    .0
                    .into_iter()
                    .filter(|r| r.extension_pending),
            );
        }
    }
    let (notifications, unread) = if ctx.actor.unit_id != 0 {
        (
            repo::notifications_for(&mut tx, ctx.actor.unit_id, ctx.actor.user_id, 50).await?,
            repo::unread_count(&mut tx, ctx.actor.unit_id, ctx.actor.user_id).await?,
        )
    } else {
        (vec![], 0)
    };
    Ok(Todo {
        to_handle,
        to_assign,
        to_verify,
        extensions,
        notifications,
        unread,
    })
}

/// The unread count shown beside 待办 in the navigation.
pub async fn unread(app: &App, ctx: &Ctx) -> Result<i64> {
    if ctx.actor.unit_id == 0 || ctx.actor.roles.iter().all(|r| r.is_admin()) {
        return Ok(0);
    }
    let mut tx = app.db.begin_read().await?;
    Ok(repo::unread_count(&mut tx, ctx.actor.unit_id, ctx.actor.user_id).await?)
}

pub async fn mark_read(app: &App, ctx: &Ctx, up_to_id: i64) -> Result<u64> {
    require(ctx, Action::ViewProblems)?;
    let mut tx = app.db.begin_write().await?;
    let n = repo::mark_read(
        &mut tx,
        ctx.actor.unit_id,
        ctx.actor.user_id,
        up_to_id,
        app.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

// --- meetings and patrols ----------------------------------------------------------------

/// The meeting kinds that feed the list (their source tags).
pub const MEETING_KINDS: [Source; 4] = [
    Source::TopicMeeting,
    Source::SiteMeeting,
    Source::WeeklyHuddle,
    Source::MonthlyDispatch,
];

#[derive(Debug, Clone, Default, Serialize)]
pub struct MeetingInput {
    pub kind: String,
    pub held_on: String,
    pub place: String,
    pub chair_leader_id: Option<i64>,
    pub attending_units: String,
    pub project_ids: Vec<i64>,
    pub minutes: String,
}

pub async fn create_meeting(app: &App, ctx: &Ctx, m: &MeetingInput) -> Result<i64> {
    require(ctx, Action::ManageProblems)?;
    let mut e = ValidationErrors::new();
    let kind = Source::from_input(&m.kind).filter(|k| MEETING_KINDS.contains(k));
    if kind.is_none() {
        e.add("kind", "choice", "请选择会议类型");
    }
    let held = match parse_date("held_on", &m.held_on) {
        Ok(d) if d <= app.local_today() => Some(d),
        Ok(_) => {
            e.add("held_on", "future", "会议日期不能晚于今天");
            None
        }
        Err(_) => {
            e.add("held_on", "date", "日期格式应为 2022-03-15");
            None
        }
    };
    e.check(check_text("place", "地点", &m.place, false, 100));
    e.check(check_text(
        "attending_units",
        "参会单位",
        &m.attending_units,
        false,
        500,
    ));
    e.check(check_text("minutes", "会议纪要", &m.minutes, false, 20000));
    e.into_result()?;
    let mut tx = app.db.begin_write().await?;
    if let Some(l) = m.chair_leader_id
        && crate::org::leader_in(&mut tx, &ctx.actor.region, l)
            .await?
            .is_none()
    {
        return Err(field_error("chair_leader_id", "unknown", "主持领导不存在"));
    }
    for p in &m.project_ids {
        crate::projects::visible(&mut tx, ctx, *p, Action::ViewProject).await?;
    }
    let ids: Vec<String> = m.project_ids.iter().map(|i| i.to_string()).collect();
    let id = repo::insert_meeting(
        &mut tx,
        ctx.actor.region.as_str(),
        kind.expect("checked").key(),
        &held.expect("checked").format(DATE).to_string(),
        m.place.trim(),
        m.chair_leader_id,
        m.attending_units.trim(),
        &ids.join(","),
        m.minutes.trim(),
        &ctx.actor.username,
        app.now(),
    )
    .await?;
    audit(
        app,
        &mut tx,
        ctx,
        "create",
        "meeting",
        Some(id.to_string()),
        None::<&()>,
        Some(m),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Serialize)]
pub struct MeetingDetail {
    pub meeting: repo::MeetingRow,
    pub projects: Vec<(i64, String)>,
    pub items: Vec<ItemRow>,
    pub documents: Vec<DocumentRow>,
}

pub async fn meeting(app: &App, ctx: &Ctx, id: i64) -> Result<MeetingDetail> {
    require(ctx, Action::ViewProblems)?;
    if !(ctx.actor.has(Role::CenterStaff) || ctx.actor.has(Role::CountyLeader)) {
        return Err(ServiceError::NotFound);
    }
    let mut tx = app.db.begin_read().await?;
    let meeting = repo::get_meeting(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let region = keyproj_domain::RegionCode::parse(&meeting.region_code)
        .map_err(|_| ServiceError::invariant("bad region"))?;
    if !ctx.actor.region.contains(&region) {
        return Err(ServiceError::NotFound);
    }
    let mut projects = vec![];
    for p in meeting
        .project_ids
        .split(',')
        .filter_map(|x| x.parse::<i64>().ok())
    {
        if let Some(r) = keyproj_db::repo::projects::get(&mut tx, p).await? {
            projects.push((r.id, r.name));
        }
    }
    let mut f = filter_for(ctx)?;
    f.meeting_id = Some(id);
    f.limit = 500;
    let items = repo::list_items(&mut tx, &f).await?.0;
    let documents = repo::documents_of_meeting(&mut tx, id).await?;
    Ok(MeetingDetail {
        meeting,
        projects,
        items,
        documents,
    })
}

pub async fn meetings(
    app: &App,
    ctx: &Ctx,
    year: Option<i32>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<repo::MeetingRow>, i64)> {
    require(ctx, Action::ViewProblems)?;
    if !(ctx.actor.has(Role::CenterStaff) || ctx.actor.has(Role::CountyLeader)) {
        return Err(ServiceError::Forbidden);
    }
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list_meetings(&mut tx, &ctx.actor.region, year, limit, offset).await?)
}

/// A meeting decision becomes an assigned item in one step.
pub async fn add_decision(
    app: &App,
    ctx: &Ctx,
    meeting_id: i64,
    input: &ItemInput,
    assign: &AssignInput,
) -> Result<(i64, String)> {
    let m = meeting(app, ctx, meeting_id).await?.meeting;
    let mut input = input.clone();
    input.source = m.kind.clone();
    if input.raised_on.trim().is_empty() {
        input.raised_on = m.held_on.clone();
    }
    register(
        app,
        ctx,
        &input,
        Some(assign),
        Origin {
            meeting_id: Some(meeting_id),
            ..Origin::default()
        },
    )
    .await
}

/// Issues the 会议纪要: the minutes and every item the meeting assigned, frozen and numbered.
pub async fn issue_minutes(app: &App, ctx: &Ctx, meeting_id: i64) -> Result<i64> {
    require(ctx, Action::ManageProblems)?;
    let d = meeting(app, ctx, meeting_id).await?;
    if d.documents.iter().any(|x| x.kind == "minutes") {
        return Err(field_error(
            "minutes",
            "issued",
            "该会议的纪要已印发，不能重复印发",
        ));
    }
    let kind = Source::from_input(&d.meeting.kind)
        .map(|k| k.label())
        .unwrap_or("会议");
    let content = DocContent {
        recipient: d.meeting.attending_units.clone(),
        assisting: String::new(),
        leader: d.meeting.chair_name.clone().unwrap_or_default(),
        intro: format!(
            "{}，{}在{}主持召开{}，研究重点项目建设有关问题。{}",
            d.meeting.held_on,
            d.meeting.chair_name.clone().unwrap_or_default(),
            d.meeting.place,
            kind,
            d.meeting.minutes
        ),
        items: d.items.iter().map(DocItem::of).collect(),
        closing: "以上事项请各责任单位按时限办结，并将办理结果反馈县重点项目建设事务中心。".into(),
    };
    let json =
        serde_json::to_string(&content).map_err(|e| ServiceError::internal("内部处理", e))?;
    use chrono::Datelike;
    let held = parse_date("held_on", &d.meeting.held_on)?;
    let mut tx = app.db.begin_write().await?;
    let (rules, _) = rules_tx(&mut tx, &ctx.actor.region, held.year()).await?;
    let today = app.local_today().format(DATE).to_string();
    let (id, number) = repo::insert_document(
        &mut tx,
        &repo::NewDocument {
            region_code: &d.meeting.region_code,
            kind: "minutes",
            series: "minutes",
            year: held.year() as i64,
            prefix: &rules.minutes_prefix,
            fixed_number: None,
            item_id: None,
            meeting_id: Some(meeting_id),
            recipient_unit_id: None,
            title: &format!("{kind}会议纪要"),
            content: &json,
            reply_by: None,
            issued_on: &today,
            issued_by: &ctx.actor.username,
            for_deadline: "",
        },
        app.now(),
    )
    .await?;
    audit(
        app,
        &mut tx,
        ctx,
        "issue",
        "document",
        Some(id.to_string()),
        None::<&()>,
        Some(&serde_json::json!({"kind": "minutes", "number": number, "meeting": meeting_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PatrolInput {
    pub patrol_on: String,
    pub inspector: String,
    pub project_ids: Vec<i64>,
    pub findings: String,
}

pub async fn create_patrol(app: &App, ctx: &Ctx, p: &PatrolInput) -> Result<i64> {
    require(ctx, Action::ManageProblems)?;
    let mut e = ValidationErrors::new();
    let day = match parse_date("patrol_on", &p.patrol_on) {
        Ok(d) if d <= app.local_today() => Some(d),
        _ => {
            e.add(
                "patrol_on",
                "date",
                "请填写巡查日期（不晚于今天，格式 2022-03-15）",
            );
            None
        }
    };
    e.check(check_text("inspector", "巡查人", &p.inspector, true, 50));
    e.check(check_text("findings", "巡查发现", &p.findings, true, 4000));
    e.into_result()?;
    let mut tx = app.db.begin_write().await?;
    for id in &p.project_ids {
        crate::projects::visible(&mut tx, ctx, *id, Action::ViewProject).await?;
    }
    let ids: Vec<String> = p.project_ids.iter().map(|i| i.to_string()).collect();
    let id = repo::insert_patrol(
        &mut tx,
        ctx.actor.region.as_str(),
        &day.expect("checked").format(DATE).to_string(),
        p.inspector.trim(),
        &ids.join(","),
        p.findings.trim(),
        &ctx.actor.username,
        app.now(),
    )
    .await?;
    audit(
        app,
        &mut tx,
        ctx,
        "create",
        "patrol",
        Some(id.to_string()),
        None::<&()>,
        Some(p),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A patrol of the actor's region (others' are not found).
pub(crate) async fn visible_patrol(tx: &mut Tx, ctx: &Ctx, id: i64) -> Result<repo::PatrolRow> {
    repo::get_patrol(tx, id)
        .await?
        .filter(|p| p.region_code.starts_with(ctx.actor.region.as_str()))
        .ok_or(ServiceError::NotFound)
}

pub async fn patrols(
    app: &App,
    ctx: &Ctx,
    limit: i64,
    offset: i64,
) -> Result<(Vec<repo::PatrolRow>, i64)> {
    require(ctx, Action::ManageProblems)?;
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list_patrols(&mut tx, &ctx.actor.region, limit, offset).await?)
}

/// A patrol finding becomes an item (assigned at once when a unit is chosen).
pub async fn add_finding(
    app: &App,
    ctx: &Ctx,
    patrol_id: i64,
    input: &ItemInput,
    assign: Option<&AssignInput>,
) -> Result<(i64, String)> {
    require(ctx, Action::ManageProblems)?;
    let p = {
        let mut tx = app.db.begin_read().await?;
        visible_patrol(&mut tx, ctx, patrol_id).await?
    };
    let mut input = input.clone();
    input.source = Source::DailyPatrol.key().into();
    if input.raised_on.trim().is_empty() {
        input.raised_on = p.patrol_on.clone();
    }
    register(
        app,
        ctx,
        &input,
        assign,
        Origin {
            patrol_id: Some(patrol_id),
            ..Origin::default()
        },
    )
    .await
}

/// An owner (or the lead unit) raises the 存在问题 of a monthly report as a problem.
pub async fn raise_from_report(
    app: &App,
    ctx: &Ctx,
    project_id: i64,
    month: keyproj_domain::ReportMonth,
) -> Result<(i64, String)> {
    let text = {
        let mut tx = app.db.begin_read().await?;
        crate::projects::visible(&mut tx, ctx, project_id, Action::ViewProject).await?;
        // once is enough: a second click must not register the same problem again
        if let Some((_, number)) =
            repo::raised_from_report(&mut tx, project_id, &month.to_string()).await?
        {
            return Err(field_error(
                "problems",
                "already_raised",
                format!("该月报的“存在问题”已提交为{number}，不能重复提交"),
            ));
        }
        keyproj_db::repo::dispatch::get_report(&mut tx, project_id, &month.to_string())
            .await?
            .map(|r| r.problems)
            .unwrap_or_default()
    };
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
    let input = ItemInput {
        kind: ItemKind::Problem.key().into(),
        source: Source::MonthlyReport.key().into(),
        category: Category::Other.key().into(),
        level: Level::Unit.key().into(),
        project_id: Some(project_id),
        title,
        description: text.to_string(),
        raised_on: String::new(),
    };
    let month_text = month.to_string();
    register(
        app,
        ctx,
        &input,
        None,
        Origin {
            report_month: Some(&month_text),
            ..Origin::default()
        },
    )
    .await
}

// --- statistics --------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnitStats {
    pub unit_id: i64,
    pub unit_name: String,
    pub assigned: i64,
    pub closed: i64,
    /// 办结率, percent with one decimal
    pub closure_rate_pct: f64,
    /// 按期办结率: closed on time ÷ closed
    pub on_time_rate_pct: f64,
    pub overdue: i64,
    /// average working/calendar days from assignment to closure
    pub avg_days: f64,
    pub letters: i64,
}

/// Counts of one group (source, category or leader) of items raised in the period.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct GroupCount {
    pub key: String,
    pub raised: i64,
    pub closed: i64,
    pub overdue: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProblemStats {
    pub year: i32,
    pub month: Option<u32>,
    pub units: Vec<UnitStats>,
    pub by_source: Vec<(String, GroupCount)>,
    pub by_category: Vec<(String, GroupCount)>,
    pub by_leader: Vec<GroupCount>,
    /// Per assigning leader, the same figures as per unit (unit_id/unit_name: the leader's).
    pub leaders: Vec<UnitStats>,
}

fn pct(n: i64, d: i64) -> f64 {
    if d == 0 {
        0.0
    } else {
        // one decimal, computed in integers so that 1/3 is 33.3 on every machine
        ((n * 1000 + d / 2) / d) as f64 / 10.0
    }
}

/// Per unit, leader, source and category for a year (or one month of it).
pub async fn stats(app: &App, ctx: &Ctx, year: i32, month: Option<u32>) -> Result<ProblemStats> {
    require(ctx, Action::ViewProblems)?;
    keyproj_domain::plan::check_year("year", &year.to_string())?;
    if month.is_some_and(|m| !(1..=12).contains(&m)) {
        return Err(field_error("month", "invalid", "月份应为1–12"));
    }
    let region = ctx.actor.region.clone();
    let (from, to) = match month.filter(|m| (1..=12).contains(m)) {
        Some(m) => (
            format!("{year}-{m:02}-01"),
            if m == 12 {
                format!("{}-01-01", year + 1)
            } else {
                format!("{year}-{:02}-01", m + 1)
            },
        ),
        None => (format!("{year}-01-01"), format!("{}-01-01", year + 1)),
    };
    let today = app.local_today().format(DATE).to_string();
    let mut tx = app.db.begin_read().await?;
    let rows = repo::period_stats(&mut tx, &region, &from, &to, &today).await?;
    let unit_names: std::collections::HashMap<i64, String> = org::list_units(&mut tx, &region)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let leader_names: std::collections::HashMap<i64, String> = org::list_leaders(&mut tx, &region)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    // fold the groups: per unit (assigned in the period), per source/category/leader (raised)
    let mut per_unit: std::collections::BTreeMap<i64, [i64; 6]> = Default::default();
    let mut per_leader: std::collections::BTreeMap<i64, [i64; 6]> = Default::default();
    let fold = |map: &mut std::collections::BTreeMap<String, GroupCount>,
                key: String,
                r: &repo::PeriodRow| {
        let g = map.entry(key.clone()).or_insert_with(|| GroupCount {
            key,
            ..Default::default()
        });
        g.raised += r.r_count;
        g.closed += r.r_closed;
        g.overdue += r.r_overdue;
    };
    let (mut sources, mut cats, mut leaders) =
        (Default::default(), Default::default(), Default::default());
    for r in &rows {
        if let Some(l) = r.assigning_leader_id.filter(|_| r.a_count > 0) {
            let e = per_leader.entry(l).or_default();
            for (k, v) in [
                r.a_count,
                r.a_closed,
                r.a_closed_on_time,
                r.a_overdue,
                r.a_close_days,
                r.a_letters,
            ]
            .into_iter()
            .enumerate()
            {
                e[k] += v;
            }
        }
        if let Some(u) = r.handler_unit_id.filter(|_| r.a_count > 0) {
            let e = per_unit.entry(u).or_default();
            for (k, v) in [
                r.a_count,
                r.a_closed,
                r.a_closed_on_time,
                r.a_overdue,
                r.a_close_days,
                r.a_letters,
            ]
            .into_iter()
            .enumerate()
            {
                e[k] += v;
            }
        }
        if r.r_count > 0 {
            fold(&mut sources, r.source.clone(), r);
            fold(&mut cats, r.category.clone(), r);
            if let Some(l) = r.assigning_leader_id {
                fold(
                    &mut leaders,
                    leader_names.get(&l).cloned().unwrap_or_default(),
                    r,
                );
            }
        }
    }
    let figures = |id: i64, name: String, f: [i64; 6]| {
        let [assigned, closed, on_time, overdue, days, letters] = f;
        UnitStats {
            unit_id: id,
            unit_name: name,
            assigned,
            closed,
            closure_rate_pct: pct(closed, assigned),
            on_time_rate_pct: pct(on_time, closed),
            overdue,
            avg_days: pct(days, closed * 100),
            letters,
        }
    };
    let mut leaders_st: Vec<UnitStats> = per_leader
        .into_iter()
        .map(|(id, f)| figures(id, leader_names.get(&id).cloned().unwrap_or_default(), f))
        .collect();
    leaders_st.sort_by(|a, b| {
        b.assigned
            .cmp(&a.assigned)
            .then(a.unit_name.cmp(&b.unit_name))
    });
    let mut units: Vec<UnitStats> = per_unit
        .into_iter()
        .map(|(id, f)| figures(id, unit_names.get(&id).cloned().unwrap_or_default(), f))
        .collect();
    units.sort_by(|a, b| {
        b.assigned
            .cmp(&a.assigned)
            .then(a.unit_name.cmp(&b.unit_name))
    });
    let sorted = |m: std::collections::BTreeMap<String, GroupCount>| {
        let mut v: Vec<GroupCount> = m.into_values().collect();
        v.sort_by(|a, b| b.raised.cmp(&a.raised).then(a.key.cmp(&b.key)));
        v
    };
    let by_source = sorted(sources)
        .into_iter()
        .map(|g| {
            (
                Source::from_input(&g.key)
                    .map(|s| s.label())
                    .unwrap_or("其他")
                    .to_string(),
                g,
            )
        })
        .collect();
    let by_category = sorted(cats)
        .into_iter()
        .map(|g| {
            (
                Category::from_input(&g.key)
                    .map(|s| s.label())
                    .unwrap_or("其他")
                    .to_string(),
                g,
            )
        })
        .collect();
    let by_leader = sorted(leaders);
    Ok(ProblemStats {
        year,
        month,
        units,
        by_source,
        by_category,
        by_leader,
        leaders: leaders_st,
    })
}

/// The public board's per-unit view: published only as counts and rates, no names of people.
pub async fn public_unit_stats(
    app: &App,
    region: &keyproj_domain::RegionCode,
    year: i32,
) -> Result<Vec<UnitStats>> {
    let ctx = Ctx::system(region.clone());
    Ok(stats(app, &ctx, year, None).await?.units)
}
