//! Accounts (系统/安全管理员), the audit log (审计管理员) and personal API tokens.

use super::*;

pub(super) struct UserLine {
    id: i64,
    version: i64,
    username: String,
    display_name: String,
    unit: String,
    roles: String,
    role_opts: Vec<(&'static str, &'static str, bool)>,
    status: String,
    last_login: String,
    disabled: bool,
    locked: bool,
    is_self: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
pub(super) struct UsersPage {
    chrome: Chrome,
    users: Vec<UserLine>,
    units: Vec<(i64, String)>,
    roles: Vec<(&'static str, &'static str)>,
    sessions: Vec<(String, String, String, String)>,
    tokens: Vec<TokenLine>,
    is_sysadmin: bool,
    is_secadmin: bool,
    flash: Option<String>,
    secret: Option<String>,
    errors: ValidationErrors,
}

pub(super) async fn users_render(
    s: &AppState,
    signed: &Signed,
    flash: Option<String>,
    secret: Option<String>,
    errors: ValidationErrors,
) -> Result<UsersPage, PageError> {
    let list = users::list(&s.app, &signed.ctx).await?;
    let is_secadmin = signed.info.actor.has(Role::SecurityAdmin);
    let name_of = |id: i64| {
        list.iter()
            .find(|u| u.user.id == id)
            .map(|u| u.user.username.clone())
            .unwrap_or_default()
    };
    let (sessions, tokens) = if is_secadmin {
        let (ss, ts) = users::sessions_and_tokens(&s.app, &signed.ctx).await?;
        (
            ss.iter()
                .map(|x| {
                    (
                        name_of(x.user_id),
                        views::local_time(&x.created_at),
                        views::local_time(&x.last_seen_at),
                        x.ip.clone(),
                    )
                })
                .collect(),
            ts.iter()
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
                    .map(|r| views::role_label(r))
                    .collect::<Vec<_>>()
                    .join("、"),
                role_opts: Role::ALL
                    .iter()
                    .map(|r| (r.key(), r.label(), u.roles.iter().any(|x| x == r.key())))
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
        units: units.iter().map(|u| (u.id, u.name.clone())).collect(),
        roles: Role::ALL.iter().map(|r| (r.key(), r.label())).collect(),
        sessions,
        tokens,
        is_sysadmin: signed.info.actor.has(Role::SystemAdmin),
        is_secadmin,
        flash,
        secret,
        errors,
    })
}

pub(super) async fn users_page(
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

pub(super) fn roles_from(form: &FormData) -> Vec<Role> {
    form.all("roles")
        .iter()
        .filter_map(|r| Role::from_key(r))
        .collect()
}

pub(super) async fn user_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let roles = roles_from(&form);
    let unit_id = form.id("unit_id").unwrap_or(-1);
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
        Ok((_, pw)) => Ok(users_render(
            &s,
            &signed,
            Some(format!("已创建账号 {}", form.get("username").trim())),
            Some(pw),
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

pub(super) async fn user_op(
    State(s): State<AppState>,
    Path((id, op)): Path<(i64, String)>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let version = form.get("version").parse().unwrap_or(-1);
    let r = match op.as_str() {
        "roles" => users::set_roles(&s.app, &signed.ctx, id, version, &roles_from(&form)).await,
        "disable" => users::set_disabled(&s.app, &signed.ctx, id, version, true).await,
        "enable" => users::set_disabled(&s.app, &signed.ctx, id, version, false).await,
        "unlock" => users::unlock(&s.app, &signed.ctx, id).await,
        "end-sessions" => users::end_sessions(&s.app, &signed.ctx, id)
            .await
            .map(|_| ()),
        "reset" => {
            return match users::reset_password(&s.app, &signed.ctx, id).await {
                Ok(pw) => Ok(users_render(
                    &s,
                    &signed,
                    Some("密码已重置".into()),
                    Some(pw),
                    ValidationErrors::new(),
                )
                .await?
                .into_response()),
                Err(e) => Err(e.into()),
            };
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

pub(super) struct AuditLine {
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
#[template(path = "audit.html")]
pub(super) struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditLine>,
    total: i64,
    page: i64,
    pages: i64,
    f_user: String,
    f_entity: String,
    f_entity_id: String,
    f_action: String,
    f_from: String,
    f_to: String,
    error: Option<String>,
    export_href: String,
    base_query: String,
}

impl AuditPage {
    fn page_href(&self, p: i64) -> String {
        format!("/audit?{}&page={p}", self.base_query)
    }
}

pub(super) async fn audit_page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let qp = query_pairs(q.as_deref());
    let (mut f, error) = audit_filter_of(&qp);
    let page = qp.get("page").parse::<i64>().unwrap_or(1).clamp(1, 100_000);
    f.offset = (page - 1) * f.limit;
    let (rows, total) = audit_log::list(&s.app, &signed.ctx, &f).await?;
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
                user: r.username,
                ip: r.ip,
                action: r.action,
                entity: format!("{} {}", r.entity_type, r.entity_id.unwrap_or_default()),
                before: r.before_json.unwrap_or_default(),
                after: r.after_json.unwrap_or_default(),
            })
            .collect(),
        total,
        page,
        pages: ((total + f.limit - 1) / f.limit).max(1),
        f_user: qp.get("user"),
        f_entity: qp.get("entity_type"),
        f_entity_id: qp.get("entity_id"),
        f_action: qp.get("action"),
        f_from: qp.get("from"),
        f_to: qp.get("to"),
        error,
        export_href: format!("/audit.xlsx?{base_query}"),
        base_query,
    }
    .into_response())
}

pub(super) async fn audit_export(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let (mut f, _) = audit_filter_of(&query_pairs(q.as_deref()));
    f.limit = 100_000;
    let (rows, _) = audit_log::list(&s.app, &signed.ctx, &f).await?;
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Int(r.id),
                views::local_time(&r.at).into(),
                r.username.clone().into(),
                r.ip.clone().into(),
                r.action.clone().into(),
                r.entity_type.clone().into(),
                r.entity_id.clone().unwrap_or_default().into(),
                r.before_json.clone().unwrap_or_default().into(),
                r.after_json.clone().unwrap_or_default().into(),
                r.hash.clone().into(),
            ]
        })
        .collect();
    let headers: &[(&str, f64)] = &[
        ("编号", 8.0),
        ("时间（北京时间）", 20.0),
        ("用户", 12.0),
        ("IP", 14.0),
        ("操作", 14.0),
        ("对象类型", 12.0),
        ("对象编号", 10.0),
        ("修改前", 50.0),
        ("修改后", 50.0),
        ("校验值", 30.0),
    ];
    let bytes = xlsx::write(&xlsx::Sheet {
        name: "审计日志",
        title: "审计日志",
        subtitle: Some(&format!("导出时间：{}", views::local_time(&s.app.now()))),
        headers,
        rows: cells,
        totals: None,
    })
    .map_err(|e| ServiceError::internal("内部处理", e))?;
    audit_log::record_export(&s.app, &signed.ctx, rows.len()).await?;
    Ok(xlsx_response("审计日志.xlsx", bytes))
}

#[derive(Template, WebTemplate)]
#[template(path = "tokens.html")]
pub(super) struct TokensPage {
    chrome: Chrome,
    /// (id, name, created, last used, status, revocable)
    tokens: Vec<(i64, String, String, String, &'static str, bool)>,
    secret: Option<String>,
    error: Option<String>,
}

pub(super) async fn tokens_render(
    s: &AppState,
    signed: &Signed,
    secret: Option<String>,
    error: Option<String>,
) -> Result<TokensPage, PageError> {
    let list = auth_svc::my_tokens(&s.app, &signed.ctx).await?;
    Ok(TokensPage {
        chrome: Chrome::new(signed, "tokens"),
        tokens: list
            .iter()
            .map(|t| {
                (
                    t.id,
                    t.name.clone(),
                    views::local_time(&t.created_at),
                    t.last_used_at
                        .as_ref()
                        .map(views::local_time)
                        .unwrap_or_default(),
                    if t.revoked_at.is_some() {
                        "已吊销"
                    } else {
                        "有效"
                    },
                    t.revoked_at.is_none(),
                )
            })
            .collect(),
        secret,
        error,
    })
}

pub(super) async fn tokens_page(
    State(s): State<AppState>,
    signed: Signed,
) -> Result<Response, PageError> {
    Ok(tokens_render(&s, &signed, None, None)
        .await?
        .into_response())
}

pub(super) async fn token_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    match auth_svc::create_token(&s.app, &signed.ctx, &form.get("name")).await {
        Ok((_, t)) => Ok(tokens_render(&s, &signed, Some(t), None)
            .await?
            .into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            tokens_render(&s, &signed, None, Some(v.to_string())).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// A personal API token as the 安全管理员 sees it (never the secret).
pub(super) struct TokenLine {
    id: i64,
    owner: String,
    name: String,
    created: String,
    last_used: String,
    revoked: bool,
}

pub(super) async fn token_revoke(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    auth_svc::revoke_token(&s.app, &signed.ctx, id).await?;
    // The 安全管理员 revokes from the account page; owners from their token page.
    let back = if form.get("back") == "users" {
        "/admin/users?done=1"
    } else {
        "/tokens"
    };
    Ok(Redirect::to(back).into_response())
}
