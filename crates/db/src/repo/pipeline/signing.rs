//! Signing events and signed projects (招商签约).

use crate::decode::{self, day};
use crate::{DbError, Tx, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::ids::{ProjectId, SignedId, SigningEventId};
use keyproj_domain::pipeline::{EventFields, SignedFields, SigningLevel};
use keyproj_domain::project::{Industry, Stage};
use keyproj_domain::{Money, RegionCode, ReportMonth};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRow {
    pub id: SigningEventId,
    pub region_code: RegionCode,
    pub name: String,
    pub held_on: NaiveDate,
    pub place: String,
    pub organiser: String,
    pub level: SigningLevel,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct EventRaw {
    id: i64,
    region_code: String,
    name: String,
    held_on: String,
    place: String,
    organiser: String,
    level: String,
    version: i64,
}

impl TryFrom<EventRaw> for EventRow {
    type Error = DbError;
    fn try_from(r: EventRaw) -> Result<EventRow, DbError> {
        Ok(EventRow {
            id: SigningEventId(r.id),
            region_code: decode::region("signing_events.region_code", &r.region_code)?,
            name: r.name,
            held_on: decode::date("signing_events.held_on", &r.held_on)?,
            place: r.place,
            organiser: r.organiser,
            level: decode::key("signing_events.level", &r.level, SigningLevel::from_key)?,
            version: r.version,
        })
    }
}

const EVENT_COLS: &str = "id, region_code, name, held_on, place, organiser, level, version";

pub async fn insert_event(
    tx: &mut Tx,
    region: &RegionCode,
    f: &EventFields,
    now: DateTime<Utc>,
) -> Result<SigningEventId, DbError> {
    const SQL: &str = "INSERT INTO signing_events (region_code, name, held_on, place, organiser, level, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region.as_str())
        .bind(&f.name)
        .bind(day(f.held_on))
        .bind(&f.place)
        .bind(&f.organiser)
        .bind(f.level.key())
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok(SigningEventId(id))
}

pub async fn get_event(tx: &mut Tx, id: SigningEventId) -> Result<Option<EventRow>, DbError> {
    let sql = format!("SELECT {EVENT_COLS} FROM signing_events WHERE id = $1");
    run!(tx, |c| sqlx::query_as::<_, EventRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(EventRow::try_from)
    .transpose()
}

/// A region's event of this name on this day, if any (imports name events so).
pub async fn find_event(
    tx: &mut Tx,
    region: &RegionCode,
    name: &str,
    held_on: NaiveDate,
) -> Result<Option<EventRow>, DbError> {
    let sql = format!(
        "SELECT {EVENT_COLS} FROM signing_events WHERE region_code = $1 AND name = $2 AND held_on = $3 ORDER BY id LIMIT 1"
    );
    run!(tx, |c| sqlx::query_as::<_, EventRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(region.as_str())
    .bind(name)
    .bind(day(held_on))
    .fetch_optional(c)
    .await)?
    .map(EventRow::try_from)
    .transpose()
}

/// The events of a region and below, newest first.
pub async fn list_events(tx: &mut Tx, region: &RegionCode) -> Result<Vec<EventRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    let sql = format!(
        "SELECT {EVENT_COLS} FROM signing_events WHERE region_code >= $1 AND region_code < $2 ORDER BY held_on DESC, id DESC"
    );
    run!(tx, |c| sqlx::query_as::<_, EventRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(&lo)
    .bind(&hi)
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(EventRow::try_from)
    .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedRow {
    pub id: SignedId,
    pub region_code: RegionCode,
    pub event_id: Option<SigningEventId>,
    pub name: String,
    pub investor: String,
    pub investor_origin: String,
    pub contract_no: String,
    pub contract_on: NaiveDate,
    pub agreed_investment: Money,
    pub industry: Industry,
    pub expected_start: Option<ReportMonth>,
    /// The project of the library it became (at or above the threshold).
    pub project_id: Option<ProjectId>,
    /// Whether that project has started (an actual start month): it has 落地.
    pub started: bool,
    /// That project's stage now.
    pub stage: Option<Stage>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct SignedRaw {
    id: i64,
    region_code: String,
    event_id: Option<i64>,
    name: String,
    investor: String,
    investor_origin: String,
    contract_no: String,
    contract_on: String,
    agreed_investment_fen: i64,
    industry: String,
    expected_start: Option<String>,
    project_id: Option<i64>,
    started: bool,
    stage: Option<String>,
    version: i64,
}

impl TryFrom<SignedRaw> for SignedRow {
    type Error = DbError;
    fn try_from(r: SignedRaw) -> Result<SignedRow, DbError> {
        Ok(SignedRow {
            id: SignedId(r.id),
            region_code: decode::region("signed_projects.region_code", &r.region_code)?,
            event_id: r.event_id.map(SigningEventId),
            name: r.name,
            investor: r.investor,
            investor_origin: r.investor_origin,
            contract_no: r.contract_no,
            contract_on: decode::date("signed_projects.contract_on", &r.contract_on)?,
            agreed_investment: Money::from_fen(r.agreed_investment_fen),
            industry: decode::key("signed_projects.industry", &r.industry, Industry::from_key)?,
            expected_start: decode::opt_month("signed_projects.expected_start", r.expected_start)?,
            project_id: r.project_id.map(ProjectId),
            started: r.started,
            stage: decode::opt_key(
                "projects.stage",
                r.stage.as_deref().unwrap_or(""),
                Stage::from_key,
            )?,
            version: r.version,
        })
    }
}

/// Columns of a signed project, with whether its project has started (`s`: signed_projects,
/// `p`: its project, LEFT JOINed).
const SIGNED_COLS: &str = "s.id, s.region_code, s.event_id, s.name, s.investor, s.investor_origin, s.contract_no, s.contract_on,
    s.agreed_investment_fen, s.industry, s.expected_start, s.project_id,
    CASE WHEN p.actual_start IS NULL THEN FALSE ELSE TRUE END AS started, p.stage, s.version";
const SIGNED_FROM: &str = "signed_projects s LEFT JOIN projects p ON p.id = s.project_id";

/// A signed project as written.
pub struct NewSigned<'a> {
    pub region: &'a RegionCode,
    pub event_id: Option<SigningEventId>,
    pub fields: &'a SignedFields,
    pub project_id: Option<ProjectId>,
}

/// Writes a signed project; a contract number the region already has is `Duplicate`.
pub async fn insert_signed(
    tx: &mut Tx,
    n: &NewSigned<'_>,
    now: DateTime<Utc>,
) -> Result<SignedId, DbError> {
    const SQL: &str = "INSERT INTO signed_projects (region_code, event_id, name, investor, investor_origin, contract_no, contract_on,
        agreed_investment_fen, industry, expected_start, project_id, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12) RETURNING id";
    let f = n.fields;
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.region.as_str())
        .bind(n.event_id.map(|e| e.get()))
        .bind(&f.name)
        .bind(&f.investor)
        .bind(&f.investor_origin)
        .bind(&f.contract_no)
        .bind(day(f.contract_on))
        .bind(f.agreed_investment.fen())
        .bind(f.industry.key())
        .bind(f.expected_start.map(|m| m.to_string()))
        .bind(n.project_id.map(|p| p.get()))
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok(SignedId(id))
}

/// The signed project of a region with this contract number (letter case aside), if any.
pub async fn find_by_contract(
    tx: &mut Tx,
    region: &RegionCode,
    contract_no: &str,
) -> Result<Option<SignedRow>, DbError> {
    let sql = format!(
        "SELECT {SIGNED_COLS} FROM {SIGNED_FROM} WHERE s.region_code = $1 AND UPPER(s.contract_no) = UPPER($2)"
    );
    run!(tx, |c| sqlx::query_as::<_, SignedRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(region.as_str())
    .bind(contract_no)
    .fetch_optional(c)
    .await)?
    .map(SignedRow::try_from)
    .transpose()
}

/// The signed projects of a region and below (of one event when given), by contract date.
pub async fn list_signed(
    tx: &mut Tx,
    region: &RegionCode,
    event: Option<SigningEventId>,
) -> Result<Vec<SignedRow>, DbError> {
    let (lo, hi) = region.subtree_range();
    let sql = format!(
        "SELECT {SIGNED_COLS} FROM {SIGNED_FROM} WHERE s.region_code >= $1 AND s.region_code < $2
         AND ($3 = 0 OR s.event_id = $3) ORDER BY s.contract_on, s.id"
    );
    run!(tx, |c| sqlx::query_as::<_, SignedRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(event.map(|e| e.get()).unwrap_or(0))
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(SignedRow::try_from)
    .collect()
}

/// A signed project by id.
pub async fn get_signed(tx: &mut Tx, id: SignedId) -> Result<Option<SignedRow>, DbError> {
    let sql = format!("SELECT {SIGNED_COLS} FROM {SIGNED_FROM} WHERE s.id = $1");
    run!(tx, |c| sqlx::query_as::<_, SignedRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id.get())
    .fetch_optional(c)
    .await)?
    .map(SignedRow::try_from)
    .transpose()
}

/// Sets the agreed investment (and the project it entered as) if the row is still at `version`;
/// false when someone changed it meanwhile.
pub async fn update_agreed(
    tx: &mut Tx,
    id: SignedId,
    agreed: Money,
    project_id: Option<ProjectId>,
    version: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE signed_projects SET agreed_investment_fen = $1, project_id = $2, version = version + 1, updated_at = $3
        WHERE id = $4 AND version = $5";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(agreed.fen())
        .bind(project_id.map(|p| p.get()))
        .bind(now)
        .bind(id.get())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
