//! Generated datasets for benchmarks and load tests, written in bulk: hundreds of rows per
//! statement instead of one use case per record, which would take hours for a province. Only
//! the system may seed, only into the region it names, and each batch writes one audit row
//! that says what was generated. Nothing in the production paths calls this module.

use chrono::NaiveDate;
use keyproj_db::repo::dispatch::plans as plan_repo;
use keyproj_db::repo::dispatch::reports::{self as report_repo, BulkReport};
use keyproj_db::repo::problems::bulk::{self as item_repo, BulkItem, BulkTarget};
use keyproj_db::repo::{org as org_repo, projects as project_repo};
use keyproj_domain::ids::UnitId;
use keyproj_domain::org::UnitKind;
use keyproj_domain::plan::PlanFields;
use keyproj_domain::project::{Industry, Level, Stage};
use keyproj_domain::{Money, RegionCode, ReportMonth};
use keyproj_service::work::{Audit, Work};
use keyproj_service::{App, Ctx, Result, ServiceError};

/// How much a database holds (benchmarks print it with their timings).
#[derive(Debug, Clone, Copy)]
pub struct Volume {
    pub projects: i64,
    pub reports: i64,
}

pub async fn volume(app: &App) -> Result<Volume> {
    let mut tx = app.db.begin_read().await?;
    Ok(Volume {
        projects: project_repo::count_all(&mut tx).await?,
        reports: keyproj_db::schema::row_count(&mut tx, "monthly_reports").await?,
    })
}

fn system_only(ctx: &Ctx) -> Result<()> {
    if ctx.actor.user_id.is_some() || ctx.ip != "local" {
        return Err(ServiceError::Forbidden);
    }
    Ok(())
}

/// The `i`-th generated item: the `i`-th source and category, the `i`-th of `units`; closed
/// when `closed_on` is set, else assigned or in progress by turns.
pub fn generated_item(
    i: usize,
    units: &[UnitId],
    project_id: Option<keyproj_domain::ids::ProjectId>,
    raised_on: NaiveDate,
    deadline: NaiveDate,
    closed_on: Option<NaiveDate>,
) -> BulkItem {
    use keyproj_domain::problem::{Category, Source, State};
    const SOURCES: [Source; 5] = [
        Source::TopicMeeting,
        Source::SiteMeeting,
        Source::DailyPatrol,
        Source::MonthlyReport,
        Source::OwnerReport,
    ];
    BulkItem {
        seq: i as i64 + 1,
        source: SOURCES[i % SOURCES.len()],
        category: Category::ALL[i % Category::ALL.len()],
        handler_unit_id: units[i % units.len()],
        project_id,
        raised_on,
        state: match closed_on {
            Some(_) => State::Closed,
            None if i.is_multiple_of(2) => State::Assigned,
            None => State::InProgress,
        },
        deadline,
        close_days: closed_on.map(|c| (c - raised_on).num_days()),
        closed_on,
    }
}

/// Problem-list items of one region and year, all raised by the region's center unit.
pub async fn items(
    app: &App,
    ctx: &Ctx,
    region: &RegionCode,
    year: i32,
    rows: &[BulkItem],
) -> Result<()> {
    system_only(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let center = keyproj_service::org::center_unit_in(&mut w.tx, region).await?;
    let (rules, _) = keyproj_service::rules::supervision_in(&mut w.tx, region, year).await?;
    item_repo::insert_items_bulk(
        &mut w.tx,
        &BulkTarget {
            region,
            year,
            prefix: &rules.assign_prefix,
            raised_unit_id: center,
        },
        rows,
        w.now,
    )
    .await?;
    w.audit(Audit::new("generate", "problem_items").id(format!("{region}:{year}")).after(
        &serde_json::json!({ "items": rows.len(), "first_seq": rows.first().map(|r| r.seq) }),
    ))
    .await?;
    w.commit().await
}

/// A generated county: its units and leader by name, and its projects.
#[derive(Debug, Clone)]
pub struct GeneratedCounty {
    pub region: RegionCode,
    /// The city above, named (the province's cities carry real names).
    pub city_name: Option<String>,
    pub department: String,
    pub township: String,
    pub owner: String,
    pub leader: String,
    pub projects: Vec<GeneratedProject>,
}

/// A generated project with its plan entries and approved months.
#[derive(Debug, Clone)]
pub struct GeneratedProject {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub stage: Stage,
    pub industry: Industry,
    pub total: Money,
    pub planned_start: Option<ReportMonth>,
    pub planned_completion: Option<ReportMonth>,
    pub actual_start: Option<ReportMonth>,
    pub actual_completion: Option<ReportMonth>,
    pub plans: Vec<GeneratedPlan>,
    pub months: Vec<GeneratedMonth>,
}

#[derive(Debug, Clone)]
pub struct GeneratedPlan {
    pub year: i32,
    pub fields: PlanFields,
}

#[derive(Debug, Clone, Copy)]
pub struct GeneratedMonth {
    pub month: ReportMonth,
    pub amount: Money,
    pub reported_on: NaiveDate,
}

/// A unit of the region by name, created when missing.
async fn unit_named(
    w: &mut Work<'_>,
    region: &RegionCode,
    name: &str,
    kind: UnitKind,
) -> Result<UnitId> {
    if let Some(u) = org_repo::find_unit_by_name(&mut w.tx, region, name).await? {
        return Ok(u.id);
    }
    Ok(org_repo::insert_unit(
        &mut w.tx,
        &org_repo::NewUnit {
            region_code: region,
            name,
            kind,
            contact: "",
            phone: "",
            sort_order: 0,
        },
        w.now,
    )
    .await?)
}

/// The provincial office of a province (so that province-level accounts have a unit).
pub async fn province_office(
    app: &App,
    ctx: &Ctx,
    province: &RegionCode,
    name: &str,
) -> Result<()> {
    system_only(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    keyproj_service::org::ensure_regions(&mut w.tx, province).await?;
    unit_named(&mut w, province, name, UnitKind::Center).await?;
    w.audit(Audit::new("generate", "region").id(province))
        .await?;
    w.commit().await
}

/// One county in one transaction: its regions, units, leader, projects, plans and approved
/// months. Returns how many projects were written.
pub async fn county(app: &App, ctx: &Ctx, c: &GeneratedCounty) -> Result<usize> {
    system_only(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    keyproj_service::org::ensure_regions(&mut w.tx, &c.region).await?;
    if let (Some(city), Some(name)) = (c.region.parent(), &c.city_name) {
        org_repo::upsert_region(&mut w.tx, &city, name, city.parent().as_ref()).await?;
    }
    let dept = unit_named(&mut w, &c.region, &c.department, UnitKind::Department).await?;
    let town = unit_named(&mut w, &c.region, &c.township, UnitKind::Township).await?;
    let owner = unit_named(&mut w, &c.region, &c.owner, UnitKind::Enterprise).await?;
    let leader = org_repo::insert_leader(
        &mut w.tx,
        &org_repo::NewLeader {
            region_code: &c.region,
            name: &c.leader,
            title: "副县长",
            phone: "",
            sort_order: 0,
        },
        w.now,
    )
    .await?;
    let threshold = Money::from_wan_int(10_000);
    let mut months = vec![];
    for p in &c.projects {
        let id = project_repo::insert(
            &mut w.tx,
            &project_repo::ProjectValues {
                region_code: c.region.clone(),
                code: Some(p.code.clone()),
                name: p.name.clone(),
                national_code: None,
                level: p.level,
                stage: p.stage,
                industry: p.industry,
                township_unit_id: Some(town),
                owner_unit_id: Some(owner),
                content_scale: "新建厂房、道路及配套设施".into(),
                total_investment: p.total,
                funding_sources: "企业自筹".into(),
                planned_start: p.planned_start,
                planned_completion: p.planned_completion,
                actual_start: p.actual_start,
                actual_completion: p.actual_completion,
                leader_id: Some(leader),
                lead_unit_id: Some(dept),
                parent_id: None,
                location: String::new(),
                tags: String::new(),
                below_threshold: p.total < threshold,
            },
            w.now,
        )
        .await?;
        project_repo::set_responsible_units(&mut w.tx, id, &[town]).await?;
        for plan in &p.plans {
            plan_repo::insert_plan(&mut w.tx, id, plan.year, &plan.fields, w.now).await?;
        }
        months.extend(p.months.iter().map(|m| BulkReport {
            project_id: id,
            month: m.month,
            amount: m.amount,
            first_submitted_on: m.reported_on,
        }));
    }
    report_repo::insert_approved_bulk(&mut w.tx, &months, "generate", w.now).await?;
    w.audit(
        Audit::new("generate", "region")
            .id(&c.region)
            .after(&serde_json::json!({ "projects": c.projects.len(), "reports": months.len() })),
    )
    .await?;
    w.commit().await?;
    Ok(c.projects.len())
}

/// Generated 帮代办 items over the projects of `region` and below (benchmarks): `n` items, most
/// done, some with their departments (a third of those past their limits), a few in 补正, being
/// prepared or not started; each project's lead unit decides its items. One audit row per batch.
pub async fn approvals(app: &App, ctx: &Ctx, region: &RegionCode, n: usize) -> Result<usize> {
    use keyproj_db::repo::pipeline::approvals::{self as repo, BulkApproval};
    use keyproj_domain::pipeline::ApprovalState as S;
    system_only(ctx)?;
    let projects = {
        let mut tx = app.db.begin_read().await?;
        project_repo::ids_with_lead(&mut tx, region).await?
    };
    if projects.is_empty() {
        return Err(ServiceError::invariant(
            "该地区没有项目，请先运行 keyproj generate",
        ));
    }
    let today = app.local_today();
    let names = keyproj_domain::pipeline::approvals::USUAL_CHAIN;
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let (project, county, lead) = &projects[i % projects.len()];
        let (name, _, limit) = names[i % names.len()];
        let received = today - chrono::Duration::days(10 + (i as i64 * 37) % 330);
        let accepted = received + chrono::Duration::days(2);
        let state = match i % 20 {
            0..=13 => S::Done,
            14..=16 => S::Accepted,
            17 => S::Correcting,
            18 => S::Preparing,
            _ => S::NotStarted,
        };
        // the open ones: two in three accepted recently (within their limits), one in three long ago
        let accepted = if state == S::Accepted && i % 3 != 0 {
            today - chrono::Duration::days((i % 4) as i64)
        } else {
            accepted
        };
        rows.push(BulkApproval {
            region: county.clone(),
            project_id: *project,
            name: name.to_string(),
            unit_id: *lead,
            limit_days: limit,
            agent: format!("agent{:02}", i % 40),
            state,
            received_on: (state != S::NotStarted).then_some(received.min(accepted)),
            accepted_on: matches!(state, S::Done | S::Accepted | S::Correcting).then_some(accepted),
            completed_on: (state == S::Done)
                .then(|| accepted + chrono::Duration::days(if i % 10 == 0 { 30 } else { 8 })),
            pauses: if state == S::Correcting {
                vec![(accepted + chrono::Duration::days(1), None)]
            } else {
                vec![]
            },
        });
    }
    for chunk in rows.chunks(20_000) {
        let mut w = Work::begin(app, ctx).await?;
        repo::insert_items_bulk(&mut w.tx, chunk, w.now).await?;
        w.audit(
            Audit::new("generate", "approval_items")
                .id(region.to_string())
                .after(&serde_json::json!({ "items": chunk.len() })),
        )
        .await?;
        w.commit().await?;
    }
    Ok(rows.len())
}
