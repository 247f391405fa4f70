//! What supervision reads: the holiday calendar of a region and its supervision rules (JSON of
//! [`SupervisionRules`], versioned per region and year).

use crate::decode::{self, day};
use crate::{DbError, Tx, direct, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::problem::{HolidayKind, SupervisionRules};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HolidayRow {
    pub day: NaiveDate,
    pub kind: HolidayKind,
    pub name: String,
}

#[derive(sqlx::FromRow)]
struct HolidayRaw {
    day: String,
    kind: String,
    name: String,
}

fn decode_holidays(raw: Vec<HolidayRaw>) -> Result<Vec<HolidayRow>, DbError> {
    raw.into_iter()
        .map(|r| {
            Ok(HolidayRow {
                day: decode::date("holidays.day", &r.day)?,
                kind: decode::key("holidays.kind", &r.kind, HolidayKind::from_key)?,
                name: r.name,
            })
        })
        .collect()
}

/// The calendar rows of a region's year.
pub async fn holidays(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<HolidayRow>, DbError> {
    const SQL: &str = "SELECT day, kind, name FROM holidays WHERE region_code = $1 AND day >= $2 AND day < $3 ORDER BY day";
    let raw = run!(tx, |c| sqlx::query_as::<_, HolidayRaw>(SQL)
        .bind(region.as_str())
        .bind(format!("{year}-01-01"))
        .bind(format!("{}-01-01", year + 1))
        .fetch_all(c)
        .await)?;
    decode_holidays(raw)
}

/// Holidays and makeup days from `from` on (deadlines may run into the next year).
pub async fn holidays_from(
    tx: &mut Tx,
    region: &RegionCode,
    from: NaiveDate,
) -> Result<Vec<HolidayRow>, DbError> {
    const SQL: &str =
        "SELECT day, kind, name FROM holidays WHERE region_code = $1 AND day >= $2 ORDER BY day";
    let raw = run!(tx, |c| sqlx::query_as::<_, HolidayRaw>(SQL)
        .bind(region.as_str())
        .bind(day(from))
        .fetch_all(c)
        .await)?;
    decode_holidays(raw)
}

/// Replaces a year's calendar of a region.
pub async fn replace_holidays(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    rows: &[HolidayRow],
) -> Result<(), DbError> {
    const DEL: &str = "DELETE FROM holidays WHERE region_code = $1 AND day >= $2 AND day < $3";
    run!(tx, |c| sqlx::query(DEL)
        .bind(region.as_str())
        .bind(format!("{year}-01-01"))
        .bind(format!("{}-01-01", year + 1))
        .execute(c)
        .await
        .map(|_| ()))?;
    const INS: &str = "INSERT INTO holidays (region_code, day, kind, name) VALUES ($1, $2, $3, $4)";
    for r in rows {
        run!(tx, |c| sqlx::query(INS)
            .bind(region.as_str())
            .bind(day(r.day))
            .bind(r.kind.key())
            .bind(&r.name)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// The rules stored for any of `regions` (a region and those above it, at most three) and the
/// year, in one query: (region, rules, version) per region that has them, in no order.
pub async fn rules_of_any(
    tx: &mut Tx,
    regions: &[RegionCode],
    year: i32,
) -> Result<Vec<(String, SupervisionRules, i64)>, DbError> {
    const SQL: &str = "SELECT region_code, rules, version FROM supervision_rules
        WHERE year = $1 AND region_code IN ($2, $3, $4)";
    let Some(last) = regions.last() else {
        return Ok(vec![]);
    };
    // a county, its city and its province; fewer are padded with the last one
    let code = |i: usize| regions.get(i).unwrap_or(last).as_str();
    let rows = if let Some(c) = tx.direct_write().await? {
        let year = year as i64;
        direct::rows_on(c, SQL, &[&year, &code(0), &code(1), &code(2)], |r| {
            Ok((
                direct::at(r, 0, "region_code")?,
                direct::at(r, 1, "rules")?,
                direct::at(r, 2, "version")?,
            ))
        })?
    } else {
        run!(tx, |c| sqlx::query_as::<_, (String, String, i64)>(SQL)
            .bind(year as i64)
            .bind(code(0))
            .bind(code(1))
            .bind(code(2))
            .fetch_all(c)
            .await)?
    };
    rows.into_iter()
        .map(|(region, json, version)| {
            serde_json::from_str(&json)
                .map(|r| (region, r, version))
                .map_err(|_| DbError::Decode("supervision_rules.rules", json))
        })
        .collect()
}

/// Saves rules if `version` is current (0 = none stored yet); false on a stale version.
pub async fn save_rules(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    rules: &SupervisionRules,
    version: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let json = serde_json::to_string(rules)
        .map_err(|_| DbError::Decode("supervision_rules.rules", format!("{rules:?}")))?;
    let n = if version == 0 {
        const SQL: &str = "INSERT INTO supervision_rules (region_code, year, rules, version, updated_by, updated_at)
            VALUES ($1, $2, $3, 1, $4, $5) ON CONFLICT (region_code, year) DO NOTHING";
        run!(tx, |c| sqlx::query(SQL)
            .bind(region.as_str())
            .bind(year as i64)
            .bind(&json)
            .bind(by)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?
    } else {
        const SQL: &str = "UPDATE supervision_rules SET rules = $3, version = version + 1, updated_by = $5, updated_at = $6
            WHERE region_code = $1 AND year = $2 AND version = $4";
        run!(tx, |c| sqlx::query(SQL)
            .bind(region.as_str())
            .bind(year as i64)
            .bind(&json)
            .bind(version)
            .bind(by)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?
    };
    Ok(n == 1)
}
