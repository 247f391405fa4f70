//! Scoring rounds: a round per period under one adopted 考核办法 version, each unit's scored lines
//! (JSON of the domain's `Line`, the drill-down kept as computed), the assessment group's typed
//! entries, units' objections with their decisions, and the numbered notices (frozen).

use crate::decode;
use crate::{DbError, Tx, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::assessment::AssessedKind;
use keyproj_domain::assessment::scoring::{Line, ObjectionState, Period, RoundState};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundRow {
    pub id: i64,
    pub region_code: RegionCode,
    pub year: i32,
    pub period: Period,
    pub rules_id: i64,
    pub state: RoundState,
    pub opened_on: Option<NaiveDate>,
    pub objection_until: Option<NaiveDate>,
    pub corrects_round_id: Option<i64>,
    pub computed_by: String,
    pub computed_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct RoundRaw {
    id: i64,
    region_code: String,
    year: i64,
    period: String,
    rules_id: i64,
    state: String,
    opened_on: Option<String>,
    objection_until: Option<String>,
    corrects_round_id: Option<i64>,
    computed_by: String,
    computed_at: DateTime<Utc>,
    version: i64,
}

impl TryFrom<RoundRaw> for RoundRow {
    type Error = DbError;
    fn try_from(r: RoundRaw) -> Result<RoundRow, DbError> {
        Ok(RoundRow {
            id: r.id,
            region_code: decode::region("assessment_rounds.region_code", &r.region_code)?,
            year: i32::try_from(r.year)
                .map_err(|_| DbError::Decode("assessment_rounds.year", r.year.to_string()))?,
            period: Period::parse("period", &r.period)
                .map_err(|_| DbError::Decode("assessment_rounds.period", r.period.clone()))?,
            rules_id: r.rules_id,
            state: decode::key("assessment_rounds.state", &r.state, RoundState::from_key)?,
            opened_on: decode::opt_date("assessment_rounds.opened_on", r.opened_on)?,
            objection_until: decode::opt_date(
                "assessment_rounds.objection_until",
                r.objection_until,
            )?,
            corrects_round_id: r.corrects_round_id,
            computed_by: r.computed_by,
            computed_at: r.computed_at,
            version: r.version,
        })
    }
}

const ROUND_COLUMNS: &str = "id, region_code, year, period, rules_id, state, opened_on, objection_until, corrects_round_id, computed_by, computed_at, version";

pub async fn round(tx: &mut Tx, id: i64) -> Result<Option<RoundRow>, DbError> {
    let sql = format!("SELECT {ROUND_COLUMNS} FROM assessment_rounds WHERE id = $1");
    run!(tx, |c| sqlx::query_as::<_, RoundRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(c)
    .await)?
    .map(RoundRow::try_from)
    .transpose()
}

/// The rounds of a year, the latest first.
pub async fn rounds(tx: &mut Tx, region: &RegionCode, year: i32) -> Result<Vec<RoundRow>, DbError> {
    let sql = format!(
        "SELECT {ROUND_COLUMNS} FROM assessment_rounds WHERE region_code = $1 AND year = $2 ORDER BY id DESC"
    );
    run!(tx, |c| sqlx::query_as::<_, RoundRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(region.as_str())
    .bind(year as i64)
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(RoundRow::try_from)
    .collect()
}

pub struct NewRound<'a> {
    pub region: &'a RegionCode,
    pub period: Period,
    pub rules_id: i64,
    pub corrects_round_id: Option<i64>,
    pub computed_by: &'a str,
}

pub async fn insert_round(
    tx: &mut Tx,
    n: &NewRound<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO assessment_rounds (region_code, year, period, rules_id, state, corrects_round_id, computed_by, computed_at, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $8, $8) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.region.as_str())
        .bind(n.period.year as i64)
        .bind(n.period.key())
        .bind(n.rules_id)
        .bind(RoundState::Draft.key())
        .bind(n.corrects_round_id)
        .bind(n.computed_by)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

/// Moves a round still at `version`: false when someone changed it meanwhile.
pub async fn update_round(
    tx: &mut Tx,
    r: &RoundRow,
    recomputed_by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str =
        "UPDATE assessment_rounds SET state = $1, opened_on = $2, objection_until = $3,
            computed_by = CASE WHEN $4 = '' THEN computed_by ELSE $4 END,
            computed_at = CASE WHEN $4 = '' THEN computed_at ELSE $5 END,
            version = version + 1, updated_at = $5
        WHERE id = $6 AND version = $7";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(r.state.key())
        .bind(decode::opt_day(r.opened_on))
        .bind(decode::opt_day(r.objection_until))
        .bind(recomputed_by.unwrap_or(""))
        .bind(now)
        .bind(r.id)
        .bind(r.version)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(n == 1)
}

/// Moves a draft round onto the version in force (computed again under it).
pub async fn set_rules(tx: &mut Tx, round: i64, rules_id: i64) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE assessment_rounds SET rules_id = $1 WHERE id = $2 AND state = 'draft'";
    run!(tx, |c| sqlx::query(SQL)
        .bind(rules_id)
        .bind(round)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoreRow {
    pub id: i64,
    pub kind: AssessedKind,
    pub unit_id: i64,
    pub unit_name: String,
    pub total: i64,
    pub lines: Vec<Line>,
}

type ScoreRaw = (i64, String, i64, String, i64, String);

fn score_of(r: ScoreRaw) -> Result<ScoreRow, DbError> {
    let (id, kind, unit_id, unit_name, total, lines) = r;
    Ok(ScoreRow {
        id,
        kind: decode::key("assessment_scores.kind", &kind, AssessedKind::from_key)?,
        unit_id,
        unit_name,
        total,
        lines: serde_json::from_str(&lines).map_err(|_| {
            DbError::Decode("assessment_scores.lines", lines.chars().take(80).collect())
        })?,
    })
}

/// A round's scores (every kind, or one unit's), in the order units are listed.
pub async fn scores(tx: &mut Tx, round: i64, unit: Option<i64>) -> Result<Vec<ScoreRow>, DbError> {
    const SQL: &str =
        "SELECT s.id, s.kind, s.unit_id, u.name, s.total, s.lines FROM assessment_scores s
        JOIN units u ON u.id = s.unit_id WHERE s.round_id = $1 AND ($2 = 0 OR s.unit_id = $2)
        ORDER BY s.kind, u.sort_order, u.id";
    run!(tx, |c| sqlx::query_as::<_, ScoreRaw>(SQL)
        .bind(round)
        .bind(unit.unwrap_or(0))
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(score_of)
    .collect()
}

/// Drops a draft round's scores before they are computed again.
pub async fn delete_scores(tx: &mut Tx, round: i64) -> Result<(), DbError> {
    const SQL: &str = "DELETE FROM assessment_scores WHERE round_id = $1";
    run!(tx, |c| sqlx::query(SQL)
        .bind(round)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn insert_score(
    tx: &mut Tx,
    round: i64,
    kind: AssessedKind,
    unit: i64,
    total: i64,
    lines: &[Line],
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO assessment_scores (round_id, kind, unit_id, total, lines) VALUES ($1, $2, $3, $4, $5)";
    let json = serde_json::to_string(lines).unwrap_or_else(|_| "[]".into());
    run!(tx, |c| sqlx::query(SQL)
        .bind(round)
        .bind(kind.key())
        .bind(unit)
        .bind(total)
        .bind(&json)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn update_score(tx: &mut Tx, id: i64, total: i64, lines: &[Line]) -> Result<(), DbError> {
    const SQL: &str = "UPDATE assessment_scores SET total = $1, lines = $2 WHERE id = $3";
    let json = serde_json::to_string(lines).unwrap_or_else(|_| "[]".into());
    run!(tx, |c| sqlx::query(SQL)
        .bind(total)
        .bind(&json)
        .bind(id)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryRow {
    pub id: i64,
    pub kind: AssessedKind,
    pub unit_id: i64,
    pub indicator_no: usize,
    pub value: i64,
    pub reason: String,
    pub evidence: String,
    pub entered_by: String,
}

pub async fn entries(tx: &mut Tx, round: i64) -> Result<Vec<EntryRow>, DbError> {
    type Raw = (i64, String, i64, i64, i64, String, String, String);
    const SQL: &str = "SELECT id, kind, unit_id, indicator_no, value, reason, evidence, entered_by
        FROM assessment_entries WHERE round_id = $1 ORDER BY id";
    run!(tx, |c| sqlx::query_as::<_, Raw>(SQL)
        .bind(round)
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(
        |(id, kind, unit_id, n, value, reason, evidence, entered_by)| {
            Ok(EntryRow {
                id,
                kind: decode::key("assessment_entries.kind", &kind, AssessedKind::from_key)?,
                unit_id,
                indicator_no: usize::try_from(n).map_err(|_| {
                    DbError::Decode("assessment_entries.indicator_no", n.to_string())
                })?,
                value,
                reason,
                evidence,
                entered_by,
            })
        },
    )
    .collect()
}

pub struct NewEntry<'a> {
    pub round: i64,
    pub kind: AssessedKind,
    pub unit_id: i64,
    pub indicator_no: usize,
    pub value: i64,
    pub reason: &'a str,
    pub evidence: &'a str,
    pub entered_by: &'a str,
}

/// Writes an entry, replacing the line's earlier one; returns its id.
pub async fn put_entry(tx: &mut Tx, n: &NewEntry<'_>, now: DateTime<Utc>) -> Result<i64, DbError> {
    const DEL: &str = "DELETE FROM assessment_entries WHERE round_id = $1 AND kind = $2 AND unit_id = $3 AND indicator_no = $4";
    run!(tx, |c| sqlx::query(DEL)
        .bind(n.round)
        .bind(n.kind.key())
        .bind(n.unit_id)
        .bind(n.indicator_no as i64)
        .execute(c)
        .await
        .map(|_| ()))?;
    const SQL: &str = "INSERT INTO assessment_entries (round_id, kind, unit_id, indicator_no, value, reason, evidence, entered_by, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.round)
        .bind(n.kind.key())
        .bind(n.unit_id)
        .bind(n.indicator_no as i64)
        .bind(n.value)
        .bind(n.reason)
        .bind(n.evidence)
        .bind(n.entered_by)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectionRow {
    pub id: i64,
    pub round_id: i64,
    pub kind: AssessedKind,
    pub unit_id: i64,
    pub unit_name: String,
    pub indicator_no: usize,
    pub reason: String,
    pub raised_by: String,
    pub raised_at: DateTime<Utc>,
    pub state: ObjectionState,
    pub points: Option<i64>,
    pub decision: String,
    pub decided_by: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct ObjectionRaw {
    id: i64,
    round_id: i64,
    kind: String,
    unit_id: i64,
    unit_name: String,
    indicator_no: i64,
    reason: String,
    raised_by: String,
    raised_at: DateTime<Utc>,
    state: String,
    points: Option<i64>,
    decision: String,
    decided_by: String,
    decided_at: Option<DateTime<Utc>>,
    version: i64,
}

impl TryFrom<ObjectionRaw> for ObjectionRow {
    type Error = DbError;
    fn try_from(r: ObjectionRaw) -> Result<ObjectionRow, DbError> {
        Ok(ObjectionRow {
            id: r.id,
            round_id: r.round_id,
            kind: decode::key(
                "assessment_objections.kind",
                &r.kind,
                AssessedKind::from_key,
            )?,
            unit_id: r.unit_id,
            unit_name: r.unit_name,
            indicator_no: usize::try_from(r.indicator_no).map_err(|_| {
                DbError::Decode(
                    "assessment_objections.indicator_no",
                    r.indicator_no.to_string(),
                )
            })?,
            reason: r.reason,
            raised_by: r.raised_by,
            raised_at: r.raised_at,
            state: decode::key(
                "assessment_objections.state",
                &r.state,
                ObjectionState::from_key,
            )?,
            points: r.points,
            decision: r.decision,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            version: r.version,
        })
    }
}

const OBJECTION_SELECT: &str = "SELECT o.id, o.round_id, o.kind, o.unit_id, u.name AS unit_name, o.indicator_no, o.reason, o.raised_by, o.raised_at,
        o.state, o.points, o.decision, o.decided_by, o.decided_at, o.version
    FROM assessment_objections o JOIN units u ON u.id = o.unit_id";

/// A round's objections (or one unit's), in the order raised.
pub async fn objections(
    tx: &mut Tx,
    round: i64,
    unit: Option<i64>,
) -> Result<Vec<ObjectionRow>, DbError> {
    let sql = format!(
        "{OBJECTION_SELECT} WHERE o.round_id = $1 AND ($2 = 0 OR o.unit_id = $2) ORDER BY o.id"
    );
    run!(tx, |c| sqlx::query_as::<_, ObjectionRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(round)
    .bind(unit.unwrap_or(0))
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(ObjectionRow::try_from)
    .collect()
}

pub async fn objection(tx: &mut Tx, id: i64) -> Result<Option<ObjectionRow>, DbError> {
    let sql = format!("{OBJECTION_SELECT} WHERE o.id = $1");
    run!(tx, |c| sqlx::query_as::<_, ObjectionRaw>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(c)
    .await)?
    .map(ObjectionRow::try_from)
    .transpose()
}

pub struct NewObjection<'a> {
    pub round: i64,
    pub kind: AssessedKind,
    pub unit_id: i64,
    pub indicator_no: usize,
    pub reason: &'a str,
    pub raised_by: &'a str,
}

pub async fn insert_objection(
    tx: &mut Tx,
    n: &NewObjection<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO assessment_objections (round_id, kind, unit_id, indicator_no, reason, raised_by, raised_at, state, decision, decided_by, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', '', 1) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.round)
        .bind(n.kind.key())
        .bind(n.unit_id)
        .bind(n.indicator_no as i64)
        .bind(n.reason)
        .bind(n.raised_by)
        .bind(now)
        .bind(ObjectionState::Pending.key())
        .fetch_one(c)
        .await)?)
}

/// Records a decision on an objection still pending at `version`.
pub async fn decide_objection(
    tx: &mut Tx,
    o: &ObjectionRow,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE assessment_objections SET state = $1, points = $2, decision = $3, decided_by = $4, decided_at = $5,
            version = version + 1 WHERE id = $6 AND version = $7 AND state = 'pending'";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(o.state.key())
        .bind(o.points)
        .bind(&o.decision)
        .bind(&o.decided_by)
        .bind(now)
        .bind(o.id)
        .bind(o.version)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeRow {
    pub id: i64,
    pub region_code: RegionCode,
    pub year: i32,
    pub seq: i64,
    pub number: String,
    pub round_id: i64,
    pub title: String,
    /// JSON of what was published (the service's snapshot).
    pub content: String,
    pub corrects_notice_id: Option<i64>,
    pub issued_on: NaiveDate,
    pub issued_by: String,
}

type NoticeRaw = (
    i64,
    String,
    i64,
    i64,
    String,
    i64,
    String,
    String,
    Option<i64>,
    String,
    String,
);

fn notice_of(r: NoticeRaw) -> Result<NoticeRow, DbError> {
    let (id, region, year, seq, number, round_id, title, content, corrects, issued_on, issued_by) =
        r;
    Ok(NoticeRow {
        id,
        region_code: decode::region("assessment_notices.region_code", &region)?,
        year: i32::try_from(year)
            .map_err(|_| DbError::Decode("assessment_notices.year", year.to_string()))?,
        seq,
        number,
        round_id,
        title,
        content,
        corrects_notice_id: corrects,
        issued_on: decode::date("assessment_notices.issued_on", &issued_on)?,
        issued_by,
    })
}

const NOTICE_COLUMNS: &str = "id, region_code, year, seq, number, round_id, title, content, corrects_notice_id, issued_on, issued_by";

pub async fn notice_of_round(tx: &mut Tx, round: i64) -> Result<Option<NoticeRow>, DbError> {
    let sql = format!("SELECT {NOTICE_COLUMNS} FROM assessment_notices WHERE round_id = $1");
    run!(tx, |c| sqlx::query_as::<_, NoticeRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(round)
    .fetch_optional(c)
    .await)?
    .map(notice_of)
    .transpose()
}

/// The notices of a year, the latest first.
pub async fn notices(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<NoticeRow>, DbError> {
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} FROM assessment_notices WHERE region_code = $1 AND year = $2 ORDER BY seq DESC"
    );
    run!(tx, |c| sqlx::query_as::<_, NoticeRaw>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(region.as_str())
    .bind(year as i64)
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(notice_of)
    .collect()
}

pub async fn next_notice_seq(tx: &mut Tx, region: &RegionCode, year: i32) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COALESCE(MAX(seq), 0) + 1 FROM assessment_notices WHERE region_code = $1 AND year = $2";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region.as_str())
        .bind(year as i64)
        .fetch_one(c)
        .await)?)
}

pub struct NewNotice<'a> {
    pub region: &'a RegionCode,
    pub year: i32,
    pub seq: i64,
    pub number: &'a str,
    pub round_id: i64,
    pub title: &'a str,
    pub content: &'a str,
    pub corrects_notice_id: Option<i64>,
    pub issued_on: NaiveDate,
    pub issued_by: &'a str,
}

pub async fn insert_notice(
    tx: &mut Tx,
    n: &NewNotice<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO assessment_notices (region_code, year, seq, number, round_id, title, content, corrects_notice_id, issued_on, issued_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.region.as_str())
        .bind(n.year as i64)
        .bind(n.seq)
        .bind(n.number)
        .bind(n.round_id)
        .bind(n.title)
        .bind(n.content)
        .bind(n.corrects_notice_id)
        .bind(decode::day(n.issued_on))
        .bind(n.issued_by)
        .bind(now)
        .fetch_one(c)
        .await)?)
}
