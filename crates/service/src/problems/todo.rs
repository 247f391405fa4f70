//! 待办: what waits for the actor — a unit's items to handle, the center's items to assign,
//! closures to verify, extensions to decide and monthly reports to review — and the unit's
//! notifications.

use crate::{App, Ctx, Result};
use keyproj_db::repo::dispatch::reports::{self as report_repo, PendingReport};
use keyproj_db::repo::notifications::{self as note_repo, NotificationRow};
use keyproj_db::repo::problems::items::ItemRow;
use keyproj_db::repo::problems::todo::{self as repo, Waiting};
use keyproj_domain::authz::Role;
use serde::Serialize;

/// At most this many items per list (the full lists are on the item list page).
pub const LIMIT: i64 = 200;

/// How many items wait in each list, beyond the [`LIMIT`] shown too.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct WaitingTotals {
    pub to_handle: i64,
    pub to_assign: i64,
    pub to_verify: i64,
    pub extensions: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Todo {
    /// Items waiting for the actor's unit (to reply, to finish), nearest deadline first.
    pub to_handle: Vec<ItemRow>,
    /// Center: items to assign, closures to verify, extensions to decide.
    pub to_assign: Vec<ItemRow>,
    pub to_verify: Vec<ItemRow>,
    pub extensions: Vec<ItemRow>,
    /// Center: monthly reports submitted and waiting for review.
    pub to_review: Vec<PendingReport>,
    /// A unit: its monthly reports returned and to be sent again.
    pub to_resubmit: Vec<PendingReport>,
    pub notifications: Vec<NotificationRow>,
    pub unread: i64,
    pub totals: WaitingTotals,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn todo(app: &App, ctx: &Ctx) -> Result<Todo> {
    super::items::filter_for(ctx)?;
    let region = &ctx.actor.region;
    let mut tx = app.db.begin_read().await?;
    let mut out = Todo::default();
    let unit_role = ctx.actor.has(Role::UnitUser) || ctx.actor.has(Role::Owner);
    if let (true, Some(unit)) = (unit_role, ctx.actor.unit_id) {
        (out.to_handle, out.totals.to_handle) =
            repo::waiting(&mut tx, region, Waiting::Unit(unit), LIMIT).await?;
        out.to_resubmit = report_repo::returned_to_unit(&mut tx, unit, LIMIT).await?;
    }
    if ctx.actor.has(Role::CenterStaff) {
        (out.to_assign, out.totals.to_assign) =
            repo::waiting(&mut tx, region, Waiting::ToAssign, LIMIT).await?;
        (out.to_verify, out.totals.to_verify) =
            repo::waiting(&mut tx, region, Waiting::ToVerify, LIMIT).await?;
        (out.extensions, out.totals.extensions) =
            repo::waiting(&mut tx, region, Waiting::Extensions, LIMIT).await?;
    }
    if ctx.actor.may(keyproj_domain::authz::Action::ReviewReports) {
        out.to_review = report_repo::pending_review(&mut tx, region, LIMIT).await?;
    }
    if let (Some(unit), Some(user)) = (ctx.actor.unit_id, ctx.actor.user_id) {
        out.notifications = note_repo::notifications_for(&mut tx, unit, user, 200).await?;
        out.unread = note_repo::unread_count(&mut tx, unit, user).await?;
    }
    Ok(out)
}
