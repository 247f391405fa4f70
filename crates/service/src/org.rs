//! Regions, units, county leaders and the inclusion threshold.

use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error, require};
use keyproj_db::Tx;
use keyproj_db::repo::org::{self, LeaderRow, NewLeader, NewUnit, UnitRow};
use keyproj_domain::authz::Action;
use keyproj_domain::ids::{LeaderId, UnitId};
use keyproj_domain::org::{LeaderDraft, LeaderFields, UnitDraft, UnitFields, UnitKind};
use keyproj_domain::project::{Industry, ThresholdClass, default_threshold};
use keyproj_domain::{Money, RegionCode};
use serde::Serialize;

/// Names of the regions of the reference deployment; other codes are named by their code
/// until staff rename them.
pub fn region_name(code: &RegionCode) -> String {
    match code.as_str() {
        "43" => "湖南省".into(),
        "4309" => "益阳市".into(),
        "430922" => "桃江县".into(),
        other => format!("地区{other}"),
    }
}

/// Makes sure a region and every region above it exist.
pub async fn ensure_regions(tx: &mut Tx, code: &RegionCode) -> Result<()> {
    let chain: Vec<RegionCode> = crate::rules::lineage(code).collect();
    for c in chain.iter().rev() {
        if org::get_region(tx, c).await?.is_none() {
            org::upsert_region(tx, c, &region_name(c), c.parent().as_ref()).await?;
        }
    }
    Ok(())
}

/// The center unit of a region (where staff notifications go): its own, else the nearest above.
pub async fn center_unit_in(tx: &mut Tx, region: &RegionCode) -> Result<UnitId> {
    for code in crate::rules::lineage(region) {
        let units = org::list_units(tx, &code).await?;
        if let Some(u) = units
            .iter()
            .find(|u| u.kind == UnitKind::Center && u.region_code == code)
        {
            return Ok(u.id);
        }
    }
    // A county set up without its center is a setting someone can fix, not our failure: the
    // form keeps what was typed and says what to do (it was a 500).
    Err(field_error(
        "center_unit",
        "missing",
        "本地区尚未设立重点项目建设事务中心单位，问题清单的事项、交办单和会议纪要都以它的名义登记和发出：请在「单位与领导」中添加类型为“重点项目建设事务中心”的单位后重试",
    ))
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn units(app: &App, ctx: &Ctx) -> Result<Vec<UnitRow>> {
    // Everyone signed in may read the unit names of their region (forms need them). One
    // statement: no transaction (BEGIN and its end would be two more round trips on every
    // list page with a unit filter).
    let mut tx = app.db.read().await?;
    Ok(org::list_units(&mut tx, &ctx.actor.region).await?)
}

/// A unit of a region by its exact name (the command line names units this way).
pub async fn unit_by_name(app: &App, region: &RegionCode, name: &str) -> Result<Option<UnitRow>> {
    let mut tx = app.db.begin_read().await?;
    Ok(org::find_unit_by_name(&mut tx, region, name.trim()).await?)
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn leaders(app: &App, ctx: &Ctx) -> Result<Vec<LeaderRow>> {
    // one statement, outside a transaction (as `units`)
    let mut tx = app.db.read().await?;
    Ok(org::list_leaders(&mut tx, &ctx.actor.region).await?)
}

/// A unique-name violation becomes an error at the name field.
fn duplicate_name(e: keyproj_db::DbError) -> ServiceError {
    match e {
        keyproj_db::DbError::Duplicate(m) => field_error("name", "duplicate", m),
        o => o.into(),
    }
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn create_unit(app: &App, ctx: &Ctx, u: &UnitDraft) -> Result<UnitId> {
    require(ctx, Action::ManageOrg)?;
    let f = u.validate()?;
    let mut w = Work::begin(app, ctx).await?;
    let id = create_unit_in(&mut w, &f).await?;
    w.commit().await?;
    Ok(id)
}

/// [`create_unit`] inside a caller's work, from validated fields.
async fn create_unit_in(w: &mut Work<'_>, f: &UnitFields) -> Result<UnitId> {
    let id = org::insert_unit(
        &mut w.tx,
        &NewUnit {
            region_code: &w.ctx.actor.region,
            name: &f.name,
            kind: f.kind,
            contact: &f.contact,
            phone: &f.phone,
            sort_order: f.sort_order,
        },
        w.now,
    )
    .await
    .map_err(duplicate_name)?;
    let after = org::get_unit(&mut w.tx, id).await?;
    w.audit(Audit::create("unit", id).after(&after)).await?;
    Ok(id)
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn update_unit(
    app: &App,
    ctx: &Ctx,
    id: UnitId,
    version: i64,
    u: &UnitDraft,
) -> Result<()> {
    require(ctx, Action::ManageOrg)?;
    let f = u.validate()?;
    let mut w = Work::begin(app, ctx).await?;
    let before = unit_in(&mut w.tx, &ctx.actor.region, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    org::update_unit(
        &mut w.tx,
        id,
        version,
        &NewUnit {
            region_code: &before.region_code,
            name: &f.name,
            kind: f.kind,
            contact: &f.contact,
            phone: &f.phone,
            sort_order: f.sort_order,
        },
        w.now,
    )
    .await
    .map_err(duplicate_name)?;
    let after = org::get_unit(&mut w.tx, id).await?;
    w.audit(Audit::update("unit", id).before(&before).after(&after))
        .await?;
    w.commit().await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn create_leader(app: &App, ctx: &Ctx, l: &LeaderDraft) -> Result<LeaderId> {
    require(ctx, Action::ManageOrg)?;
    let f = l.validate()?;
    let mut w = Work::begin(app, ctx).await?;
    let id = create_leader_in(&mut w, &f).await?;
    w.commit().await?;
    Ok(id)
}

/// [`create_leader`] inside a caller's work, from validated fields.
async fn create_leader_in(w: &mut Work<'_>, f: &LeaderFields) -> Result<LeaderId> {
    let id = org::insert_leader(
        &mut w.tx,
        &NewLeader {
            region_code: &w.ctx.actor.region,
            name: &f.name,
            title: &f.title,
            phone: &f.phone,
            sort_order: f.sort_order,
        },
        w.now,
    )
    .await
    .map_err(duplicate_name)?;
    let after = org::get_leader(&mut w.tx, id).await?;
    w.audit(Audit::create("leader", id).after(&after)).await?;
    Ok(id)
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn update_leader(
    app: &App,
    ctx: &Ctx,
    id: LeaderId,
    version: i64,
    l: &LeaderDraft,
) -> Result<()> {
    require(ctx, Action::ManageOrg)?;
    let f = l.validate()?;
    let mut w = Work::begin(app, ctx).await?;
    let before = leader_in(&mut w.tx, &ctx.actor.region, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    org::update_leader(
        &mut w.tx,
        id,
        version,
        &NewLeader {
            region_code: &before.region_code,
            name: &f.name,
            title: &f.title,
            phone: &f.phone,
            sort_order: f.sort_order,
        },
        w.now,
    )
    .await
    .map_err(duplicate_name)?;
    let after = org::get_leader(&mut w.tx, id).await?;
    w.audit(Audit::update("leader", id).before(&before).after(&after))
        .await?;
    w.commit().await?;
    Ok(())
}

/// A unit or leader found by name, or created for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named<I> {
    pub id: I,
    pub created: bool,
}

/// The actor's region's unit of this name, created (of `kind`) when there is none: an import
/// names units by name.
pub(crate) async fn unit_named_in(
    w: &mut Work<'_>,
    name: &str,
    kind: UnitKind,
) -> Result<Named<UnitId>> {
    let region = w.ctx.actor.region.clone();
    if let Some(u) = org::find_unit_by_name(&mut w.tx, &region, name).await? {
        return Ok(Named {
            id: u.id,
            created: false,
        });
    }
    require(w.ctx, Action::ManageOrg)?;
    let f = UnitDraft {
        name: name.into(),
        kind: kind.key().into(),
        sort_order: 100,
        ..Default::default()
    }
    .validate()?;
    let id = create_unit_in(w, &f).await?;
    Ok(Named { id, created: true })
}

/// The actor's region's county leader of this name, created when there is none.
pub(crate) async fn leader_named_in(w: &mut Work<'_>, name: &str) -> Result<Named<LeaderId>> {
    let region = w.ctx.actor.region.clone();
    if let Some(l) = org::find_leader_by_name(&mut w.tx, &region, name).await? {
        return Ok(Named {
            id: l.id,
            created: false,
        });
    }
    require(w.ctx, Action::ManageOrg)?;
    let f = LeaderDraft {
        name: name.into(),
        sort_order: 100,
        ..Default::default()
    }
    .validate()?;
    let id = create_leader_in(w, &f).await?;
    Ok(Named { id, created: true })
}

/// A unit by id if it belongs to `region` or a region below it; None for an unknown id and for
/// another county's unit alike, so that every id in every input is scope-checked the same way.
pub(crate) async fn unit_in(
    tx: &mut Tx,
    region: &RegionCode,
    id: UnitId,
) -> Result<Option<UnitRow>> {
    Ok(org::get_unit(tx, id)
        .await?
        .filter(|u| region.contains(&u.region_code)))
}

/// A county leader by id within `region` (see [`unit_in`]).
pub(crate) async fn leader_in(
    tx: &mut Tx,
    region: &RegionCode,
    id: LeaderId,
) -> Result<Option<LeaderRow>> {
    Ok(org::get_leader(tx, id)
        .await?
        .filter(|l| region.contains(&l.region_code)))
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn unit(app: &App, ctx: &Ctx, id: UnitId) -> Result<UnitRow> {
    let mut tx = app.db.begin_read().await?;
    unit_in(&mut tx, &ctx.actor.region, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn leader(app: &App, ctx: &Ctx, id: LeaderId) -> Result<LeaderRow> {
    let mut tx = app.db.begin_read().await?;
    leader_in(&mut tx, &ctx.actor.region, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// An inclusion threshold in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Threshold {
    pub class: ThresholdClass,
    pub min: Money,
}

/// The thresholds in force for a region (its own, inherited, or the defaults).
pub async fn thresholds(app: &App, region: &RegionCode) -> Result<Vec<Threshold>> {
    let mut tx = app.db.begin_read().await?;
    thresholds_in(&mut tx, region).await
}

pub(crate) async fn thresholds_in(tx: &mut Tx, region: &RegionCode) -> Result<Vec<Threshold>> {
    let mut rows = vec![];
    for code in crate::rules::lineage(region) {
        rows = org::thresholds_of(tx, &code).await?;
        if !rows.is_empty() {
            break;
        }
    }
    Ok(ThresholdClass::ALL
        .iter()
        .map(|c| Threshold {
            class: *c,
            min: rows
                .iter()
                .find(|r| r.class == *c)
                .map(|r| r.min)
                .unwrap_or_else(|| default_threshold(*c)),
        })
        .collect())
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
/// Sets a threshold of the actor's region; returns how many projects were marked again.
pub async fn set_threshold(app: &App, ctx: &Ctx, class: &str, amount_wan: &str) -> Result<u64> {
    require(ctx, Action::ManageOrg)?;
    let class = ThresholdClass::parse("class", class)?;
    let amount = Money::parse_wan("min_wan", "门槛金额", amount_wan)?;
    let region = &ctx.actor.region;
    let mut w = Work::begin(app, ctx).await?;
    let before = thresholds_in(&mut w.tx, region)
        .await?
        .into_iter()
        .find(|t| t.class == class)
        .map(|t| t.min);
    org::upsert_threshold(&mut w.tx, region, class, amount, w.now).await?;
    // Each project carries its flag (lists filter and mark by it): the projects the threshold
    // now applies to, here and in the regions below without one of their own, are marked again
    // in the same transaction, or the list, the filter and the detail page would disagree.
    let mut reflagged = vec![];
    for r in keyproj_db::repo::projects::regions_with_projects(&mut w.tx, region).await? {
        let min = thresholds_in(&mut w.tx, &r)
            .await?
            .into_iter()
            .find(|t| t.class == class)
            .map_or_else(|| default_threshold(class), |t| t.min);
        for industry in Industry::ALL
            .iter()
            .filter(|i| i.threshold_class() == class)
        {
            reflagged.extend(
                keyproj_db::repo::projects::reflag_below_threshold(&mut w.tx, &r, *industry, min)
                    .await?,
            );
        }
    }
    w.audit(
        Audit::update("threshold", format!("{region}:{}", class.key()))
            .before(&ThresholdChange {
                min: before,
                projects_marked_again: vec![],
            })
            .after(&ThresholdChange {
                min: Some(amount),
                projects_marked_again: reflagged.clone(),
            }),
    )
    .await?;
    w.commit().await?;
    Ok(reflagged.len() as u64)
}

/// A threshold change as the audit log keeps it.
#[derive(Serialize)]
struct ThresholdChange {
    min: Option<Money>,
    /// The projects whose 低于门槛 mark the change turned on or off, by id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    projects_marked_again: Vec<keyproj_domain::ids::ProjectId>,
}

// --- regions -----------------------------------------------------------------------------

/// The regions the actor's region holds (its own and those below), by code.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn regions(app: &App, ctx: &Ctx) -> Result<Vec<org::RegionRow>> {
    if !(ctx.actor.may(Action::ManageRegions) || ctx.actor.may(Action::ViewOrg)) {
        return Err(ServiceError::Forbidden);
    }
    let mut tx = app.db.begin_read().await?;
    Ok(org::list_regions(&mut tx)
        .await?
        .into_iter()
        .filter(|r| ctx.actor.region.contains(&r.code))
        .collect())
}

/// Every region (the operator's command line).
pub async fn all_regions(app: &App) -> Result<Vec<org::RegionRow>> {
    let mut tx = app.db.begin_read().await?;
    Ok(org::list_regions(&mut tx).await?)
}

/// Creates a region (GB/T 2260 code, name) or renames an existing one. Its parent follows from
/// the code (430922 → 4309 → 43) and must exist already; the actor's own region or one below.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn save_region(app: &App, ctx: &Ctx, code: &str, name: &str) -> Result<RegionCode> {
    require(ctx, Action::ManageRegions)?;
    let mut errs = keyproj_domain::ValidationErrors::new();
    let code = errs.check(RegionCode::parse(code).map_err(|mut e| {
        e.field = "code".into();
        e
    }));
    let name = errs.check(keyproj_domain::error::check_text(
        "name",
        "区划名称",
        name,
        true,
        40,
    ));
    errs.into_result()?;
    let (Some(code), Some(name)) = (code, name) else {
        return Err(field_error("code", "invalid_region", "行政区划代码有误"));
    };
    if !ctx.actor.region.contains(&code) {
        return Err(field_error(
            "code",
            "outside",
            format!(
                "只能建立本辖区（{}）及其下级的行政区划",
                ctx.actor.region.as_str()
            ),
        ));
    }
    let mut w = Work::begin(app, ctx).await?;
    let parent = code.parent();
    if let Some(p) = &parent
        && org::get_region(&mut w.tx, p).await?.is_none()
    {
        return Err(field_error(
            "code",
            "no_parent",
            format!("上级行政区划 {} 尚未建立，请先建立上级区划", p.as_str()),
        ));
    }
    let before = org::get_region(&mut w.tx, &code).await?;
    org::upsert_region(&mut w.tx, &code, &name, parent.as_ref()).await?;
    let after = org::get_region(&mut w.tx, &code).await?;
    let audit = match &before {
        Some(b) => Audit::update("region", code.as_str()).before(b),
        None => Audit::create("region", code.as_str()),
    };
    w.audit(audit.after(&after)).await?;
    w.commit().await?;
    Ok(code)
}
