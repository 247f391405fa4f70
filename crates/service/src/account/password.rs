//! Changing one's own password.

use super::{ThrottleKeys, count_failure, hash_password, verify_password};
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error};
use keyproj_db::repo::account::sessions as session_repo;
use keyproj_db::repo::account::tokens as token_repo;
use keyproj_db::repo::admin::users as user_repo;
use keyproj_domain::ids::SessionId;

/// Changes one's own password; ends every other session of the user and revokes all of the
/// user's API tokens. A wrong current password counts as a failed login of the user's name
/// from the caller's address: at the limit every session of the user ends.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn change_password(
    app: &App,
    ctx: &Ctx,
    current_session: Option<SessionId>,
    old: &str,
    new: &str,
    confirm: &str,
) -> Result<()> {
    let user_id = ctx.actor.user_id.ok_or(ServiceError::Forbidden)?;
    let user = {
        let mut tx = app.db.begin_read().await?;
        user_repo::get_user(&mut tx, user_id)
            .await?
            .ok_or(ServiceError::NotFound)?
    };
    if !verify_password(old, &user.password_hash).await {
        let keys = ThrottleKeys::new(&user.username, &ctx.ip);
        let mut w = Work::begin(app, ctx).await?;
        let blocked = count_failure(app, &mut w.tx, &keys, w.now).await?;
        user_repo::record_login_failure(&mut w.tx, user.id, user.failed_logins + 1, None, w.now)
            .await?;
        w.audit(Audit::new("password_change_failed", "user").id(user.id))
            .await?;
        if blocked {
            let ended = session_repo::delete_user_sessions(&mut w.tx, user.id).await?;
            w.audit(
                Audit::new("login_throttled", "user")
                    .id(user.id)
                    .after(&serde_json::json!({ "ip": ctx.ip, "sessions_ended": ended })),
            )
            .await?;
        }
        w.commit().await?;
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
    let mut w = Work::begin(app, ctx).await?;
    user_repo::set_password(&mut w.tx, user.id, &hash, false, w.now).await?;
    session_repo::delete_other_sessions(
        &mut w.tx,
        user.id,
        current_session.unwrap_or(SessionId(0)),
    )
    .await?;
    let revoked = token_repo::revoke_user_tokens(&mut w.tx, user.id, w.now).await?;
    w.audit(
        Audit::new("password_change", "user")
            .id(user.id)
            .after(&serde_json::json!({ "tokens_revoked": revoked })),
    )
    .await?;
    w.commit().await
}
