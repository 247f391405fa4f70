//! Monthly dispatch (月调度), in the files the `db` and `web` layers mirror:
//!
//! - [`plans`]: annual plans with their monthly split and milestones, copied forward and adopted
//!   (frozen; later changes are revisions with reasons);
//! - [`reports`]: monthly reports, their review and revisions, who has not reported;
//! - [`photos`]: site photos of a report;
//! - [`colour`]: colour rules, the computed colour table and its published, frozen issues.

pub mod colour;
pub mod photos;
pub mod plans;
pub mod reports;

use crate::{Ctx, Result, ServiceError};
use keyproj_db::repo::dispatch::plans::LineScope;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{ListScope, project_list_scope};

/// The plan lines an actor may see: the region, and whose projects in it.
pub(crate) fn line_scope(ctx: &Ctx) -> Result<(RegionCode, LineScope)> {
    match project_list_scope(&ctx.actor) {
        ListScope::Region(r) => Ok((r, LineScope::Region)),
        ListScope::Unit { region, unit_id } => Ok((region, LineScope::Unit(unit_id))),
        ListScope::Owner { region, unit_id } => Ok((region, LineScope::Owner(unit_id))),
        ListScope::Nothing => Err(ServiceError::Forbidden),
    }
}
