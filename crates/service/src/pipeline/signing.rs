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
    let id = create_event_in(&mut w, &f).await?;
    w.commit().await?;
    Ok(id)
}

/// [`create_event`] inside a caller's work (imports).
pub(crate) async fn create_event_in(
    w: &mut Work<'_>,
    f: &keyproj_domain::pipeline::EventFields,
) -> Result<SigningEventId> {
    require(w.ctx, Action::CreateProject)?;
    plausible("held_on", "签约日期", f.held_on, w.today())?;
    let region = w.ctx.actor.region.clone();
    let id = repo::insert_event(&mut w.tx, &region, f, w.now).await?;
    w.audit(Audit::create("signing_event", id).after(f)).await?;
    Ok(id)
}

/// A signing date must be one that happened: not in the future, not before 2000.
fn plausible(
    field: &str,
    label: &str,
    d: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<()> {
    let earliest = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    if d > today {
        return Err(field_error(field, "future", format!("{label}不能晚于今天")));
    }
    if d < earliest {
        return Err(field_error(
            field,
            "too_early",
            format!("{label}不能早于2000年"),
        ));
    }
    Ok(())
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
    /// The code its project takes in the library (imports name it so other sheets can refer
    /// to it); empty: none.
    pub project_code: String,
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
    let mut w = Work::begin(app, ctx).await?;
    let done = add_signed_in(&mut w, &f, refs).await?;
    w.commit().await?;
    Ok(done)
}

/// [`add_signed`] inside a caller's work (imports).
pub(crate) async fn add_signed_in(
    w: &mut Work<'_>,
    f: &keyproj_domain::pipeline::SignedFields,
    refs: &SignedRefs,
) -> Result<Signed> {
    require(w.ctx, Action::CreateProject)?;
    let region = w.ctx.actor.region.clone();
    plausible("contract_on", "签约日期", f.contract_on, w.today())?;
    // the township is a place, the lead unit is not an enterprise (crafted ids included)
    for (field, id, place) in [
        ("township", refs.township_unit_id, true),
        ("lead_unit", refs.lead_unit_id, false),
    ] {
        if let Some(id) = id {
            let u = crate::org::unit_in(&mut w.tx, &region, id)
                .await?
                .ok_or_else(|| field_error(field, "unknown", "所选单位不存在"))?;
            let wrong = if place {
                !u.kind.is_place()
            } else {
                u.kind == keyproj_domain::org::UnitKind::Enterprise
            };
            if wrong {
                return Err(field_error(
                    field,
                    "kind",
                    format!(
                        "“{}”不能作为{}",
                        u.name,
                        if place {
                            "乡镇/园区"
                        } else {
                            "牵头单位"
                        }
                    ),
                ));
            }
        }
    }
    if let Some(e) = refs.event_id {
        // an event of another region (a crafted id) is not there
        let ev = repo::get_event(&mut w.tx, e)
            .await?
            .filter(|ev| region.contains(&ev.region_code))
            .ok_or_else(|| field_error("event_id", "unknown", "签约活动不存在"))?;
        // signed at the event: on its day, or in the month after it (contracts follow the
        // ceremony), never before it
        if f.contract_on < ev.held_on || f.contract_on > ev.held_on + chrono::Duration::days(92) {
            return Err(field_error(
                "contract_on",
                "event_day",
                format!("签约日期应在签约活动当天（{}）或之后三个月内", ev.held_on),
            ));
        }
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
        Some(enter_library(w, Entry::from(f), refs).await?)
    } else {
        None
    };
    let id = repo::insert_signed(
        &mut w.tx,
        &NewSigned {
            region: &region,
            event_id: refs.event_id,
            fields: f,
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
    Ok(Signed { id, project_id })
}

/// What a signed project brings into the library.
struct Entry<'a> {
    name: &'a str,
    investor: &'a str,
    industry: keyproj_domain::project::Industry,
    agreed: keyproj_domain::Money,
    expected_start: Option<keyproj_domain::ReportMonth>,
}

impl<'a> From<&'a keyproj_domain::pipeline::SignedFields> for Entry<'a> {
    fn from(f: &'a keyproj_domain::pipeline::SignedFields) -> Entry<'a> {
        Entry {
            name: &f.name,
            investor: &f.investor,
            industry: f.industry,
            agreed: f.agreed_investment,
            expected_start: f.expected_start,
        }
    }
}

/// Enters a signed project into the library at stage 签约 (one record: its history starts at
/// signing).
async fn enter_library(w: &mut Work<'_>, e: Entry<'_>, refs: &SignedRefs) -> Result<ProjectId> {
    let input = ProjectInput {
        draft: ProjectDraft {
            code: refs.project_code.clone(),
            name: e.name.to_string(),
            level: "县重点".into(),
            stage: "签约".into(),
            industry: e.industry.key().into(),
            total_investment_wan: e.agreed.wan_2dp(),
            planned_start: e.expected_start.map(|m| m.to_string()).unwrap_or_default(),
            content_scale: format!("投资方：{}", e.investor),
            tags: "招商引资".into(),
            ..Default::default()
        },
        township_unit_id: refs.township_unit_id,
        leader_id: refs.leader_id,
        lead_unit_id: refs.lead_unit_id,
        ..Default::default()
    };
    crate::projects::create_in(w, &input).await
}

/// What changing an agreed investment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rechecked {
    /// The project it entered as now (it reached the threshold with this change).
    pub entered: Option<ProjectId>,
    /// It fell below the threshold but had entered the library before: the project stays (its
    /// history and reports are kept); taking it out is a decision on the project.
    pub below_but_kept: bool,
}

/// Changes a signed project's agreed investment with a reason, and checks the threshold again:
/// reaching it enters the library at 签约 in the same step.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn change_agreed(
    app: &App,
    ctx: &Ctx,
    id: SignedId,
    draft: &keyproj_domain::pipeline::AgreedChangeDraft,
    version: i64,
) -> Result<Rechecked> {
    require(ctx, Action::CreateProject)?;
    let f = draft.validate()?;
    let mut w = Work::begin(app, ctx).await?;
    let done = change_agreed_in(&mut w, id, &f, version, "").await?;
    w.commit().await?;
    Ok(done)
}

/// [`change_agreed`] inside a caller's work (imports).
pub(crate) async fn change_agreed_in(
    w: &mut Work<'_>,
    id: SignedId,
    f: &keyproj_domain::pipeline::AgreedChange,
    version: i64,
    project_code: &str,
) -> Result<Rechecked> {
    require(w.ctx, Action::CreateProject)?;
    let row = repo::get_signed(&mut w.tx, id)
        .await?
        .filter(|r| w.ctx.actor.region.contains(&r.region_code))
        .ok_or(ServiceError::NotFound)?;
    let threshold =
        crate::projects::threshold_in(&mut w.tx, &row.region_code, row.industry).await?;
    let above = enters_library(f.agreed_investment, threshold);
    let entered = if above && row.project_id.is_none() {
        Some(
            enter_library(
                w,
                Entry {
                    name: &row.name,
                    investor: &row.investor,
                    industry: row.industry,
                    agreed: f.agreed_investment,
                    expected_start: row.expected_start,
                },
                &SignedRefs {
                    project_code: project_code.to_string(),
                    ..Default::default()
                },
            )
            .await?,
        )
    } else {
        None
    };
    let project_id = row.project_id.or(entered);
    if !repo::update_agreed(
        &mut w.tx,
        id,
        f.agreed_investment,
        project_id,
        version,
        w.now,
    )
    .await?
    {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::update("signed_project", id)
            .before(&serde_json::json!({ "agreed_investment": row.agreed_investment, "project_id": row.project_id }))
            .after(&serde_json::json!({ "agreed_investment": f.agreed_investment, "reason": f.reason, "project_id": project_id, "threshold": threshold })),
    )
    .await?;
    Ok(Rechecked {
        entered,
        below_but_kept: !above && row.project_id.is_some(),
    })
}

/// A signed project of the actor's region.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn get_signed(app: &App, ctx: &Ctx, id: SignedId) -> Result<SignedRow> {
    may_view(ctx)?;
    let mut tx = app.db.begin_read().await?;
    repo::get_signed(&mut tx, id)
        .await?
        .filter(|r| ctx.actor.region.contains(&r.region_code))
        .ok_or(ServiceError::NotFound)
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
