//! Who is asking: session cookies for pages, bearer tokens (or the session plus a CSRF header)
//! for the API; the client address; CSRF checks; form and JSON bodies with Chinese errors.

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
                    Err(_) => {
                        return Err(page_error(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "上传的文件过大或不完整",
                        ));
                    }
                };
                let name = field.name().unwrap_or("").to_string();
                let file_name = field.file_name().map(str::to_string);
                let data = field.bytes().await.map_err(|_| {
                    page_error(StatusCode::PAYLOAD_TOO_LARGE, "上传的文件过大或不完整")
                })?;
                match file_name {
                    Some(f) => {
                        if !data.is_empty() {
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
            let Some(token) = auth.strip_prefix("Bearer ") else {
                return Err(unauthorized());
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

/// An urlencoded form body as ordered pairs (repeated keys allowed, e.g. multi-selects).
#[derive(Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    /// The value as a borrowed str ("" when absent).
    pub fn value(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
    /// Lenient parsing (query strings): undecodable bytes become U+FFFD and control characters
    /// are dropped, so a filter never carries a NUL into a query.
    pub fn parse(bytes: &[u8]) -> FormData {
        let clean = |s: std::borrow::Cow<'_, str>| -> String {
            s.chars().filter(|c| !c.is_control()).collect()
        };
        FormData(
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (clean(k), clean(v)))
                .collect(),
        )
    }
    /// Strict parsing (submitted forms): None when a key or value is not UTF-8 once decoded,
    /// so that nothing is stored with replacement characters in it.
    pub fn parse_strict(bytes: &[u8]) -> Option<FormData> {
        fn decode(part: &[u8]) -> Option<String> {
            let mut out = Vec::with_capacity(part.len());
            let mut i = 0;
            while i < part.len() {
                match part[i] {
                    b'+' => out.push(b' '),
                    b'%' if i + 2 < part.len() => {
                        let hex = std::str::from_utf8(&part[i + 1..i + 3]).ok();
                        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                            Some(b) => {
                                out.push(b);
                                i += 2;
                            }
                            None => out.push(b'%'),
                        }
                    }
                    b => out.push(b),
                }
                i += 1;
            }
            // control characters (NUL, vertical tab…) never belong in a form; tabs and line
            // breaks do
            String::from_utf8(out).ok().filter(|t| {
                !t.chars()
                    .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            })
        }
        let mut pairs = vec![];
        for pair in bytes.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (k, v) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            pairs.push((decode(k)?, decode(v)?));
        }
        Some(FormData(pairs))
    }
    /// An optional id: empty → None; anything not a positive integer → Some(-1), which no
    /// record has, so the service reports it as unknown at the field.
    pub fn id(&self, key: &str) -> Option<i64> {
        parse_id(&self.get(key))
    }
    /// An optional typed id (see [`FormData::id`]).
    pub fn typed<T: From<i64>>(&self, key: &str) -> Option<T> {
        self.id(key).map(T::from)
    }
    /// Every id of a multi-select (values that are not ids are left out).
    pub fn typed_all<T: From<i64>>(&self, key: &str) -> Vec<T> {
        self.all(key)
            .iter()
            .filter_map(|x| x.trim().parse::<i64>().ok())
            .map(T::from)
            .collect()
    }
}

pub fn parse_id(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        None
    } else {
        Some(s.parse::<i64>().ok().filter(|v| *v > 0).unwrap_or(-1))
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| page_error(StatusCode::PAYLOAD_TOO_LARGE, "提交的内容过大"))?;
        FormData::parse_strict(&bytes).ok_or_else(|| {
            page_error(
                StatusCode::BAD_REQUEST,
                "提交的内容含有无效字符（不是 UTF-8 编码，或含有不可见的控制字符），未保存任何内容，请返回检查后重新提交",
            )
        })
    }
}

/// Query string pairs.
pub fn query_pairs(parts_query: Option<&str>) -> FormData {
    FormData::parse(parts_query.unwrap_or("").as_bytes())
}

/// A JSON body with Chinese errors for malformed input and a size limit.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !ct.starts_with("application/json") {
            return Err(api_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请求体须为 application/json",
                vec![],
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                api_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    &format!("请求体超过上限（{} KB）", crate::BODY_LIMIT / 1024),
                    vec![],
                )
            })?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            api_error(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                &format!(
                    "请求体不是有效的 JSON（第{}行第{}列）",
                    e.line(),
                    e.column()
                ),
                vec![],
            )
        })?;
        if let Some(path) = control_char_at(&value, String::new()) {
            let message = format!("字段“{path}”含有不可见的控制字符");
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                "invalid_chars",
                &message,
                vec![keyproj_domain::FieldError::new(
                    path,
                    "invalid_chars",
                    message.clone(),
                )],
            ));
        }
        serde_path_to_error::deserialize(value)
            .map(JsonBody)
            .map_err(|e| json_error(&e))
    }
}

/// The path of the first string holding a control character other than tab and line breaks.
fn control_char_at(v: &serde_json::Value, path: String) -> Option<String> {
    let bad = |s: &str| {
        s.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    };
    let join = |p: &str, k: &str| {
        if p.is_empty() {
            k.to_string()
        } else {
            format!("{p}.{k}")
        }
    };
    match v {
        serde_json::Value::String(s) if bad(s) => {
            Some(if path.is_empty() { ".".into() } else { path })
        }
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| control_char_at(x, format!("{path}[{i}]"))),
        serde_json::Value::Object(m) => m.iter().find_map(|(k, x)| {
            if bad(k) {
                Some(join(&path, "?"))
            } else {
                control_char_at(x, join(&path, k))
            }
        }),
        _ => None,
    }
}

/// A JSON body that does not fit the request type, in Chinese, naming the field.
fn json_error(e: &serde_path_to_error::Error<serde_json::Error>) -> Response {
    use serde_json::error::Category;
    let inner = e.inner();
    let at = if inner.line() > 0 {
        format!("（第{}行第{}列）", inner.line(), inner.column())
    } else {
        String::new()
    };
    if matches!(
        inner.classify(),
        Category::Syntax | Category::Eof | Category::Io
    ) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            &format!("请求体不是有效的 JSON{at}"),
            vec![],
        );
    }
    let path = e.path().to_string();
    let text = inner.to_string();
    // serde names the field in backticks: "unknown field `colour`, expected one of …"
    let quoted = text.split('`').nth(1).unwrap_or("").to_string();
    let join = |field: &str| {
        if path == "." || path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        }
    };
    let (field, code, message) = if text.starts_with("unknown field") {
        // the path already ends with the unknown field
        let f = if path.is_empty() || path == "." {
            quoted.clone()
        } else {
            path.clone()
        };
        (f.clone(), "unknown_field", format!("未知字段“{f}”"))
    } else if text.starts_with("missing field") {
        let f = join(&quoted);
        (f.clone(), "missing_field", format!("缺少字段“{f}”"))
    } else if text.starts_with("invalid type") {
        (
            path.clone(),
            "invalid_type",
            format!("字段“{path}”的类型不正确"),
        )
    } else if text.starts_with("unknown variant") || text.starts_with("invalid value") {
        (
            path.clone(),
            "invalid_value",
            format!("字段“{path}”的值无效"),
        )
    } else {
        (path.clone(), "invalid", format!("字段“{path}”不正确"))
    };
    api_error(
        StatusCode::BAD_REQUEST,
        "malformed_json",
        &format!("请求体{message}{at}"),
        vec![keyproj_domain::FieldError::new(field, code, message)],
    )
}

#[cfg(test)]
mod tests {
    use super::FormData;

    #[test]
    fn strict_forms_refuse_what_is_not_utf8() {
        let f =
            FormData::parse_strict(b"name=%E6%A1%83%E6%B1%9F&note=a+b&x=100%25&empty=").unwrap();
        assert_eq!(f.get("name"), "桃江");
        assert_eq!(f.get("note"), "a b");
        assert_eq!(f.get("x"), "100%");
        assert_eq!(f.get("empty"), "");
        assert!(FormData::parse_strict(b"name=%FF%FE").is_none());
        assert!(FormData::parse_strict(b"%C3=x").is_none());
        assert!(FormData::parse_strict(b"name=\xff").is_none());
        // a lone or short escape stays as typed
        assert_eq!(FormData::parse_strict(b"a=50%").unwrap().get("a"), "50%");
        assert_eq!(FormData::parse_strict(b"a=%4").unwrap().get("a"), "%4");
    }
}
