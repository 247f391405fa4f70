//! Request bodies with Chinese errors: urlencoded forms as ordered pairs (strict UTF-8,
//! repeated keys for multi-selects), query strings, and JSON bodies with a size limit, no
//! control characters and the offending field named.

use crate::error::{api_error, page_error};
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::Response;

/// An urlencoded form body as ordered pairs (repeated keys allowed, e.g. multi-selects).
#[derive(Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The record version the form was made from, if it says one (a form for a new record
    /// does not).
    pub fn version(&self) -> Option<i64> {
        self.get("version").trim().parse().ok()
    }
    /// The version an edit form was made from; a missing or mangled one never matches a stored
    /// version (they start at 1), so the write is refused as stale instead of guessed.
    pub fn edited_version(&self) -> i64 {
        self.version().unwrap_or(-1)
    }
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
    /// and bidirectional overrides are dropped, so a filter never carries a NUL into a query and
    /// searches for what it shows (no stored text holds either, `check_text`).
    pub fn parse(bytes: &[u8]) -> FormData {
        let clean = |s: std::borrow::Cow<'_, str>| -> String {
            s.chars()
                .filter(|&c| !c.is_control() && !keyproj_domain::error::invisible_control(c))
                .collect()
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

/// A JSON edit: `version` (the version the client read) beside the fields of `T`, each
/// checked like [`JsonBody`] — an unknown field is named, which `#[serde(flatten)]` would
/// silently drop.
pub struct VersionedBody<T>(pub i64, pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for VersionedBody<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBody(mut value) = JsonBody::<serde_json::Value>::from_request(req, state).await?;
        let version = value
            .as_object_mut()
            .and_then(|m| m.remove("version"))
            .and_then(|v| v.as_i64());
        let Some(version) = version else {
            return Err(api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "请提供所修改记录的版本号（version，整数）",
                vec![keyproj_domain::FieldError::new(
                    "version",
                    "required",
                    "请提供所修改记录的版本号（version，整数）",
                )],
            ));
        };
        serde_path_to_error::deserialize(value)
            .map(|t| VersionedBody(version, t))
            .map_err(|e| json_error(&e))
    }
}

/// The path of the first string holding a control character other than tab and line breaks,
/// or a bidirectional override or isolate (`invisible_control`): every JSON text, the free
/// texts no field check sees (a briefing's body, a rule's names) included.
fn control_char_at(v: &serde_json::Value, path: String) -> Option<String> {
    let bad = |s: &str| s.chars().any(keyproj_domain::error::invisible_control);
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
