//! The workflow of an item: 交办 → 办理 → 申请销号 → 销号/退回, extensions, withdrawal and
//! re-opening. The state machine is the domain's; here each step is authorized, its input
//! checked, the item updated, logged, audited and the units concerned notified — in one
//! transaction.

use super::documents;
use super::items::{self, ItemRef, Origin, auth_scope, status_of};
use crate::notifications::{Notice, notify_in};
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, check, field_error};
use keyproj_db::repo::problems::items::{self as repo, ItemRow};
use keyproj_db::repo::problems::workflow::{self as log_repo, NewEvent};
use keyproj_domain::authz::authorize_item;
use keyproj_domain::error::check_text;
use keyproj_domain::ids::{ItemId, UnitId};
use keyproj_domain::notification::NotificationKind;
use keyproj_domain::problem::{
    Alert, AssignDraft, EventKind, ItemFields, Performer, Source, Step, draft::parse_date,
};
use serde::Serialize;

/// One workflow step as submitted.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub step: String,
    /// The version of the item the form was made from (a stale form is refused).
    pub version: i64,
    pub note: String,
    /// 申请延期: the deadline asked for; 同意延期: optionally another one.
    pub new_deadline: String,
    pub assign: Option<AssignDraft>,
}

/// A step to apply to an item.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepRequest<'a> {
    pub step: Step,
    pub note: &'a str,
    pub assign: Option<&'a AssignDraft>,
    pub new_deadline: Option<&'a str>,
}

/// What a step produced: the item, and a new child item for 重开.
#[derive(Debug, Clone, Serialize)]
pub struct StepOutcome {
    pub id: ItemId,
    pub child: Option<ItemRef>,
}

fn authorize_step(ctx: &Ctx, row: &ItemRow, performer: Performer) -> Result<()> {
    check(authorize_item(&ctx.actor, performer, &auth_scope(row)))
}

/// The steps the actor may take on the item now.
pub fn steps_for(ctx: &Ctx, row: &ItemRow) -> Vec<Step> {
    let status = status_of(row);
    Step::ALL
        .iter()
        .copied()
        .filter(|s| keyproj_domain::problem::next(status, *s).is_ok())
        .filter(|s| authorize_step(ctx, row, s.performer()).is_ok())
        .collect()
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn act(app: &App, ctx: &Ctx, id: ItemId, input: &StepInput) -> Result<StepOutcome> {
    let step =
        Step::from_input(&input.step).ok_or_else(|| field_error("step", "choice", "未知操作"))?;
    let mut w = Work::begin(app, ctx).await?;
    let row = items::visible_item(&mut w.tx, ctx, id).await?;
    if row.version != input.version {
        return Err(ServiceError::Stale);
    }
    let child = apply_in(
        &mut w,
        row,
        &StepRequest {
            step,
            note: &input.note,
            assign: input.assign.as_ref(),
            new_deadline: Some(&input.new_deadline),
        },
    )
    .await?;
    w.commit().await?;
    Ok(StepOutcome { id, child })
}

fn note_required(step: Step) -> &'static str {
    match step {
        Step::Reply => "请填写办理进展",
        Step::RequestClosure => "请填写办理结果（问题如何解决）",
        Step::Return => "请填写退回原因",
        Step::RequestExtension => "请填写延期理由",
        Step::RefuseExtension => "请填写不同意延期的理由",
        Step::Withdraw => "请填写撤销原因",
        Step::Reopen => "请填写新的指示（重开事项的内容）",
        _ => "请填写说明",
    }
}

/// Applies a step to an item inside the caller's work. Returns the child item of 重开.
pub(crate) async fn apply_in(
    w: &mut Work<'_>,
    row: ItemRow,
    req: &StepRequest<'_>,
) -> Result<Option<ItemRef>> {
    let step = req.step;
    authorize_step(w.ctx, &row, step.performer())?;
    let status = status_of(&row);
    let after =
        keyproj_domain::problem::next(status, step).map_err(|m| field_error("step", "state", m))?;
    let note = req.note.trim();
    if step.needs_note() && note.is_empty() {
        return Err(field_error("note", "required", note_required(step)));
    }
    let note = check_text("note", "说明", note, false, 4000)?;
    let today = w.today();
    let region = row.region_code.clone();
    let mut new = row.clone();
    new.state = after.state;
    new.extension_pending = after.extension_pending;
    new.verified = after.verified;
    let mut event_deadline = None;
    let mut reset_alert = false;
    let center = crate::org::center_unit_in(&mut w.tx, &region).await?;
    let handler = row.handler_unit_id;
    let mut notices: Vec<(UnitId, NotificationKind, String)> = vec![];
    match step {
        Step::Assign => {
            let a = req
                .assign
                .ok_or_else(|| field_error("handler_unit_id", "required", "请选择承办单位"))?
                .validate(today)?;
            // another county's unit or leader is as unknown as a missing one
            if crate::org::unit_in(&mut w.tx, &region, a.handler)
                .await?
                .is_none()
            {
                return Err(field_error("handler_unit_id", "unknown", "承办单位不存在"));
            }
            for u in &a.assisting {
                if crate::org::unit_in(&mut w.tx, &region, *u).await?.is_none() {
                    return Err(field_error(
                        "assisting_unit_ids",
                        "unknown",
                        "协办单位不存在",
                    ));
                }
            }
            if let Some(l) = a.leader
                && crate::org::leader_in(&mut w.tx, &region, l)
                    .await?
                    .is_none()
            {
                return Err(field_error("leader_id", "unknown", "交办领导不存在"));
            }
            use chrono::Datelike;
            let (rules, _) = crate::rules::supervision_in(&mut w.tx, &region, today.year()).await?;
            let deadline = match a.deadline {
                Some(d) => d,
                None => {
                    let cal = crate::rules::calendar_in(&mut w.tx, &region, today).await?;
                    cal.add_days(today, rules.default_limit_days, rules.day_count)
                }
            };
            new.handler_unit_id = Some(a.handler);
            new.assisting_unit_ids = a.assisting.clone();
            new.assigning_leader_id = a.leader;
            new.assigned_on = Some(today);
            new.deadline = Some(deadline);
            new.day_count = rules.day_count;
            event_deadline = new.deadline;
            let text = format!(
                "{}：交办“{}”，请于{}前办结并反馈",
                row.number, row.title, deadline
            );
            notices.push((a.handler, NotificationKind::Assigned, text.clone()));
            for u in &a.assisting {
                notices.push((*u, NotificationKind::Assisting, format!("{text}（协办）")));
            }
        }
        Step::Reply => notices.push((
            center,
            NotificationKind::Replied,
            format!("{}：承办单位反馈进展", row.number),
        )),
        Step::RequestClosure => {
            new.resolution = note.clone();
            notices.push((
                center,
                NotificationKind::ClosureRequested,
                format!("{}：承办单位申请销号，待核验", row.number),
            ));
        }
        Step::Close => {
            new.closed_on = Some(today);
            let assigned = row.assigned_on.unwrap_or(today);
            let cal = crate::rules::calendar_in(&mut w.tx, &region, assigned).await?;
            new.close_days = Some(cal.days_between(assigned, today, row.day_count).max(0));
            if let Some(h) = handler {
                notices.push((
                    h,
                    NotificationKind::Closed,
                    format!("{}：经核验，已销号", row.number),
                ));
            }
        }
        Step::Return => {
            if let Some(h) = handler {
                notices.push((
                    h,
                    NotificationKind::Returned,
                    format!("{}：销号申请被退回：{note}", row.number),
                ));
            }
        }
        Step::RequestExtension => {
            let d = parse_date(
                "new_deadline",
                "延期后的办理时限",
                req.new_deadline.unwrap_or(""),
            )?;
            let d = keyproj_domain::problem::draft::within_a_year("new_deadline", d, today)
                .map_err(|f| ServiceError::Validation(keyproj_domain::ValidationErrors(vec![f])))?;
            let current = row.deadline;
            if current.is_some_and(|c| today > c)
                || matches!(row.alert, Some(Alert::Yellow | Alert::Red))
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
            new.requested_deadline = Some(d);
            event_deadline = new.requested_deadline;
            notices.push((
                center,
                NotificationKind::ExtensionRequested,
                format!("{}：申请延期至{d}，待答复", row.number),
            ));
        }
        Step::GrantExtension => {
            let d = match req.new_deadline.map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => parse_date("new_deadline", "延期后的办理时限", s)?,
                None => row.requested_deadline.ok_or_else(|| {
                    field_error("new_deadline", "required", "请填写延期后的办理时限")
                })?,
            };
            if d < today {
                return Err(field_error(
                    "new_deadline",
                    "past",
                    "新的办理时限不能早于今天",
                ));
            }
            // a limit asked before this rule (or typed now) is held to it too
            let d = keyproj_domain::problem::draft::within_a_year("new_deadline", d, today)
                .map_err(|f| ServiceError::Validation(keyproj_domain::ValidationErrors(vec![f])))?;
            new.deadline = Some(d);
            new.requested_deadline = None;
            event_deadline = new.deadline;
            reset_alert = true;
            if let Some(h) = handler {
                notices.push((
                    h,
                    NotificationKind::ExtensionGranted,
                    format!("{}：同意延期至{d}", row.number),
                ));
            }
        }
        Step::RefuseExtension => {
            new.requested_deadline = None;
            if let Some(h) = handler {
                notices.push((
                    h,
                    NotificationKind::ExtensionRefused,
                    format!("{}：不同意延期：{note}", row.number),
                ));
            }
        }
        Step::Withdraw => {
            if let Some(h) = handler {
                notices.push((
                    h,
                    NotificationKind::Withdrawn,
                    format!("{}：已撤销：{note}", row.number),
                ));
            }
        }
        Step::Reopen => {}
    }
    if step != Step::Reopen {
        if !repo::update_workflow(&mut w.tx, &new, w.now).await? {
            return Err(ServiceError::Stale);
        }
        if reset_alert {
            repo::clear_alert(&mut w.tx, row.id).await?;
        }
    }
    log_repo::insert_event(
        &mut w.tx,
        &NewEvent {
            item_id: row.id,
            actor: &w.ctx.actor.username,
            actor_unit_id: w.ctx.actor.unit_id,
            kind: EventKind::Step(step),
            note: &note,
            from_state: Some(status.state),
            to_state: after.state,
            deadline: event_deadline,
        },
        w.now,
    )
    .await?;
    w.audit(
        Audit::new(step.key(), "problem_item")
            .id(row.id)
            .before(&row)
            .after(&new),
    )
    .await?;
    if step == Step::Assign {
        documents::issue_assign_notice_in(w, new.id).await?;
    }
    let child = if step == Step::Reopen {
        let fields = ItemFields {
            kind: row.kind,
            project_id: row.project_id,
            source: Source::LeaderInstruction,
            category: row.category,
            level: row.level,
            title: format!("{}（重开）", row.title).chars().take(100).collect(),
            description: note.clone(),
            raised_on: today,
        };
        Some(
            items::insert_in(
                w,
                &fields,
                Origin {
                    parent_id: Some(row.id),
                    ..Origin::default()
                },
            )
            .await?,
        )
    } else {
        None
    };
    for (unit, kind, text) in notices {
        notify_in(
            w,
            &region,
            &Notice {
                link: String::new(),
                unit,
                kind,
                item: Some(row.id),
                document: None,
                text,
            },
        )
        .await?;
    }
    Ok(child)
}
