//! Personal API tokens (only the hash of a token is kept).

use crate::direct::named;
use crate::repo::admin::users::{
    USER_ROLE_COLUMNS, UserRoleRaw, UserRow, user_and_roles, user_role_joins,
};
use crate::{DbError, Tx, run};
use chrono::{DateTime, Utc};
use keyproj_domain::authz::Role;
use keyproj_domain::ids::{TokenId, UserId};
use serde::Serialize;
use std::sync::LazyLock;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ApiTokenRow {
    #[sqlx(try_from = "i64")]
    pub id: TokenId,
    #[sqlx(try_from = "i64")]
    pub user_id: UserId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const TOKEN_COLS: &str = "id, user_id, name, created_at, last_used_at, revoked_at";

pub async fn insert_token(
    tx: &mut Tx,
    user_id: UserId,
    name: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<TokenId, DbError> {
    const SQL: &str = "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(user_id.get())
        .bind(name)
        .bind(token_hash)
        .bind(now)
        .fetch_one(c)
        .await)
    .map(TokenId)?)
}

#[derive(sqlx::FromRow)]
struct TokenUserRaw {
    t_id: i64,
    t_name: String,
    t_created_at: DateTime<Utc>,
    t_last_used_at: Option<DateTime<Utc>>,
    t_revoked_at: Option<DateTime<Utc>>,
    #[sqlx(flatten)]
    user: UserRoleRaw,
}

/// A token, its user and the user's roles in one query: what every API request reads.
pub async fn find_token_user(
    tx: &mut Tx,
    token_hash: &str,
) -> Result<Option<(ApiTokenRow, UserRow, Vec<Role>)>, DbError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT t.id AS t_id, t.name AS t_name, t.created_at AS t_created_at,
                t.last_used_at AS t_last_used_at, t.revoked_at AS t_revoked_at, {USER_ROLE_COLUMNS}
             FROM api_tokens t{} WHERE t.token_hash = $1",
            user_role_joins("t.user_id")
        )
    });
    // Before every API call: on the request's own thread where it can run there.
    let mut rows = if let Some(on_thread) = tx.on_thread().await? {
        on_thread.rows(SQL.as_str(), &[&token_hash], |r| {
            Ok(TokenUserRaw {
                t_id: named(r, "t_id")?,
                t_name: named(r, "t_name")?,
                t_created_at: named(r, "t_created_at")?,
                t_last_used_at: named(r, "t_last_used_at")?,
                t_revoked_at: named(r, "t_revoked_at")?,
                user: UserRoleRaw::direct(r)?,
            })
        })?
    } else {
        run!(tx, |c| sqlx::query_as::<_, TokenUserRaw>(
            sqlx::AssertSqlSafe(SQL.as_str())
        )
        .bind(token_hash)
        .fetch_all(c)
        .await)?
    };
    let Some(first) = rows.first_mut() else {
        return Ok(None);
    };
    let token = ApiTokenRow {
        id: TokenId(first.t_id),
        user_id: UserId(first.user.user_id()),
        name: std::mem::take(&mut first.t_name),
        created_at: first.t_created_at,
        last_used_at: first.t_last_used_at,
        revoked_at: first.t_revoked_at,
    };
    Ok(user_and_roles(rows.into_iter().map(|r| r.user).collect())?
        .map(|(user, roles)| (token, user, roles)))
}

pub async fn get_token(tx: &mut Tx, id: TokenId) -> Result<Option<ApiTokenRow>, DbError> {
    let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, ApiTokenRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(id.get())
    .fetch_optional(c)
    .await)?)
}

/// Tokens of one user, or of everyone (none).
pub async fn list_tokens(
    tx: &mut Tx,
    user_id: Option<UserId>,
) -> Result<Vec<ApiTokenRow>, DbError> {
    let sql = format!(
        "SELECT {TOKEN_COLS} FROM api_tokens WHERE ($1 = 0 OR user_id = $1) ORDER BY id DESC"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, ApiTokenRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(user_id.map_or(0, |u| u.get()))
    .fetch_all(c)
    .await)?)
}

pub async fn touch_token(tx: &mut Tx, id: TokenId, now: DateTime<Utc>) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2"
    )
    .bind(now)
    .bind(id.get())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn revoke_token(tx: &mut Tx, id: TokenId, now: DateTime<Utc>) -> Result<(), DbError> {
    run!(tx, |c| sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL"
    )
    .bind(now)
    .bind(id.get())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Revokes every live token of a user (a password change or reset); returns how many.
pub async fn revoke_user_tokens(
    tx: &mut Tx,
    user_id: UserId,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    Ok(run!(tx, |c| sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"
    )
    .bind(now)
    .bind(user_id.get())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?)
}
