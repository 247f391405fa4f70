//! 部门整体支出绩效自评: the department's ledger of a year, one checked document per region and
//! year, changed only at the version read.

use crate::decode;
use crate::{DbError, Tx, run};
use chrono::{DateTime, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::evaluation::Ledger;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    pub id: i64,
    pub region_code: RegionCode,
    pub year: i32,
    pub ledger: Ledger,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

type LedgerRaw = (i64, String, i64, String, i64, String, DateTime<Utc>);

fn row_of(r: LedgerRaw) -> Result<LedgerRow, DbError> {
    let (id, region, year, ledger, version, updated_by, updated_at) = r;
    Ok(LedgerRow {
        id,
        region_code: decode::region("evaluation_ledgers.region_code", &region)?,
        year: year as i32,
        ledger: serde_json::from_str(&ledger).map_err(|_| {
            DbError::Decode(
                "evaluation_ledgers.ledger",
                ledger.chars().take(80).collect(),
            )
        })?,
        version,
        updated_by,
        updated_at,
    })
}

pub async fn get(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Option<LedgerRow>, DbError> {
    const SQL: &str = "SELECT id, region_code, year, ledger, version, updated_by, updated_at
        FROM evaluation_ledgers WHERE region_code = $1 AND year = $2";
    run!(tx, |c| sqlx::query_as::<_, LedgerRaw>(SQL)
        .bind(region.as_str())
        .bind(year as i64)
        .fetch_optional(c)
        .await)?
    .map(row_of)
    .transpose()
}

fn json(l: &Ledger) -> String {
    serde_json::to_string(l).unwrap_or_else(|_| "{}".into())
}

/// The first ledger of a region's year.
pub async fn insert(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    ledger: &Ledger,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO evaluation_ledgers (region_code, year, ledger, version, updated_by, created_at, updated_at)
        VALUES ($1, $2, $3, 1, $4, $5, $5) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region.as_str())
        .bind(year as i64)
        .bind(json(ledger))
        .bind(by)
        .bind(now)
        .fetch_one(c)
        .await)
    .map_err(|e| DbError::from(e).on_duplicate("该年度的账表已由他人建立，请刷新后修改"))
}

/// Changes the ledger still at `version`: false when someone changed it meanwhile.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    version: i64,
    ledger: &Ledger,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE evaluation_ledgers SET ledger = $1, version = version + 1, updated_by = $2, updated_at = $3
        WHERE id = $4 AND version = $5";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(json(ledger))
        .bind(by)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(n == 1)
}
