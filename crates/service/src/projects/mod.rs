//! The project library: one project (detail, create, edit, references and uniqueness); the
//! list with its filter in `list`, stage changes in `stages`.

mod list;
mod stages;

pub use list::{
    ListQuery, MAX_PER_PAGE, MAX_SEARCH_CHARS, ProjectPage, filter_of, list, list_all,
    stage_summary,
};
pub(crate) use stages::change_stage_in;
pub use stages::{StageChangeInput, change_stage};

use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, check, field_error, require};
use keyproj_db::repo::admin::audit as audit_repo;
use keyproj_db::repo::admin::audit::AuditRow;
use keyproj_db::repo::org;
use keyproj_db::repo::projects::{
    self, NameRef, NewStageChange, ProjectRow, ProjectValues, StageChangeRow,
};
use keyproj_db::{DbError, Tx};
use keyproj_domain::authz::{Action, ProjectScope, authorize_project, can_see_project};
use keyproj_domain::ids::{LeaderId, ProjectId, UnitId};
use keyproj_domain::project::{Industry, ProjectDraft, ProjectFields, Stage, below_threshold};
use keyproj_domain::{Money, RegionCode, ValidationErrors};
use serde::{Deserialize, Serialize};

/// What a form or the API submits for a project: the typed fields plus references.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProjectInput {
    #[serde(flatten)]
    pub draft: ProjectDraft,
    pub township_unit_id: Option<UnitId>,
    pub owner_unit_id: Option<UnitId>,
    pub leader_id: Option<LeaderId>,
    pub lead_unit_id: Option<UnitId>,
    pub responsible_unit_ids: Vec<UnitId>,
    pub parent_id: Option<ProjectId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectDetail {
    #[serde(flatten)]
    pub project: ProjectRow,
    pub responsible_units: Vec<NameRef<UnitId>>,
    pub children: Vec<NameRef<ProjectId>>,
    pub parent_name: Option<String>,
    pub stage_history: Vec<StageChangeRow>,
    /// The project's own audit rows (staff only; empty for others).
    #[serde(skip)]
    pub audit: Vec<AuditRow>,
    pub threshold: Money,
    /// Its colour in each published issue, newest first.
    pub colours: Vec<keyproj_db::repo::dispatch::colour::ProjectColour>,
    /// Its monthly reports, newest first.
    pub reports: Vec<keyproj_db::repo::dispatch::reports::ReportRow>,
    /// Its plan of the latest planned year, with milestones (一个方案).
    pub plan: Option<(
        keyproj_db::repo::dispatch::plans::PlanRow,
        Vec<keyproj_db::repo::dispatch::plans::MilestoneRow>,
    )>,
    /// Its problem items the actor may see, newest first (at most 50).
    pub problems: Vec<keyproj_db::repo::problems::items::ItemRow>,
}

/// The audit snapshot of a project.
#[derive(Serialize)]
struct Snapshot<'a> {
    #[serde(flatten)]
    row: &'a ProjectRow,
    responsible_unit_ids: Vec<UnitId>,
}

async fn scope_check(
    tx: &mut Tx,
    ctx: &Ctx,
    row: &ProjectRow,
    action: Action,
) -> Result<Vec<NameRef<UnitId>>> {
    let units = projects::responsible_units(tx, row.id).await?;
    let ids: Vec<UnitId> = units.iter().map(|u| u.id).collect();
    let scope = ProjectScope {
        region: &row.region_code,
        owner_unit_id: row.owner_unit_id,
        lead_unit_id: row.lead_unit_id,
        responsible_unit_ids: &ids,
    };
    check(authorize_project(&ctx.actor, action, &scope))?;
    Ok(units)
}

/// Loads a project the actor may see, or NotFound.
pub(crate) async fn visible(
    tx: &mut Tx,
    ctx: &Ctx,
    id: ProjectId,
    action: Action,
) -> Result<(ProjectRow, Vec<NameRef<UnitId>>)> {
    let row = projects::get(tx, id).await?.ok_or(ServiceError::NotFound)?;
    let units = scope_check(tx, ctx, &row, action).await?;
    Ok((row, units))
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn get(app: &App, ctx: &Ctx, id: ProjectId) -> Result<ProjectDetail> {
    let mut tx = app.db.begin_read().await?;
    let (project, responsible_units) = visible(&mut tx, ctx, id, Action::ViewProject).await?;
    let children = projects::children(&mut tx, id).await?;
    let parent_name = match project.parent_id {
        Some(p) => projects::get(&mut tx, p).await?.map(|r| r.name),
        None => None,
    };
    let stage_history = projects::stage_history(&mut tx, id).await?;
    let audit = if keyproj_domain::authz::authorize(&ctx.actor, Action::EditProject)
        == keyproj_domain::authz::Decision::Allow
    {
        audit_repo::for_entity(&mut tx, "project", &id.to_string(), 100).await?
    } else {
        vec![]
    };
    let threshold = threshold_of(&mut tx, &project.region_code, project.industry).await?;
    let colours = keyproj_db::repo::dispatch::colour::colours_of_project(&mut tx, id).await?;
    let reports = keyproj_db::repo::dispatch::reports::reports_of_project(&mut tx, id).await?;
    let plan = match keyproj_db::repo::dispatch::plans::latest_plan_of(&mut tx, id).await? {
        Some(p) => {
            let m = keyproj_db::repo::dispatch::plans::milestones(&mut tx, p.id).await?;
            Some((p, m))
        }
        None => None,
    };
    drop(tx);
    let problems = match crate::problems::items::filter_for(ctx) {
        Ok(mut f) => {
            f.project_id = Some(id);
            f.limit = 50;
            crate::problems::items::list(app, ctx, &f).await?.items
        }
        Err(_) => vec![],
    };
    Ok(ProjectDetail {
        project,
        responsible_units,
        children,
        parent_name,
        stage_history,
        audit,
        threshold,
        colours,
        reports,
        plan,
        problems,
    })
}

/// The inclusion threshold of an industry in a region.
/// The region's inclusion threshold for an industry (the pipeline decides entry by it).
pub(crate) async fn threshold_in(
    tx: &mut Tx,
    region: &RegionCode,
    industry: Industry,
) -> Result<Money> {
    threshold_of(tx, region, industry).await
}

async fn threshold_of(tx: &mut Tx, region: &RegionCode, industry: Industry) -> Result<Money> {
    Ok(crate::org::thresholds_in(tx, region)
        .await?
        .into_iter()
        .find(|t| t.class == industry.threshold_class())
        .map(|t| t.min)
        .unwrap_or_default())
}

/// Checks the references of an input against the database and the actor's region.
async fn check_refs(
    tx: &mut Tx,
    region: &RegionCode,
    input: &ProjectInput,
    self_id: Option<ProjectId>,
) -> Result<()> {
    let mut errs = ValidationErrors::new();
    let unit_ok =
        |u: &Option<org::UnitRow>| u.as_ref().is_some_and(|u| region.contains(&u.region_code));
    for (field, label, id) in [
        ("township_unit_id", "所属乡镇/园区", input.township_unit_id),
        ("owner_unit_id", "业主单位", input.owner_unit_id),
        ("lead_unit_id", "牵头单位", input.lead_unit_id),
    ] {
        if let Some(id) = id {
            let u = org::get_unit(tx, id).await?;
            if !unit_ok(&u) {
                errs.add(field, "unknown_unit", format!("{label}不存在"));
            } else if field == "township_unit_id" && !u.as_ref().is_some_and(|u| u.kind.is_place())
            {
                errs.add(
                    field,
                    "not_a_place",
                    "所属乡镇/园区须为乡镇/街道或园区类型的单位",
                );
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for id in &input.responsible_unit_ids {
        if !seen.insert(*id) {
            errs.add("responsible_unit_ids", "duplicate", "责任单位重复");
            break;
        }
        if !unit_ok(&org::get_unit(tx, *id).await?) {
            errs.add("responsible_unit_ids", "unknown_unit", "责任单位不存在");
            break;
        }
    }
    if input.responsible_unit_ids.len() > 30 {
        errs.add("responsible_unit_ids", "too_many", "责任单位不能超过30个");
    }
    if let Some(l) = input.leader_id
        && !org::get_leader(tx, l)
            .await?
            .is_some_and(|l| region.contains(&l.region_code))
    {
        errs.add("leader_id", "unknown_leader", "县级联系领导不存在");
    }
    if let Some(p) = input.parent_id {
        // The parent must exist in the region and must not be the project or one of its descendants.
        let mut cur = Some(p);
        let mut depth = 0;
        while let Some(c) = cur {
            if Some(c) == self_id {
                errs.add("parent_id", "cycle", "上级项目不能是本项目或其下级项目");
                break;
            }
            match projects::get(tx, c).await? {
                Some(r) if region.contains(&r.region_code) => cur = r.parent_id,
                _ => {
                    errs.add("parent_id", "unknown_project", "上级项目不存在");
                    break;
                }
            }
            depth += 1;
            if depth > 10 {
                errs.add("parent_id", "too_deep", "项目层级过深");
                break;
            }
        }
    }
    errs.into_result()?;
    Ok(())
}

async fn values_of(
    tx: &mut Tx,
    region: &RegionCode,
    f: &ProjectFields,
    input: &ProjectInput,
) -> Result<ProjectValues> {
    let threshold = threshold_of(tx, region, f.industry).await?;
    Ok(ProjectValues {
        region_code: region.clone(),
        code: f.code.clone(),
        name: f.name.clone(),
        national_code: f.national_code.clone(),
        level: f.level,
        stage: f.stage,
        industry: f.industry,
        township_unit_id: input.township_unit_id,
        owner_unit_id: input.owner_unit_id,
        content_scale: f.content_scale.clone(),
        total_investment: f.total_investment,
        funding_sources: f.funding_sources.clone(),
        planned_start: f.planned_start,
        planned_completion: f.planned_completion,
        actual_start: f.actual_start,
        actual_completion: f.actual_completion,
        leader_id: input.leader_id,
        lead_unit_id: input.lead_unit_id,
        parent_id: input.parent_id,
        location: f.location.clone(),
        tags: f.tags.join("、"),
        below_threshold: below_threshold(f.total_investment, threshold),
    })
}

fn duplicate_to_field(e: DbError) -> ServiceError {
    match e {
        DbError::Duplicate(m) if m.contains("项目代码") => {
            field_error("national_code", "duplicate", m)
        }
        DbError::Duplicate(m) => field_error("code", "duplicate", m),
        o => o.into(),
    }
}

async fn check_unique(
    tx: &mut Tx,
    region: &RegionCode,
    f: &ProjectFields,
    self_id: Option<ProjectId>,
) -> Result<()> {
    let mut errs = ValidationErrors::new();
    if let Some(nc) = &f.national_code
        && projects::national_code_owner(tx, nc)
            .await?
            .is_some_and(|id| Some(id) != self_id)
    {
        errs.add("national_code", "duplicate", "项目代码已被其他项目使用");
    }
    if let Some(code) = &f.code
        && projects::find_by_code(tx, region, code)
            .await?
            .is_some_and(|p| Some(p.id) != self_id)
    {
        errs.add("code", "duplicate", "项目编号在本地区已被使用");
    }
    errs.into_result()?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn create(app: &App, ctx: &Ctx, input: &ProjectInput) -> Result<ProjectId> {
    let mut w = Work::begin(app, ctx).await?;
    let id = create_in(&mut w, input).await?;
    w.commit().await?;
    Ok(id)
}

/// [`create`] inside a caller's work (the import creates projects this way).
pub(crate) async fn create_in(w: &mut Work<'_>, input: &ProjectInput) -> Result<ProjectId> {
    let ctx = w.ctx;
    require(ctx, Action::CreateProject)?;
    let fields = input.draft.validate()?;
    let region = ctx.actor.region.clone();
    check_refs(&mut w.tx, &region, input, None).await?;
    check_unique(&mut w.tx, &region, &fields, None).await?;
    let values = values_of(&mut w.tx, &region, &fields, input).await?;
    let today = w.today();
    let id = projects::insert(&mut w.tx, &values, w.now)
        .await
        .map_err(duplicate_to_field)?;
    projects::set_responsible_units(&mut w.tx, id, &input.responsible_unit_ids).await?;
    projects::insert_stage_change(
        &mut w.tx,
        &NewStageChange {
            project_id: id,
            from_stage: None,
            to_stage: fields.stage,
            changed_on: today,
            reason: "入库",
            user_id: ctx.actor.user_id,
            username: &ctx.actor.username,
        },
        w.now,
    )
    .await?;
    let row = projects::get(&mut w.tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    w.audit(Audit::create("project", id).after(&Snapshot {
        row: &row,
        responsible_unit_ids: input.responsible_unit_ids.clone(),
    }))
    .await?;
    Ok(id)
}

/// Whether saving `input` would leave the project as it is (the import skips such rows).
pub(crate) async fn unchanged_in(
    w: &mut Work<'_>,
    id: ProjectId,
    input: &ProjectInput,
) -> Result<bool> {
    let (row, units) = visible(&mut w.tx, w.ctx, id, Action::EditProject).await?;
    let mut draft = input.draft.clone();
    draft.stage = row.stage.key().into();
    let fields = draft.validate()?;
    let values = values_of(&mut w.tx, &row.region_code, &fields, input).await?;
    let mut before: Vec<UnitId> = units.iter().map(|u| u.id).collect();
    let mut after = input.responsible_unit_ids.clone();
    before.sort_unstable();
    after.sort_unstable();
    Ok(ProjectValues::of(&row) == values && before == after)
}

/// Edits every field but the stage. `version` is the version the editor loaded.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn update(
    app: &App,
    ctx: &Ctx,
    id: ProjectId,
    version: i64,
    input: &ProjectInput,
) -> Result<()> {
    let mut w = Work::begin(app, ctx).await?;
    update_in(&mut w, id, version, input).await?;
    w.commit().await
}

/// [`update`] inside a caller's work.
pub(crate) async fn update_in(
    w: &mut Work<'_>,
    id: ProjectId,
    version: i64,
    input: &ProjectInput,
) -> Result<()> {
    let (before, before_units) = visible(&mut w.tx, w.ctx, id, Action::EditProject).await?;
    let mut draft = input.draft.clone();
    if !draft.stage.trim().is_empty() && Stage::from_input(&draft.stage) != Some(before.stage) {
        return Err(field_error(
            "stage",
            "use_stage_change",
            "建设阶段请通过「变更阶段」办理",
        ));
    }
    draft.stage = before.stage.key().into();
    let fields = draft.validate()?;
    let region = before.region_code.clone();
    check_refs(&mut w.tx, &region, input, Some(id)).await?;
    check_unique(&mut w.tx, &region, &fields, Some(id)).await?;
    let values = values_of(&mut w.tx, &region, &fields, input).await?;
    projects::update(&mut w.tx, id, version, &values, w.now)
        .await
        .map_err(duplicate_to_field)?;
    projects::set_responsible_units(&mut w.tx, id, &input.responsible_unit_ids).await?;
    let after = projects::get(&mut w.tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    w.audit(
        Audit::update("project", id)
            .before(&Snapshot {
                row: &before,
                responsible_unit_ids: before_units.iter().map(|u| u.id).collect(),
            })
            .after(&Snapshot {
                row: &after,
                responsible_unit_ids: input.responsible_unit_ids.clone(),
            }),
    )
    .await
}

/// Whether the library holds no project at all (the demo loads only into an empty one).
pub async fn library_is_empty(app: &App) -> Result<bool> {
    let mut tx = app.db.begin_read().await?;
    Ok(projects::count_all(&mut tx).await? == 0)
}

/// Whether the actor may see a project (used by other modules' permission checks).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn can_see(app: &App, ctx: &Ctx, id: ProjectId) -> Result<bool> {
    let mut tx = app.db.begin_read().await?;
    let Some(row) = projects::get(&mut tx, id).await? else {
        return Ok(false);
    };
    let ids: Vec<UnitId> = projects::responsible_units(&mut tx, id)
        .await?
        .iter()
        .map(|u| u.id)
        .collect();
    Ok(can_see_project(
        &ctx.actor,
        &ProjectScope {
            region: &row.region_code,
            owner_unit_id: row.owner_unit_id,
            lead_unit_id: row.lead_unit_id,
            responsible_unit_ids: &ids,
        },
    ))
}

/// Whether the actor may do `action` on a project (to show or hide buttons; the use case checks
/// again).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn can_act(app: &App, ctx: &Ctx, id: ProjectId, action: Action) -> Result<bool> {
    let mut tx = app.db.begin_read().await?;
    match visible(&mut tx, ctx, id, action).await {
        Ok(_) => Ok(true),
        Err(ServiceError::Forbidden | ServiceError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Records that a list was exported (exports are audited like writes).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn record_export(app: &App, ctx: &Ctx, what: &'static str, rows: usize) -> Result<()> {
    require(ctx, Action::ExportProjects)?;
    let mut w = Work::begin(app, ctx).await?;
    w.audit(Audit::new("export", what).after(&serde_json::json!({ "rows": rows })))
        .await?;
    w.commit().await
}

/// The projects the actor may see, for choosing one in a form (by code).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn choices(app: &App, ctx: &Ctx) -> Result<Vec<NameRef<ProjectId>>> {
    require(ctx, Action::ViewProject)?;
    let mut f = filter_of(
        ctx,
        &ListQuery {
            sort: "code".into(),
            ..Default::default()
        },
    )?;
    f.limit = 2000;
    f.offset = 0;
    let mut tx = app.db.begin_read().await?;
    let (items, _) = projects::list(&mut tx, &f).await?;
    Ok(items
        .into_iter()
        .map(|p| NameRef {
            id: p.id,
            name: p.name,
        })
        .collect())
}
