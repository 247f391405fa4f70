//! Regions, units, county leaders and the inclusion threshold.

use crate::{App, Ctx, Result, ServiceError, audit, field_error, require};
use keyproj_db::Tx;
use keyproj_db::repo::org::{self, LeaderRow, NewUnit, ThresholdRow, UnitRow};
use keyproj_domain::authz::Action;
use keyproj_domain::error::check_text;
use keyproj_domain::org::UnitKind;
use keyproj_domain::project::{ThresholdClass, default_threshold};
use keyproj_domain::{Money, RegionCode, ValidationErrors};

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
pub async fn ensure_regions(_app: &App, tx: &mut Tx, code: &RegionCode) -> Result<()> {
    let mut chain = vec![code.clone()];
    while let Some(p) = chain.last().and_then(|c| c.parent()) {
        chain.push(p);
    }
    for c in chain.iter().rev() {
        if org::get_region(tx, c.as_str()).await?.is_none() {
            org::upsert_region(
                tx,
                c.as_str(),
                &region_name(c),
                c.parent().as_ref().map(|p| p.as_str()),
            )
            .await?;
        }
    }
    Ok(())
}

pub async fn units(app: &App, ctx: &Ctx) -> Result<Vec<UnitRow>> {
    // Everyone signed in may read the unit names of their region (forms need them).
    let mut tx = app.db.begin_read().await?;
    Ok(org::list_units(&mut tx, &ctx.actor.region).await?)
}

pub async fn leaders(app: &App, ctx: &Ctx) -> Result<Vec<LeaderRow>> {
    let mut tx = app.db.begin_read().await?;
    Ok(org::list_leaders(&mut tx, &ctx.actor.region).await?)
}

pub struct UnitInput<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub contact: &'a str,
    pub phone: &'a str,
    pub sort_order: i64,
}

fn check_phone(phone: &str) -> Result<String, keyproj_domain::FieldError> {
    let p = check_text("phone", "联系电话", phone, false, 30)?;
    if !p
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ' || c == '+')
    {
        return Err(keyproj_domain::FieldError::new(
            "phone",
            "invalid_phone",
            "联系电话只能包含数字、空格、+ 和 -",
        ));
    }
    Ok(p)
}

fn check_unit(u: &UnitInput) -> Result<(String, UnitKind, String, String)> {
    let mut errs = ValidationErrors::new();
    let name = errs.check(check_text("name", "单位名称", u.name, true, 60));
    let kind = UnitKind::from_input(u.kind);
    if kind.is_none() {
        errs.add("kind", "unknown_value", format!("单位类型“{}”无效", u.kind));
    }
    let contact = errs.check(check_text("contact", "联系人", u.contact, false, 30));
    let phone = errs.check(check_phone(u.phone));
    errs.into_result()?;
    Ok((
        name.unwrap_or_default(),
        kind.expect("checked"),
        contact.unwrap_or_default(),
        phone.unwrap_or_default(),
    ))
}

pub async fn create_unit(app: &App, ctx: &Ctx, u: &UnitInput<'_>) -> Result<i64> {
    require(ctx, Action::ManageOrg)?;
    let (name, kind, contact, phone) = check_unit(u)?;
    let mut tx = app.db.begin_write().await?;
    let region = ctx.actor.region.as_str();
    let id = org::insert_unit(
        &mut tx,
        &NewUnit {
            region_code: region,
            name: &name,
            kind: kind.key(),
            contact: &contact,
            phone: &phone,
            sort_order: u.sort_order,
        },
        app.now(),
    )
    .await
    .map_err(duplicate_name)?;
    let after = org::get_unit(&mut tx, id).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "create",
        "unit",
        Some(id.to_string()),
        None::<&()>,
        after.as_ref(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_unit(
    app: &App,
    ctx: &Ctx,
    id: i64,
    version: i64,
    u: &UnitInput<'_>,
) -> Result<()> {
    require(ctx, Action::ManageOrg)?;
    let (name, kind, contact, phone) = check_unit(u)?;
    let mut tx = app.db.begin_write().await?;
    let before = org::get_unit(&mut tx, id)
        .await?
        .filter(|b| b.region_code.starts_with(ctx.actor.region.as_str()))
        .ok_or(ServiceError::NotFound)?;
    org::update_unit(
        &mut tx,
        id,
        version,
        &NewUnit {
            region_code: &before.region_code,
            name: &name,
            kind: kind.key(),
            contact: &contact,
            phone: &phone,
            sort_order: u.sort_order,
        },
        app.now(),
    )
    .await
    .map_err(duplicate_name)?;
    let after = org::get_unit(&mut tx, id).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "update",
        "unit",
        Some(id.to_string()),
        Some(&before),
        after.as_ref(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub struct LeaderInput<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub phone: &'a str,
    pub sort_order: i64,
}

fn check_leader(l: &LeaderInput) -> Result<(String, String, String)> {
    let mut errs = ValidationErrors::new();
    let name = errs.check(check_text("name", "姓名", l.name, true, 30));
    let title = errs.check(check_text("title", "职务", l.title, false, 60));
    let phone = errs.check(check_phone(l.phone));
    errs.into_result()?;
    Ok((
        name.unwrap_or_default(),
        title.unwrap_or_default(),
        phone.unwrap_or_default(),
    ))
}

/// A unique-name violation becomes an error at the name field.
fn duplicate_name(e: keyproj_db::DbError) -> ServiceError {
    match e {
        keyproj_db::DbError::Duplicate(m) => field_error("name", "duplicate", m),
        o => o.into(),
    }
}

pub async fn create_leader(app: &App, ctx: &Ctx, l: &LeaderInput<'_>) -> Result<i64> {
    require(ctx, Action::ManageOrg)?;
    let (name, title, phone) = check_leader(l)?;
    let mut tx = app.db.begin_write().await?;
    let id = org::insert_leader(
        &mut tx,
        ctx.actor.region.as_str(),
        &name,
        &title,
        &phone,
        l.sort_order,
        app.now(),
    )
    .await
    .map_err(duplicate_name)?;
    let after = org::get_leader(&mut tx, id).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "create",
        "leader",
        Some(id.to_string()),
        None::<&()>,
        after.as_ref(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_leader(
    app: &App,
    ctx: &Ctx,
    id: i64,
    version: i64,
    l: &LeaderInput<'_>,
) -> Result<()> {
    require(ctx, Action::ManageOrg)?;
    let (name, title, phone) = check_leader(l)?;
    let mut tx = app.db.begin_write().await?;
    let before = org::get_leader(&mut tx, id)
        .await?
        .filter(|b| b.region_code.starts_with(ctx.actor.region.as_str()))
        .ok_or(ServiceError::NotFound)?;
    org::update_leader(
        &mut tx,
        id,
        version,
        &name,
        &title,
        &phone,
        l.sort_order,
        app.now(),
    )
    .await
    .map_err(duplicate_name)?;
    let after = org::get_leader(&mut tx, id).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "update",
        "leader",
        Some(id.to_string()),
        Some(&before),
        after.as_ref(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A unit by id if it belongs to `region` or a region below it; None for an unknown id and for
/// another county's unit alike, so that every id in every input is scope-checked the same way.
pub(crate) async fn unit_in(
    tx: &mut keyproj_db::Tx,
    region: &RegionCode,
    id: i64,
) -> Result<Option<UnitRow>> {
    Ok(org::get_unit(tx, id)
        .await?
        .filter(|u| u.region_code.starts_with(region.as_str())))
}

/// A county leader by id within `region` (see [`unit_in`]).
pub(crate) async fn leader_in(
    tx: &mut keyproj_db::Tx,
    region: &RegionCode,
    id: i64,
) -> Result<Option<LeaderRow>> {
    Ok(org::get_leader(tx, id)
        .await?
        .filter(|l| l.region_code.starts_with(region.as_str())))
}

pub async fn unit(app: &App, ctx: &Ctx, id: i64) -> Result<UnitRow> {
    let mut tx = app.db.begin_read().await?;
    org::get_unit(&mut tx, id)
        .await?
        .filter(|u| u.region_code.starts_with(ctx.actor.region.as_str()))
        .ok_or(ServiceError::NotFound)
}

pub async fn leader(app: &App, ctx: &Ctx, id: i64) -> Result<LeaderRow> {
    let mut tx = app.db.begin_read().await?;
    org::get_leader(&mut tx, id)
        .await?
        .filter(|u| u.region_code.starts_with(ctx.actor.region.as_str()))
        .ok_or(ServiceError::NotFound)
}

/// The thresholds in force for the actor's region (configured rows or the defaults).
pub async fn thresholds(app: &App, region: &RegionCode) -> Result<Vec<(ThresholdClass, Money)>> {
    let mut tx = app.db.begin_read().await?;
    thresholds_in(&mut tx, region).await
}

pub(crate) async fn thresholds_in(
    tx: &mut Tx,
    region: &RegionCode,
) -> Result<Vec<(ThresholdClass, Money)>> {
    let mut chain = vec![region.as_str().to_string()];
    let mut r = region.clone();
    while let Some(p) = r.parent() {
        chain.push(p.as_str().to_string());
        r = p;
    }
    let rows: Vec<ThresholdRow> = org::thresholds_for(tx, &chain).await?;
    Ok(ThresholdClass::ALL
        .iter()
        .map(|c| {
            let configured = rows
                .iter()
                .find(|r| r.class == c.key())
                .map(|r| Money::from_fen(r.min_fen));
            (*c, configured.unwrap_or_else(|| default_threshold(*c)))
        })
        .collect())
}

pub async fn set_threshold(app: &App, ctx: &Ctx, class: &str, amount_wan: &str) -> Result<()> {
    require(ctx, Action::ManageOrg)?;
    let class = ThresholdClass::parse("class", class)?;
    let amount = Money::parse_wan("min_wan", "门槛金额", amount_wan)?;
    let mut tx = app.db.begin_write().await?;
    let before = thresholds_in(&mut tx, &ctx.actor.region)
        .await?
        .into_iter()
        .find(|(c, _)| *c == class)
        .map(|(_, m)| m);
    org::upsert_threshold(
        &mut tx,
        ctx.actor.region.as_str(),
        class.key(),
        amount.fen(),
        app.now(),
    )
    .await?;
    audit(
        app,
        &mut tx,
        ctx,
        "update",
        "threshold",
        Some(format!("{}:{}", ctx.actor.region, class.key())),
        before.as_ref(),
        Some(&amount),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
