//! Accounts (系统管理员) and account security (安全管理员).

use crate::account::hash_password;
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error, random_password, require};
use keyproj_db::repo::account::sessions::{self as session_repo, SessionRow};
use keyproj_db::repo::account::tokens::{self as token_repo, ApiTokenRow};
use keyproj_db::repo::admin::users::{self as repo, NewUser, UserRow};
use keyproj_db::repo::org;
use keyproj_domain::authz::{Action, Role, validate_roles};
use keyproj_domain::error::check_text;
use keyproj_domain::ids::{UnitId, UserId};
use keyproj_domain::org::UnitKind;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    #[serde(flatten)]
    pub user: UserRow,
    pub roles: Vec<Role>,
}

#[derive(Serialize)]
struct UserAudit<'a> {
    username: &'a str,
    display_name: &'a str,
    unit_id: UnitId,
    roles: &'a [Role],
    disabled: bool,
}

pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub unit_id: UnitId,
    pub roles: &'a [Role],
}

/// A new account and its one-time password (shown once).
pub struct Created {
    pub id: UserId,
    pub password: String,
}

fn check_username(u: &str) -> Result<String> {
    let u = u.trim();
    if u.len() < 3
        || u.len() > 32
        || !u
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        return Err(field_error(
            "username",
            "invalid_username",
            "用户名应为3到32位字母、数字、下划线、点或连字符",
        ));
    }
    Ok(u.to_string())
}

fn role_errors(roles: &[Role]) -> Result<()> {
    validate_roles(roles).map_err(|m| field_error("roles", "invalid_roles", m))
}

/// Creates an account with a random one-time password (returned once; must be changed at
/// first login).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn create(app: &App, ctx: &Ctx, a: &NewAccount<'_>) -> Result<Created> {
    require(ctx, Action::ManageUsers)?;
    let username = check_username(a.username)?;
    let display = check_text("display_name", "姓名", a.display_name, true, 30)?;
    role_errors(a.roles)?;
    let password = random_password();
    // hashed before the write transaction opens: nobody waits for argon2
    let hash = hash_password(&password).await?;
    let mut w = Work::begin(app, ctx).await?;
    let unit = org::get_unit(&mut w.tx, a.unit_id)
        .await?
        .ok_or_else(|| field_error("unit_id", "unknown_unit", "所选单位不存在"))?;
    // the system (CLI, demo) may place accounts anywhere; an administrator only in their region
    if ctx.actor.user_id.is_some() && !ctx.actor.region.contains(&unit.region_code) {
        return Err(field_error("unit_id", "unknown_unit", "所选单位不存在"));
    }
    let id = repo::insert_user(
        &mut w.tx,
        &NewUser {
            username: &username,
            display_name: &display,
            unit_id: a.unit_id,
            password_hash: &hash,
            must_change_password: true,
        },
        w.now,
    )
    .await
    .map_err(|e| match e {
        keyproj_db::DbError::Duplicate(m) => field_error("username", "duplicate", m),
        other => other.into(),
    })?;
    repo::set_roles(&mut w.tx, id, a.roles).await?;
    w.audit(Audit::create("user", id).after(&UserAudit {
        username: &username,
        display_name: &display,
        unit_id: a.unit_id,
        roles: a.roles,
        disabled: false,
    }))
    .await?;
    w.commit().await?;
    Ok(Created { id, password })
}

fn may_see_users(ctx: &Ctx) -> Result<()> {
    if ctx.actor.has(Role::SystemAdmin) || ctx.actor.has(Role::SecurityAdmin) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn list(app: &App, ctx: &Ctx) -> Result<Vec<UserView>> {
    may_see_users(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let mut out = vec![];
    for u in repo::list_users(&mut tx).await? {
        let roles = repo::roles_of(&mut tx, u.id).await?;
        out.push(UserView { user: u, roles });
    }
    Ok(out)
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn get(app: &App, ctx: &Ctx, id: UserId) -> Result<UserView> {
    may_see_users(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let u = repo::get_user(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let roles = repo::roles_of(&mut tx, id).await?;
    Ok(UserView { user: u, roles })
}

/// An account another administrator acts on (never the actor's own: nobody grants themselves
/// rights or locks themselves out).
async fn other_user(w: &mut Work<'_>, id: UserId, field: &str, msg: &str) -> Result<UserRow> {
    if w.ctx.actor.user_id == Some(id) {
        return Err(field_error(field, "self", msg));
    }
    repo::get_user(&mut w.tx, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Changes roles (系统管理员; not their own account).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn set_roles(
    app: &App,
    ctx: &Ctx,
    id: UserId,
    version: i64,
    roles: &[Role],
) -> Result<()> {
    require(ctx, Action::ManageUsers)?;
    role_errors(roles)?;
    let mut w = Work::begin(app, ctx).await?;
    other_user(&mut w, id, "roles", "不能修改自己的角色").await?;
    let before = repo::roles_of(&mut w.tx, id).await?;
    repo::bump_version(&mut w.tx, id, version, w.now).await?;
    repo::set_roles(&mut w.tx, id, roles).await?;
    // New rights take effect at the next login.
    session_repo::delete_user_sessions(&mut w.tx, id).await?;
    w.audit(
        Audit::new("role_change", "user")
            .id(id)
            .before(&before)
            .after(&roles),
    )
    .await?;
    w.commit().await
}

/// Disables or enables an account; disabling ends all its sessions and revokes its API tokens,
/// so enabling it again does not bring back a token that was handed out before.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn set_disabled(
    app: &App,
    ctx: &Ctx,
    id: UserId,
    version: i64,
    disabled: bool,
) -> Result<()> {
    require(ctx, Action::ManageUsers)?;
    let mut w = Work::begin(app, ctx).await?;
    other_user(&mut w, id, "disabled", "不能停用自己的账号").await?;
    repo::set_disabled(&mut w.tx, id, version, disabled, w.now).await?;
    let mut audit = Audit::new(if disabled { "disable" } else { "enable" }, "user").id(id);
    if disabled {
        session_repo::delete_user_sessions(&mut w.tx, id).await?;
        let revoked = token_repo::revoke_user_tokens(&mut w.tx, id, w.now).await?;
        audit = audit.after(&serde_json::json!({ "tokens_revoked": revoked }));
    }
    w.audit(audit).await?;
    w.commit().await
}

/// Gives an account a new password hash: its sessions end and, since the password may be
/// known to someone else, its API tokens are revoked.
async fn replace_password(
    w: &mut Work<'_>,
    u: &UserRow,
    hash: &str,
    must_change: bool,
) -> Result<()> {
    repo::set_password(&mut w.tx, u.id, hash, must_change, w.now).await?;
    session_repo::delete_user_sessions(&mut w.tx, u.id).await?;
    let revoked = token_repo::revoke_user_tokens(&mut w.tx, u.id, w.now).await?;
    w.audit(
        Audit::new("password_reset", "user")
            .id(u.id)
            .after(&serde_json::json!({ "tokens_revoked": revoked })),
    )
    .await
}

/// Sets a new random one-time password (系统管理员).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn reset_password(app: &App, ctx: &Ctx, id: UserId) -> Result<String> {
    require(ctx, Action::ManageUsers)?;
    let password = random_password();
    let hash = hash_password(&password).await?;
    let mut w = Work::begin(app, ctx).await?;
    let u = repo::get_user(&mut w.tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    replace_password(&mut w, &u, &hash, true).await?;
    w.commit().await?;
    Ok(password)
}

/// Lifts a login lock (安全管理员).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn unlock(app: &App, ctx: &Ctx, id: UserId) -> Result<()> {
    require(ctx, Action::ManageSecurity)?;
    let mut w = Work::begin(app, ctx).await?;
    let u = repo::get_user(&mut w.tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    repo::unlock(&mut w.tx, id, w.now).await?;
    session_repo::clear_throttles_of(&mut w.tx, &u.username.to_lowercase()).await?;
    w.audit(Audit::new("unlock", "user").id(id)).await?;
    w.commit().await
}

/// Ends every session of a user (安全管理员).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn end_sessions(app: &App, ctx: &Ctx, id: UserId) -> Result<u64> {
    require(ctx, Action::ManageSecurity)?;
    let mut w = Work::begin(app, ctx).await?;
    let n = session_repo::delete_user_sessions(&mut w.tx, id).await?;
    w.audit(
        Audit::new("end_sessions", "user")
            .id(id)
            .after(&serde_json::json!({ "sessions": n })),
    )
    .await?;
    w.commit().await?;
    Ok(n)
}

/// Every open session and API token (安全管理员).
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    pub sessions: Vec<SessionRow>,
    pub tokens: Vec<ApiTokenRow>,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn access(app: &App, ctx: &Ctx) -> Result<Access> {
    require(ctx, Action::ManageSecurity)?;
    let mut tx = app.db.begin_read().await?;
    Ok(Access {
        sessions: session_repo::list_sessions(&mut tx).await?,
        tokens: token_repo::list_tokens(&mut tx, None).await?,
    })
}

/// On an empty database: the region, its center unit and an `admin` (系统管理员) with a random
/// password that is printed once and must be changed at first login. Returns the password
/// when created.
pub async fn bootstrap_admin(app: &App) -> Result<Option<String>> {
    let region = app.cfg.default_region.clone();
    let ctx = Ctx::system(region.clone());
    {
        let mut tx = app.db.begin_read().await?;
        if repo::count_users(&mut tx).await? > 0 {
            return Ok(None);
        }
    }
    let password = random_password();
    let hash = hash_password(&password).await?;
    let mut w = Work::begin(app, &ctx).await?;
    if repo::count_users(&mut w.tx).await? > 0 {
        return Ok(None);
    }
    crate::org::ensure_regions(&mut w.tx, &region).await?;
    let center_name = format!("{}重点项目建设事务中心", crate::org::region_name(&region));
    let unit_id = match org::find_unit_by_name(&mut w.tx, &region, &center_name).await? {
        Some(u) => u.id,
        None => {
            org::insert_unit(
                &mut w.tx,
                &org::NewUnit {
                    region_code: &region,
                    name: &center_name,
                    kind: UnitKind::Center,
                    contact: "",
                    phone: "",
                    sort_order: 0,
                },
                w.now,
            )
            .await?
        }
    };
    let id = repo::insert_user(
        &mut w.tx,
        &NewUser {
            username: "admin",
            display_name: "系统管理员",
            unit_id,
            password_hash: &hash,
            must_change_password: true,
        },
        w.now,
    )
    .await?;
    repo::set_roles(&mut w.tx, id, &[Role::SystemAdmin]).await?;
    w.audit(
        Audit::create("user", id)
            .after(&serde_json::json!({ "username": "admin", "roles": [Role::SystemAdmin] })),
    )
    .await?;
    w.commit().await?;
    Ok(Some(password))
}

/// Sets a user's password from the command line (`keyproj user passwd`); a one-time password
/// when `password` is None. Ends the user's sessions and revokes the user's API tokens.
pub async fn set_password_cli(app: &App, username: &str, password: Option<&str>) -> Result<String> {
    let ctx = Ctx::system(app.cfg.default_region.clone());
    let u = {
        let mut tx = app.db.begin_read().await?;
        repo::find_user(&mut tx, username)
            .await?
            .ok_or(ServiceError::NotFound)?
    };
    let (pw, must_change) = match password {
        Some(p) => {
            app.cfg.password.check(p, &[&u.username, &u.display_name])?;
            (p.to_string(), false)
        }
        None => (random_password(), true),
    };
    let hash = hash_password(&pw).await?;
    let mut w = Work::begin(app, &ctx).await?;
    replace_password(&mut w, &u, &hash, must_change).await?;
    session_repo::clear_throttles_of(&mut w.tx, &u.username.to_lowercase()).await?;
    w.commit().await?;
    Ok(pw)
}

/// An account by name, for the command line (the system only).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn find(app: &App, ctx: &Ctx, username: &str) -> Result<UserView> {
    if ctx.actor.user_id.is_some() {
        may_see_users(ctx)?;
    }
    let mut tx = app.db.begin_read().await?;
    let u = repo::find_user(&mut tx, username)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let roles = repo::roles_of(&mut tx, u.id).await?;
    Ok(UserView { user: u, roles })
}
