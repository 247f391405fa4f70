//! 满意度调查: surveys of a region's year, and their answers (one per slip serial).

use crate::decode;
use crate::{DbError, Tx, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::survey::{Answer, Questionnaire};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SurveyRow {
    pub id: i64,
    pub region_code: RegionCode,
    pub year: i32,
    pub questionnaire: Questionnaire,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    /// The key the slips' links are signed with; never shown.
    #[serde(skip)]
    pub link_key: String,
    /// Slips handed out so far (serials 1 ..= slips).
    pub slips: i64,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub answers: i64,
}

type SurveyRaw = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    String,
    i64,
    Option<DateTime<Utc>>,
    i64,
    String,
    DateTime<Utc>,
    i64,
);

/// A survey query: its columns with the answers counted, then `$tail`.
macro_rules! select_surveys {
    ($tail:literal) => {
        concat!(
            "SELECT s.id, s.region_code, s.year, s.questionnaire, s.opens_on, s.closes_on, s.link_key,
            s.slips, s.closed_at, s.version, s.created_by, s.created_at,
            (SELECT COUNT(*) FROM survey_answers a WHERE a.survey_id = s.id) FROM surveys s ",
            $tail
        )
    };
}

fn row_of(r: SurveyRaw) -> Result<SurveyRow, DbError> {
    let (id, region, year, q, opens, closes, link_key, slips, closed_at, version, by, at, answers) =
        r;
    Ok(SurveyRow {
        id,
        region_code: decode::region("surveys.region_code", &region)?,
        year: year as i32,
        questionnaire: serde_json::from_str(&q)
            .map_err(|_| DbError::Decode("surveys.questionnaire", q.chars().take(80).collect()))?,
        opens_on: decode::date("surveys.opens_on", &opens)?,
        closes_on: decode::date("surveys.closes_on", &closes)?,
        link_key,
        slips,
        closed_at,
        version,
        created_by: by,
        created_at: at,
        answers,
    })
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// A region's surveys, newest first; of one year when given.
pub async fn list(
    tx: &mut Tx,
    region: &RegionCode,
    year: Option<i32>,
) -> Result<Vec<SurveyRow>, DbError> {
    const SQL: &str =
        select_surveys!("WHERE s.region_code = $1 AND ($2 = 0 OR s.year = $2) ORDER BY s.id DESC");
    run!(tx, |c| sqlx::query_as::<_, SurveyRaw>(SQL)
        .bind(region.as_str())
        .bind(year.unwrap_or(0) as i64)
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(row_of)
    .collect()
}

/// One survey, whatever its region (the public page has no region; callers check it).
pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<SurveyRow>, DbError> {
    const SQL: &str = select_surveys!("WHERE s.id = $1");
    run!(tx, |c| sqlx::query_as::<_, SurveyRaw>(SQL)
        .bind(id)
        .fetch_optional(c)
        .await)?
    .map(row_of)
    .transpose()
}

pub struct NewSurvey<'a> {
    pub region: &'a RegionCode,
    pub year: i32,
    pub questionnaire: &'a Questionnaire,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub link_key: &'a str,
    pub by: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, s: &NewSurvey<'_>) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO surveys (region_code, year, questionnaire, opens_on, closes_on, link_key, slips,
        closed_at, version, created_by, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, 0, NULL, 1, $7, $8, $8) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(s.region.as_str())
        .bind(s.year as i64)
        .bind(json(s.questionnaire))
        .bind(decode::day(s.opens_on))
        .bind(decode::day(s.closes_on))
        .bind(s.link_key)
        .bind(s.by)
        .bind(s.now)
        .fetch_one(c)
        .await)
    .map_err(DbError::from)
}

/// Changes the questionnaire and period of a survey still at `version`.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    version: i64,
    q: &Questionnaire,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE surveys SET questionnaire = $1, opens_on = $2, closes_on = $3, version = version + 1,
        updated_at = $4 WHERE id = $5 AND version = $6";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(json(q))
        .bind(decode::day(opens_on))
        .bind(decode::day(closes_on))
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(n == 1)
}

/// Hands out `more` slips; the new serials follow the old.
pub async fn add_slips(
    tx: &mut Tx,
    id: i64,
    version: i64,
    more: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str =
        "UPDATE surveys SET slips = slips + $1, version = version + 1, updated_at = $2
        WHERE id = $3 AND version = $4";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(more)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(n == 1)
}

/// Closes the survey early: no answer is taken afterwards.
pub async fn close(
    tx: &mut Tx,
    id: i64,
    version: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE surveys SET closed_at = $1, version = version + 1, updated_at = $1
        WHERE id = $2 AND version = $3 AND closed_at IS NULL";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(n == 1)
}

/// Takes a slip's answer; a serial already answered is a duplicate.
pub async fn insert_answer(
    tx: &mut Tx,
    survey_id: i64,
    serial: i64,
    answer: &Answer,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO survey_answers (survey_id, serial, answer, answered_at)
        VALUES ($1, $2, $3, $4) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(survey_id)
        .bind(serial)
        .bind(json(answer))
        .bind(now)
        .fetch_one(c)
        .await)
    .map_err(|e| DbError::from(e).on_duplicate("这张问卷已经提交过，每张问卷只能提交一次"))
}

/// Whether a slip has been answered.
pub async fn answered(tx: &mut Tx, survey_id: i64, serial: i64) -> Result<bool, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM survey_answers WHERE survey_id = $1 AND serial = $2";
    let n = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(survey_id)
        .bind(serial)
        .fetch_one(c)
        .await)?;
    Ok(n > 0)
}

/// A survey's answers in the order given.
pub async fn answers(tx: &mut Tx, survey_id: i64) -> Result<Vec<Answer>, DbError> {
    const SQL: &str = "SELECT answer FROM survey_answers WHERE survey_id = $1 ORDER BY id";
    run!(tx, |c| sqlx::query_scalar::<_, String>(SQL)
        .bind(survey_id)
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|a| {
        serde_json::from_str(&a)
            .map_err(|_| DbError::Decode("survey_answers.answer", a.chars().take(80).collect()))
    })
    .collect()
}
