//! A county's everyday volume for load tests (`keyproj generate-county`, `scripts/bench
//! everyday`): the home county with its projects, plans and approved months, a number of
//! handling units, and a year's problem list spread over them — the data the everyday pages
//! (the problem list, the project list, registering a problem) are measured on.

use crate::county::Lcg;
use crate::seed::{self, GeneratedCounty};
use chrono::{Datelike, NaiveDate};
use keyproj_domain::ids::{ProjectId, UnitId};
use keyproj_domain::org::{UnitDraft, UnitKind};
use keyproj_service::{App, Ctx, Result, ServiceError, projects};
use serde::Serialize;

/// What was generated.
#[derive(Debug, Clone, Serialize)]
pub struct Everyday {
    pub region: String,
    pub projects: usize,
    pub units: usize,
    pub problems: usize,
    pub open: usize,
    /// The units' names: the first is the county's 发改局 (the center staff's unit in
    /// `scripts/bench`), the others handle items.
    pub unit_names: Vec<String>,
}

/// Fills the home county of an empty database: `projects_n` projects (12 months of reports
/// each), `units_n` handling units and `problems_n` items of this year, a third of them still
/// with their units, most about a project.
pub async fn generate(
    app: &App,
    projects_n: usize,
    units_n: usize,
    problems_n: usize,
) -> Result<Everyday> {
    if !projects::library_is_empty(app).await? {
        return Err(ServiceError::invariant(
            "数据库中已有项目，测试数据只能生成到空库",
        ));
    }
    keyproj_service::admin::users::bootstrap_admin(app).await?;
    let region = app.cfg.default_region.clone();
    let code = region.to_string();
    let ctx = Ctx::system(region.clone());
    let today = app.local_today();
    let mut rng = Lcg(430);
    let generated = (0..projects_n)
        .filter_map(|k| crate::province::project(&mut rng, &code, k, 12, today))
        .collect();
    let department = format!("{code}发展和改革局");
    seed::county(
        app,
        &ctx,
        &GeneratedCounty {
            region: region.clone(),
            city_name: None,
            department: department.clone(),
            township: format!("{code}城关镇"),
            owner: format!("{code}城市建设投资有限公司"),
            leader: format!("{code}联系领导"),
            projects: generated,
        },
    )
    .await?;
    let existing = keyproj_service::org::units(app, &ctx).await?;
    let mut units: Vec<UnitId> = vec![];
    let mut unit_names = vec![department.clone()];
    for i in 1..units_n.max(1) {
        let name = format!("承办单位{i:02}");
        let id = match existing.iter().find(|u| u.name == name) {
            Some(u) => u.id,
            None => {
                keyproj_service::org::create_unit(
                    app,
                    &ctx,
                    &UnitDraft {
                        name: name.clone(),
                        kind: UnitKind::Department.key().into(),
                        sort_order: 100 + i as i64,
                        ..Default::default()
                    },
                )
                .await?
            }
        };
        units.push(id);
        unit_names.push(name);
    }
    if let Some(d) = existing.iter().find(|u| u.name == department) {
        units.push(d.id);
    }
    let project_ids = projects_of(app, &ctx).await?;
    let year = today.year();
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).expect("date");
    let span = (today - jan1).num_days().max(1);
    let open = problems_n / 3;
    let mut rows = Vec::with_capacity(problems_n);
    for i in 0..problems_n {
        // Raised through the year in order, so the newest items are the open ones.
        let raised = jan1 + chrono::Duration::days(i as i64 * span / problems_n.max(1) as i64);
        let closed = i < problems_n - open;
        let deadline = raised + chrono::Duration::days(15);
        let closed_on =
            closed.then(|| (raised + chrono::Duration::days(9 + (i % 12) as i64)).min(today));
        let project =
            (i % 10 < 7 && !project_ids.is_empty()).then(|| project_ids[i % project_ids.len()]);
        rows.push(seed::generated_item(
            i, &units, project, raised, deadline, closed_on,
        ));
    }
    for chunk in rows.chunks(5_000) {
        seed::items(app, &ctx, &region, year, chunk).await?;
    }
    app.db.optimize().await?;
    Ok(Everyday {
        region: code,
        projects: project_ids.len(),
        units: units.len(),
        problems: problems_n,
        open,
        unit_names,
    })
}

async fn projects_of(app: &App, ctx: &Ctx) -> Result<Vec<ProjectId>> {
    let mut tx = app.db.begin_read().await?;
    let ids = keyproj_db::repo::projects::ids_with_lead(&mut tx, &ctx.actor.region).await?;
    tx.rollback().await?;
    Ok(ids.into_iter().map(|(id, _, _)| id).collect())
}
