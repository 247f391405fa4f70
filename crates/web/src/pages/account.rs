//! What an account does for itself: signing in and out, changing its password, and its
//! personal API tokens.

use crate::AppState;
use crate::auth::{self, FormData, Posted, Signed, query_pairs, session_cookie_name, set_cookie};
use crate::error::PageError;
use crate::params::Path;
use crate::views::{self, Chrome};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keyproj_domain::ValidationErrors;
use keyproj_domain::ids::TokenId;
use keyproj_service::ServiceError;
use keyproj_service::account::{password, sessions, tokens};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/password", get(password_page).post(password_submit))
        .route("/tokens", get(tokens_page).post(token_create))
        .route("/tokens/{id}/revoke", post(token_revoke))
}

#[derive(Template, WebTemplate)]
#[template(path = "account/login.html")]
pub(super) struct LoginPage {
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

/// Where to go after login: only a path on this site. Browsers drop tabs and newlines from a
/// URL and read `\\` as `/`, so `/\t/evil.example` would become `//evil.example`; a value is
/// therefore accepted only if every character is visible ASCII without a backslash, it starts
/// with one `/`, and it is not protocol-relative. Anything else goes to the dashboard.
pub(super) fn safe_next(next: &str) -> String {
    let visible = next
        .bytes()
        .all(|b| (0x21..=0x7e).contains(&b) && b != b'\\');
    let local = next.starts_with('/') && !next.starts_with("//");
    if visible && local && next.len() <= 2048 {
        next.to_string()
    } else {
        "/".into()
    }
}

async fn login_page(State(s): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let csrf = keyproj_service::random_token();
    let next = safe_next(&query_pairs(q.as_deref()).get("next"));
    let page = LoginPage {
        csrf: csrf.clone(),
        next,
        username: String::new(),
        error: None,
    };
    (
        [(
            header::SET_COOKIE,
            set_cookie(auth::LOGIN_CSRF_COOKIE, &csrf, s.secure_cookies, Some(1800)),
        )],
        page,
    )
        .into_response()
}

async fn login_submit(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
    let cookie_csrf = auth::cookie(&parts, auth::LOGIN_CSRF_COOKIE).unwrap_or_default();
    let next = safe_next(&form.get("next"));
    let username = form.get("username");
    let rerender = |msg: &str, status: StatusCode| {
        let csrf = keyproj_service::random_token();
        let page = LoginPage {
            csrf: csrf.clone(),
            next: next.clone(),
            username: username.chars().take(64).collect(),
            error: Some(msg.to_string()),
        };
        (
            status,
            [(
                header::SET_COOKIE,
                set_cookie(auth::LOGIN_CSRF_COOKIE, &csrf, s.secure_cookies, Some(1800)),
            )],
            page,
        )
            .into_response()
    };
    if cookie_csrf.is_empty() || !auth::same_secret(&cookie_csrf, &form.get("csrf")) {
        return rerender("页面已过期，请重新登录", StatusCode::FORBIDDEN);
    }
    let ip = auth::client_ip(&parts, s.trust_proxy);
    match sessions::login(
        &s.app,
        &username,
        &form.get("password"),
        &ip,
        &auth::user_agent(&parts),
    )
    .await
    {
        Ok(li) => {
            let to = if li.user.must_change_password {
                "/password".to_string()
            } else {
                next.clone()
            };
            let mut res = Redirect::to(&to).into_response();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    session_cookie_name(s.secure_cookies),
                    &li.token,
                    s.secure_cookies,
                    None,
                )
                .parse()
                .expect("cookie"),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(auth::LOGIN_CSRF_COOKIE, "", s.secure_cookies, Some(0))
                    .parse()
                    .expect("cookie"),
            );
            res
        }
        Err(ServiceError::Unauthorized(m)) => rerender(&m, StatusCode::UNAUTHORIZED),
        Err(e) => PageError(e).into_response(),
    }
}

async fn logout(State(s): State<AppState>, Posted { signed, .. }: Posted) -> Response {
    if let Err(e) = sessions::logout(&s.app, &signed.ctx, signed.info.session.id).await {
        return PageError(e).into_response();
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(
            session_cookie_name(s.secure_cookies),
            "",
            s.secure_cookies,
            Some(0),
        )
        .parse()
        .expect("cookie"),
    );
    res.headers_mut().insert(
        "clear-site-data",
        "\"cache\", \"storage\"".parse().expect("header"),
    );
    res
}

#[derive(Template, WebTemplate)]
#[template(path = "account/password.html")]
pub(super) struct PasswordPage {
    chrome: Chrome,
    forced: bool,
    done: bool,
    errors: ValidationErrors,
    min_length: usize,
    min_classes: usize,
}

async fn password_page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> PasswordPage {
    let p = s.app.cfg.password;
    PasswordPage {
        forced: signed.info.user.must_change_password,
        done: query_pairs(q.as_deref()).get("done") == "1",
        chrome: Chrome::new(&signed, "password"),
        errors: ValidationErrors::new(),
        min_length: p.min_length,
        min_classes: p.min_classes,
    }
}

async fn password_submit(State(s): State<AppState>, Posted { signed, form }: Posted) -> Response {
    match password::change_password(
        &s.app,
        &signed.ctx,
        Some(signed.info.session.id),
        &form.get("old_password"),
        &form.get("new_password"),
        &form.get("confirm_password"),
    )
    .await
    {
        // the first change of a one-time password leads on to the person's home page
        Ok(()) if signed.info.user.must_change_password => Redirect::to("/").into_response(),
        Ok(()) => Redirect::to("/password?done=1").into_response(),
        Err(ServiceError::Validation(errors)) => {
            let p = s.app.cfg.password;
            let page = PasswordPage {
                forced: signed.info.user.must_change_password,
                done: false,
                chrome: Chrome::new(&signed, "password"),
                errors,
                min_length: p.min_length,
                min_classes: p.min_classes,
            };
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
        Err(e) => PageError(e).into_response(),
    }
}

/// One personal API token (never its secret).
pub(super) struct TokenView {
    id: TokenId,
    name: String,
    created: String,
    last_used: String,
    status: &'static str,
    revocable: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/tokens.html")]
pub(super) struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenView>,
    secret: Option<String>,
    error: Option<String>,
}

async fn tokens_render(
    s: &AppState,
    signed: &Signed,
    secret: Option<String>,
    error: Option<String>,
) -> Result<TokensPage, PageError> {
    let list = tokens::my_tokens(&s.app, &signed.ctx).await?;
    Ok(TokensPage {
        chrome: Chrome::new(signed, "tokens"),
        tokens: list
            .iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name.clone(),
                created: views::local_time(&t.created_at),
                last_used: t
                    .last_used_at
                    .as_ref()
                    .map(views::local_time)
                    .unwrap_or_default(),
                status: if t.revoked_at.is_some() {
                    "已吊销"
                } else {
                    "有效"
                },
                revocable: t.revoked_at.is_none(),
            })
            .collect(),
        secret,
        error,
    })
}

async fn tokens_page(State(s): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    if !signed.info.actor.may_create_tokens() {
        return Err(ServiceError::NotFound.into());
    }
    Ok(tokens_render(&s, &signed, None, None)
        .await?
        .into_response())
}

async fn token_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    match tokens::create_token(&s.app, &signed.ctx, &form.get("name")).await {
        Ok(t) => Ok(tokens_render(&s, &signed, Some(t.secret), None)
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

async fn token_revoke(
    State(s): State<AppState>,
    Path(id): Path<TokenId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    tokens::revoke_token(&s.app, &signed.ctx, id).await?;
    // The 安全管理员 revokes from the account page; owners from their token page.
    let back = if form.get("back") == "users" {
        "/admin/users?done=1"
    } else {
        "/tokens"
    };
    Ok(Redirect::to(back).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_site_paths_survive() {
        assert_eq!(
            safe_next("/problems?state=open&page=2"),
            "/problems?state=open&page=2"
        );
        for hostile in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/x",
            "/\r\n/x",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "/ /evil.example",
            "/\u{3000}/evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_next(hostile), "/", "{hostile:?}");
        }
    }
}
