//! Import jobs: progress and outcome of a workbook import, kept in the database so that every
//! instance behind a load balancer can show them.

use crate::{DbError, Tx, run};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ImportJobRow {
    pub id: String,
    pub region_code: String,
    pub created_by: String,
    pub file_name: String,
    pub phase: String,
    pub done: i64,
    pub total: i64,
    /// `ok`, `problems`, `refused` or `failed`; none while running.
    pub outcome: Option<String>,
    /// JSON: the summary, the problem list or the message.
    pub result: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The instance running the job, and when it last said it was alive.
    pub instance_id: String,
    pub heartbeat_at: Option<DateTime<Utc>>,
}

const COLS: &str = "id, region_code, created_by, file_name, phase, done, total, outcome, result, created_at, finished_at, instance_id, heartbeat_at";

/// What an abandoned job says to the person who started it.
const ABANDONED: &str = "'\"导入中断（服务重启或进程退出），未写入任何数据，请重新上传\"'";

pub struct NewJob<'a> {
    pub id: &'a str,
    pub region: &'a str,
    pub by: &'a str,
    pub file_name: &'a str,
    pub instance_id: &'a str,
}

pub async fn create(tx: &mut Tx, j: &NewJob<'_>, now: DateTime<Utc>) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO import_jobs (id, region_code, created_by, file_name, phase, done, total, created_at, instance_id, heartbeat_at)
        VALUES ($1, $2, $3, $4, 'queued', 0, 0, $5, $6, $5)";
    run!(tx, |c| sqlx::query(SQL)
        .bind(j.id)
        .bind(j.region)
        .bind(j.by)
        .bind(j.file_name)
        .bind(now)
        .bind(j.instance_id)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Records progress, which is also the job's heartbeat.
pub async fn progress(
    tx: &mut Tx,
    id: &str,
    phase: &str,
    done: i64,
    total: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE import_jobs SET phase = $2, done = $3, total = $4, heartbeat_at = $5 WHERE id = $1 AND outcome IS NULL";
    run!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(phase)
        .bind(done)
        .bind(total)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn finish(
    tx: &mut Tx,
    id: &str,
    outcome: &str,
    result: &str,
    rows: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE import_jobs SET phase = 'done', outcome = $2, result = $3, finished_at = $4, done = $5, total = $5
        WHERE id = $1 AND outcome IS NULL";
    run!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(outcome)
        .bind(result)
        .bind(now)
        .bind(rows)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn get(tx: &mut Tx, id: &str) -> Result<Option<ImportJobRow>, DbError> {
    let sql = format!("SELECT {COLS} FROM import_jobs WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, ImportJobRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

/// Running jobs whose heartbeat is older than `before` belong to an instance that stopped:
/// they are marked failed. Returns how many.
pub async fn fail_silent(
    tx: &mut Tx,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    let sql = format!(
        "UPDATE import_jobs SET phase = 'done', outcome = 'failed', result = {ABANDONED}, finished_at = $2
        WHERE outcome IS NULL AND COALESCE(heartbeat_at, created_at) < $1"
    );
    Ok(run!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(before)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?)
}

/// Running jobs of any other instance are marked failed (SQLite at start-up: one server runs on
/// a database file, so a job it did not start itself was left by a stopped process).
pub async fn fail_others(
    tx: &mut Tx,
    instance_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    let sql = format!(
        "UPDATE import_jobs SET phase = 'done', outcome = 'failed', result = {ABANDONED}, finished_at = $2
        WHERE outcome IS NULL AND instance_id <> $1"
    );
    Ok(run!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(instance_id)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?)
}

// --- daily jobs --------------------------------------------------------------------------

/// Claims `day` for the named job; true for exactly one caller per day, whichever instance.
pub async fn claim_day(
    tx: &mut Tx,
    name: &str,
    day: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO job_runs (name, last_day, run_at) VALUES ($1, $2, $3)
        ON CONFLICT (name) DO UPDATE SET last_day = excluded.last_day, run_at = excluded.run_at
        WHERE job_runs.last_day < excluded.last_day";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(name)
        .bind(crate::decode::day(day))
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Gives back a day claimed by a run that then failed as a whole, so the next try runs it.
pub async fn unclaim_day(tx: &mut Tx, name: &str, day: chrono::NaiveDate) -> Result<(), DbError> {
    const SQL: &str = "DELETE FROM job_runs WHERE name = $1 AND last_day = $2";
    run!(tx, |c| sqlx::query(SQL)
        .bind(name)
        .bind(crate::decode::day(day))
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}
