//! Accounts, their roles, sessions and personal API tokens.

use crate::{DbError, Tx, run};
use chrono::{DateTime, Utc};
use keyproj_domain::session::Throttle;
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub region_code: String,
    #[serde(skip)]
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub password_changed_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub version: i64,
}

const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.unit_id, n.name AS unit_name, n.region_code,
    u.password_hash, u.must_change_password, u.disabled, u.failed_logins, u.locked_until, u.password_changed_at,
    u.last_login_at, u.version FROM users u JOIN units n ON n.id = u.unit_id";

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub unit_id: i64,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

pub async fn insert_user(tx: &mut Tx, u: &NewUser<'_>, now: DateTime<Utc>) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO users (username, display_name, unit_id, password_hash, must_change_password, disabled,
        failed_logins, locked_until, password_changed_at, last_login_at, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, FALSE, 0, NULL, $6, NULL, 1, $6, $6) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(u.username)
        .bind(u.display_name)
        .bind(u.unit_id)
        .bind(u.password_hash)
        .bind(u.must_change_password)
        .bind(now)
        .fetch_one(c)
        .await)
    .map_err(|e| DbError::from(e).on_duplicate("用户名已被使用"))
}

pub async fn get_user(tx: &mut Tx, id: i64) -> Result<Option<UserRow>, DbError> {
    let sql = format!("{USER_SELECT} WHERE u.id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, UserRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn find_user(tx: &mut Tx, username: &str) -> Result<Option<UserRow>, DbError> {
    let sql = format!("{USER_SELECT} WHERE u.username = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, UserRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(username)
    .fetch_optional(c)
    .await)?)
}

pub async fn list_users(tx: &mut Tx) -> Result<Vec<UserRow>, DbError> {
    let sql = format!("{USER_SELECT} ORDER BY u.username");
    Ok(run!(tx, |c| sqlx::query_as::<_, UserRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .fetch_all(c)
    .await)?)
}

pub async fn count_users(tx: &mut Tx) -> Result<i64, DbError> {
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM users"
    )
    .fetch_one(c)
    .await)?)
}

pub async fn roles_of(tx: &mut Tx, user_id: i64) -> Result<Vec<String>, DbError> {
    const SQL: &str = "SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, String>(SQL)
        .bind(user_id)
        .fetch_all(c)
        .await)?)
}

pub async fn set_roles(tx: &mut Tx, user_id: i64, roles: &[&str]) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "DELETE FROM user_roles WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    for r in roles {
        run!(tx, |c| sqlx::query(
            "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)"
        )
        .bind(user_id)
        .bind(*r)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn record_login_failure(
    tx: &mut Tx,
    id: i64,
    failed: i64,
    locked_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE users SET failed_logins = $1, locked_until = $2, updated_at = $3 WHERE id = $4";
    run!(tx, |c| sqlx::query(SQL)
        .bind(failed)
        .bind(locked_until)
        .bind(now)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn record_login_success(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $1 WHERE id = $2";
    run!(tx, |c| sqlx::query(SQL)
        .bind(now)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_password(
    tx: &mut Tx,
    id: i64,
    hash: &str,
    must_change: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE users SET password_hash = $1, must_change_password = $2, password_changed_at = $3,
        failed_logins = 0, locked_until = NULL, version = version + 1, updated_at = $3 WHERE id = $4";
    run!(tx, |c| sqlx::query(SQL)
        .bind(hash)
        .bind(must_change)
        .bind(now)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_disabled(
    tx: &mut Tx,
    id: i64,
    version: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE users SET disabled = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(disabled)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    super::expect_one(r)
}

pub async fn unlock(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $1 WHERE id = $2";
    run!(tx, |c| sqlx::query(SQL)
        .bind(now)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update_profile(
    tx: &mut Tx,
    id: i64,
    version: i64,
    display_name: &str,
    unit_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE users SET display_name = $1, unit_id = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(display_name)
        .bind(unit_id)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    super::expect_one(r)
}

pub async fn bump_version(
    tx: &mut Tx,
    id: i64,
    version: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE users SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    super::expect_one(r)
}

// --- sessions -------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    #[serde(skip)]
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub ip: String,
    pub user_agent: String,
}

const SESSION_COLS: &str = "id, user_id, csrf_token, created_at, last_seen_at, ip, user_agent";

pub async fn insert_session(
    tx: &mut Tx,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    ip: &str,
    ua: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, ip, user_agent)
        VALUES ($1, $2, $3, $4, $4, $5, $6) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(now)
        .bind(ip)
        .bind(ua)
        .fetch_one(c)
        .await)?)
}

pub async fn find_session(tx: &mut Tx, token_hash: &str) -> Result<Option<SessionRow>, DbError> {
    let sql = format!("SELECT {SESSION_COLS} FROM sessions WHERE token_hash = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, SessionRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await)?)
}

pub async fn list_sessions(tx: &mut Tx) -> Result<Vec<SessionRow>, DbError> {
    let sql = format!("SELECT {SESSION_COLS} FROM sessions ORDER BY last_seen_at DESC");
    Ok(run!(tx, |c| sqlx::query_as::<_, SessionRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .fetch_all(c)
    .await)?)
}

pub async fn touch_session(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "UPDATE sessions SET last_seen_at = $1 WHERE id = $2"
    )
    .bind(now)
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_session(tx: &mut Tx, id: i64) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_user_sessions(tx: &mut Tx, user_id: i64) -> Result<u64, DbError> {
    let r = run!(tx, |c| sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(r)
}

/// Ends every session of a user but `keep` (0 keeps none).
pub async fn delete_other_sessions(tx: &mut Tx, user_id: i64, keep: i64) -> Result<u64, DbError> {
    const SQL: &str = "DELETE FROM sessions WHERE user_id = $1 AND id <> $2";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(user_id)
        .bind(keep)
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

// --- API tokens -----------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ApiTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const TOKEN_COLS: &str = "id, user_id, name, created_at, last_used_at, revoked_at";

pub async fn insert_token(
    tx: &mut Tx,
    user_id: i64,
    name: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

pub async fn find_token(tx: &mut Tx, token_hash: &str) -> Result<Option<ApiTokenRow>, DbError> {
    let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, ApiTokenRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await)?)
}

pub async fn get_token(tx: &mut Tx, id: i64) -> Result<Option<ApiTokenRow>, DbError> {
    let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, ApiTokenRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

pub async fn list_tokens(tx: &mut Tx, user_id: Option<i64>) -> Result<Vec<ApiTokenRow>, DbError> {
    let sql = format!(
        "SELECT {TOKEN_COLS} FROM api_tokens WHERE ($1 = 0 OR user_id = $1) ORDER BY id DESC"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, ApiTokenRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(user_id.unwrap_or(0))
    .fetch_all(c)
    .await)?)
}

pub async fn touch_token(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2"
    )
    .bind(now)
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn revoke_token(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL"
    )
    .bind(now)
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Revokes every live token of a user (a password change or reset); returns how many.
pub async fn revoke_user_tokens(
    tx: &mut Tx,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    Ok(run!(tx, |c| sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"
    )
    .bind(now)
    .bind(user_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?)
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
