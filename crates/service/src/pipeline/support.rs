//! 后扶: support measures (帮扶措施) for operating projects, next to their problems on the list,
//! with the year's count of projects supported and problems solved.

use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error};
use keyproj_db::repo::dispatch::plans::{self as plan_repo, LineScope};
use keyproj_db::repo::pipeline::support::{self as repo, MeasureRow, NewMeasure};
use keyproj_domain::authz::{Action, Role};
use keyproj_domain::ids::{ProjectId, SupportMeasureId};
use keyproj_domain::pipeline::MeasureDraft;
use keyproj_domain::plan::YearCategory;
use keyproj_domain::project::Stage;
use serde::Serialize;

/// A project supported in the year, with its measures counted.
#[derive(Debug, Clone, Serialize)]
pub struct SupportedProject {
    pub project_id: ProjectId,
    pub name: String,
    pub measures: i64,
}

/// The year's 后扶.
#[derive(Debug, Clone, Serialize)]
pub struct Support {
    pub year: i32,
    /// The year's 后扶 projects (of the year's plan).
    pub projects: Vec<SupportedProject>,
    pub measures: Vec<MeasureRow>,
    /// Problem-list items of those projects closed in the year.
    pub problems_closed: i64,
}

/// The year's 后扶 projects, their measures and the problems solved for them (center staff and
/// county leaders).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn support(app: &App, ctx: &Ctx, year: i32) -> Result<Support> {
    super::signing::may_view(ctx)?;
    let region = ctx.actor.region.clone();
    let figures = crate::stats::annual(app, &region, year).await?;
    let mut tx = app.db.begin_read().await?;
    let lines = plan_repo::plan_lines(&mut tx, &region, year, LineScope::Region).await?;
    let measures = repo::measures_in(&mut tx, &region, year).await?;
    let projects = lines
        .into_iter()
        .filter(|l| l.plan.category == YearCategory::PostSupport)
        .map(|l| SupportedProject {
            measures: measures
                .iter()
                .filter(|m| m.project_id == l.project_id)
                .count() as i64,
            project_id: l.project_id,
            name: l.name,
        })
        .collect();
    Ok(Support {
        year,
        projects,
        measures,
        problems_closed: figures.post_support.problems_closed,
    })
}

/// Records a support measure for an operating (竣工 or 后扶) project (center staff).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn add_measure(app: &App, ctx: &Ctx, draft: &MeasureDraft) -> Result<SupportMeasureId> {
    if !ctx.actor.has(Role::CenterStaff) {
        return Err(ServiceError::Forbidden);
    }
    let mut w = Work::begin(app, ctx).await?;
    let f = draft.validate(w.today())?;
    let (project, _) = crate::projects::visible(&mut w.tx, ctx, f.project_id, Action::ViewProject)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound => field_error("project_id", "unknown", "项目不存在"),
            e => e,
        })?;
    if !matches!(project.stage, Stage::Completed | Stage::PostSupport) {
        return Err(field_error(
            "project_id",
            "stage",
            format!(
                "帮扶措施只适用于已建成运营（竣工或后扶）的项目，该项目处于“{}”阶段",
                project.stage.label()
            ),
        ));
    }
    crate::org::unit_in(&mut w.tx, &ctx.actor.region, f.unit_id)
        .await?
        .ok_or_else(|| field_error("unit_id", "unknown", "责任单位不存在"))?;
    // one of that year's 后扶 projects, so the measure shows where the year's support is read
    {
        use chrono::Datelike;
        let year = f.measure_on.year();
        let listed = plan_repo::plan_lines(&mut w.tx, &ctx.actor.region, year, LineScope::Region)
            .await?
            .into_iter()
            .any(|l| l.project_id == f.project_id && l.plan.category == YearCategory::PostSupport);
        if !listed {
            return Err(field_error(
                "project_id",
                "not_listed",
                format!("该项目不是{year}年度计划中的后扶项目"),
            ));
        }
    }
    let id = repo::insert_measure(
        &mut w.tx,
        &NewMeasure {
            region: &project.region_code,
            project_id: f.project_id,
            text: &f.text,
            unit_id: f.unit_id,
            measure_on: f.measure_on,
            actor: &ctx.actor.username,
        },
        w.now,
    )
    .await?;
    w.audit(Audit::create("support_measure", id).after(&f))
        .await?;
    w.commit().await?;
    Ok(id)
}

/// [`add_measure`] from the year's page: the date must be in that year (an empty date is today
/// only when the year is this one), so a measure never lands where the page does not show it;
/// that the project is one of the year's 后扶 projects [`add_measure`] checks itself.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn add_measure_in_year(
    app: &App,
    ctx: &Ctx,
    draft: &MeasureDraft,
    year: i32,
) -> Result<SupportMeasureId> {
    use chrono::Datelike;
    let today = app.local_today();
    let typed = draft.measure_on.trim();
    if typed.is_empty() && today.year() != year {
        return Err(field_error(
            "measure_on",
            "required",
            format!("请填写{year}年内的日期"),
        ));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(typed, "%Y-%m-%d")
        && d.year() != year
    {
        return Err(field_error(
            "measure_on",
            "year",
            format!("日期应在{year}年内（本页为{year}年）"),
        ));
    }
    add_measure(app, ctx, draft).await
}
