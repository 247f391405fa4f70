//! Personal API tokens: the secret is shown once and only its hash is stored.

use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error, random_token, token_hash};
use keyproj_db::repo::account::tokens::{self as repo, ApiTokenRow};
use keyproj_db::repo::admin::users::{self as user_repo, UserRow};
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::ids::TokenId;

/// The account behind a live token.
pub struct TokenUser {
    pub user: UserRow,
    pub actor: Actor,
}

/// Resolves `Authorization: Bearer <token>`.
pub async fn api_token(app: &App, token: &str) -> Result<Option<TokenUser>> {
    // One query for the token, its user and roles, outside a transaction: this runs before
    // every API call.
    let mut tx = app.db.read().await?;
    let found = repo::find_token_user(&mut tx, &token_hash(token)).await?;
    tx.rollback().await?;
    let Some((t, user, roles)) = found else {
        return Ok(None);
    };
    if t.revoked_at.is_some() || user.disabled {
        return Ok(None);
    }
    let actor = super::actor_with(&user, roles);
    let now = app.now();
    if t.last_used_at
        .is_none_or(|l| now - l > chrono::Duration::seconds(60))
    {
        let mut w = app.db.begin_write().await?;
        repo::touch_token(&mut w, t.id, now).await?;
        w.commit().await?;
    }
    Ok(Some(TokenUser { user, actor }))
}

/// A new token: its id and its secret (shown once).
pub struct NewToken {
    pub id: TokenId,
    pub secret: String,
}

/// Creates a personal token.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn create_token(app: &App, ctx: &Ctx, name: &str) -> Result<NewToken> {
    if !ctx.actor.may_create_tokens() {
        return Err(ServiceError::Forbidden);
    }
    create_token_unchecked(app, ctx, name).await
}

/// A token for any account that may sign in (the operator's command line decides).
async fn create_token_unchecked(app: &App, ctx: &Ctx, name: &str) -> Result<NewToken> {
    let name = keyproj_domain::error::check_text("name", "令牌名称", name, true, 60)?;
    let user_id = ctx.actor.user_id.ok_or(ServiceError::Forbidden)?;
    let secret = format!("kp_{}", random_token());
    let mut w = Work::begin(app, ctx).await?;
    let user = user_repo::get_user(&mut w.tx, user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if user.must_change_password {
        // Such a token would be refused at every call: say why now instead.
        return Err(field_error(
            "user",
            "password_change_required",
            "该账号尚未修改初始密码，不能创建 API 令牌：请先登录网页修改密码",
        ));
    }
    if user.disabled {
        return Err(field_error(
            "user",
            "disabled",
            "该账号已停用，不能创建 API 令牌",
        ));
    }
    let id = repo::insert_token(&mut w.tx, user_id, &name, &token_hash(&secret), w.now).await?;
    w.audit(Audit::create("api_token", id).after(&serde_json::json!({ "name": name })))
        .await?;
    w.commit().await?;
    Ok(NewToken { id, secret })
}

/// Creates a token for an account by name (the operator, on the command line).
pub async fn create_token_for(app: &App, username: &str, name: &str) -> Result<NewToken> {
    let ctx = super::acting_as(app, username, "cli").await?;
    create_token_unchecked(app, &ctx, name).await
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn my_tokens(app: &App, ctx: &Ctx) -> Result<Vec<ApiTokenRow>> {
    let Some(user_id) = ctx.actor.user_id else {
        return Ok(vec![]);
    };
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list_tokens(&mut tx, Some(user_id)).await?)
}

/// Revokes a token: its owner, or the 安全管理员.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn revoke_token(app: &App, ctx: &Ctx, id: TokenId) -> Result<()> {
    let mut w = Work::begin(app, ctx).await?;
    let t = repo::get_token(&mut w.tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if ctx.actor.user_id != Some(t.user_id) && !ctx.actor.has(Role::SecurityAdmin) {
        return Err(ServiceError::NotFound);
    }
    repo::revoke_token(&mut w.tx, id, w.now).await?;
    w.audit(Audit::new("revoke", "api_token").id(id)).await?;
    w.commit().await
}
