//! The project library: list, detail, create, edit and stage changes.

use crate::{App, Ctx, Result, ServiceError, audit, check, field_error, require};
use keyproj_db::repo::audit::AuditRow;
use keyproj_db::repo::projects::{
    self, NewStageChange, ProjectFilter, ProjectRow, ProjectTotals, ProjectValues, StageChangeRow,
};
use keyproj_db::repo::{audit as audit_repo, org};
use keyproj_db::{DbError, Tx};
use keyproj_domain::authz::{
    Action, ProjectScope, authorize_project, can_see_project, project_list_scope,
};
use keyproj_domain::error::check_text;
use keyproj_domain::org::UnitKind;
use keyproj_domain::project::{
    ProjectDraft, ProjectFields, Stage, below_threshold, check_stage_change,
};
use keyproj_domain::{Money, RegionCode, ReportMonth, ValidationErrors};
use serde::{Deserialize, Serialize};

/// What a form or the API submits for a project: the typed fields plus references.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProjectInput {
    #[serde(flatten)]
    pub draft: ProjectDraft,
    pub township_unit_id: Option<i64>,
    pub owner_unit_id: Option<i64>,
    pub leader_id: Option<i64>,
    pub lead_unit_id: Option<i64>,
    pub responsible_unit_ids: Vec<i64>,
    pub parent_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectDetail {
    #[serde(flatten)]
    pub project: ProjectRow,
    pub responsible_units: Vec<(i64, String)>,
    pub children: Vec<(i64, String)>,
    pub parent_name: Option<String>,
    pub stage_history: Vec<StageChangeRow>,
    /// The project's own audit rows (staff only; empty for others).
    #[serde(skip)]
    pub audit: Vec<AuditRow>,
    pub threshold: Money,
}

/// The audit snapshot of a project.
#[derive(Serialize)]
struct Snapshot<'a> {
    #[serde(flatten)]
    row: &'a ProjectRow,
    responsible_unit_ids: Vec<i64>,
}

fn region_of(row: &ProjectRow) -> Result<RegionCode> {
    RegionCode::parse(&row.region_code).map_err(|e| ServiceError::invariant(e.message))
}

async fn scope_check(
    tx: &mut Tx,
    ctx: &Ctx,
    row: &ProjectRow,
    action: Action,
) -> Result<Vec<(i64, String)>> {
    let units = projects::responsible_units(tx, row.id).await?;
    let ids: Vec<i64> = units.iter().map(|u| u.0).collect();
    let region = region_of(row)?;
    let scope = ProjectScope {
        region: &region,
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
    id: i64,
    action: Action,
) -> Result<(ProjectRow, Vec<(i64, String)>)> {
    let row = projects::get(tx, id).await?.ok_or(ServiceError::NotFound)?;
    let units = scope_check(tx, ctx, &row, action).await?;
    Ok((row, units))
}

pub async fn get(app: &App, ctx: &Ctx, id: i64) -> Result<ProjectDetail> {
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
    let industry = keyproj_domain::project::Industry::from_key(&project.industry)
        .ok_or_else(|| ServiceError::invariant("bad industry"))?;
    let threshold = crate::org::thresholds_in(&mut tx, &region_of(&project)?)
        .await?
        .into_iter()
        .find(|(c, _)| *c == industry.threshold_class())
        .map(|(_, m)| m)
        .unwrap_or_default();
    Ok(ProjectDetail {
        project,
        responsible_units,
        children,
        parent_name,
        stage_history,
        audit,
        threshold,
    })
}

/// Count and total investment per stage, over the projects the actor may see (dashboard).
/// Every stage is listed, with zeros where there are no projects.
pub async fn stage_summary(app: &App, ctx: &Ctx) -> Result<Vec<(Stage, i64, Money)>> {
    require(ctx, Action::ViewProject)?;
    let mut tx = app.db.begin_read().await?;
    let counts = projects::count_by_stage(&mut tx, &project_list_scope(&ctx.actor)).await?;
    Ok(Stage::ALL
        .iter()
        .map(|st| {
            let (c, f) = counts
                .iter()
                .find(|(k, _, _)| k == st.key())
                .map(|(_, c, f)| (*c, *f))
                .unwrap_or((0, 0));
            (*st, c, Money::from_fen(f))
        })
        .collect())
}

/// Query parameters of the list (from the URL or the API).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub stage: String,
    pub level: String,
    pub industry: String,
    pub township: Option<i64>,
    pub lead_unit: Option<i64>,
    pub leader: Option<i64>,
    pub below_threshold: Option<bool>,
    pub sort: String,
    pub desc: bool,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectPage {
    pub items: Vec<ProjectRow>,
    /// Responsible unit names per item, in the order of `items`.
    pub responsible: Vec<Vec<String>>,
    pub totals: ProjectTotals,
    pub page: i64,
    pub per_page: i64,
    pub pages: i64,
}

pub const MAX_PER_PAGE: i64 = 500;

pub fn filter_of(ctx: &Ctx, q: &ListQuery) -> Result<ProjectFilter> {
    let mut f = ProjectFilter::new(project_list_scope(&ctx.actor));
    let mut errs = ValidationErrors::new();
    f.q = Some(q.q.chars().take(100).collect());
    if !q.stage.is_empty() {
        f.stage = errs
            .check(Stage::parse("stage", &q.stage))
            .map(|s| s.key().to_string());
    }
    if !q.level.is_empty() {
        f.level = errs
            .check(keyproj_domain::project::Level::parse("level", &q.level))
            .map(|s| s.key().to_string());
    }
    if !q.industry.is_empty() {
        f.industry = errs
            .check(keyproj_domain::project::Industry::parse(
                "industry",
                &q.industry,
            ))
            .map(|s| s.key().to_string());
    }
    errs.into_result()?;
    f.township_unit_id = q.township;
    f.lead_unit_id = q.lead_unit;
    f.leader_id = q.leader;
    f.below_threshold = q.below_threshold;
    f.sort = projects::SortKey::parse(&q.sort);
    f.desc = q.desc;
    let per_page = q.per_page.unwrap_or(50).clamp(1, MAX_PER_PAGE);
    let page = q.page.unwrap_or(1).max(1);
    f.limit = per_page;
    f.offset = (page - 1).saturating_mul(per_page);
    Ok(f)
}

pub async fn list(app: &App, ctx: &Ctx, q: &ListQuery) -> Result<ProjectPage> {
    require(ctx, Action::ViewProject)?;
    let f = filter_of(ctx, q)?;
    let mut tx = app.db.begin_read().await?;
    let (items, totals) = projects::list(&mut tx, &f).await?;
    let ids: Vec<i64> = items.iter().map(|p| p.id).collect();
    let pairs = projects::responsible_units_of(&mut tx, &ids).await?;
    let responsible = ids
        .iter()
        .map(|id| {
            pairs
                .iter()
                .filter(|(p, _)| p == id)
                .map(|(_, n)| n.clone())
                .collect()
        })
        .collect();
    let pages = ((totals.count + f.limit - 1) / f.limit).max(1);
    Ok(ProjectPage {
        items,
        responsible,
        totals,
        page: f.offset / f.limit + 1,
        per_page: f.limit,
        pages,
    })
}

/// Checks the references of an input against the database and the actor's region.
async fn check_refs(
    tx: &mut Tx,
    region: &RegionCode,
    input: &ProjectInput,
    self_id: Option<i64>,
) -> Result<()> {
    let mut errs = ValidationErrors::new();
    let unit_ok = |u: &Option<org::UnitRow>| {
        u.as_ref()
            .is_some_and(|u| u.region_code.starts_with(region.as_str()))
    };
    for (field, label, id) in [
        ("township_unit_id", "所属乡镇/园区", input.township_unit_id),
        ("owner_unit_id", "业主单位", input.owner_unit_id),
        ("lead_unit_id", "牵头单位", input.lead_unit_id),
    ] {
        if let Some(id) = id {
            let u = org::get_unit(tx, id).await?;
            if !unit_ok(&u) {
                errs.add(field, "unknown_unit", format!("{label}不存在"));
            } else if field == "township_unit_id"
                && !UnitKind::from_key(&u.as_ref().expect("checked").kind)
                    .is_some_and(|k| k.is_place())
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
            .is_some_and(|l| l.region_code.starts_with(region.as_str()))
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
                Some(r) if r.region_code.starts_with(region.as_str()) => cur = r.parent_id,
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
    let threshold = crate::org::thresholds_in(tx, region)
        .await?
        .into_iter()
        .find(|(c, _)| *c == f.industry.threshold_class())
        .map(|(_, m)| m)
        .unwrap_or_default();
    Ok(ProjectValues {
        region_code: region.to_string(),
        code: f.code.clone(),
        name: f.name.clone(),
        national_code: f.national_code.clone(),
        level: f.level.key().into(),
        stage: f.stage.key().into(),
        industry: f.industry.key().into(),
        township_unit_id: input.township_unit_id,
        owner_unit_id: input.owner_unit_id,
        content_scale: f.content_scale.clone(),
        total_investment_fen: f.total_investment.fen(),
        funding_sources: f.funding_sources.clone(),
        planned_start: f.planned_start.map(|m| m.to_string()),
        planned_completion: f.planned_completion.map(|m| m.to_string()),
        actual_start: f.actual_start.map(|m| m.to_string()),
        actual_completion: f.actual_completion.map(|m| m.to_string()),
        leader_id: input.leader_id,
        lead_unit_id: input.lead_unit_id,
        parent_id: input.parent_id,
        location: f.location.clone(),
        tags: f.tags.join("、"),
        below_threshold: below_threshold(f.total_investment, threshold),
    })
}

/// The stored values of a project row, for an update that changes one figure.
pub(crate) fn values_of_row(p: &ProjectRow) -> ProjectValues {
    ProjectValues {
        region_code: p.region_code.clone(),
        code: p.code.clone(),
        name: p.name.clone(),
        national_code: p.national_code.clone(),
        level: p.level.clone(),
        stage: p.stage.clone(),
        industry: p.industry.clone(),
        township_unit_id: p.township_unit_id,
        owner_unit_id: p.owner_unit_id,
        content_scale: p.content_scale.clone(),
        total_investment_fen: p.total_investment_fen,
        funding_sources: p.funding_sources.clone(),
        planned_start: p.planned_start.clone(),
        planned_completion: p.planned_completion.clone(),
        actual_start: p.actual_start.clone(),
        actual_completion: p.actual_completion.clone(),
        leader_id: p.leader_id,
        lead_unit_id: p.lead_unit_id,
        parent_id: p.parent_id,
        location: p.location.clone(),
        tags: p.tags.clone(),
        below_threshold: p.below_threshold,
    }
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
    self_id: Option<i64>,
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
        && projects::find_by_code(tx, region.as_str(), code)
            .await?
            .is_some_and(|p| Some(p.id) != self_id)
    {
        errs.add("code", "duplicate", "项目编号在本地区已被使用");
    }
    errs.into_result()?;
    Ok(())
}

pub async fn create(app: &App, ctx: &Ctx, input: &ProjectInput) -> Result<i64> {
    require(ctx, Action::CreateProject)?;
    let fields = input.draft.validate()?;
    let region = ctx.actor.region.clone();
    let mut tx = app.db.begin_write().await?;
    check_refs(&mut tx, &region, input, None).await?;
    check_unique(&mut tx, &region, &fields, None).await?;
    let values = values_of(&mut tx, &region, &fields, input).await?;
    let now = app.now();
    let id = projects::insert(&mut tx, &values, now)
        .await
        .map_err(duplicate_to_field)?;
    projects::set_responsible_units(&mut tx, id, &input.responsible_unit_ids).await?;
    projects::insert_stage_change(
        &mut tx,
        &NewStageChange {
            project_id: id,
            from_stage: None,
            to_stage: fields.stage.key(),
            changed_on: &now.date_naive().to_string(),
            reason: "入库",
            user_id: Some(ctx.actor.user_id).filter(|u| *u != 0),
            username: &ctx.actor.username,
        },
        now,
    )
    .await?;
    let row = projects::get(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    audit(
        app,
        &mut tx,
        ctx,
        "create",
        "project",
        Some(id.to_string()),
        None::<&()>,
        Some(&Snapshot {
            row: &row,
            responsible_unit_ids: input.responsible_unit_ids.clone(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Edits every field but the stage. `version` is the version the editor loaded.
pub async fn update(
    app: &App,
    ctx: &Ctx,
    id: i64,
    version: i64,
    input: &ProjectInput,
) -> Result<()> {
    let mut tx = app.db.begin_write().await?;
    let (before, before_units) = visible(&mut tx, ctx, id, Action::EditProject).await?;
    let mut draft = input.draft.clone();
    let stage =
        Stage::from_key(&before.stage).ok_or_else(|| ServiceError::invariant("bad stage"))?;
    if !draft.stage.trim().is_empty() && Stage::from_input(&draft.stage) != Some(stage) {
        return Err(field_error(
            "stage",
            "use_stage_change",
            "建设阶段请通过「变更阶段」办理",
        ));
    }
    draft.stage = stage.key().into();
    let fields = draft.validate()?;
    let region = region_of(&before)?;
    check_refs(&mut tx, &region, input, Some(id)).await?;
    check_unique(&mut tx, &region, &fields, Some(id)).await?;
    let values = values_of(&mut tx, &region, &fields, input).await?;
    projects::update(&mut tx, id, version, &values, app.now())
        .await
        .map_err(duplicate_to_field)?;
    projects::set_responsible_units(&mut tx, id, &input.responsible_unit_ids).await?;
    let after = projects::get(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    audit(
        app,
        &mut tx,
        ctx,
        "update",
        "project",
        Some(id.to_string()),
        Some(&Snapshot {
            row: &before,
            responsible_unit_ids: before_units.iter().map(|u| u.0).collect(),
        }),
        Some(&Snapshot {
            row: &after,
            responsible_unit_ids: input.responsible_unit_ids.clone(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct StageChangeInput {
    pub to_stage: String,
    /// The date of the change, `YYYY-MM-DD`.
    pub changed_on: String,
    pub reason: String,
    pub actual_start: String,
    pub actual_completion: String,
}

pub async fn change_stage(
    app: &App,
    ctx: &Ctx,
    id: i64,
    version: i64,
    input: &StageChangeInput,
) -> Result<()> {
    let mut tx = app.db.begin_write().await?;
    let (before, _) = visible(&mut tx, ctx, id, Action::ChangeStage).await?;
    let mut errs = ValidationErrors::new();
    let to = errs.check(Stage::parse("to_stage", &input.to_stage));
    let on = match chrono::NaiveDate::parse_from_str(input.changed_on.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errs.add(
                "changed_on",
                "invalid_date",
                "变更日期格式应为 年-月-日，如 2022-03-15",
            );
            None
        }
    };
    let reason = errs.check(check_text("reason", "变更原因", &input.reason, true, 500));
    let given_start = errs.check(ReportMonth::parse_opt(
        "actual_start",
        "实际开工",
        &input.actual_start,
    ));
    let given_completion = errs.check(ReportMonth::parse_opt(
        "actual_completion",
        "实际竣工",
        &input.actual_completion,
    ));
    errs.into_result()?;
    let (to, on, reason) = (
        to.expect("checked"),
        on.expect("checked"),
        reason.unwrap_or_default(),
    );
    let from =
        Stage::from_key(&before.stage).ok_or_else(|| ServiceError::invariant("bad stage"))?;
    let parse_stored = |s: &Option<String>| {
        s.as_deref()
            .and_then(|m| ReportMonth::parse("m", "月份", m).ok())
    };
    let start = given_start.flatten().or(parse_stored(&before.actual_start));
    let completion = given_completion
        .flatten()
        .or(parse_stored(&before.actual_completion));
    check_stage_change(from, to, start, completion)
        .map_err(|e| ServiceError::Validation(ValidationErrors(vec![e.to_field_error()])))?;
    if let (Some(s), Some(c)) = (start, completion)
        && c < s
    {
        return Err(field_error(
            "actual_completion",
            "before_start",
            "实际竣工不能早于实际开工",
        ));
    }
    if on > app.local_today() {
        return Err(field_error("changed_on", "future", "变更日期不能晚于今天"));
    }
    let now = app.now();
    let s = start.map(|m| m.to_string());
    let c = completion.map(|m| m.to_string());
    projects::change_stage(
        &mut tx,
        id,
        version,
        to.key(),
        s.as_deref(),
        c.as_deref(),
        now,
    )
    .await?;
    let user_id = Some(ctx.actor.user_id).filter(|u| *u != 0);
    projects::insert_stage_change(
        &mut tx,
        &NewStageChange {
            project_id: id,
            from_stage: Some(from.key()),
            to_stage: to.key(),
            changed_on: &on.to_string(),
            reason: &reason,
            user_id,
            username: &ctx.actor.username,
        },
        now,
    )
    .await?;
    audit(
        app,
        &mut tx,
        ctx,
        "stage_change",
        "project",
        Some(id.to_string()),
        Some(&serde_json::json!({ "stage": from.key(), "actual_start": before.actual_start, "actual_completion": before.actual_completion })),
        Some(&serde_json::json!({ "stage": to.key(), "actual_start": s, "actual_completion": c, "changed_on": on.to_string(), "reason": reason })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the actor may see a project (used by other modules' permission checks).
pub async fn can_see(app: &App, ctx: &Ctx, id: i64) -> Result<bool> {
    let mut tx = app.db.begin_read().await?;
    let Some(row) = projects::get(&mut tx, id).await? else {
        return Ok(false);
    };
    let ids: Vec<i64> = projects::responsible_units(&mut tx, id)
        .await?
        .iter()
        .map(|u| u.0)
        .collect();
    let region = region_of(&row)?;
    Ok(can_see_project(
        &ctx.actor,
        &ProjectScope {
            region: &region,
            owner_unit_id: row.owner_unit_id,
            lead_unit_id: row.lead_unit_id,
            responsible_unit_ids: &ids,
        },
    ))
}

/// Whether the actor may do `action` on a project (to show or hide buttons; the use case checks
/// again).
pub async fn can_act(app: &App, ctx: &Ctx, id: i64, action: Action) -> Result<bool> {
    let mut tx = app.db.begin_read().await?;
    match visible(&mut tx, ctx, id, action).await {
        Ok(_) => Ok(true),
        Err(ServiceError::Forbidden | ServiceError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Records that a list was exported (exports are audited like writes).
pub async fn record_export(app: &App, ctx: &Ctx, what: &str, rows: usize) -> Result<()> {
    require(ctx, Action::ExportProjects)?;
    let mut tx = app.db.begin_write().await?;
    audit(
        app,
        &mut tx,
        ctx,
        "export",
        what,
        None,
        None::<&()>,
        Some(&serde_json::json!({ "rows": rows })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// (id, name) of the projects the actor may see, for choosing one in a form (by code).
pub async fn choices(app: &App, ctx: &Ctx) -> Result<Vec<(i64, String)>> {
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
    Ok(items.into_iter().map(|p| (p.id, p.name)).collect())
}
