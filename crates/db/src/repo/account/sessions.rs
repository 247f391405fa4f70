//! Signed-in sessions (only the hash of a session's token is kept) and the counts of failed
//! logins per address and name that slow and block guessing.

use crate::direct::named;
use crate::repo::admin::users::{
    USER_ROLE_COLUMNS, UserRoleRaw, UserRow, user_and_roles, user_role_joins,
};
use crate::{DbError, Tx, run};
use chrono::{DateTime, Utc};
use keyproj_domain::authz::Role;
use keyproj_domain::ids::{SessionId, UserId};
use keyproj_domain::session::Throttle;
use serde::Serialize;
use std::sync::LazyLock;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SessionRow {
    #[sqlx(try_from = "i64")]
    pub id: SessionId,
    #[sqlx(try_from = "i64")]
    pub user_id: UserId,
    #[serde(skip)]
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub ip: String,
    pub user_agent: String,
}

const SESSION_COLS: &str = "id, user_id, csrf_token, created_at, last_seen_at, ip, user_agent";

/// A session as written: only the hash of its token is kept.
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub csrf: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

pub async fn insert_session(
    tx: &mut Tx,
    n: &NewSession<'_>,
    now: DateTime<Utc>,
) -> Result<SessionId, DbError> {
    const SQL: &str = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, ip, user_agent)
        VALUES ($1, $2, $3, $4, $4, $5, $6) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.token_hash)
        .bind(n.user_id.get())
        .bind(n.csrf)
        .bind(now)
        .bind(n.ip)
        .bind(n.user_agent)
        .fetch_one(c)
        .await)
    .map(SessionId)?)
}

#[derive(sqlx::FromRow)]
struct SessionUserRaw {
    s_id: i64,
    s_csrf_token: String,
    s_created_at: DateTime<Utc>,
    s_last_seen_at: DateTime<Utc>,
    s_ip: String,
    s_user_agent: String,
    #[sqlx(flatten)]
    user: UserRoleRaw,
}

/// A session, its user and the user's roles in one query: what every signed-in request reads.
pub async fn find_session_user(
    tx: &mut Tx,
    token_hash: &str,
) -> Result<Option<(SessionRow, UserRow, Vec<Role>)>, DbError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT s.id AS s_id, s.csrf_token AS s_csrf_token, s.created_at AS s_created_at,
                s.last_seen_at AS s_last_seen_at, s.ip AS s_ip, s.user_agent AS s_user_agent, {USER_ROLE_COLUMNS}
             FROM sessions s{} WHERE s.token_hash = $1",
            user_role_joins("s.user_id")
        )
    });
    // Before every signed-in page: on the request's own thread where it can run there.
    let mut rows = if let Some(on_thread) = tx.on_thread().await? {
        on_thread.rows(SQL.as_str(), &[&token_hash], |r| {
            Ok(SessionUserRaw {
                s_id: named(r, "s_id")?,
                s_csrf_token: named(r, "s_csrf_token")?,
                s_created_at: named(r, "s_created_at")?,
                s_last_seen_at: named(r, "s_last_seen_at")?,
                s_ip: named(r, "s_ip")?,
                s_user_agent: named(r, "s_user_agent")?,
                user: UserRoleRaw::direct(r)?,
            })
        })?
    } else {
        run!(tx, |c| sqlx::query_as::<_, SessionUserRaw>(
            sqlx::AssertSqlSafe(SQL.as_str())
        )
        .bind(token_hash)
        .fetch_all(c)
        .await)?
    };
    let Some(first) = rows.first_mut() else {
        return Ok(None);
    };
    let session = SessionRow {
        id: SessionId(first.s_id),
        user_id: UserId(first.user.user_id()),
        csrf_token: std::mem::take(&mut first.s_csrf_token),
        created_at: first.s_created_at,
        last_seen_at: first.s_last_seen_at,
        ip: std::mem::take(&mut first.s_ip),
        user_agent: std::mem::take(&mut first.s_user_agent),
    };
    Ok(user_and_roles(rows.into_iter().map(|r| r.user).collect())?
        .map(|(user, roles)| (session, user, roles)))
}

pub async fn list_sessions(tx: &mut Tx) -> Result<Vec<SessionRow>, DbError> {
    let sql = format!("SELECT {SESSION_COLS} FROM sessions ORDER BY last_seen_at DESC");
    Ok(run!(tx, |c| sqlx::query_as::<_, SessionRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .fetch_all(c)
    .await)?)
}

pub async fn touch_session(tx: &mut Tx, id: SessionId, now: DateTime<Utc>) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "UPDATE sessions SET last_seen_at = $1 WHERE id = $2"
    )
    .bind(now)
    .bind(id.get())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_session(tx: &mut Tx, id: SessionId) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id.get())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_user_sessions(tx: &mut Tx, user_id: UserId) -> Result<u64, DbError> {
    let r = run!(tx, |c| sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1"
    )
    .bind(user_id.get())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(r)
}

/// Ends every session of a user but `keep` (0 keeps none).
pub async fn delete_other_sessions(
    tx: &mut Tx,
    user_id: UserId,
    keep: SessionId,
) -> Result<u64, DbError> {
    const SQL: &str = "DELETE FROM sessions WHERE user_id = $1 AND id <> $2";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(user_id.get())
        .bind(keep.get())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(r)
}

/// Removes sessions idle since before `idle_before` or created before `created_before`.
pub async fn purge_sessions(
    tx: &mut Tx,
    idle_before: DateTime<Utc>,
    created_before: DateTime<Utc>,
) -> Result<u64, DbError> {
    const SQL: &str = "DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(idle_before)
        .bind(created_before)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(r)
}

// --- login throttling -------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct ThrottleRow {
    failures: i64,
    window_start: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

/// The failure count kept under a key (`addr:…`, `pair:…`, `name:…`).
pub async fn throttle(tx: &mut Tx, key: &str) -> Result<Option<Throttle>, DbError> {
    const SQL: &str =
        "SELECT failures, window_start, locked_until FROM login_throttle WHERE key = $1";
    let row = run!(tx, |c| sqlx::query_as::<_, ThrottleRow>(SQL)
        .bind(key)
        .fetch_optional(c)
        .await)?;
    Ok(row.map(|r| Throttle {
        failures: r.failures,
        window_start: r.window_start,
        locked_until: r.locked_until,
    }))
}

pub async fn put_throttle(
    tx: &mut Tx,
    key: &str,
    username: &str,
    t: &Throttle,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO login_throttle (key, username, failures, window_start, locked_until, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (key) DO UPDATE SET failures = $3, window_start = $4, locked_until = $5, updated_at = $6";
    run!(tx, |c| sqlx::query(SQL)
        .bind(key)
        .bind(username)
        .bind(t.failures)
        .bind(t.window_start)
        .bind(t.locked_until)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Makes sure a key's row exists and holds it for the rest of the transaction: on PostgreSQL
/// the upsert takes the row's lock (a concurrent login waits here until this one commits, then
/// reads what it wrote), so counts read and written back by two logins at once are not lost.
/// SQLite's writers are one at a time already. A new row counts nothing.
pub async fn lock_throttle(
    tx: &mut Tx,
    key: &str,
    username: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO login_throttle (key, username, failures, window_start, locked_until, updated_at)
        VALUES ($1, $2, 0, $3, NULL, $3)
        ON CONFLICT (key) DO UPDATE SET updated_at = login_throttle.updated_at";
    run!(tx, |c| sqlx::query(SQL)
        .bind(key)
        .bind(username)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn clear_throttle(tx: &mut Tx, key: &str) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "DELETE FROM login_throttle WHERE key = $1"
    )
    .bind(key)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Forgets every count kept for a name (the 安全管理员 lifts the limits of an account).
pub async fn clear_throttles_of(tx: &mut Tx, username: &str) -> Result<u64, DbError> {
    Ok(run!(tx, |c| sqlx::query(
        "DELETE FROM login_throttle WHERE username = $1"
    )
    .bind(username)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?)
}

/// Drops counts nobody has touched since `before`.
pub async fn purge_throttles(tx: &mut Tx, before: DateTime<Utc>) -> Result<u64, DbError> {
    Ok(run!(tx, |c| sqlx::query(
        "DELETE FROM login_throttle WHERE updated_at < $1"
    )
    .bind(before)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?)
}
