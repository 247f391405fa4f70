//! Accounts and their roles (三员分立: the administrator roles stand alone).

use crate::{DbError, Tx, decode, run};
use chrono::{DateTime, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::authz::Role;
use keyproj_domain::ids::{UnitId, UserId};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub region_code: RegionCode,
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

#[derive(sqlx::FromRow)]
struct UserRaw {
    id: i64,
    username: String,
    display_name: String,
    unit_id: i64,
    unit_name: String,
    region_code: String,
    password_hash: String,
    must_change_password: bool,
    disabled: bool,
    failed_logins: i64,
    locked_until: Option<DateTime<Utc>>,
    password_changed_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
    version: i64,
}

impl TryFrom<UserRaw> for UserRow {
    type Error = DbError;
    fn try_from(r: UserRaw) -> Result<UserRow, DbError> {
        Ok(UserRow {
            id: UserId(r.id),
            username: r.username,
            display_name: r.display_name,
            unit_id: UnitId(r.unit_id),
            unit_name: r.unit_name,
            region_code: decode::region("units.region_code", &r.region_code)?,
            password_hash: r.password_hash,
            must_change_password: r.must_change_password,
            disabled: r.disabled,
            failed_logins: r.failed_logins,
            locked_until: r.locked_until,
            password_changed_at: r.password_changed_at,
            last_login_at: r.last_login_at,
            version: r.version,
        })
    }
}

async fn users_where(
    tx: &mut Tx,
    tail: &str,
    param: Option<Param<'_>>,
) -> Result<Vec<UserRow>, DbError> {
    let sql = format!("{USER_SELECT} {tail}");
    let raw = match param {
        Some(Param::Id(id)) => run!(tx, |c| sqlx::query_as::<_, UserRaw>(sqlx::AssertSqlSafe(
            sql.clone()
        ))
        .bind(id)
        .fetch_all(c)
        .await)?,
        Some(Param::Name(n)) => run!(tx, |c| sqlx::query_as::<_, UserRaw>(sqlx::AssertSqlSafe(
            sql.clone()
        ))
        .bind(n)
        .fetch_all(c)
        .await)?,
        None => run!(tx, |c| sqlx::query_as::<_, UserRaw>(sqlx::AssertSqlSafe(
            sql.clone()
        ))
        .fetch_all(c)
        .await)?,
    };
    raw.into_iter().map(UserRow::try_from).collect()
}

/// One row per role of a user (a LEFT JOIN on `user_roles`), for reading an account and its
/// roles in the same query as what led to it (a session or a token, on every request).
#[derive(sqlx::FromRow)]
pub(crate) struct UserRoleRaw {
    #[sqlx(flatten)]
    user: UserRaw,
    role: Option<String>,
}

/// The user columns and the role of [`UserRoleRaw`], after `SELECT` and the caller's columns.
pub(crate) const USER_ROLE_COLUMNS: &str = "u.id, u.username, u.display_name, u.unit_id, n.name AS unit_name, n.region_code,
    u.password_hash, u.must_change_password, u.disabled, u.failed_logins, u.locked_until, u.password_changed_at,
    u.last_login_at, u.version, r.role";

/// Joins the user (`u`, from the caller's `user_id` column named in `on`), its unit and roles.
pub(crate) fn user_role_joins(on: &str) -> String {
    format!(
        " JOIN users u ON u.id = {on} JOIN units n ON n.id = u.unit_id LEFT JOIN user_roles r ON r.user_id = u.id"
    )
}

impl UserRoleRaw {
    pub(crate) fn user_id(&self) -> i64 {
        self.user.id
    }
    /// The same columns read on the request's own thread (SQLite; see [`crate::Readers`]).
    pub(crate) fn direct(r: &rusqlite::Row<'_>) -> Result<UserRoleRaw, DbError> {
        use crate::direct::named;
        Ok(UserRoleRaw {
            user: UserRaw {
                id: named(r, "id")?,
                username: named(r, "username")?,
                display_name: named(r, "display_name")?,
                unit_id: named(r, "unit_id")?,
                unit_name: named(r, "unit_name")?,
                region_code: named(r, "region_code")?,
                password_hash: named(r, "password_hash")?,
                must_change_password: named(r, "must_change_password")?,
                disabled: named(r, "disabled")?,
                failed_logins: named(r, "failed_logins")?,
                locked_until: named(r, "locked_until")?,
                password_changed_at: named(r, "password_changed_at")?,
                last_login_at: named(r, "last_login_at")?,
                version: named(r, "version")?,
            },
            role: named(r, "role")?,
        })
    }
}

/// The user and its roles from the rows of one user.
pub(crate) fn user_and_roles(
    rows: Vec<UserRoleRaw>,
) -> Result<Option<(UserRow, Vec<Role>)>, DbError> {
    let mut roles = Vec::with_capacity(rows.len());
    let mut user = None;
    for r in rows {
        if let Some(role) = &r.role {
            roles.push(decode::key("user_roles.role", role, Role::from_key)?);
        }
        if user.is_none() {
            user = Some(UserRow::try_from(r.user)?);
        }
    }
    roles.sort_by_key(|r| r.key());
    Ok(user.map(|u| (u, roles)))
}

enum Param<'a> {
    Id(i64),
    Name(&'a str),
}

const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.unit_id, n.name AS unit_name, n.region_code,
    u.password_hash, u.must_change_password, u.disabled, u.failed_logins, u.locked_until, u.password_changed_at,
    u.last_login_at, u.version FROM users u JOIN units n ON n.id = u.unit_id";

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub unit_id: UnitId,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

pub async fn insert_user(
    tx: &mut Tx,
    u: &NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<UserId, DbError> {
    const SQL: &str = "INSERT INTO users (username, display_name, unit_id, password_hash, must_change_password, disabled,
        failed_logins, locked_until, password_changed_at, last_login_at, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, FALSE, 0, NULL, $6, NULL, 1, $6, $6) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(u.username)
        .bind(u.display_name)
        .bind(u.unit_id.get())
        .bind(u.password_hash)
        .bind(u.must_change_password)
        .bind(now)
        .fetch_one(c)
        .await)
    .map(UserId)
    .map_err(|e| DbError::from(e).on_duplicate("用户名已被使用"))
}

pub async fn get_user(tx: &mut Tx, id: UserId) -> Result<Option<UserRow>, DbError> {
    Ok(
        users_where(tx, "WHERE u.id = $1", Some(Param::Id(id.get())))
            .await?
            .pop(),
    )
}

pub async fn find_user(tx: &mut Tx, username: &str) -> Result<Option<UserRow>, DbError> {
    Ok(
        users_where(tx, "WHERE u.username = $1", Some(Param::Name(username)))
            .await?
            .pop(),
    )
}

pub async fn list_users(tx: &mut Tx) -> Result<Vec<UserRow>, DbError> {
    users_where(tx, "ORDER BY u.username", None).await
}

/// Display names and unit names of the given usernames (for showing people by name).
pub async fn names_of(
    tx: &mut Tx,
    usernames: &[String],
) -> Result<Vec<(String, String, String)>, DbError> {
    if usernames.is_empty() {
        return Ok(vec![]);
    }
    let placeholders: Vec<String> = (1..=usernames.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT u.username, u.display_name, n.name FROM users u JOIN units n ON n.id = u.unit_id WHERE u.username IN ({})",
        placeholders.join(", ")
    );
    let params: Vec<crate::Param> = usernames
        .iter()
        .map(|u| crate::Param::Text(u.clone()))
        .collect();
    Ok(run!(tx, |c| crate::bind_params!(
        sqlx::query_as::<_, (String, String, String)>(sqlx::AssertSqlSafe(sql.clone())),
        params
    )
    .fetch_all(c)
    .await)?)
}

/// The enabled accounts of a region and below holding `role`: (login, display name), by login.
pub async fn with_role(
    tx: &mut Tx,
    region: &RegionCode,
    role: Role,
) -> Result<Vec<(String, String)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT u.username, u.display_name FROM users u JOIN user_roles r ON r.user_id = u.id
        JOIN units n ON n.id = u.unit_id
        WHERE r.role = $1 AND n.region_code >= $2 AND n.region_code < $3 AND u.disabled = FALSE ORDER BY u.username";
    Ok(run!(tx, |c| sqlx::query_as::<_, (String, String)>(SQL)
        .bind(role.key())
        .bind(&lo)
        .bind(&hi)
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

pub async fn roles_of(tx: &mut Tx, user_id: UserId) -> Result<Vec<Role>, DbError> {
    const SQL: &str = "SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role";
    run!(tx, |c| sqlx::query_scalar::<_, String>(SQL)
        .bind(user_id.get())
        .fetch_all(c)
        .await)?
    .iter()
    .map(|r| decode::key("user_roles.role", r, Role::from_key))
    .collect()
}

pub async fn set_roles(tx: &mut Tx, user_id: UserId, roles: &[Role]) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "DELETE FROM user_roles WHERE user_id = $1"
    )
    .bind(user_id.get())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    for r in roles {
        run!(tx, |c| sqlx::query(
            "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)"
        )
        .bind(user_id.get())
        .bind(r.key())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn record_login_failure(
    tx: &mut Tx,
    id: UserId,
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
        .bind(id.get())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn record_login_success(
    tx: &mut Tx,
    id: UserId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $1 WHERE id = $2";
    run!(tx, |c| sqlx::query(SQL)
        .bind(now)
        .bind(id.get())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_password(
    tx: &mut Tx,
    id: UserId,
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
        .bind(id.get())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_disabled(
    tx: &mut Tx,
    id: UserId,
    version: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE users SET disabled = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(disabled)
        .bind(now)
        .bind(id.get())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    crate::repo::expect_one(r)
}

pub async fn unlock(tx: &mut Tx, id: UserId, now: DateTime<Utc>) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $1 WHERE id = $2";
    run!(tx, |c| sqlx::query(SQL)
        .bind(now)
        .bind(id.get())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update_profile(
    tx: &mut Tx,
    id: UserId,
    version: i64,
    display_name: &str,
    unit_id: UserId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE users SET display_name = $1, unit_id = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(display_name)
        .bind(unit_id.get())
        .bind(now)
        .bind(id.get())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    crate::repo::expect_one(r)
}

pub async fn bump_version(
    tx: &mut Tx,
    id: UserId,
    version: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE users SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3";
    let r = run!(tx, |c| sqlx::query(SQL)
        .bind(now)
        .bind(id.get())
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    crate::repo::expect_one(r)
}
