//! Stage changes of a project and their history (a stage moves only through here).

use super::month;
use crate::decode::{self, day};
use crate::{DbError, Tx, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::ReportMonth;
use keyproj_domain::ids::{ProjectId, UserId};
use keyproj_domain::project::Stage;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct StageChangeRow {
    pub id: i64,
    pub project_id: ProjectId,
    /// None for the entry into the library.
    pub from_stage: Option<Stage>,
    pub to_stage: Stage,
    pub changed_on: NaiveDate,
    pub reason: String,
    pub user_id: Option<UserId>,
    pub username: String,
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct StageChangeRaw {
    id: i64,
    project_id: i64,
    from_stage: Option<String>,
    to_stage: String,
    changed_on: String,
    reason: String,
    user_id: Option<i64>,
    username: String,
    at: DateTime<Utc>,
}

impl TryFrom<StageChangeRaw> for StageChangeRow {
    type Error = DbError;
    fn try_from(r: StageChangeRaw) -> Result<StageChangeRow, DbError> {
        Ok(StageChangeRow {
            id: r.id,
            project_id: ProjectId(r.project_id),
            from_stage: r
                .from_stage
                .map(|s| decode::key("project_stage_changes.from_stage", &s, Stage::from_key))
                .transpose()?,
            to_stage: decode::key(
                "project_stage_changes.to_stage",
                &r.to_stage,
                Stage::from_key,
            )?,
            changed_on: decode::date("project_stage_changes.changed_on", &r.changed_on)?,
            reason: r.reason,
            user_id: r.user_id.map(UserId),
            username: r.username,
            at: r.at,
        })
    }
}

pub struct NewStageChange<'a> {
    pub project_id: ProjectId,
    pub from_stage: Option<Stage>,
    pub to_stage: Stage,
    pub changed_on: NaiveDate,
    pub reason: &'a str,
    pub user_id: Option<UserId>,
    pub username: &'a str,
}

pub async fn insert_stage_change(
    tx: &mut Tx,
    s: &NewStageChange<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO project_stage_changes (project_id, from_stage, to_stage, changed_on, reason, user_id, username, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(s.project_id.get())
        .bind(s.from_stage.map(|s| s.key()))
        .bind(s.to_stage.key())
        .bind(day(s.changed_on))
        .bind(s.reason)
        .bind(s.user_id.map(|u| u.get()))
        .bind(s.username)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

/// A stage with the actual months it brings.
pub struct StageValues {
    pub stage: Stage,
    pub actual_start: Option<ReportMonth>,
    pub actual_completion: Option<ReportMonth>,
}

/// Moves a project to a new stage if nobody changed it since `version` was read.
pub async fn change_stage(
    tx: &mut Tx,
    id: ProjectId,
    version: i64,
    v: &StageValues,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE projects SET stage = $1, actual_start = $2, actual_completion = $3, version = version + 1,
        updated_at = $4 WHERE id = $5 AND version = $6";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(v.stage.key())
        .bind(month(v.actual_start))
        .bind(month(v.actual_completion))
        .bind(now)
        .bind(id.get())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    crate::repo::expect_one(r)
}

pub async fn stage_history(
    tx: &mut Tx,
    project_id: ProjectId,
) -> Result<Vec<StageChangeRow>, DbError> {
    const SQL: &str =
        "SELECT id, project_id, from_stage, to_stage, changed_on, reason, user_id, username, at
        FROM project_stage_changes WHERE project_id = $1 ORDER BY id";
    run!(tx, |c| sqlx::query_as::<_, StageChangeRaw>(SQL)
        .bind(project_id.get())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(StageChangeRow::try_from)
    .collect()
}
