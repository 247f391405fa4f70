//! 招商签约: signing events and signed projects. A signed project at or above the region's
//! inclusion threshold for its industry enters the project library at stage 签约 in the same
//! transaction (one record, no re-typing; its history starts at signing); below it, it stays in
//! the pipeline, counted but not dispatched.

use crate::projects::ProjectInput;
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error, require};
use keyproj_db::repo::pipeline::signing::{self as repo, EventRow, NewSigned, SignedRow};
use keyproj_domain::authz::{Action, Role};
use keyproj_domain::ids::{LeaderId, ProjectId, SignedId, SigningEventId, UnitId};
use keyproj_domain::pipeline::{EventDraft, SignedDraft, enters_library};
use keyproj_domain::project::ProjectDraft;
use serde::Serialize;

/// Records a signing event (center staff).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn create_event(app: &App, ctx: &Ctx, draft: &EventDraft) -> Result<SigningEventId> {
    require(ctx, Action::CreateProject)?;
    let f = draft.validate()?;
    let mut w = Work::begin(app, ctx).await?;
    let id = repo::insert_event(&mut w.tx, &ctx.actor.region, &f, w.now).await?;
    w.audit(Audit::create("signing_event", id).after(&f))
        .await?;
    w.commit().await?;
    Ok(id)
}

/// The pipeline is the center's and the county leaders' (contracts and investors are not for
/// owners or departments): others do not see it.
pub(crate) fn may_view(ctx: &Ctx) -> Result<()> {
    let a = &ctx.actor;
    // (the system itself acts as center staff)
    if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// The events of the actor's region.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn events(app: &App, ctx: &Ctx) -> Result<Vec<EventRow>> {
    may_view(ctx)?;
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list_events(&mut tx, &ctx.actor.region).await?)
}

/// Who answers for a signed project, as chosen (checked against the region).
#[derive(Debug, Clone, Default)]
pub struct SignedRefs {
    pub event_id: Option<SigningEventId>,
    pub township_unit_id: Option<UnitId>,
    pub leader_id: Option<LeaderId>,
    pub lead_unit_id: Option<UnitId>,
}

/// What recording a signed project did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Signed {
    pub id: SignedId,
    /// The project of the library it entered as (at or above the threshold).
    pub project_id: Option<ProjectId>,
}

/// Records a signed project; at or above the threshold it also enters the library at 签约.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn add_signed(
    app: &App,
    ctx: &Ctx,
    draft: &SignedDraft,
    refs: &SignedRefs,
) -> Result<Signed> {
    require(ctx, Action::CreateProject)?;
    let f = draft.validate()?;
    let region = ctx.actor.region.clone();
    let mut w = Work::begin(app, ctx).await?;
    if let Some(e) = refs.event_id {
        // an event of another region (a crafted id) is not there
        repo::get_event(&mut w.tx, e)
            .await?
            .filter(|ev| region.contains(&ev.region_code))
            .ok_or_else(|| field_error("event_id", "unknown", "签约活动不存在"))?;
    }
    if repo::find_by_contract(&mut w.tx, &region, &f.contract_no)
        .await?
        .is_some()
    {
        return Err(field_error(
            "contract_no",
            "duplicate",
            format!("合同编号 {} 已登记", f.contract_no),
        ));
    }
    let threshold = crate::projects::threshold_in(&mut w.tx, &region, f.industry).await?;
    let project_id = if enters_library(f.agreed_investment, threshold) {
        let input = ProjectInput {
            draft: ProjectDraft {
                name: f.name.clone(),
                level: "县重点".into(),
                stage: "签约".into(),
                industry: f.industry.key().into(),
                total_investment_wan: f.agreed_investment.wan_2dp(),
                planned_start: f.expected_start.map(|m| m.to_string()).unwrap_or_default(),
                content_scale: format!("投资方：{}", f.investor),
                tags: "招商引资".into(),
                ..Default::default()
            },
            township_unit_id: refs.township_unit_id,
            leader_id: refs.leader_id,
            lead_unit_id: refs.lead_unit_id,
            ..Default::default()
        };
        Some(crate::projects::create_in(&mut w, &input).await?)
    } else {
        None
    };
    let id = repo::insert_signed(
        &mut w.tx,
        &NewSigned {
            region: &region,
            event_id: refs.event_id,
            fields: &f,
            project_id,
        },
        w.now,
    )
    .await
    .map_err(|e| match e {
        keyproj_db::DbError::Duplicate(_) => field_error(
            "contract_no",
            "duplicate",
            format!("合同编号 {} 已登记", f.contract_no),
        ),
        e => e.into(),
    })?;
    w.audit(Audit::create("signed_project", id).after(
        &serde_json::json!({ "fields": f, "event_id": refs.event_id, "project_id": project_id }),
    ))
    .await?;
    w.commit().await?;
    Ok(Signed { id, project_id })
}

/// Whether a signed project has not moved (未落地): signed `not_moving_months` ago or more and
/// not started.
pub fn not_moving(app: &App, row: &SignedRow) -> bool {
    keyproj_domain::pipeline::not_moving(
        row.contract_on,
        row.started,
        app.local_today(),
        app.cfg.not_moving_months,
    )
}

/// The signed projects of the actor's region (of one event when given).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn signed(app: &App, ctx: &Ctx, event: Option<SigningEventId>) -> Result<Vec<SignedRow>> {
    may_view(ctx)?;
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list_signed(&mut tx, &ctx.actor.region, event).await?)
}
