//! The audit trail's hash chain: each row's HMAC covers its own content and the previous
//! row's HMAC, so changing, removing or reordering any row breaks every link after it.

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

/// The hash that stands before the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one audit row, as it is hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditFields {
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: String,
    pub unit_id: Option<i64>,
    pub ip: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// Truncates a time to what both databases store exactly (microseconds).
pub fn storable_time(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Timelike;
    let micros = t.nanosecond() / 1000 * 1000;
    t.with_nanosecond(micros).unwrap_or(t)
}

fn canonical(prev_hash: &str, f: &AuditFields) -> String {
    // A JSON array is an unambiguous encoding: no field can run into the next.
    serde_json::json!([
        prev_hash,
        f.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        f.user_id,
        f.username,
        f.unit_id,
        f.ip,
        f.action,
        f.entity_type,
        f.entity_id,
        f.before_json,
        f.after_json,
    ])
    .to_string()
}

pub fn chain_hash(key: &[u8], prev_hash: &str, f: &AuditFields) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(canonical(prev_hash, f).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Where a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub id: i64,
    pub reason: &'static str,
    /// Rows verified before the broken one (exact, not whole batches).
    pub verified_before: u64,
}

/// How often the chain is checkpointed (besides the first row of each day).
pub const CHECKPOINT_EVERY: i64 = 1000;

/// The signature of an anchor of the chain (its head, or a checkpoint): the id and hash of the
/// last row and the number of rows up to it, under the audit key. Without the key nobody can
/// move an anchor back after deleting rows.
pub fn anchor_signature(
    key: &[u8],
    kind: &str,
    audit_id: i64,
    hash: &str,
    row_count: i64,
) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(
        serde_json::json!([kind, audit_id, hash, row_count])
            .to_string()
            .as_bytes(),
    );
    hex::encode(mac.finalize().into_bytes())
}

/// Whether an append at `at`, the `row_count`-th row, also writes a checkpoint: every
/// [`CHECKPOINT_EVERY`] rows, and the first row of a day (China time) after the head's last move.
pub fn needs_checkpoint(
    row_count: i64,
    at: DateTime<Utc>,
    head_moved: Option<DateTime<Utc>>,
) -> bool {
    let day = |t: DateTime<Utc>| (t + chrono::Duration::hours(8)).date_naive();
    row_count % CHECKPOINT_EVERY == 0 || head_moved.is_none_or(|h| day(h) != day(at))
}

/// Walks rows in id order; `rows` yields (id, fields, prev_hash, hash). `expected_prev` is the
/// hash before the first row given (GENESIS for the whole table).
pub fn verify_chain<'a, I>(
    key: &[u8],
    expected_prev: &str,
    rows: I,
) -> Result<(u64, String), BrokenLink>
where
    I: IntoIterator<Item = (i64, &'a AuditFields, &'a str, &'a str)>,
{
    let mut prev = expected_prev.to_string();
    let mut n = 0u64;
    for (id, fields, prev_hash, hash) in rows {
        if prev_hash != prev {
            return Err(BrokenLink {
                id,
                reason: "与上一条记录的链接不符（记录被删除、插入或调换）",
                verified_before: n,
            });
        }
        if chain_hash(key, prev_hash, fields) != hash {
            return Err(BrokenLink {
                id,
                reason: "记录内容与其校验值不符（记录被篡改）",
                verified_before: n,
            });
        }
        prev = hash.to_string();
        n += 1;
    }
    Ok((n, prev))
}

/// Audit actions besides the problem-list steps, with what they say in Chinese.
const ACTIONS: &[(&str, &str)] = &[
    ("create", "新增"),
    ("update", "修改"),
    ("stage_change", "变更阶段"),
    ("submit", "报送"),
    ("approve", "审核通过"),
    ("return", "退回"),
    ("revise", "修订"),
    ("publish", "发布"),
    ("freeze", "下达"),
    ("issue", "印发"),
    ("export", "导出"),
    ("register", "登记"),
    ("supervise", "督办"),
    ("upload", "上传"),
    ("attach", "添加附件"),
    ("save", "保存"),
    ("generate", "生成测试数据"),
    ("login", "登录"),
    ("login_failed", "登录失败"),
    ("login_throttled", "登录受限"),
    ("logout", "退出登录"),
    ("password_change", "修改密码"),
    ("password_change_failed", "修改密码失败"),
    ("password_reset", "重置密码"),
    ("role_change", "变更角色"),
    ("disable", "停用账号"),
    ("enable", "启用账号"),
    ("unlock", "解除锁定"),
    ("end_sessions", "结束会话"),
    ("revoke", "撤销"),
];

/// What an audit row's action says, in Chinese (the stored key is kept for machines; an
/// unknown key is shown as it is rather than hidden).
pub fn action_label(key: &str) -> &str {
    if let Some(step) = crate::problem::Step::from_key(key) {
        return step.label();
    }
    ACTIONS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, label)| label)
}

/// The stored key of an action typed as its key or its Chinese label (a filter form).
pub fn action_key(typed: &str) -> Option<&'static str> {
    let typed = typed.trim();
    if let Some(step) = crate::problem::Step::from_input(typed) {
        return Some(step.key());
    }
    ACTIONS
        .iter()
        .find(|(k, label)| *k == typed || *label == typed)
        .map(|(k, _)| *k)
}

/// Audited entity types with what they are in Chinese (several keys may share a label).
const ENTITIES: &[(&str, &str)] = &[
    ("project", "项目"),
    ("project_list", "项目清单"),
    ("plan", "年度计划"),
    ("plan_year", "年度计划"),
    ("monthly_report", "月报"),
    ("monthly_reports", "月报"),
    ("photo", "现场照片"),
    ("colour_issue", "分色表"),
    ("colour_rules", "分色规则"),
    ("colour_exemption", "免评"),
    ("problem_item", "问题清单事项"),
    ("problem_items", "问题清单事项"),
    ("document", "文书"),
    ("meeting", "会议"),
    ("patrol", "巡查"),
    ("region", "行政区划"),
    ("signing_event", "签约活动"),
    ("signed_project", "签约项目"),
    ("signed_projects", "签约项目"),
    ("unit", "单位"),
    ("leader", "县级领导"),
    ("threshold", "入库门槛"),
    ("user", "账号"),
    ("session", "会话"),
    ("api_token", "API 令牌"),
    ("audit_log", "审计日志"),
];

/// What an audit row's entity is, in Chinese (unknown types are shown as they are).
pub fn entity_label(key: &str) -> &str {
    ENTITIES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, label)| label)
}

/// The stored type of an entity typed as its key or its Chinese label (a filter form); the
/// first key of a label shared by several.
pub fn entity_key(typed: &str) -> Option<&'static str> {
    let typed = typed.trim();
    ENTITIES
        .iter()
        .find(|(k, label)| *k == typed || *label == typed)
        .map(|(k, _)| *k)
}

#[cfg(test)]
mod tests {
    #[test]
    fn actions_and_entities_read_in_chinese() {
        use super::{action_label, entity_label};
        assert_eq!(action_label("stage_change"), "变更阶段");
        assert_eq!(action_label("assign"), "交办");
        assert_eq!(action_label("login_failed"), "登录失败");
        assert_eq!(action_label("something_new"), "something_new");
        assert_eq!(super::action_key("审核通过"), Some("approve"));
        assert_eq!(super::action_key("login"), Some("login"));
        assert_eq!(super::action_key("交办"), Some("assign"));
        assert_eq!(entity_label("monthly_report"), "月报");
        assert_eq!(super::entity_key("项目"), Some("project"));
        assert_eq!(super::entity_key("unit"), Some("unit"));
    }

    use super::*;

    fn row(action: &str) -> AuditFields {
        AuditFields {
            at: storable_time(Utc::now()),
            user_id: Some(1),
            username: "staff".into(),
            unit_id: Some(2),
            ip: "127.0.0.1".into(),
            action: action.into(),
            entity_type: "project".into(),
            entity_id: Some("7".into()),
            before_json: None,
            after_json: Some("{\"name\":\"桃江\"}".into()),
        }
    }

    #[test]
    fn detects_tampering_and_removal() {
        let key = b"secret";
        let rows = [row("create"), row("update"), row("delete")];
        let mut hashes = vec![];
        let mut prev = GENESIS.to_string();
        for r in &rows {
            let h = chain_hash(key, &prev, r);
            hashes.push((prev.clone(), h.clone()));
            prev = h;
        }
        let items = |rs: &[AuditFields]| -> Vec<(i64, AuditFields, String, String)> {
            rs.iter()
                .enumerate()
                .map(|(i, r)| {
                    (
                        i as i64 + 1,
                        r.clone(),
                        hashes[i].0.clone(),
                        hashes[i].1.clone(),
                    )
                })
                .collect()
        };
        let good = items(&rows);
        let ok = verify_chain(
            key,
            GENESIS,
            good.iter()
                .map(|(i, f, p, h)| (*i, f, p.as_str(), h.as_str())),
        )
        .unwrap();
        assert_eq!(ok.0, 3);

        let mut tampered = good.clone();
        tampered[1].1.action = "view".into();
        let e = verify_chain(
            key,
            GENESIS,
            tampered
                .iter()
                .map(|(i, f, p, h)| (*i, f, p.as_str(), h.as_str())),
        )
        .unwrap_err();
        assert_eq!(e.id, 2);
        assert_eq!(e.verified_before, 1);

        let removed: Vec<_> = good.iter().filter(|r| r.0 != 2).cloned().collect();
        let e = verify_chain(
            key,
            GENESIS,
            removed
                .iter()
                .map(|(i, f, p, h)| (*i, f, p.as_str(), h.as_str())),
        )
        .unwrap_err();
        assert_eq!(e.id, 3);

        // another key cannot forge the chain
        assert!(
            verify_chain(
                b"other",
                GENESIS,
                good.iter()
                    .map(|(i, f, p, h)| (*i, f, p.as_str(), h.as_str()))
            )
            .is_err()
        );
    }

    #[test]
    fn anchors_are_signed_and_checkpoints_come_daily_and_every_thousand() {
        let a = anchor_signature(b"k", "head", 7, "abc", 7);
        assert_ne!(a, anchor_signature(b"k", "head", 6, "abc", 6));
        assert_ne!(a, anchor_signature(b"other", "head", 7, "abc", 7));
        assert_ne!(a, anchor_signature(b"k", "checkpoint", 7, "abc", 7));
        let t = DateTime::parse_from_rfc3339("2022-03-01T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(needs_checkpoint(2000, t, Some(t)));
        assert!(!needs_checkpoint(2001, t, Some(t)));
        assert!(needs_checkpoint(2001, t, None));
        // 2022-03-01 23:30 China time is still the 1st; 00:30 on the 2nd is a new day
        let late = t + chrono::Duration::hours(13) + chrono::Duration::minutes(30);
        assert!(!needs_checkpoint(5, late, Some(t)));
        assert!(needs_checkpoint(
            5,
            late + chrono::Duration::hours(1),
            Some(t)
        ));
    }
}
