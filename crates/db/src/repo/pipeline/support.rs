//! 后扶: the support measures (帮扶措施) for operating projects, next to their problems on the
//! list.

use crate::decode::{self, day};
use crate::{DbError, Tx, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::ids::{ProjectId, SupportMeasureId, UnitId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureRow {
    pub id: SupportMeasureId,
    pub project_id: ProjectId,
    pub project_name: String,
    pub text: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub measure_on: NaiveDate,
    pub actor: String,
}

#[derive(sqlx::FromRow)]
struct MeasureRaw {
    id: i64,
    project_id: i64,
    project_name: String,
    text: String,
    unit_id: i64,
    unit_name: String,
    measure_on: String,
    actor: String,
}

pub struct NewMeasure<'a> {
    pub region: &'a RegionCode,
    pub project_id: ProjectId,
    pub text: &'a str,
    pub unit_id: UnitId,
    pub measure_on: NaiveDate,
    pub actor: &'a str,
}

pub async fn insert_measure(
    tx: &mut Tx,
    m: &NewMeasure<'_>,
    now: DateTime<Utc>,
) -> Result<SupportMeasureId, DbError> {
    const SQL: &str = "INSERT INTO support_measures (region_code, project_id, text, unit_id, measure_on, actor, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(m.region.as_str())
        .bind(m.project_id.get())
        .bind(m.text)
        .bind(m.unit_id.get())
        .bind(day(m.measure_on))
        .bind(m.actor)
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok(SupportMeasureId(id))
}

/// The measures of a region in a year, newest first.
pub async fn measures_in(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<MeasureRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT m.id, m.project_id, p.name AS project_name, m.text, m.unit_id, u.name AS unit_name, m.measure_on, m.actor
        FROM support_measures m JOIN projects p ON p.id = m.project_id JOIN units u ON u.id = m.unit_id
        WHERE m.region_code >= $1 AND m.region_code < $2 AND m.measure_on >= $3 AND m.measure_on < $4
        ORDER BY m.measure_on DESC, m.id DESC";
    run!(tx, |c| sqlx::query_as::<_, MeasureRaw>(SQL)
        .bind(&lo)
        .bind(&hi)
        .bind(format!("{year:04}-01-01"))
        .bind(format!("{:04}-01-01", year + 1))
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|r| {
        Ok(MeasureRow {
            id: SupportMeasureId(r.id),
            project_id: ProjectId(r.project_id),
            project_name: r.project_name,
            text: r.text,
            unit_id: UnitId(r.unit_id),
            unit_name: r.unit_name,
            measure_on: decode::date("support_measures.measure_on", &r.measure_on)?,
            actor: r.actor,
        })
    })
    .collect()
}
