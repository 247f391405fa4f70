//! Meetings (专题调度会, 现场办公会, 周碰头, 月调度会) and patrols (日巡查): the records whose
//! decisions and findings become items.

use crate::decode::{self, day, id_list};
use crate::{DbError, Tx, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::ids::{LeaderId, MeetingId, PatrolId, ProjectId};
use keyproj_domain::problem::{MeetingFields, PatrolFields, Source};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct MeetingRow {
    pub id: MeetingId,
    pub region_code: RegionCode,
    /// The meeting kind is the source tag its decisions carry.
    pub kind: Source,
    pub held_on: NaiveDate,
    pub place: String,
    pub chair_leader_id: Option<LeaderId>,
    pub attending_units: String,
    pub project_ids: Vec<ProjectId>,
    pub minutes: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub chair_name: Option<String>,
    /// Items the meeting assigned.
    pub item_count: i64,
}

#[derive(sqlx::FromRow)]
struct MeetingRaw {
    id: i64,
    region_code: String,
    kind: String,
    held_on: String,
    place: String,
    chair_leader_id: Option<i64>,
    attending_units: String,
    project_ids: String,
    minutes: String,
    created_by: String,
    created_at: DateTime<Utc>,
    chair_name: Option<String>,
    item_count: i64,
}

impl TryFrom<MeetingRaw> for MeetingRow {
    type Error = DbError;
    fn try_from(r: MeetingRaw) -> Result<MeetingRow, DbError> {
        Ok(MeetingRow {
            id: MeetingId(r.id),
            region_code: decode::region("meetings.region_code", &r.region_code)?,
            kind: decode::key("meetings.kind", &r.kind, Source::from_key)?,
            held_on: decode::date("meetings.held_on", &r.held_on)?,
            place: r.place,
            chair_leader_id: r.chair_leader_id.map(LeaderId),
            attending_units: r.attending_units,
            project_ids: decode::ids("meetings.project_ids", &r.project_ids)?,
            minutes: r.minutes,
            created_by: r.created_by,
            created_at: r.created_at,
            chair_name: r.chair_name,
            item_count: r.item_count,
        })
    }
}

const MEETING_SELECT: &str =
    "SELECT m.id, m.region_code, m.kind, m.held_on, m.place, m.chair_leader_id, m.attending_units,
    m.project_ids, m.minutes, m.created_by, m.created_at, l.name AS chair_name,
    (SELECT COUNT(*) FROM problem_items i WHERE i.meeting_id = m.id) AS item_count
    FROM meetings m LEFT JOIN leaders l ON l.id = m.chair_leader_id";

pub async fn insert_meeting(
    tx: &mut Tx,
    region: &RegionCode,
    m: &MeetingFields,
    by: &str,
    now: DateTime<Utc>,
) -> Result<MeetingId, DbError> {
    const SQL: &str = "INSERT INTO meetings (region_code, kind, held_on, place, chair_leader_id, attending_units, project_ids, minutes, created_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region.as_str())
        .bind(m.kind.key())
        .bind(day(m.held_on))
        .bind(&m.place)
        .bind(m.chair_leader_id.map(|l| l.get()))
        .bind(&m.attending_units)
        .bind(id_list(&m.project_ids))
        .bind(&m.minutes)
        .bind(by)
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok(MeetingId(id))
}

pub async fn get_meeting(tx: &mut Tx, id: MeetingId) -> Result<Option<MeetingRow>, DbError> {
    let sql = format!("{MEETING_SELECT} WHERE m.id = $1");
    run!(tx, |c| sqlx::query_as::<_, MeetingRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(MeetingRow::try_from)
    .transpose()
}

/// A page of a region's meetings (newest first), in a year or all, and the count.
pub async fn list_meetings(
    tx: &mut Tx,
    region: &RegionCode,
    year: Option<i32>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MeetingRow>, i64), DbError> {
    let (lo, hi) = region.subtree_range();
    let (from, to) = match year {
        Some(y) => (format!("{y}-01-01"), format!("{}-01-01", y + 1)),
        None => ("0000".into(), "9999".into()),
    };
    let sql = format!(
        "{MEETING_SELECT} WHERE m.region_code >= $1 AND m.region_code < $2 AND m.held_on >= $3 AND m.held_on < $4
         ORDER BY m.held_on DESC, m.id DESC LIMIT $5 OFFSET $6"
    );
    let rows = run!(tx, |c| sqlx::query_as::<_, MeetingRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .bind(limit)
    .bind(offset)
    .fetch_all(c)
    .await)?;
    const COUNT: &str = "SELECT COUNT(*) FROM meetings m WHERE m.region_code >= $1 AND m.region_code < $2 AND m.held_on >= $3 AND m.held_on < $4";
    let n = run!(tx, |c| sqlx::query_scalar::<_, i64>(COUNT)
        .bind(&lo)
        .bind(&hi)
        .bind(&from)
        .bind(&to)
        .fetch_one(c)
        .await)?;
    let rows = rows
        .into_iter()
        .map(MeetingRow::try_from)
        .collect::<Result<_, _>>()?;
    Ok((rows, n))
}

#[derive(Debug, Clone, Serialize)]
pub struct PatrolRow {
    pub id: PatrolId,
    pub region_code: RegionCode,
    pub patrol_on: NaiveDate,
    pub inspector: String,
    pub project_ids: Vec<ProjectId>,
    pub findings: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Items raised from its findings.
    pub item_count: i64,
}

#[derive(sqlx::FromRow)]
struct PatrolRaw {
    id: i64,
    region_code: String,
    patrol_on: String,
    inspector: String,
    project_ids: String,
    findings: String,
    created_by: String,
    created_at: DateTime<Utc>,
    item_count: i64,
}

impl TryFrom<PatrolRaw> for PatrolRow {
    type Error = DbError;
    fn try_from(r: PatrolRaw) -> Result<PatrolRow, DbError> {
        Ok(PatrolRow {
            id: PatrolId(r.id),
            region_code: decode::region("patrols.region_code", &r.region_code)?,
            patrol_on: decode::date("patrols.patrol_on", &r.patrol_on)?,
            inspector: r.inspector,
            project_ids: decode::ids("patrols.project_ids", &r.project_ids)?,
            findings: r.findings,
            created_by: r.created_by,
            created_at: r.created_at,
            item_count: r.item_count,
        })
    }
}

const PATROL_SELECT: &str = "SELECT t.id, t.region_code, t.patrol_on, t.inspector, t.project_ids, t.findings, t.created_by, t.created_at,
    (SELECT COUNT(*) FROM problem_items i WHERE i.patrol_id = t.id) AS item_count FROM patrols t";

pub async fn insert_patrol(
    tx: &mut Tx,
    region: &RegionCode,
    p: &PatrolFields,
    by: &str,
    now: DateTime<Utc>,
) -> Result<PatrolId, DbError> {
    const SQL: &str = "INSERT INTO patrols (region_code, patrol_on, inspector, project_ids, findings, created_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region.as_str())
        .bind(day(p.patrol_on))
        .bind(&p.inspector)
        .bind(id_list(&p.project_ids))
        .bind(&p.findings)
        .bind(by)
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok(PatrolId(id))
}

pub async fn get_patrol(tx: &mut Tx, id: PatrolId) -> Result<Option<PatrolRow>, DbError> {
    let sql = format!("{PATROL_SELECT} WHERE t.id = $1");
    run!(tx, |c| sqlx::query_as::<_, PatrolRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(PatrolRow::try_from)
    .transpose()
}

/// A page of a region's patrols (newest first) and the count.
pub async fn list_patrols(
    tx: &mut Tx,
    region: &RegionCode,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PatrolRow>, i64), DbError> {
    let (lo, hi) = region.subtree_range();
    let sql = format!(
        "{PATROL_SELECT} WHERE t.region_code >= $1 AND t.region_code < $2 ORDER BY t.patrol_on DESC, t.id DESC LIMIT $3 OFFSET $4"
    );
    let rows = run!(tx, |c| sqlx::query_as::<_, PatrolRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(limit)
    .bind(offset)
    .fetch_all(c)
    .await)?;
    const COUNT: &str =
        "SELECT COUNT(*) FROM patrols t WHERE t.region_code >= $1 AND t.region_code < $2";
    let n = run!(tx, |c| sqlx::query_scalar::<_, i64>(COUNT)
        .bind(&lo)
        .bind(&hi)
        .fetch_one(c)
        .await)?;
    let rows = rows
        .into_iter()
        .map(PatrolRow::try_from)
        .collect::<Result<_, _>>()?;
    Ok((rows, n))
}
