//! Query strings shared by pages and the API: list filters and audit filters, with Chinese
//! messages for what cannot be read (a number that is not one, a bad date).

use crate::auth::{FormData, query_pairs};
use keyproj_db::repo::admin::audit::AuditFilter;
use keyproj_domain::ValidationErrors;
use keyproj_service::projects::ListQuery;

/// The project list's query as the actor sent it, and every problem with it at once: the
/// numbers that cannot be read and the values no select offers (the service's check). A page
/// shows the query back in its form; the caller refuses it when the problems are not empty.
pub fn project_query(ctx: &keyproj_service::Ctx, q: Option<&str>) -> (ListQuery, ValidationErrors) {
    let (query, mut errs) = list_query_of(q);
    if let Err(keyproj_service::ServiceError::Validation(v)) =
        keyproj_service::projects::filter_of(ctx, &query)
    {
        for e in v.0 {
            errs.push(e);
        }
    }
    (query, errs)
}

/// The project list's query, and what of it could not be read: an id, a page or a size that
/// is not a positive number, or a yes/no that is neither, is left out of the query and named
/// in the errors (the vocabularies are checked by [`project_query`]).
fn list_query_of(q: Option<&str>) -> (ListQuery, ValidationErrors) {
    let p = query_pairs(q);
    let mut errs = ValidationErrors::new();
    let mut num = |k: &str, label: &str, page: bool| {
        let read = if page {
            keyproj_domain::error::page_number
        } else {
            keyproj_domain::error::positive_number
        };
        errs.check(read(k, label, &p.get(k))).flatten()
    };
    let query = ListQuery {
        // the page echoes the search box, so it keeps only what is searched
        q: p.get("q")
            .chars()
            .take(keyproj_service::projects::MAX_SEARCH_CHARS)
            .collect(),
        stage: p.get("stage"),
        level: p.get("level"),
        industry: p.get("industry"),
        township: num("township", "乡镇", false).map(Into::into),
        lead_unit: num("lead_unit", "牵头单位", false).map(Into::into),
        leader: num("leader", "联系领导", false).map(Into::into),
        below_threshold: None,
        colour: p.get("colour"),
        sort: p.get("sort"),
        desc: false,
        // 0, negative or too long a number is clamped, as a page past the end is
        page: num("page", "页码", true),
        per_page: num("per_page", "每页条数", true),
    };
    let below_threshold = match p.get("below_threshold").trim() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        "" => None,
        other => {
            errs.add(
                "below_threshold",
                "invalid_value",
                format!("低于门槛“{other}”无效，应为 1（是）或 0（否）"),
            );
            None
        }
    };
    let desc_given = p.get("desc");
    let desc = match desc_given.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => true,
        "0" | "false" | "" => false,
        _ => {
            errs.add(
                "desc",
                "invalid_value",
                format!(
                    "排序方向“{}”无效，应为 1（降序）或 0（升序）",
                    desc_given.trim()
                ),
            );
            false
        }
    };
    // a refused order is named and left out of the query, so the form shown back (whose
    // selects submit themselves) does not send it again
    let mut sort = query.sort.trim().to_string();
    if !sort.is_empty() && keyproj_db::repo::projects::SortKey::from_key(&sort).is_none() {
        errs.add(
            "sort",
            "invalid_value",
            format!("排序“{sort}”无效，请点击表头排序"),
        );
        sort.clear();
    }
    (
        ListQuery {
            below_threshold,
            desc,
            sort,
            ..query
        },
        errs,
    )
}

pub fn audit_filter_of(q: &FormData) -> (AuditFilter, Option<String>) {
    let nonempty = |k: &str| Some(q.get(k).trim().to_string()).filter(|s| !s.is_empty());
    let mut err = None;
    let mut date = |k: &str, label: &str| {
        let v = q.get(k);
        if v.trim().is_empty() {
            return None;
        }
        match chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") {
            // Dates are Beijing dates: 00:00 +08:00.
            Ok(d) => Some(
                d.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - chrono::Duration::hours(8),
            ),
            Err(_) => {
                err = Some(format!("{label}格式应为 年-月-日，如 2022-01-01"));
                None
            }
        }
    };
    let from = date("from", "起始日期");
    let to = date("to", "截止日期").map(|t| t + chrono::Duration::days(1));
    (
        AuditFilter {
            user: nonempty("user"),
            entity_type: nonempty("entity_type")
                .map(|e| keyproj_domain::audit::entity_key(&e).map_or(e, str::to_string)),
            entity_id: nonempty("entity_id"),
            // typed as its Chinese label (审核通过) or its key (approve)
            action: nonempty("action")
                .map(|a| keyproj_domain::audit::action_key(&a).map_or(a, str::to_string)),
            from,
            to,
            limit: 100,
            offset: 0,
        },
        err,
    )
}

/// Path parameters. Like axum's `Path`, but a parameter that does not parse (`/projects/abc`)
/// is a Chinese 404 — the error page for a browser, the JSON error for the API — instead of
/// axum's English text.
pub struct Path<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            // nested routers see the path without /api/v1: ask for the original one
            Err(_) => Err(
                if parts
                    .extensions
                    .get::<axum::extract::OriginalUri>()
                    .map(|u| u.0.path())
                    .unwrap_or(parts.uri.path())
                    .starts_with("/api/")
                {
                    crate::error::api_error(
                        axum::http::StatusCode::NOT_FOUND,
                        "not_found",
                        "记录不存在（地址中的编号无效）",
                        vec![],
                    )
                } else {
                    crate::error::page_error(axum::http::StatusCode::NOT_FOUND, "页面不存在")
                },
            ),
        }
    }
}

/// A multipart body. A request that is not `multipart/form-data` gets a Chinese answer instead
/// of axum's English text.
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Multipart {
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let api = req
            .extensions()
            .get::<axum::extract::OriginalUri>()
            .map(|u| u.0.path().starts_with("/api/"))
            .unwrap_or_else(|| req.uri().path().starts_with("/api/"));
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Multipart)
            .map_err(|_| {
                let msg = "请求须为 multipart/form-data 格式的文件上传";
                if api {
                    crate::error::api_error(
                        axum::http::StatusCode::BAD_REQUEST,
                        "not_multipart",
                        msg,
                        vec![],
                    )
                } else {
                    crate::error::page_error(axum::http::StatusCode::BAD_REQUEST, msg)
                }
            })
    }
}

impl Multipart {
    /// The named file field: Ok(None) when it is absent or empty, and a Chinese field error when
    /// the body was cut off by the size limit (so "too large" is never reported as "missing").
    pub async fn file(
        &mut self,
        field_name: &str,
        too_large: &str,
    ) -> Result<Option<(String, Vec<u8>)>, keyproj_domain::FieldError> {
        let mut found = None;
        loop {
            let field = match self.0.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => {
                    return Err(keyproj_domain::FieldError::new(
                        field_name,
                        "too_large",
                        too_large,
                    ));
                }
            };
            if field.name() != Some(field_name) {
                continue;
            }
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| keyproj_domain::FieldError::new(field_name, "too_large", too_large))?;
            if !bytes.is_empty() {
                found = Some((name, bytes.to_vec()));
            }
        }
        Ok(found)
    }
}
