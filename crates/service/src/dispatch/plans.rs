//! Annual plans (年度计划): a project's entry of a year with its monthly split and milestones,
//! copied forward to the next year and adopted (下达, frozen): once adopted, every change needs
//! a reason and is kept as a revision.

use super::line_scope;
use crate::projects::visible;
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error, require};
use keyproj_db::Tx;
use keyproj_db::repo::dispatch::plans::{
    self as repo, LineScope, MilestoneRow, NewMilestone, NewPlanRevision, PlanLine,
    PlanRevisionRow, PlanRow,
};
use keyproj_domain::authz::Action;
use keyproj_domain::ids::{PlanId, ProjectId};
use keyproj_domain::plan::{
    MilestoneDraft, MilestoneFields, PlanDraft, PlanFields, YearCategory, check_year,
};
use keyproj_domain::project::Stage;
use keyproj_domain::{RegionCode, ValidationErrors};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct YearPlan {
    pub year: i32,
    pub frozen: bool,
    pub frozen_by: String,
    pub lines: Vec<PlanLine>,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn year_plan(app: &App, ctx: &Ctx, year: i32) -> Result<YearPlan> {
    let (region, scope) = line_scope(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let lines = repo::plan_lines(&mut tx, &region, year, scope).await?;
    let py = repo::plan_year(&mut tx, &ctx.actor.region, year).await?;
    Ok(YearPlan {
        year,
        frozen: py.as_ref().is_some_and(|p| p.frozen_at.is_some()),
        frozen_by: py.map(|p| p.frozen_by).unwrap_or_default(),
        lines,
    })
}

pub(crate) async fn is_frozen(tx: &mut Tx, region: &RegionCode, year: i32) -> Result<bool> {
    Ok(repo::plan_year(tx, region, year)
        .await?
        .is_some_and(|p| p.frozen_at.is_some()))
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanDetail {
    pub plan: Option<PlanRow>,
    pub milestones: Vec<MilestoneRow>,
    pub frozen: bool,
    pub revisions: Vec<PlanRevisionRow>,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn plan(app: &App, ctx: &Ctx, project_id: ProjectId, year: i32) -> Result<PlanDetail> {
    let mut tx = app.db.begin_read().await?;
    let (row, _) = visible(&mut tx, ctx, project_id, Action::ViewProject).await?;
    let plan = repo::get_plan(&mut tx, project_id, year).await?;
    let (milestones, revisions) = match &plan {
        Some(p) => (
            repo::milestones(&mut tx, p.id).await?,
            repo::plan_revisions(&mut tx, p.id).await?,
        ),
        None => (vec![], vec![]),
    };
    Ok(PlanDetail {
        frozen: is_frozen(&mut tx, &row.region_code, year).await?,
        plan,
        milestones,
        revisions,
    })
}

#[derive(Serialize)]
struct PlanSnapshot<'a> {
    fields: &'a PlanFields,
    milestones: &'a [MilestoneFields],
}

/// A plan entry as submitted: the version the editor read (None for a new entry), the fields,
/// the milestones (none given: those stored stay), and the reason (required once the year's
/// plan is adopted).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PlanSubmission {
    pub version: Option<i64>,
    #[serde(flatten)]
    pub draft: PlanDraft,
    pub milestones: Option<Vec<MilestoneDraft>>,
    pub reason: String,
}

/// The fields and milestones of a submission, every problem named at once (blank milestone rows
/// are skipped).
fn check_submission(sub: &PlanSubmission) -> Result<(PlanFields, Option<Vec<MilestoneFields>>)> {
    let mut errs = ValidationErrors::new();
    let fields = sub.draft.validate().map_err(|e| errs.0.extend(e.0)).ok();
    let mut ms = vec![];
    for (i, m) in sub.milestones.iter().flatten().enumerate() {
        if m.name.trim().is_empty()
            && m.planned_month.trim().is_empty()
            && m.actual_month.trim().is_empty()
        {
            continue;
        }
        match m.validate() {
            Ok(f) => ms.push(f),
            Err(e) => errs.0.extend(e.0.into_iter().map(|mut f| {
                f.field = format!("milestone_{}_{}", i + 1, f.field);
                f.message = format!("第{}个节点：{}", i + 1, f.message);
                f
            })),
        }
    }
    match fields {
        Some(f) if errs.is_empty() => Ok((f, sub.milestones.as_ref().map(|_| ms))),
        _ => Err(errs.into()),
    }
}

/// Creates or updates a project's plan for a year, with its milestones.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn save_plan(
    app: &App,
    ctx: &Ctx,
    project_id: ProjectId,
    year: i32,
    sub: &PlanSubmission,
) -> Result<PlanId> {
    let mut w = Work::begin(app, ctx).await?;
    let id = save_plan_in(&mut w, project_id, year, sub).await?;
    w.commit().await?;
    Ok(id)
}

/// [`save_plan`] inside a caller's work (the import saves plans this way).
pub(crate) async fn save_plan_in(
    w: &mut Work<'_>,
    project_id: ProjectId,
    year: i32,
    sub: &PlanSubmission,
) -> Result<PlanId> {
    let ctx = w.ctx;
    require(ctx, Action::ManagePlans)?;
    check_year("year", &year.to_string())?;
    let (fields, ms) = check_submission(sub)?;
    let (project, _) = visible(&mut w.tx, ctx, project_id, Action::ManagePlans).await?;
    let frozen = is_frozen(&mut w.tx, &project.region_code, year).await?;
    let reason = sub.reason.trim();
    if frozen && reason.is_empty() {
        return Err(field_error(
            "reason",
            "required",
            "本年度计划已下达（冻结），修改须填写原因",
        ));
    }
    let existing = repo::get_plan(&mut w.tx, project_id, year).await?;
    let before = match &existing {
        Some(p) => {
            let old_ms = repo::milestones(&mut w.tx, p.id).await?;
            Some(serde_json::json!({ "plan": p, "milestones": old_ms }))
        }
        None => None,
    };
    let id = match &existing {
        Some(p) => {
            let v = sub.version.ok_or(ServiceError::Stale)?;
            repo::update_plan(&mut w.tx, p.id, v, &fields, w.now).await?;
            p.id
        }
        None => repo::insert_plan(&mut w.tx, project_id, year, &fields, w.now).await?,
    };
    let ms = match ms {
        Some(ms) => {
            repo::delete_milestones(&mut w.tx, id).await?;
            for (i, m) in ms.iter().enumerate() {
                repo::insert_milestone(
                    &mut w.tx,
                    &NewMilestone {
                        plan_id: id,
                        name: &m.name,
                        planned: m.planned_month,
                        actual: m.actual_month,
                        sort_order: i as i64,
                    },
                )
                .await?;
            }
            ms
        }
        None => repo::milestones(&mut w.tx, id)
            .await?
            .into_iter()
            .map(|m| MilestoneFields {
                name: m.name,
                planned_month: m.planned_month,
                actual_month: m.actual_month,
            })
            .collect(),
    };
    let after = serde_json::to_value(PlanSnapshot {
        fields: &fields,
        milestones: &ms,
    })
    .unwrap_or_default();
    if frozen {
        repo::insert_plan_revision(
            &mut w.tx,
            &NewPlanRevision {
                plan_id: id,
                before: &before.clone().unwrap_or_default().to_string(),
                after: &after.to_string(),
                reason,
                user_id: ctx.actor.user_id,
                username: &ctx.actor.username,
            },
            w.now,
        )
        .await?;
    }
    let audit = if existing.is_some() {
        Audit::update("plan", id)
    } else {
        Audit::create("plan", id)
    };
    let audit = match &before {
        Some(b) => audit.before(b),
        None => audit,
    };
    w.audit(audit.after(
        &serde_json::json!({ "year": year, "project_id": project_id, "plan": after, "reason": reason }),
    ))
    .await?;
    Ok(id)
}

/// The category a project carries into a new year, from its stage now.
pub fn category_for_stage(stage: Stage) -> YearCategory {
    match stage {
        Stage::UnderConstruction => YearCategory::UnderConstruction,
        Stage::Completed | Stage::PostSupport => YearCategory::PostSupport,
        _ => YearCategory::Preliminary,
    }
}

/// Copies last year's plan entries forward (category from each project's stage now; amounts
/// and targets to be edited); entries that already exist are left alone. Returns how many.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn copy_forward(app: &App, ctx: &Ctx, from_year: i32, to_year: i32) -> Result<usize> {
    require(ctx, Action::ManagePlans)?;
    if to_year != from_year + 1 {
        return Err(field_error(
            "year",
            "invalid_year",
            "只能从上一年度结转到下一年度",
        ));
    }
    let region = &ctx.actor.region;
    let mut w = Work::begin(app, ctx).await?;
    if is_frozen(&mut w.tx, region, to_year).await? {
        return Err(field_error(
            "year",
            "frozen",
            format!("{to_year}年度计划已下达，不能再结转"),
        ));
    }
    let lines = repo::plan_lines(&mut w.tx, region, from_year, LineScope::Region).await?;
    let mut n = 0;
    for l in &lines {
        if repo::get_plan(&mut w.tx, l.project_id, to_year)
            .await?
            .is_some()
        {
            continue;
        }
        let fields = PlanFields {
            category: category_for_stage(l.stage),
            annual_plan: l.plan.annual_plan,
            targets: l.plan.targets.clone(),
            monthly: vec![],
        };
        let id = repo::insert_plan(&mut w.tx, l.project_id, to_year, &fields, w.now).await?;
        w.audit(Audit::create("plan", id).after(
            &serde_json::json!({ "year": to_year, "project_id": l.project_id, "plan": fields, "copied_from": from_year }),
        ))
        .await?;
        n += 1;
    }
    w.commit().await?;
    Ok(n)
}

/// Adopts (freezes) the year's plan: later changes are revisions with reasons.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn freeze(app: &App, ctx: &Ctx, year: i32) -> Result<()> {
    require(ctx, Action::ManagePlans)?;
    let region = &ctx.actor.region;
    let mut w = Work::begin(app, ctx).await?;
    if is_frozen(&mut w.tx, region, year).await? {
        return Err(field_error(
            "year",
            "frozen",
            format!("{year}年度计划已下达"),
        ));
    }
    repo::freeze_plan_year(&mut w.tx, region, year, &ctx.actor.username, w.now).await?;
    w.audit(Audit::new("freeze", "plan_year").id(format!("{region}:{year}")))
        .await?;
    w.commit().await
}
