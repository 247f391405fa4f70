//! Login, sessions, password changes and API tokens.

use crate::{App, Ctx, Result, ServiceError, audit, field_error, random_token, token_hash};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use keyproj_db::repo::users::{self, ApiTokenRow, SessionRow, UserRow};
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Actor, Role};
use serde::Serialize;

/// The one message for any failed login: it does not tell which part was wrong.
pub const LOGIN_FAILED: &str = "用户名或密码错误";
pub const ACCOUNT_LOCKED: &str = "登录失败次数过多，账号已临时锁定，请稍后再试或联系安全管理员";

pub async fn hash_password(password: &str) -> Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
    .map_err(|e| ServiceError::Internal(e.to_string()))
}

pub async fn verify_password(password: &str, hash: &str) -> bool {
    let pw = password.to_string();
    let h = hash.to_string();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&h)
            .map(|ph| {
                Argon2::default()
                    .verify_password(pw.as_bytes(), &ph)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so both paths cost the same.
async fn dummy_hash() -> String {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async {
            hash_password("keyproj-dummy-password")
                .await
                .unwrap_or_default()
        })
        .await
        .clone()
}

pub struct LoggedIn {
    pub token: String,
    pub user: UserRow,
}

/// Builds the actor of a user.
pub async fn actor_of(tx: &mut keyproj_db::Tx, user: &UserRow) -> Result<Actor> {
    let roles = users::roles_of(tx, user.id)
        .await?
        .iter()
        .filter_map(|r| Role::from_key(r))
        .collect();
    Ok(Actor {
        user_id: user.id,
        username: user.username.clone(),
        roles,
        unit_id: user.unit_id,
        region: RegionCode::parse(&user.region_code)
            .map_err(|e| ServiceError::Internal(e.message))?,
    })
}

fn anon(app: &App, username: &str, ip: &str) -> Ctx {
    let mut a = Actor::system(app.cfg.default_region.clone());
    a.username = username.chars().take(64).collect();
    a.roles.clear();
    Ctx {
        actor: a,
        ip: ip.to_string(),
    }
}

#[derive(Serialize)]
struct LoginNote<'a> {
    user_agent: &'a str,
    reason: &'a str,
}

/// Checks a username and password and opens a new session (a new token every time).
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    ip: &str,
    user_agent: &str,
) -> Result<LoggedIn> {
    let now = app.now();
    let policy = app.cfg.session;
    let username = username.trim();
    let mut tx = app.db.begin_write().await?;
    let user = users::find_user(&mut tx, username).await?;
    let Some(user) = user else {
        let _ = verify_password(password, &dummy_hash().await).await;
        audit(
            app,
            &mut tx,
            &anon(app, username, ip),
            "login_failed",
            "user",
            None,
            None::<&()>,
            Some(&LoginNote {
                user_agent,
                reason: "unknown_user",
            }),
        )
        .await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthorized(LOGIN_FAILED.into()));
    };
    let ctx = Ctx {
        actor: actor_of(&mut tx, &user).await?,
        ip: ip.to_string(),
    };
    if policy.is_locked(user.locked_until, now) {
        audit(
            app,
            &mut tx,
            &ctx,
            "login_failed",
            "user",
            Some(user.id.to_string()),
            None::<&()>,
            Some(&LoginNote {
                user_agent,
                reason: "locked",
            }),
        )
        .await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthorized(ACCOUNT_LOCKED.into()));
    }
    let ok = verify_password(password, &user.password_hash).await;
    if !ok || user.disabled {
        let (failed, locked) = policy.after_failure(user.failed_logins, now);
        users::record_login_failure(&mut tx, user.id, failed, locked, now).await?;
        let reason = if user.disabled {
            "disabled"
        } else {
            "wrong_password"
        };
        audit(
            app,
            &mut tx,
            &ctx,
            "login_failed",
            "user",
            Some(user.id.to_string()),
            None::<&()>,
            Some(&LoginNote { user_agent, reason }),
        )
        .await?;
        if locked.is_some() {
            audit(
                app,
                &mut tx,
                &ctx,
                "account_locked",
                "user",
                Some(user.id.to_string()),
                None::<&()>,
                None::<&()>,
            )
            .await?;
        }
        tx.commit().await?;
        return Err(ServiceError::Unauthorized(
            if locked.is_some() {
                ACCOUNT_LOCKED
            } else {
                LOGIN_FAILED
            }
            .into(),
        ));
    }
    users::record_login_success(&mut tx, user.id, now).await?;
    let token = random_token();
    let ua: String = user_agent.chars().take(300).collect();
    let sid = users::insert_session(
        &mut tx,
        &token_hash(&token),
        user.id,
        &random_token(),
        ip,
        &ua,
        now,
    )
    .await?;
    audit(
        app,
        &mut tx,
        &ctx,
        "login",
        "session",
        Some(sid.to_string()),
        None::<&()>,
        Some(&LoginNote {
            user_agent: &ua,
            reason: "ok",
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(LoggedIn { token, user })
}

/// An authenticated request: the session, its user and the actor.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub session: SessionRow,
    pub user: UserRow,
    pub actor: Actor,
}

/// Resolves a session token; None when unknown, expired (idle or absolute) or the user is
/// disabled. Refreshes the idle timer at most once a minute to keep writes rare.
pub async fn session(app: &App, token: &str) -> Result<Option<SessionInfo>> {
    let now = app.now();
    let mut tx = app.db.begin_read().await?;
    let Some(s) = users::find_session(&mut tx, &token_hash(token)).await? else {
        return Ok(None);
    };
    let Some(user) = users::get_user(&mut tx, s.user_id).await? else {
        return Ok(None);
    };
    let actor = actor_of(&mut tx, &user).await?;
    tx.rollback().await?;
    if user.disabled
        || !app
            .cfg
            .session
            .session_alive(s.created_at, s.last_seen_at, now)
    {
        let mut w = app.db.begin_write().await?;
        users::delete_session(&mut w, s.id).await?;
        w.commit().await?;
        return Ok(None);
    }
    if now - s.last_seen_at > chrono::Duration::seconds(60) {
        let mut w = app.db.begin_write().await?;
        users::touch_session(&mut w, s.id, now).await?;
        w.commit().await?;
    }
    Ok(Some(SessionInfo {
        session: s,
        user,
        actor,
    }))
}

pub async fn logout(app: &App, ctx: &Ctx, session_id: i64) -> Result<()> {
    let mut tx = app.db.begin_write().await?;
    users::delete_session(&mut tx, session_id).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "logout",
        "session",
        Some(session_id.to_string()),
        None::<&()>,
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes one's own password; ends every other session of the user.
pub async fn change_password(
    app: &App,
    ctx: &Ctx,
    current_session: Option<i64>,
    old: &str,
    new: &str,
    confirm: &str,
) -> Result<()> {
    let mut tx = app.db.begin_write().await?;
    let user = users::get_user(&mut tx, ctx.actor.user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !verify_password(old, &user.password_hash).await {
        return Err(field_error(
            "old_password",
            "wrong_password",
            "当前密码不正确",
        ));
    }
    if new != confirm {
        return Err(field_error(
            "confirm_password",
            "mismatch",
            "两次输入的新密码不一致",
        ));
    }
    if new == old {
        return Err(field_error(
            "new_password",
            "unchanged",
            "新密码不能与当前密码相同",
        ));
    }
    app.cfg.password.check(new, &user.username)?;
    let hash = hash_password(new).await?;
    let now = app.now();
    users::set_password(&mut tx, user.id, &hash, false, now).await?;
    users::delete_other_sessions(&mut tx, user.id, current_session.unwrap_or(0)).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "password_change",
        "user",
        Some(user.id.to_string()),
        None::<&()>,
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// --- API tokens -----------------------------------------------------------------------

/// Resolves `Authorization: Bearer <token>`.
pub async fn api_token(app: &App, token: &str) -> Result<Option<(UserRow, Actor)>> {
    let mut tx = app.db.begin_read().await?;
    let Some(t) = users::find_token(&mut tx, &token_hash(token)).await? else {
        return Ok(None);
    };
    if t.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(user) = users::get_user(&mut tx, t.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    let actor = actor_of(&mut tx, &user).await?;
    tx.rollback().await?;
    let now = app.now();
    if t.last_used_at
        .is_none_or(|l| now - l > chrono::Duration::seconds(60))
    {
        let mut w = app.db.begin_write().await?;
        users::touch_token(&mut w, t.id, now).await?;
        w.commit().await?;
    }
    Ok(Some((user, actor)))
}

/// Creates a personal token; the secret is returned once and only its hash is stored.
pub async fn create_token(app: &App, ctx: &Ctx, name: &str) -> Result<(i64, String)> {
    let name = keyproj_domain::error::check_text("name", "令牌名称", name, true, 60)?;
    let token = format!("kp_{}", random_token());
    let mut tx = app.db.begin_write().await?;
    let id = users::insert_token(
        &mut tx,
        ctx.actor.user_id,
        &name,
        &token_hash(&token),
        app.now(),
    )
    .await?;
    audit(
        app,
        &mut tx,
        ctx,
        "create",
        "api_token",
        Some(id.to_string()),
        None::<&()>,
        Some(&serde_json::json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

pub async fn my_tokens(app: &App, ctx: &Ctx) -> Result<Vec<ApiTokenRow>> {
    let mut tx = app.db.begin_read().await?;
    Ok(users::list_tokens(&mut tx, Some(ctx.actor.user_id)).await?)
}

/// Revokes a token: its owner, or the 安全管理员.
pub async fn revoke_token(app: &App, ctx: &Ctx, id: i64) -> Result<()> {
    let mut tx = app.db.begin_write().await?;
    let t = users::get_token(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if t.user_id != ctx.actor.user_id && !ctx.actor.has(Role::SecurityAdmin) {
        return Err(ServiceError::NotFound);
    }
    users::revoke_token(&mut tx, id, app.now()).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "revoke",
        "api_token",
        Some(id.to_string()),
        None::<&()>,
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
