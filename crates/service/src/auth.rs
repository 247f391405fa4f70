//! Login, sessions, password changes and API tokens.

use crate::{App, Ctx, Result, ServiceError, audit, field_error, random_token, token_hash};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use keyproj_db::repo::users::{self, ApiTokenRow, SessionRow, UserRow};
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::session::Throttle;
use serde::Serialize;

/// The one message for any failed login: it does not tell which part was wrong.
pub const LOGIN_FAILED: &str = "用户名或密码错误";

/// The message once an address has failed too often, with this name or with any: the same for
/// known and unknown names, so it tells nobody whether an account exists.
pub fn throttled_message(app: &App) -> String {
    format!(
        "登录失败次数过多，请{}分钟后再试（如需帮助请联系安全管理员）",
        app.cfg.session.lockout.num_minutes().max(1)
    )
}

/// Password hashes computed at once in the process. Each argon2 run takes ~40 ms of a core; a
/// login flood queues here instead of starving every other request, and no hash ever runs
/// while a database write transaction is open.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn hashing<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| ServiceError::internal("内部处理", e))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServiceError::internal("内部处理", e))
}

pub async fn hash_password(password: &str) -> Result<String> {
    let pw = password.to_string();
    hashing(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await?
    .map_err(|e| ServiceError::internal("内部处理", e))
}

pub async fn verify_password(password: &str, hash: &str) -> bool {
    let pw = password.to_string();
    let h = hash.to_string();
    hashing(move || {
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

/// The keys failures are counted under: the address; the typed name from that address; the
/// typed name. Names are compared in lower case, as typed (known or not).
struct ThrottleKeys {
    name: String,
    address: String,
    pair: String,
    by_name: String,
}

impl ThrottleKeys {
    fn new(typed: &str, ip: &str) -> ThrottleKeys {
        let name: String = typed.trim().to_lowercase().chars().take(64).collect();
        ThrottleKeys {
            address: format!("addr:{ip}"),
            pair: format!("pair:{ip}|{name}"),
            by_name: format!("name:{name}"),
            name,
        }
    }
}

/// Counts one failed attempt of `keys` (in `tx`); true when the address or the name from the
/// address is now blocked.
async fn count_failure(
    app: &App,
    tx: &mut keyproj_db::Tx,
    keys: &ThrottleKeys,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    let policy = app.cfg.session;
    let mut blocked = false;
    for (key, limit, owner) in [
        (&keys.address, Some(policy.max_failed_per_address), ""),
        (
            &keys.pair,
            Some(policy.max_failed_logins),
            keys.name.as_str(),
        ),
        (&keys.by_name, None, keys.name.as_str()),
    ] {
        let before = users::throttle(tx, key).await?;
        let after = policy.throttle_after_failure(before.as_ref(), limit, now);
        blocked |= Throttle::blocked(Some(&after), now);
        users::put_throttle(tx, key, owner, &after, now).await?;
    }
    Ok(blocked)
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
            .map_err(|e| ServiceError::invariant(e.message))?,
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
///
/// Failures are counted per address, per name from an address and per name; five failures of
/// one name from one address (or thirty from one address) block that address for the lockout
/// period, and failures of a name from anywhere slow each further attempt on it. The visible
/// answer is the same for known and unknown names. The password is checked outside any
/// database transaction, so a login flood never holds up other writes.
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    ip: &str,
    user_agent: &str,
) -> Result<LoggedIn> {
    let policy = app.cfg.session;
    let username = username.trim();
    let keys = ThrottleKeys::new(username, ip);
    let ua: String = user_agent.chars().take(300).collect();
    let (user, ctx, blocked, by_name) = {
        let now = app.now();
        let mut tx = app.db.begin_read().await?;
        let user = users::find_user(&mut tx, username).await?;
        let ctx = match &user {
            Some(u) => Ctx {
                actor: actor_of(&mut tx, u).await?,
                ip: ip.to_string(),
            },
            None => anon(app, username, ip),
        };
        let blocked =
            Throttle::blocked(users::throttle(&mut tx, &keys.address).await?.as_ref(), now)
                || Throttle::blocked(users::throttle(&mut tx, &keys.pair).await?.as_ref(), now);
        let by_name = users::throttle(&mut tx, &keys.by_name).await?;
        tx.rollback().await?;
        (user, ctx, blocked, by_name)
    };
    let entity = user.as_ref().map(|u| u.id.to_string());
    if blocked {
        let mut tx = app.db.begin_write().await?;
        audit(
            app,
            &mut tx,
            &ctx,
            "login_failed",
            "user",
            entity,
            None::<&()>,
            Some(&LoginNote {
                user_agent: &ua,
                reason: "throttled",
            }),
        )
        .await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthorized(throttled_message(app)));
    }
    let delay = policy.delay_for(by_name.as_ref(), app.now());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let ok = match &user {
        Some(u) => verify_password(password, &u.password_hash).await && !u.disabled,
        None => {
            let _ = verify_password(password, &dummy_hash().await).await;
            false
        }
    };
    let now = app.now();
    let mut tx = app.db.begin_write().await?;
    if !ok {
        let blocked = count_failure(app, &mut tx, &keys, now).await?;
        let reason = match &user {
            None => "unknown_user",
            Some(u) if u.disabled => "disabled",
            Some(_) => "wrong_password",
        };
        if let Some(u) = &user {
            users::record_login_failure(&mut tx, u.id, u.failed_logins + 1, None, now).await?;
        }
        audit(
            app,
            &mut tx,
            &ctx,
            "login_failed",
            "user",
            entity.clone(),
            None::<&()>,
            Some(&LoginNote {
                user_agent: &ua,
                reason,
            }),
        )
        .await?;
        if blocked {
            audit(
                app,
                &mut tx,
                &ctx,
                "login_throttled",
                "user",
                entity,
                None::<&()>,
                Some(&serde_json::json!({ "ip": ip })),
            )
            .await?;
        }
        tx.commit().await?;
        return Err(ServiceError::Unauthorized(if blocked {
            throttled_message(app)
        } else {
            LOGIN_FAILED.into()
        }));
    }
    let user = user.expect("checked above");
    users::clear_throttle(&mut tx, &keys.pair).await?;
    users::clear_throttle(&mut tx, &keys.by_name).await?;
    users::record_login_success(&mut tx, user.id, now).await?;
    let token = random_token();
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

/// Drops login-failure counts untouched for a day (the background loop calls this).
pub async fn forget_old_failures(app: &App) -> Result<u64> {
    let mut tx = app.db.begin_write().await?;
    let n = users::purge_throttles(&mut tx, app.now() - chrono::Duration::days(1)).await?;
    tx.commit().await?;
    Ok(n)
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

/// Changes one's own password; ends every other session of the user and revokes all of the
/// user's API tokens. A wrong current password counts as a failed login of the user's name
/// from the caller's address: at the limit every session of the user ends.
pub async fn change_password(
    app: &App,
    ctx: &Ctx,
    current_session: Option<i64>,
    old: &str,
    new: &str,
    confirm: &str,
) -> Result<()> {
    let user = {
        let mut tx = app.db.begin_read().await?;
        users::get_user(&mut tx, ctx.actor.user_id)
            .await?
            .ok_or(ServiceError::NotFound)?
    };
    if !verify_password(old, &user.password_hash).await {
        let keys = ThrottleKeys::new(&user.username, &ctx.ip);
        let now = app.now();
        let mut tx = app.db.begin_write().await?;
        let blocked = count_failure(app, &mut tx, &keys, now).await?;
        users::record_login_failure(&mut tx, user.id, user.failed_logins + 1, None, now).await?;
        audit(
            app,
            &mut tx,
            ctx,
            "password_change_failed",
            "user",
            Some(user.id.to_string()),
            None::<&()>,
            None::<&()>,
        )
        .await?;
        if blocked {
            let ended = users::delete_user_sessions(&mut tx, user.id).await?;
            audit(
                app,
                &mut tx,
                ctx,
                "login_throttled",
                "user",
                Some(user.id.to_string()),
                None::<&()>,
                Some(&serde_json::json!({ "ip": ctx.ip, "sessions_ended": ended })),
            )
            .await?;
        }
        tx.commit().await?;
        if blocked {
            return Err(ServiceError::Unauthorized(format!(
                "当前密码多次输入错误，已退出登录，请{}分钟后再试",
                app.cfg.session.lockout.num_minutes().max(1)
            )));
        }
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
    app.cfg
        .password
        .check(new, &[&user.username, &user.display_name])?;
    let hash = hash_password(new).await?;
    let now = app.now();
    let mut tx = app.db.begin_write().await?;
    users::set_password(&mut tx, user.id, &hash, false, now).await?;
    users::delete_other_sessions(&mut tx, user.id, current_session.unwrap_or(0)).await?;
    let revoked = users::revoke_user_tokens(&mut tx, user.id, now).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "password_change",
        "user",
        Some(user.id.to_string()),
        None::<&()>,
        Some(&serde_json::json!({ "tokens_revoked": revoked })),
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
    let user = users::get_user(&mut tx, ctx.actor.user_id)
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
