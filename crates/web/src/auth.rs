//! Who is asking: session cookies for pages, bearer tokens (or the session plus a CSRF header)
//! for the API; the client address; CSRF checks. Form and JSON bodies are in `body.rs`.

use crate::AppState;
use crate::error::{api_error, page_error};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_service::Ctx;
use keyproj_service::account::sessions::SessionInfo;
use keyproj_service::account::{sessions, tokens};
use std::net::SocketAddr;

pub use crate::body::{FormData, JsonBody, VersionedBody, parse_id, query_pairs};

pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-kp_session"
    } else {
        "kp_session"
    }
}
pub const LOGIN_CSRF_COOKIE: &str = "kp_login_csrf";

pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(m) = max_age {
        c.push_str(&format!("; Max-Age={m}"));
    }
    c
}

pub fn client_ip(parts: &Parts, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(ip) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next_back())
    {
        return ip.trim().chars().take(64).collect();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub fn user_agent(parts: &Parts) -> String {
    parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(300)
        .collect()
}

/// Constant-time comparison for secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A signed-in browser user.
pub struct Signed {
    pub info: SessionInfo,
    pub ctx: Ctx,
    /// Unread notifications of the user (shown beside 待办).
    pub unread: i64,
}

impl Signed {
    pub fn csrf(&self) -> &str {
        &self.info.session.csrf_token
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let to_login = || {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
            Redirect::to(&format!("/login?next={next}")).into_response()
        };
        let Some(token) = cookie(parts, session_cookie_name(state.secure_cookies)) else {
            return Err(to_login());
        };
        let info = match sessions::session(&state.app, &token).await {
            Ok(Some(i)) => i,
            Ok(None) => return Err(to_login()),
            Err(e) => return Err(crate::error::PageError(e).into_response()),
        };
        let path = parts.uri.path();
        if info.user.must_change_password && path != "/password" && path != "/logout" {
            return Err(Redirect::to("/password").into_response());
        }
        let ctx = Ctx {
            actor: info.actor.clone(),
            ip: client_ip(parts, state.trust_proxy),
        };
        let unread = keyproj_service::notifications::unread(&state.app, &ctx)
            .await
            .unwrap_or(0);
        Ok(Signed { info, ctx, unread })
    }
}

/// A form posted by a signed-in user whose CSRF token matched the session's: every page
/// form handler takes this, so no handler can forget the check.
pub struct Posted {
    pub signed: Signed,
    pub form: FormData,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state).await?;
        let form = FormData::from_request(Request::from_parts(parts, body), state).await?;
        if !same_secret(&form.get("csrf"), &signed.info.session.csrf_token) {
            return Err(page_error(
                StatusCode::FORBIDDEN,
                "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
            ));
        }
        Ok(Posted { signed, form })
    }
}

/// A form that may carry files (`multipart/form-data`) or not (urlencoded), posted by a
/// signed-in user with a matching CSRF token. The text fields and the files arrive together, so
/// a page can keep what was typed whatever happens to an upload.
pub struct PostedWithFiles {
    pub signed: Signed,
    pub form: FormData,
    /// Every non-empty file.
    pub files: Vec<Upload>,
}

/// A file of a multipart form.
pub struct Upload {
    /// The form field it came in.
    pub field: String,
    /// The name the browser gave it.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A multipart body that could not be read: too large is 413, anything else (a control
/// character in a file name, a broken part) is the form that could not be read.
fn multipart_refused(e: &axum::extract::multipart::MultipartError) -> Response {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        page_error(StatusCode::PAYLOAD_TOO_LARGE, "上传的文件过大")
    } else {
        page_error(
            StatusCode::BAD_REQUEST,
            "上传的表单无法读取：文件名或内容格式有误，请改名后重新选择文件",
        )
    }
}

impl FromRequest<AppState> for PostedWithFiles {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state).await?;
        let multipart = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let req = Request::from_parts(parts, body);
        let (form, files) = if multipart {
            let mut mp = axum::extract::Multipart::from_request(req, state)
                .await
                .map_err(|_| page_error(StatusCode::BAD_REQUEST, "提交的表单无法读取"))?;
            let mut pairs = vec![];
            let mut files = vec![];
            loop {
                let field = match mp.next_field().await {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(e) => return Err(multipart_refused(&e)),
                };
                let name = field.name().unwrap_or("").to_string();
                let file_name = field.file_name().map(str::to_string);
                let data = field.bytes().await.map_err(|e| multipart_refused(&e))?;
                match file_name {
                    Some(f) => {
                        // an input left empty sends a nameless empty part; a chosen file that is
                        // empty is kept, so the form can say so instead of ignoring it
                        if !data.is_empty() || !f.is_empty() {
                            files.push(Upload {
                                field: name,
                                file_name: f,
                                bytes: data.to_vec(),
                            });
                        }
                    }
                    None => {
                        let text = String::from_utf8(data.to_vec()).map_err(|_| {
                            page_error(
                                StatusCode::BAD_REQUEST,
                                "提交的内容含有无效字符（不是 UTF-8 编码），未保存任何内容",
                            )
                        })?;
                        pairs.push((name, text));
                    }
                }
            }
            (FormData(pairs), files)
        } else {
            (FormData::from_request(req, state).await?, vec![])
        };
        if !same_secret(&form.get("csrf"), &signed.info.session.csrf_token) {
            return Err(page_error(
                StatusCode::FORBIDDEN,
                "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
            ));
        }
        Ok(PostedWithFiles {
            signed,
            form,
            files,
        })
    }
}

/// A caller of the JSON API.
pub struct ApiCaller {
    pub ctx: Ctx,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = client_ip(parts, state.trust_proxy);
        let unauthorized = || {
            api_error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "请先登录或提供有效的 API 令牌",
                vec![],
            )
        };
        if let Some(auth) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            // the scheme's name is case-insensitive (RFC 9110 §11.1)
            let token = match auth.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token,
                _ => return Err(unauthorized()),
            };
            return match tokens::api_token(&state.app, token.trim()).await {
                Ok(Some(tokens::TokenUser { user, actor })) => {
                    if user.must_change_password {
                        return Err(api_error(
                            StatusCode::FORBIDDEN,
                            "password_change_required",
                            "请先登录网页修改初始密码",
                            vec![],
                        ));
                    }
                    Ok(ApiCaller {
                        ctx: Ctx { actor, ip },
                    })
                }
                Ok(None) => Err(unauthorized()),
                Err(e) => Err(crate::error::ApiError(e).into_response()),
            };
        }
        let Some(token) = cookie(parts, session_cookie_name(state.secure_cookies)) else {
            return Err(unauthorized());
        };
        let info = match sessions::session(&state.app, &token).await {
            Ok(Some(i)) => i,
            Ok(None) => return Err(unauthorized()),
            Err(e) => return Err(crate::error::ApiError(e).into_response()),
        };
        if info.user.must_change_password {
            return Err(api_error(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "请先修改初始密码",
                vec![],
            ));
        }
        // A browser session calling the API must prove it read the page: the CSRF header.
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same_secret(sent, &info.session.csrf_token) {
                return Err(api_error(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "缺少或错误的 X-CSRF-Token",
                    vec![],
                ));
            }
        }
        Ok(ApiCaller {
            ctx: Ctx {
                actor: info.actor,
                ip,
            },
        })
    }
}
