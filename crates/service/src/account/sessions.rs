//! Signing in and out. Failures are counted per address, per name from an address and per
//! name; the visible answer is the same for known and unknown names.

use super::{
    Attempt, ThrottleKeys, actor_of, count_name_failure, dummy_hash, give_back_attempt,
    reserve_attempt, verify_password,
};
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, random_token, token_hash};
use keyproj_db::repo::account::sessions::{self as repo, NewSession, SessionRow};
use keyproj_db::repo::admin::users::{self as user_repo, UserRow};
use keyproj_domain::authz::Actor;
use keyproj_domain::ids::SessionId;
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

/// A new session: its token (given to the browser once) and the user.
pub struct LoggedIn {
    pub token: String,
    pub user: UserRow,
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

fn login_audit(action: &'static str, user: Option<&UserRow>, note: &LoginNote<'_>) -> Audit {
    let a = Audit::new(action, "user").after(note);
    match user {
        Some(u) => a.id(u.id),
        None => a,
    }
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
    let (user, ctx, by_name) = {
        let mut tx = app.db.begin_read().await?;
        let user = user_repo::find_user(&mut tx, username).await?;
        let ctx = match &user {
            Some(u) => Ctx {
                actor: actor_of(&mut tx, u).await?,
                ip: ip.to_string(),
            },
            None => anon(app, username, ip),
        };
        let by_name = repo::throttle(&mut tx, &keys.by_name).await?;
        tx.rollback().await?;
        (user, ctx, by_name)
    };
    // Checked and counted in one write before the password is: this attempt counts as a
    // failure until it succeeds, so guesses sent in parallel meet the block once the limit is
    // reached instead of all passing the check before any is counted.
    let mut w = Work::begin(app, &ctx).await?;
    let attempt = reserve_attempt(app, &mut w.tx, &keys, w.now).await?;
    if let Attempt::Refused = attempt {
        w.audit(login_audit(
            "login_failed",
            user.as_ref(),
            &LoginNote {
                user_agent: &ua,
                reason: "throttled",
            },
        ))
        .await?;
        w.commit().await?;
        return Err(ServiceError::Unauthorized(throttled_message(app)));
    }
    let blocked = matches!(attempt, Attempt::Counted { blocked: true });
    w.commit().await?;
    let delay = policy.delay_for(by_name.as_ref(), app.now());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let verified = match &user {
        Some(u) => verify_password(password, &u.password_hash).await && !u.disabled,
        None => {
            let _ = verify_password(password, &dummy_hash().await).await;
            false
        }
    };
    let mut w = Work::begin(app, &ctx).await?;
    let user = match user {
        Some(u) if verified => u,
        user => {
            count_name_failure(app, &mut w.tx, &keys, w.now).await?;
            let reason = match &user {
                None => "unknown_user",
                Some(u) if u.disabled => "disabled",
                Some(_) => "wrong_password",
            };
            if let Some(u) = &user {
                user_repo::record_login_failure(&mut w.tx, u.id, u.failed_logins + 1, None, w.now)
                    .await?;
            }
            w.audit(login_audit(
                "login_failed",
                user.as_ref(),
                &LoginNote {
                    user_agent: &ua,
                    reason,
                },
            ))
            .await?;
            if blocked {
                let a =
                    Audit::new("login_throttled", "user").after(&serde_json::json!({ "ip": ip }));
                w.audit(match &user {
                    Some(u) => a.id(u.id),
                    None => a,
                })
                .await?;
            }
            w.commit().await?;
            return Err(ServiceError::Unauthorized(if blocked {
                throttled_message(app)
            } else {
                LOGIN_FAILED.into()
            }));
        }
    };
    give_back_attempt(app, &mut w.tx, &keys, w.now).await?;
    repo::clear_throttle(&mut w.tx, &keys.pair).await?;
    repo::clear_throttle(&mut w.tx, &keys.by_name).await?;
    user_repo::record_login_success(&mut w.tx, user.id, w.now).await?;
    let token = random_token();
    let sid = repo::insert_session(
        &mut w.tx,
        &NewSession {
            token_hash: &token_hash(&token),
            user_id: user.id,
            csrf: &random_token(),
            ip,
            user_agent: &ua,
        },
        w.now,
    )
    .await?;
    w.audit(Audit::new("login", "session").id(sid).after(&LoginNote {
        user_agent: &ua,
        reason: "ok",
    }))
    .await?;
    w.commit().await?;
    Ok(LoggedIn { token, user })
}

/// Drops login-failure counts untouched for a day (the background loop calls this).
pub async fn forget_old_failures(app: &App) -> Result<u64> {
    let mut tx = app.db.begin_write().await?;
    let n = repo::purge_throttles(&mut tx, app.now() - chrono::Duration::days(1)).await?;
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
    // One query for the session, its user and roles, outside a transaction: this runs
    // before every signed-in page.
    let mut tx = app.db.read().await?;
    let found = repo::find_session_user(&mut tx, &token_hash(token)).await?;
    tx.rollback().await?;
    let Some((s, user, roles)) = found else {
        return Ok(None);
    };
    let actor = super::actor_with(&user, roles);
    if user.disabled
        || !app
            .cfg
            .session
            .session_alive(s.created_at, s.last_seen_at, now)
    {
        let mut w = app.db.begin_write().await?;
        repo::delete_session(&mut w, s.id).await?;
        w.commit().await?;
        return Ok(None);
    }
    if now - s.last_seen_at > chrono::Duration::seconds(60) {
        let mut w = app.db.begin_write().await?;
        repo::touch_session(&mut w, s.id, now).await?;
        w.commit().await?;
    }
    Ok(Some(SessionInfo {
        session: s,
        user,
        actor,
    }))
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn logout(app: &App, ctx: &Ctx, session_id: SessionId) -> Result<()> {
    let mut w = Work::begin(app, ctx).await?;
    repo::delete_session(&mut w.tx, session_id).await?;
    w.audit(Audit::new("logout", "session").id(session_id))
        .await?;
    w.commit().await
}
