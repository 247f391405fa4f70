//! Regions, units, county leaders and inclusion thresholds.

use crate::{DbError, Tx, run};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

pub async fn upsert_region(
    tx: &mut Tx,
    code: &str,
    name: &str,
    parent: Option<&str>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO regions (code, name, parent_code) VALUES ($1, $2, $3)
        ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code";
    run!(tx, |c| sqlx::query(SQL)
        .bind(code)
        .bind(name)
        .bind(parent)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn list_regions(tx: &mut Tx) -> Result<Vec<RegionRow>, DbError> {
    const SQL: &str = "SELECT code, name, parent_code FROM regions ORDER BY code";
    Ok(run!(tx, |c| sqlx::query_as::<_, RegionRow>(SQL)
        .fetch_all(c)
        .await)?)
}

pub async fn get_region(tx: &mut Tx, code: &str) -> Result<Option<RegionRow>, DbError> {
    const SQL: &str = "SELECT code, name, parent_code FROM regions WHERE code = $1";
    Ok(run!(tx, |c| sqlx::query_as::<_, RegionRow>(SQL)
        .bind(code)
        .fetch_optional(c)
        .await)?)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct UnitRow {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    pub kind: String,
    pub contact: String,
    pub phone: String,
    pub sort_order: i64,
    pub version: i64,
}

pub struct NewUnit<'a> {
    pub region_code: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub contact: &'a str,
    pub phone: &'a str,
    pub sort_order: i64,
}

const UNIT_COLS: &str = "id, region_code, name, kind, contact, phone, sort_order, version";

pub async fn insert_unit(tx: &mut Tx, u: &NewUnit<'_>, now: DateTime<Utc>) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO units (region_code, name, kind, contact, phone, sort_order, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id";
    let r = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(u.region_code)
        .bind(u.name)
        .bind(u.kind)
        .bind(u.contact)
        .bind(u.phone)
        .bind(u.sort_order)
        .bind(now)
        .fetch_one(c)
        .await);
    r.map_err(|e| DbError::from(e).on_duplicate("同一地区已有同名单位"))
}

pub async fn update_unit(
    tx: &mut Tx,
    id: i64,
    version: i64,
    u: &NewUnit<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE units SET name = $1, kind = $2, contact = $3, phone = $4, sort_order = $5,
        version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(u.name)
        .bind(u.kind)
        .bind(u.contact)
        .bind(u.phone)
        .bind(u.sort_order)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(|e| DbError::from(e).on_duplicate("同一地区已有同名单位"))?;
    super::expect_one(r)
}

pub async fn get_unit(tx: &mut Tx, id: i64) -> Result<Option<UnitRow>, DbError> {
    let sql = format!("SELECT {UNIT_COLS} FROM units WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, UnitRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn find_unit_by_name(
    tx: &mut Tx,
    region: &str,
    name: &str,
) -> Result<Option<UnitRow>, DbError> {
    let sql = format!("SELECT {UNIT_COLS} FROM units WHERE region_code = $1 AND name = $2");
    Ok(run!(tx, |c| sqlx::query_as::<_, UnitRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(region)
    .bind(name)
    .fetch_optional(c)
    .await)?)
}

/// Units of a region and the regions below it.
/// Of a region and the regions below it.
pub async fn list_units(
    tx: &mut Tx,
    region: &keyproj_domain::RegionCode,
) -> Result<Vec<UnitRow>, DbError> {
    let sql = format!(
        "SELECT {UNIT_COLS} FROM units WHERE region_code >= $1 AND region_code < $2 ORDER BY region_code, sort_order, name"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, UnitRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(region.subtree_range().0)
    .bind(region.subtree_range().1)
    .fetch_all(c)
    .await)?)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct LeaderRow {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub sort_order: i64,
    pub version: i64,
}

const LEADER_COLS: &str = "id, region_code, name, title, phone, sort_order, version";

pub async fn insert_leader(
    tx: &mut Tx,
    region: &str,
    name: &str,
    title: &str,
    phone: &str,
    sort_order: i64,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO leaders (region_code, name, title, phone, sort_order, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region)
        .bind(name)
        .bind(title)
        .bind(phone)
        .bind(sort_order)
        .bind(now)
        .fetch_one(c)
        .await)
    .map_err(|e| DbError::from(e).on_duplicate("同一地区已有同名领导"))
}

#[allow(clippy::too_many_arguments)]
pub async fn update_leader(
    tx: &mut Tx,
    id: i64,
    version: i64,
    name: &str,
    title: &str,
    phone: &str,
    sort_order: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE leaders SET name = $1, title = $2, phone = $3, sort_order = $4, version = version + 1, updated_at = $5
        WHERE id = $6 AND version = $7";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(name)
        .bind(title)
        .bind(phone)
        .bind(sort_order)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(|e| DbError::from(e).on_duplicate("同一地区已有同名领导"))?;
    super::expect_one(r)
}

pub async fn get_leader(tx: &mut Tx, id: i64) -> Result<Option<LeaderRow>, DbError> {
    let sql = format!("SELECT {LEADER_COLS} FROM leaders WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, LeaderRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn find_leader_by_name(
    tx: &mut Tx,
    region: &str,
    name: &str,
) -> Result<Option<LeaderRow>, DbError> {
    let sql = format!("SELECT {LEADER_COLS} FROM leaders WHERE region_code = $1 AND name = $2");
    Ok(run!(tx, |c| sqlx::query_as::<_, LeaderRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(region)
    .bind(name)
    .fetch_optional(c)
    .await)?)
}

/// Of a region and the regions below it.
pub async fn list_leaders(
    tx: &mut Tx,
    region: &keyproj_domain::RegionCode,
) -> Result<Vec<LeaderRow>, DbError> {
    let sql = format!(
        "SELECT {LEADER_COLS} FROM leaders WHERE region_code >= $1 AND region_code < $2 ORDER BY region_code, sort_order, name"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, LeaderRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(region.subtree_range().0)
    .bind(region.subtree_range().1)
    .fetch_all(c)
    .await)?)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ThresholdRow {
    pub region_code: String,
    pub class: String,
    pub min_fen: i64,
    pub version: i64,
}

/// The thresholds that apply to a region: its own rows, else the nearest region above it.
pub async fn thresholds_for(
    tx: &mut Tx,
    region_chain: &[String],
) -> Result<Vec<ThresholdRow>, DbError> {
    const SQL: &str = "SELECT region_code, class, min_fen, version FROM inclusion_thresholds WHERE region_code = $1 ORDER BY class";
    for code in region_chain {
        let rows = run!(tx, |c| sqlx::query_as::<_, ThresholdRow>(SQL)
            .bind(code)
            .fetch_all(c)
            .await)?;
        if !rows.is_empty() {
            return Ok(rows);
        }
    }
    Ok(vec![])
}

pub async fn upsert_threshold(
    tx: &mut Tx,
    region: &str,
    class: &str,
    min_fen: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO inclusion_thresholds (region_code, class, min_fen, version, updated_at) VALUES ($1, $2, $3, 1, $4)
        ON CONFLICT (region_code, class) DO UPDATE SET min_fen = excluded.min_fen,
        version = inclusion_thresholds.version + 1, updated_at = excluded.updated_at";
    run!(tx, |c| sqlx::query(SQL)
        .bind(region)
        .bind(class)
        .bind(min_fen)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
