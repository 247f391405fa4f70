//! Regions, units, county leaders and inclusion thresholds.

use crate::direct::named;
use crate::{DbError, Tx, decode, run};
use chrono::{DateTime, Utc};
use keyproj_domain::ids::{LeaderId, UnitId};
use keyproj_domain::org::UnitKind;
use keyproj_domain::project::ThresholdClass;
use keyproj_domain::{Money, RegionCode};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RegionRow {
    pub code: RegionCode,
    pub name: String,
    pub parent_code: Option<RegionCode>,
}

#[derive(sqlx::FromRow)]
struct RegionRaw {
    code: String,
    name: String,
    parent_code: Option<String>,
}

impl TryFrom<RegionRaw> for RegionRow {
    type Error = DbError;
    fn try_from(r: RegionRaw) -> Result<RegionRow, DbError> {
        Ok(RegionRow {
            code: decode::region("regions.code", &r.code)?,
            name: r.name,
            parent_code: r
                .parent_code
                .map(|p| decode::region("regions.parent_code", &p))
                .transpose()?,
        })
    }
}

pub async fn upsert_region(
    tx: &mut Tx,
    code: &RegionCode,
    name: &str,
    parent: Option<&RegionCode>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO regions (code, name, parent_code) VALUES ($1, $2, $3)
        ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code";
    run!(tx, |c| sqlx::query(SQL)
        .bind(code.as_str())
        .bind(name)
        .bind(parent.map(|p| p.as_str()))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn list_regions(tx: &mut Tx) -> Result<Vec<RegionRow>, DbError> {
    const SQL: &str = "SELECT code, name, parent_code FROM regions ORDER BY code";
    run!(tx, |c| sqlx::query_as::<_, RegionRaw>(SQL)
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(RegionRow::try_from)
    .collect()
}

pub async fn get_region(tx: &mut Tx, code: &RegionCode) -> Result<Option<RegionRow>, DbError> {
    const SQL: &str = "SELECT code, name, parent_code FROM regions WHERE code = $1";
    if let Some(c) = tx.direct_write().await? {
        return crate::direct::first_on(c, SQL, &[&code.as_str()], |r| {
            Ok(RegionRaw {
                code: named(r, "code")?,
                name: named(r, "name")?,
                parent_code: named(r, "parent_code")?,
            })
        })?
        .map(RegionRow::try_from)
        .transpose();
    }
    run!(tx, |c| sqlx::query_as::<_, RegionRaw>(SQL)
        .bind(code.as_str())
        .fetch_optional(c)
        .await)?
    .map(RegionRow::try_from)
    .transpose()
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitRow {
    pub id: UnitId,
    pub region_code: RegionCode,
    pub name: String,
    pub kind: UnitKind,
    pub contact: String,
    pub phone: String,
    pub sort_order: i64,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct UnitRaw {
    id: i64,
    region_code: String,
    name: String,
    kind: String,
    contact: String,
    phone: String,
    sort_order: i64,
    version: i64,
}

impl TryFrom<UnitRaw> for UnitRow {
    type Error = DbError;
    fn try_from(r: UnitRaw) -> Result<UnitRow, DbError> {
        Ok(UnitRow {
            id: UnitId(r.id),
            region_code: decode::region("units.region_code", &r.region_code)?,
            name: r.name,
            kind: decode::key("units.kind", &r.kind, UnitKind::from_key)?,
            contact: r.contact,
            phone: r.phone,
            sort_order: r.sort_order,
            version: r.version,
        })
    }
}

/// A unit as written.
pub struct NewUnit<'a> {
    pub region_code: &'a RegionCode,
    pub name: &'a str,
    pub kind: UnitKind,
    pub contact: &'a str,
    pub phone: &'a str,
    pub sort_order: i64,
}

const UNIT_COLS: &str = "id, region_code, name, kind, contact, phone, sort_order, version";

/// Units matching a filter of two text parameters.
async fn units_where(tx: &mut Tx, filter: &str, a: &str, b: &str) -> Result<Vec<UnitRow>, DbError> {
    let sql = format!(
        "SELECT {UNIT_COLS} FROM units WHERE {filter} ORDER BY region_code, sort_order, name"
    );
    // a list page's unit filter and every registration's center, on the request's own thread
    // where it can run there
    if let Some(on_thread) = tx.on_thread().await? {
        return on_thread
            .rows(&sql, &[&a, &b], |r| {
                Ok(UnitRaw {
                    id: named(r, "id")?,
                    region_code: named(r, "region_code")?,
                    name: named(r, "name")?,
                    kind: named(r, "kind")?,
                    contact: named(r, "contact")?,
                    phone: named(r, "phone")?,
                    sort_order: named(r, "sort_order")?,
                    version: named(r, "version")?,
                })
            })?
            .into_iter()
            .map(UnitRow::try_from)
            .collect();
    }
    run!(tx, |c| sqlx::query_as::<_, UnitRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(a)
    .bind(b)
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(UnitRow::try_from)
    .collect()
}

pub async fn insert_unit(
    tx: &mut Tx,
    u: &NewUnit<'_>,
    now: DateTime<Utc>,
) -> Result<UnitId, DbError> {
    const SQL: &str = "INSERT INTO units (region_code, name, kind, contact, phone, sort_order, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id";
    let r = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(u.region_code.as_str())
        .bind(u.name)
        .bind(u.kind.key())
        .bind(u.contact)
        .bind(u.phone)
        .bind(u.sort_order)
        .bind(now)
        .fetch_one(c)
        .await);
    r.map(UnitId)
        .map_err(|e| DbError::from(e).on_duplicate("同一地区已有同名单位"))
}

/// Updates a unit if nobody changed it since `version` was read.
pub async fn update_unit(
    tx: &mut Tx,
    id: UnitId,
    version: i64,
    u: &NewUnit<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE units SET name = $1, kind = $2, contact = $3, phone = $4, sort_order = $5,
        version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(u.name)
        .bind(u.kind.key())
        .bind(u.contact)
        .bind(u.phone)
        .bind(u.sort_order)
        .bind(now)
        .bind(id.get())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(|e| DbError::from(e).on_duplicate("同一地区已有同名单位"))?;
    super::expect_one(r)
}

pub async fn get_unit(tx: &mut Tx, id: UnitId) -> Result<Option<UnitRow>, DbError> {
    let sql = format!("SELECT {UNIT_COLS} FROM units WHERE id = $1");
    run!(tx, |c| sqlx::query_as::<_, UnitRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(UnitRow::try_from)
    .transpose()
}

pub async fn find_unit_by_name(
    tx: &mut Tx,
    region: &RegionCode,
    name: &str,
) -> Result<Option<UnitRow>, DbError> {
    Ok(
        units_where(tx, "region_code = $1 AND name = $2", region.as_str(), name)
            .await?
            .pop(),
    )
}

/// Units of a region and the regions below it.
pub async fn list_units(tx: &mut Tx, region: &RegionCode) -> Result<Vec<UnitRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    units_where(tx, "region_code >= $1 AND region_code < $2", &lo, &hi).await
}

#[derive(Debug, Clone, Serialize)]
pub struct LeaderRow {
    pub id: LeaderId,
    pub region_code: RegionCode,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub sort_order: i64,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct LeaderRaw {
    id: i64,
    region_code: String,
    name: String,
    title: String,
    phone: String,
    sort_order: i64,
    version: i64,
}

impl TryFrom<LeaderRaw> for LeaderRow {
    type Error = DbError;
    fn try_from(r: LeaderRaw) -> Result<LeaderRow, DbError> {
        Ok(LeaderRow {
            id: LeaderId(r.id),
            region_code: decode::region("leaders.region_code", &r.region_code)?,
            name: r.name,
            title: r.title,
            phone: r.phone,
            sort_order: r.sort_order,
            version: r.version,
        })
    }
}

/// A county leader as written.
pub struct NewLeader<'a> {
    pub region_code: &'a RegionCode,
    pub name: &'a str,
    pub title: &'a str,
    pub phone: &'a str,
    pub sort_order: i64,
}

const LEADER_COLS: &str = "id, region_code, name, title, phone, sort_order, version";

/// Leaders matching a filter of two text parameters.
async fn leaders_where(
    tx: &mut Tx,
    filter: &str,
    a: &str,
    b: &str,
) -> Result<Vec<LeaderRow>, DbError> {
    let sql = format!(
        "SELECT {LEADER_COLS} FROM leaders WHERE {filter} ORDER BY region_code, sort_order, name"
    );
    // a list page's leader filter, on the request's own thread where it can run there
    if let Some(on_thread) = tx.on_thread().await? {
        return on_thread
            .rows(&sql, &[&a, &b], |r| {
                Ok(LeaderRaw {
                    id: named(r, "id")?,
                    region_code: named(r, "region_code")?,
                    name: named(r, "name")?,
                    title: named(r, "title")?,
                    phone: named(r, "phone")?,
                    sort_order: named(r, "sort_order")?,
                    version: named(r, "version")?,
                })
            })?
            .into_iter()
            .map(LeaderRow::try_from)
            .collect();
    }
    run!(tx, |c| sqlx::query_as::<_, LeaderRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(a)
    .bind(b)
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(LeaderRow::try_from)
    .collect()
}

pub async fn insert_leader(
    tx: &mut Tx,
    l: &NewLeader<'_>,
    now: DateTime<Utc>,
) -> Result<LeaderId, DbError> {
    const SQL: &str = "INSERT INTO leaders (region_code, name, title, phone, sort_order, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(l.region_code.as_str())
        .bind(l.name)
        .bind(l.title)
        .bind(l.phone)
        .bind(l.sort_order)
        .bind(now)
        .fetch_one(c)
        .await)
    .map(LeaderId)
    .map_err(|e| DbError::from(e).on_duplicate("同一地区已有同名领导"))
}

/// Updates a leader if nobody changed it since `version` was read (the region stays).
pub async fn update_leader(
    tx: &mut Tx,
    id: LeaderId,
    version: i64,
    l: &NewLeader<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE leaders SET name = $1, title = $2, phone = $3, sort_order = $4, version = version + 1, updated_at = $5
        WHERE id = $6 AND version = $7";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(l.name)
        .bind(l.title)
        .bind(l.phone)
        .bind(l.sort_order)
        .bind(now)
        .bind(id.get())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(|e| DbError::from(e).on_duplicate("同一地区已有同名领导"))?;
    super::expect_one(r)
}

pub async fn get_leader(tx: &mut Tx, id: LeaderId) -> Result<Option<LeaderRow>, DbError> {
    let sql = format!("SELECT {LEADER_COLS} FROM leaders WHERE id = $1");
    run!(tx, |c| sqlx::query_as::<_, LeaderRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(LeaderRow::try_from)
    .transpose()
}

pub async fn find_leader_by_name(
    tx: &mut Tx,
    region: &RegionCode,
    name: &str,
) -> Result<Option<LeaderRow>, DbError> {
    Ok(
        leaders_where(tx, "region_code = $1 AND name = $2", region.as_str(), name)
            .await?
            .pop(),
    )
}

/// Leaders of a region and the regions below it.
pub async fn list_leaders(tx: &mut Tx, region: &RegionCode) -> Result<Vec<LeaderRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    leaders_where(tx, "region_code >= $1 AND region_code < $2", &lo, &hi).await
}

/// A region's own threshold of one class.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdRow {
    pub region_code: RegionCode,
    pub class: ThresholdClass,
    pub min: Money,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct ThresholdRaw {
    region_code: String,
    class: String,
    min_fen: i64,
    version: i64,
}

/// A region's own thresholds (none: it inherits).
pub async fn thresholds_of(tx: &mut Tx, region: &RegionCode) -> Result<Vec<ThresholdRow>, DbError> {
    const SQL: &str = "SELECT region_code, class, min_fen, version FROM inclusion_thresholds WHERE region_code = $1 ORDER BY class";
    run!(tx, |c| sqlx::query_as::<_, ThresholdRaw>(SQL)
        .bind(region.as_str())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|r| {
        Ok(ThresholdRow {
            region_code: decode::region("inclusion_thresholds.region_code", &r.region_code)?,
            class: decode::key(
                "inclusion_thresholds.class",
                &r.class,
                ThresholdClass::from_key,
            )?,
            min: decode::money(r.min_fen),
            version: r.version,
        })
    })
    .collect()
}

pub async fn upsert_threshold(
    tx: &mut Tx,
    region: &RegionCode,
    class: ThresholdClass,
    min: Money,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO inclusion_thresholds (region_code, class, min_fen, version, updated_at) VALUES ($1, $2, $3, 1, $4)
        ON CONFLICT (region_code, class) DO UPDATE SET min_fen = excluded.min_fen,
        version = inclusion_thresholds.version + 1, updated_at = excluded.updated_at";
    run!(tx, |c| sqlx::query(SQL)
        .bind(region.as_str())
        .bind(class.key())
        .bind(min.fen())
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
