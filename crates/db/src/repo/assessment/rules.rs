//! A region's assessment rules per year: one editable draft, and adopted versions the database
//! keeps frozen. Tables are stored as JSON of the domain's `Table` (checked before writing and
//! read back into it).

use crate::decode;
use crate::{DbError, Tx, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::assessment::Table;
use serde::Serialize;

fn tables_of(column: &'static str, s: &str) -> Result<Vec<Table>, DbError> {
    serde_json::from_str(s).map_err(|_| DbError::Decode(column, s.chars().take(80).collect()))
}

fn tables_json(t: &[Table]) -> String {
    serde_json::to_string(t).unwrap_or_else(|_| "[]".into())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftRow {
    pub id: i64,
    pub region_code: RegionCode,
    pub year: i32,
    pub title: String,
    pub tables: Vec<Table>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct DraftRaw {
    id: i64,
    region_code: String,
    year: i64,
    title: String,
    tables: String,
    version: i64,
}

impl TryFrom<DraftRaw> for DraftRow {
    type Error = DbError;
    fn try_from(r: DraftRaw) -> Result<DraftRow, DbError> {
        Ok(DraftRow {
            id: r.id,
            region_code: decode::region("assessment_drafts.region_code", &r.region_code)?,
            year: i32::try_from(r.year)
                .map_err(|_| DbError::Decode("assessment_drafts.year", r.year.to_string()))?,
            title: r.title,
            tables: tables_of("assessment_drafts.tables", &r.tables)?,
            version: r.version,
        })
    }
}

pub async fn draft(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Option<DraftRow>, DbError> {
    const SQL: &str = "SELECT id, region_code, year, title, tables, version FROM assessment_drafts
        WHERE region_code = $1 AND year = $2";
    run!(tx, |c| sqlx::query_as::<_, DraftRaw>(SQL)
        .bind(region.as_str())
        .bind(year as i64)
        .fetch_optional(c)
        .await)?
    .map(DraftRow::try_from)
    .transpose()
}

/// Writes the draft of a year: created when there is none (`version` None), changed when it is
/// still at `version`; false when someone changed or created it meanwhile.
pub async fn save_draft(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    title: &str,
    tables: &[Table],
    version: Option<i64>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let json = tables_json(tables);
    match version {
        None => {
            const SQL: &str = "INSERT INTO assessment_drafts (region_code, year, title, tables, version, created_at, updated_at)
                VALUES ($1, $2, $3, $4, 1, $5, $5)";
            match run!(tx, |c| sqlx::query(SQL)
                .bind(region.as_str())
                .bind(year as i64)
                .bind(title)
                .bind(&json)
                .bind(now)
                .execute(c)
                .await
                .map(|_| ()))
            .map_err(DbError::from)
            {
                Ok(()) => Ok(true),
                Err(DbError::Duplicate(_)) => Ok(false),
                Err(e) => Err(e),
            }
        }
        Some(v) => {
            const SQL: &str = "UPDATE assessment_drafts SET title = $1, tables = $2, version = version + 1, updated_at = $3
                WHERE region_code = $4 AND year = $5 AND version = $6";
            let n = run!(tx, |c| sqlx::query(SQL)
                .bind(title)
                .bind(&json)
                .bind(now)
                .bind(region.as_str())
                .bind(year as i64)
                .bind(v)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            Ok(n == 1)
        }
    }
}

pub async fn delete_draft(tx: &mut Tx, region: &RegionCode, year: i32) -> Result<(), DbError> {
    const SQL: &str = "DELETE FROM assessment_drafts WHERE region_code = $1 AND year = $2";
    run!(tx, |c| sqlx::query(SQL)
        .bind(region.as_str())
        .bind(year as i64)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdoptedRow {
    pub id: i64,
    pub region_code: RegionCode,
    pub year: i32,
    pub version_no: i64,
    pub title: String,
    pub doc_number: String,
    pub adopted_on: NaiveDate,
    pub tables: Vec<Table>,
    pub reason: String,
    pub adopted_by: String,
}

#[derive(sqlx::FromRow)]
struct AdoptedRaw {
    id: i64,
    region_code: String,
    year: i64,
    version_no: i64,
    title: String,
    doc_number: String,
    adopted_on: String,
    tables: String,
    reason: String,
    adopted_by: String,
}

impl TryFrom<AdoptedRaw> for AdoptedRow {
    type Error = DbError;
    fn try_from(r: AdoptedRaw) -> Result<AdoptedRow, DbError> {
        Ok(AdoptedRow {
            id: r.id,
            region_code: decode::region("assessment_rules.region_code", &r.region_code)?,
            year: i32::try_from(r.year)
                .map_err(|_| DbError::Decode("assessment_rules.year", r.year.to_string()))?,
            version_no: r.version_no,
            title: r.title,
            doc_number: r.doc_number,
            adopted_on: decode::date("assessment_rules.adopted_on", &r.adopted_on)?,
            tables: tables_of("assessment_rules.tables", &r.tables)?,
            reason: r.reason,
            adopted_by: r.adopted_by,
        })
    }
}

/// The adopted versions of a year, the latest first.
pub async fn adopted(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<AdoptedRow>, DbError> {
    const SQL: &str = "SELECT id, region_code, year, version_no, title, doc_number, adopted_on, tables, reason, adopted_by
        FROM assessment_rules WHERE region_code = $1 AND year = $2 ORDER BY version_no DESC";
    run!(tx, |c| sqlx::query_as::<_, AdoptedRaw>(SQL)
        .bind(region.as_str())
        .bind(year as i64)
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(AdoptedRow::try_from)
    .collect()
}

/// An adopted version as written.
pub struct NewAdopted<'a> {
    pub region: &'a RegionCode,
    pub year: i32,
    pub version_no: i64,
    pub title: &'a str,
    pub doc_number: &'a str,
    pub adopted_on: NaiveDate,
    pub tables: &'a [Table],
    pub reason: &'a str,
    pub adopted_by: &'a str,
}

/// Writes an adopted version; the same number twice (two adoptions at once) is `Duplicate`.
pub async fn insert_adopted(
    tx: &mut Tx,
    n: &NewAdopted<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO assessment_rules (region_code, year, version_no, title, doc_number, adopted_on, tables, reason, adopted_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.region.as_str())
        .bind(n.year as i64)
        .bind(n.version_no)
        .bind(n.title)
        .bind(n.doc_number)
        .bind(decode::day(n.adopted_on))
        .bind(tables_json(n.tables))
        .bind(n.reason)
        .bind(n.adopted_by)
        .bind(now)
        .fetch_one(c)
        .await)?)
}
