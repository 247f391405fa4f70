//! Query strings shared by pages and the API: list filters and audit filters, parsed
//! leniently (an unparsable number is ignored) with Chinese messages for bad dates.

use crate::auth::{FormData, query_pairs};
use keyproj_db::repo::audit::AuditFilter;
use keyproj_service::projects::ListQuery;

pub fn list_query_of(q: Option<&str>) -> ListQuery {
    let p = query_pairs(q);
    let num = |k: &str| p.get(k).trim().parse::<i64>().ok();
    ListQuery {
        q: p.get("q"),
        stage: p.get("stage"),
        level: p.get("level"),
        industry: p.get("industry"),
        township: num("township"),
        lead_unit: num("lead_unit"),
        leader: num("leader"),
        below_threshold: match p.get("below_threshold").as_str() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        sort: p.get("sort"),
        desc: p.get("desc") == "1",
        page: num("page"),
        per_page: num("per_page"),
    }
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
            entity_type: nonempty("entity_type"),
            entity_id: nonempty("entity_id"),
            action: nonempty("action"),
            from,
            to,
            limit: 100,
            offset: 0,
        },
        err,
    )
}
