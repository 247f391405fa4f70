//! What the administrators do (三员分立), in the files the service mirrors: accounts and roles
//! (系统管理员), account security — sessions, tokens, lifting login limits (安全管理员) — and
//! reading the audit log (审计管理员).

use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::xlsx_response;
use crate::params::{Path, audit_filter_of};
use crate::views::{self, Choice, Chrome, choices};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use keyproj_domain::ValidationErrors;
use keyproj_domain::audit::{action_label, entity_label};
use keyproj_domain::authz::Role;
use keyproj_domain::ids::{TokenId, UnitId, UserId};
use keyproj_domain::keyed::Keyed;
use keyproj_service::admin::{audit, users};
use keyproj_service::{ServiceError, exports, org};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page).post(user_create))
        .route("/admin/users/{id}/{op}", axum::routing::post(user_op))
        .route("/admin/regions", get(regions_page).post(region_save))
        .route("/audit", get(audit_page))
        .route("/audit.xlsx", get(audit_export))
}

struct UserLine {
    id: UserId,
    version: i64,
    username: String,
    display_name: String,
    unit: String,
    roles: String,
    role_opts: Vec<Choice>,
    status: String,
    last_login: String,
    disabled: bool,
    locked: bool,
    is_self: bool,
}

/// A live session as the 安全管理员 sees it.
struct SessionLine {
    username: String,
    created: String,
    last_seen: String,
    ip: String,
}

/// A personal API token as the 安全管理员 sees it (never the secret).
struct TokenLine {
    id: TokenId,
    owner: String,
    name: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserLine>,
    units: Vec<Choice>,
    roles: Vec<Choice>,
    sessions: Vec<SessionLine>,
    tokens: Vec<TokenLine>,
    is_sysadmin: bool,
    is_secadmin: bool,
    flash: Option<String>,
    secret: Option<String>,
    errors: ValidationErrors,
}

async fn users_render(
    s: &AppState,
    signed: &Signed,
    flash: Option<String>,
    secret: Option<String>,
    errors: ValidationErrors,
) -> Result<UsersPage, PageError> {
    let list = users::list(&s.app, &signed.ctx).await?;
    let is_secadmin = signed.info.actor.has(Role::SecurityAdmin);
    let name_of = |id: UserId| {
        list.iter()
            .find(|u| u.user.id == id)
            .map(|u| u.user.username.clone())
            .unwrap_or_default()
    };
    let (sessions, tokens) = if is_secadmin {
        let access = users::access(&s.app, &signed.ctx).await?;
        (
            access
                .sessions
                .iter()
                .map(|x| SessionLine {
                    username: name_of(x.user_id),
                    created: views::local_time(&x.created_at),
                    last_seen: views::local_time(&x.last_seen_at),
                    ip: x.ip.clone(),
                })
                .collect(),
            access
                .tokens
                .iter()
                .map(|t| TokenLine {
                    id: t.id,
                    owner: name_of(t.user_id),
                    name: t.name.clone(),
                    created: views::local_time(&t.created_at),
                    last_used: t
                        .last_used_at
                        .as_ref()
                        .map(views::local_time)
                        .unwrap_or_default(),
                    revoked: t.revoked_at.is_some(),
                })
                .collect(),
        )
    } else {
        (vec![], vec![])
    };
    let units = org::units(&s.app, &signed.ctx).await?;
    Ok(UsersPage {
        chrome: Chrome::new(signed, "users"),
        users: list
            .iter()
            .map(|u| UserLine {
                id: u.user.id,
                version: u.user.version,
                username: u.user.username.clone(),
                display_name: u.user.display_name.clone(),
                unit: u.user.unit_name.clone(),
                roles: u
                    .roles
                    .iter()
                    .map(|r| r.label())
                    .collect::<Vec<_>>()
                    .join("、"),
                role_opts: Role::all()
                    .iter()
                    .map(|r| Choice::new(r.key(), r.label(), u.roles.contains(r)))
                    .collect(),
                status: if u.user.disabled {
                    "已停用".into()
                } else if u.user.failed_logins > 0 {
                    format!("近期登录失败{}次", u.user.failed_logins)
                } else if u.user.must_change_password {
                    "待改初始密码".into()
                } else {
                    "正常".into()
                },
                last_login: u
                    .user
                    .last_login_at
                    .as_ref()
                    .map(views::local_time)
                    .unwrap_or_default(),
                disabled: u.user.disabled,
                // failures recorded: the 安全管理员 may lift the limits on this name
                locked: u.user.failed_logins > 0,
                is_self: u.user.id == signed.info.user.id,
            })
            .collect(),
        units: units
            .iter()
            .map(|u| Choice::new(u.id, u.name.clone(), false))
            .collect(),
        roles: choices::<Role>(""),
        sessions,
        tokens,
        is_sysadmin: signed.info.actor.has(Role::SystemAdmin),
        is_secadmin,
        flash,
        secret,
        errors,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/regions.html")]
struct RegionsPage {
    chrome: Chrome,
    regions: Vec<RegionLine>,
    /// The form: code and name as typed (or the region being renamed).
    code: String,
    name: String,
    errors: ValidationErrors,
    flash: Option<String>,
}

struct RegionLine {
    code: String,
    name: String,
    level: &'static str,
    parent: String,
}

async fn regions_render(
    s: &AppState,
    signed: &Signed,
    code: String,
    name: String,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<RegionsPage, PageError> {
    if !signed
        .info
        .actor
        .may(keyproj_domain::authz::Action::ManageRegions)
    {
        return Err(ServiceError::NotFound.into());
    }
    let all = org::regions(&s.app, &signed.ctx).await?;
    let name_of = |c: &keyproj_domain::RegionCode| {
        all.iter()
            .find(|r| &r.code == c)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| c.as_str().to_string())
    };
    Ok(RegionsPage {
        chrome: Chrome::new(signed, "regions"),
        regions: all
            .iter()
            .map(|r| RegionLine {
                code: r.code.as_str().to_string(),
                name: r.name.clone(),
                level: match r.code.level() {
                    keyproj_domain::region::RegionLevel::Province => "省",
                    keyproj_domain::region::RegionLevel::City => "市（州）",
                    keyproj_domain::region::RegionLevel::County => "县（市、区）",
                },
                parent: r.parent_code.as_ref().map(name_of).unwrap_or_default(),
            })
            .collect(),
        code,
        name,
        errors,
        flash,
    })
}

/// 行政区划: the regions of one's own region, and the form to add or rename one.
async fn regions_page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    let code = q.get("code");
    let name = if code.is_empty() {
        String::new()
    } else {
        org::regions(&s.app, &signed.ctx)
            .await?
            .into_iter()
            .find(|r| r.code.as_str() == code.trim())
            .map(|r| r.name)
            .unwrap_or_default()
    };
    let flash = (!q.get("saved").is_empty()).then(|| format!("已保存行政区划 {}", q.get("saved")));
    Ok(
        regions_render(&s, &signed, code, name, ValidationErrors::new(), flash)
            .await?
            .into_response(),
    )
}

async fn region_save(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    match org::save_region(&s.app, &signed.ctx, &form.get("code"), &form.get("name")).await {
        Ok(code) => {
            Ok(Redirect::to(&format!("/admin/regions?saved={}", code.as_str())).into_response())
        }
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            regions_render(&s, &signed, form.get("code"), form.get("name"), v, None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn users_page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let flash = match query_pairs(q.as_deref()).get("done").as_str() {
        "" => None,
        _ => Some("操作已完成".to_string()),
    };
    Ok(
        users_render(&s, &signed, flash, None, ValidationErrors::new())
            .await?
            .into_response(),
    )
}

fn roles_from(form: &FormData) -> Vec<Role> {
    form.all("roles")
        .iter()
        .filter_map(|r| Role::from_key(r))
        .collect()
}

async fn user_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let roles = roles_from(&form);
    // no unit chosen reads as an unknown one: the service answers at the field
    let unit_id = form.typed::<UnitId>("unit_id").unwrap_or(UnitId::from(0));
    match users::create(
        &s.app,
        &signed.ctx,
        &users::NewAccount {
            username: &form.get("username"),
            display_name: &form.get("display_name"),
            unit_id,
            roles: &roles,
        },
    )
    .await
    {
        Ok(created) => Ok(users_render(
            &s,
            &signed,
            Some(format!("已创建账号 {}", form.get("username").trim())),
            Some(created.password),
            ValidationErrors::new(),
        )
        .await?
        .into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            users_render(&s, &signed, None, None, v).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn user_op(
    State(s): State<AppState>,
    Path((id, op)): Path<(UserId, String)>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let version = form.edited_version();
    let r = match op.as_str() {
        "roles" => users::set_roles(&s.app, &signed.ctx, id, version, &roles_from(&form)).await,
        "disable" => users::set_disabled(&s.app, &signed.ctx, id, version, true).await,
        "enable" => users::set_disabled(&s.app, &signed.ctx, id, version, false).await,
        "unlock" => users::unlock(&s.app, &signed.ctx, id).await,
        "end-sessions" => users::end_sessions(&s.app, &signed.ctx, id)
            .await
            .map(|_| ()),
        "reset" => {
            let password = users::reset_password(&s.app, &signed.ctx, id).await?;
            return Ok(users_render(
                &s,
                &signed,
                Some("密码已重置".into()),
                Some(password),
                ValidationErrors::new(),
            )
            .await?
            .into_response());
        }
        _ => return Err(ServiceError::NotFound.into()),
    };
    match r {
        Ok(()) => Ok(Redirect::to("/admin/users?done=1").into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            users_render(&s, &signed, None, None, v).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

struct AuditLine {
    id: i64,
    at: String,
    user: String,
    ip: String,
    action: String,
    entity: String,
    before: String,
    after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditLine>,
    total: i64,
    pager: views::Pager,
    f_user: String,
    f_entity: String,
    f_entity_id: String,
    f_action: String,
    f_from: String,
    f_to: String,
    error: Option<String>,
    export_href: String,
}

async fn audit_page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let qp = query_pairs(q.as_deref());
    let (mut f, error) = audit_filter_of(&qp);
    let mut page = qp.get("page").parse::<i64>().unwrap_or(1).clamp(1, 100_000);
    f.offset = (page - 1) * f.limit;
    let (mut rows, total) = audit::list(&s.app, &signed.ctx, &f).await?;
    let last = ((total + f.limit - 1) / f.limit).max(1);
    if page > last {
        // past the end: the last page
        page = last;
        f.offset = (page - 1) * f.limit;
        rows = audit::list(&s.app, &signed.ctx, &f).await?.0;
    }
    let people =
        keyproj_service::account::People::of(&s.app, rows.iter().map(|r| r.username.clone()))
            .await?;
    let mut base = form_urlencoded::Serializer::new(String::new());
    for k in ["user", "entity_type", "entity_id", "action", "from", "to"] {
        let v = qp.get(k);
        if !v.is_empty() {
            base.append_pair(k, &v);
        }
    }
    let base_query = base.finish();
    Ok(AuditPage {
        chrome: Chrome::new(&signed, "audit"),
        rows: rows
            .into_iter()
            .map(|r| AuditLine {
                id: r.id,
                at: views::local_time(&r.at),
                // the audit trail names the person and keeps the login name it was done under
                user: people.name_with_login(&r.username),
                ip: views::ip_shown(&r.ip),
                action: action_label(&r.action).to_string(),
                entity: format!(
                    "{} {}",
                    entity_label(&r.entity_type),
                    r.entity_id.unwrap_or_default()
                ),
                before: r.before_json.unwrap_or_default(),
                after: r.after_json.unwrap_or_default(),
            })
            .collect(),
        total,
        pager: views::Pager::new(
            "/audit",
            &base_query,
            page,
            ((total + f.limit - 1) / f.limit).max(1),
            None,
        ),
        f_user: qp.get("user"),
        f_entity: qp.get("entity_type"),
        f_entity_id: qp.get("entity_id"),
        f_action: qp.get("action"),
        f_from: qp.get("from"),
        f_to: qp.get("to"),
        error,
        export_href: format!("/audit.xlsx?{base_query}"),
    }
    .into_response())
}

async fn audit_export(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let (mut f, _) = audit_filter_of(&query_pairs(q.as_deref()));
    f.limit = 100_000;
    let (rows, _) = audit::list(&s.app, &signed.ctx, &f).await?;
    let file = exports::audit_xlsx(&s.app, &rows)?;
    audit::record_export(&s.app, &signed.ctx, rows.len()).await?;
    Ok(xlsx_response(&file.name, file.bytes))
}
