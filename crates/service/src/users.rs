//! Accounts (系统管理员) and account security (安全管理员).

use crate::auth::hash_password;
use crate::{App, Ctx, Result, ServiceError, audit, field_error, random_password, require};
use keyproj_db::repo::users::{ApiTokenRow, NewUser, SessionRow, UserRow};
use keyproj_db::repo::{org, users};
use keyproj_domain::authz::{Action, Role, validate_roles};
use keyproj_domain::error::check_text;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    #[serde(flatten)]
    pub user: UserRow,
    pub roles: Vec<String>,
}

#[derive(Serialize)]
struct UserAudit<'a> {
    username: &'a str,
    display_name: &'a str,
    unit_id: i64,
    roles: &'a [String],
    disabled: bool,
}

pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub unit_id: i64,
    pub roles: &'a [Role],
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
pub async fn create(app: &App, ctx: &Ctx, a: &NewAccount<'_>) -> Result<(i64, String)> {
    require(ctx, Action::ManageUsers)?;
    let username = check_username(a.username)?;
    let display = check_text("display_name", "姓名", a.display_name, true, 30)?;
    role_errors(a.roles)?;
    let password = random_password();
    let hash = hash_password(&password).await?;
    let mut tx = app.db.begin_write().await?;
    let unit = org::get_unit(&mut tx, a.unit_id)
        .await?
        .ok_or_else(|| field_error("unit_id", "unknown_unit", "所选单位不存在"))?;
    if !ctx.actor.region.contains(
        &keyproj_domain::RegionCode::parse(&unit.region_code)
            .map_err(|e| ServiceError::invariant(e.message))?,
    ) && ctx.actor.user_id != 0
    {
        return Err(field_error("unit_id", "unknown_unit", "所选单位不存在"));
    }
    let now = app.now();
    let id = users::insert_user(
        &mut tx,
        &NewUser {
            username: &username,
            display_name: &display,
            unit_id: a.unit_id,
            password_hash: &hash,
            must_change_password: true,
        },
        now,
    )
    .await
    .map_err(|e| match e {
        keyproj_db::DbError::Duplicate(m) => field_error("username", "duplicate", m),
        other => other.into(),
    })?;
    let keys: Vec<&str> = a.roles.iter().map(|r| r.key()).collect();
    users::set_roles(&mut tx, id, &keys).await?;
    let roles: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    audit(
        app,
        &mut tx,
        ctx,
        "create",
        "user",
        Some(id.to_string()),
        None::<&()>,
        Some(&UserAudit {
            username: &username,
            display_name: &display,
            unit_id: a.unit_id,
            roles: &roles,
            disabled: false,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok((id, password))
}

pub async fn list(app: &App, ctx: &Ctx) -> Result<Vec<UserView>> {
    if !(ctx.actor.has(Role::SystemAdmin) || ctx.actor.has(Role::SecurityAdmin)) {
        return Err(ServiceError::Forbidden);
    }
    let mut tx = app.db.begin_read().await?;
    let mut out = vec![];
    for u in users::list_users(&mut tx).await? {
        let roles = users::roles_of(&mut tx, u.id).await?;
        out.push(UserView { user: u, roles });
    }
    Ok(out)
}

pub async fn get(app: &App, ctx: &Ctx, id: i64) -> Result<UserView> {
    if !(ctx.actor.has(Role::SystemAdmin) || ctx.actor.has(Role::SecurityAdmin)) {
        return Err(ServiceError::Forbidden);
    }
    let mut tx = app.db.begin_read().await?;
    let u = users::get_user(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let roles = users::roles_of(&mut tx, id).await?;
    Ok(UserView { user: u, roles })
}

/// Changes roles (系统管理员; not their own account, so nobody grants themselves rights).
pub async fn set_roles(app: &App, ctx: &Ctx, id: i64, version: i64, roles: &[Role]) -> Result<()> {
    require(ctx, Action::ManageUsers)?;
    if id == ctx.actor.user_id {
        return Err(field_error("roles", "self", "不能修改自己的角色"));
    }
    role_errors(roles)?;
    let mut tx = app.db.begin_write().await?;
    let u = users::get_user(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let before = users::roles_of(&mut tx, id).await?;
    users::bump_version(&mut tx, id, version, app.now()).await?;
    let keys: Vec<&str> = roles.iter().map(|r| r.key()).collect();
    users::set_roles(&mut tx, id, &keys).await?;
    // New rights take effect at the next login.
    users::delete_user_sessions(&mut tx, id).await?;
    let after: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    audit(
        app,
        &mut tx,
        ctx,
        "role_change",
        "user",
        Some(u.id.to_string()),
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Disables or enables an account; disabling ends all its sessions.
pub async fn set_disabled(
    app: &App,
    ctx: &Ctx,
    id: i64,
    version: i64,
    disabled: bool,
) -> Result<()> {
    require(ctx, Action::ManageUsers)?;
    if id == ctx.actor.user_id {
        return Err(field_error("disabled", "self", "不能停用自己的账号"));
    }
    let mut tx = app.db.begin_write().await?;
    users::get_user(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    users::set_disabled(&mut tx, id, version, disabled, app.now()).await?;
    if disabled {
        users::delete_user_sessions(&mut tx, id).await?;
    }
    audit(
        app,
        &mut tx,
        ctx,
        if disabled { "disable" } else { "enable" },
        "user",
        Some(id.to_string()),
        None::<&()>,
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new random one-time password (系统管理员); ends the user's sessions.
pub async fn reset_password(app: &App, ctx: &Ctx, id: i64) -> Result<String> {
    require(ctx, Action::ManageUsers)?;
    let password = random_password();
    let hash = hash_password(&password).await?;
    let mut tx = app.db.begin_write().await?;
    users::get_user(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    users::set_password(&mut tx, id, &hash, true, app.now()).await?;
    users::delete_user_sessions(&mut tx, id).await?;
    // a reset means the password may be known to someone else: its tokens go too
    let revoked = users::revoke_user_tokens(&mut tx, id, app.now()).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "password_reset",
        "user",
        Some(id.to_string()),
        None::<&()>,
        Some(&serde_json::json!({ "tokens_revoked": revoked })),
    )
    .await?;
    tx.commit().await?;
    Ok(password)
}

/// Lifts a login lock (安全管理员).
pub async fn unlock(app: &App, ctx: &Ctx, id: i64) -> Result<()> {
    require(ctx, Action::ManageSecurity)?;
    let mut tx = app.db.begin_write().await?;
    let u = users::get_user(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    users::unlock(&mut tx, id, app.now()).await?;
    users::clear_throttles_of(&mut tx, &u.username.to_lowercase()).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "unlock",
        "user",
        Some(id.to_string()),
        None::<&()>,
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of a user (安全管理员).
pub async fn end_sessions(app: &App, ctx: &Ctx, id: i64) -> Result<u64> {
    require(ctx, Action::ManageSecurity)?;
    let mut tx = app.db.begin_write().await?;
    let n = users::delete_user_sessions(&mut tx, id).await?;
    audit(
        app,
        &mut tx,
        ctx,
        "end_sessions",
        "user",
        Some(id.to_string()),
        None::<&()>,
        Some(&serde_json::json!({ "sessions": n })),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

pub async fn sessions_and_tokens(
    app: &App,
    ctx: &Ctx,
) -> Result<(Vec<SessionRow>, Vec<ApiTokenRow>)> {
    require(ctx, Action::ManageSecurity)?;
    let mut tx = app.db.begin_read().await?;
    Ok((
        users::list_sessions(&mut tx).await?,
        users::list_tokens(&mut tx, None).await?,
    ))
}

/// On an empty database: the center unit and an `admin` (系统管理员) with a random password that
/// is printed once and must be changed at first login. Returns the password when created.
pub async fn bootstrap_admin(app: &App) -> Result<Option<String>> {
    let mut tx = app.db.begin_write().await?;
    if users::count_users(&mut tx).await? > 0 {
        return Ok(None);
    }
    let region = app.cfg.default_region.clone();
    crate::org::ensure_regions(app, &mut tx, &region).await?;
    let center_name = format!("{}重点项目建设事务中心", crate::org::region_name(&region));
    let unit_id = match org::find_unit_by_name(&mut tx, region.as_str(), &center_name).await? {
        Some(u) => u.id,
        None => {
            org::insert_unit(
                &mut tx,
                &org::NewUnit {
                    region_code: region.as_str(),
                    name: &center_name,
                    kind: "center",
                    contact: "",
                    phone: "",
                    sort_order: 0,
                },
                app.now(),
            )
            .await?
        }
    };
    let password = random_password();
    let hash = hash_password(&password).await?;
    let id = users::insert_user(
        &mut tx,
        &NewUser {
            username: "admin",
            display_name: "系统管理员",
            unit_id,
            password_hash: &hash,
            must_change_password: true,
        },
        app.now(),
    )
    .await?;
    users::set_roles(&mut tx, id, &[Role::SystemAdmin.key()]).await?;
    let ctx = Ctx::system(region);
    audit(
        app,
        &mut tx,
        &ctx,
        "create",
        "user",
        Some(id.to_string()),
        None::<&()>,
        Some(&serde_json::json!({ "username": "admin", "roles": ["system_admin"] })),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(password))
}

/// Sets a user's password from the command line (`keyproj user passwd`); a one-time password
/// when `password` is None. Ends the user's sessions and revokes the user's API tokens.
pub async fn set_password_cli(app: &App, username: &str, password: Option<&str>) -> Result<String> {
    let u = {
        let mut tx = app.db.begin_read().await?;
        users::find_user(&mut tx, username)
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
    // hashed before the write transaction opens: nobody waits for argon2
    let hash = hash_password(&pw).await?;
    let now = app.now();
    let mut tx = app.db.begin_write().await?;
    users::set_password(&mut tx, u.id, &hash, must_change, now).await?;
    users::delete_user_sessions(&mut tx, u.id).await?;
    let revoked = users::revoke_user_tokens(&mut tx, u.id, now).await?;
    users::clear_throttles_of(&mut tx, &u.username.to_lowercase()).await?;
    audit(
        app,
        &mut tx,
        &Ctx::system(app.cfg.default_region.clone()),
        "password_reset",
        "user",
        Some(u.id.to_string()),
        None::<&()>,
        Some(&serde_json::json!({ "tokens_revoked": revoked })),
    )
    .await?;
    tx.commit().await?;
    Ok(pw)
}
