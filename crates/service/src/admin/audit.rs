//! The audit log as the 审计管理员 sees it, and the chain verification.

use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, require};
use keyproj_db::repo::admin::audit::{self as repo, Anchor, AuditFilter, AuditRow};
use keyproj_domain::audit::{BrokenLink, GENESIS, anchor_signature, verify_chain};
use keyproj_domain::authz::Action;

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn list(app: &App, ctx: &Ctx, f: &AuditFilter) -> Result<(Vec<AuditRow>, i64)> {
    require(ctx, Action::ViewAudit)?;
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list(&mut tx, f).await?)
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn record_export(app: &App, ctx: &Ctx, rows: usize) -> Result<()> {
    require(ctx, Action::ViewAudit)?;
    let mut w = Work::begin(app, ctx).await?;
    w.audit(Audit::new("export", "audit_log").after(&serde_json::json!({ "rows": rows })))
        .await?;
    w.commit().await
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    /// Rows whose links and content verified (exact, up to a broken row if any).
    pub rows: u64,
    /// The first broken link of the chain, if any.
    pub broken: Option<BrokenLink>,
    /// The signed head as stored (the last row the application wrote).
    pub head: Option<Anchor>,
    /// Checkpoints checked against the chain.
    pub checkpoints: usize,
    /// Everything wrong besides a broken link, in Chinese: rows missing after the last one
    /// present, a forged or missing anchor, an empty log in a database that has users.
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.broken.is_none() && self.problems.is_empty()
    }
}

/// Walks the whole chain in batches and compares it with its anchors: the signed head (the
/// newest row the application wrote) and the signed checkpoints. Reports the first broken link,
/// rows missing at the end, and anchors that are missing or not signed with the audit key.
pub async fn verify(app: &App) -> Result<VerifyReport> {
    verify_with(app, &[]).await
}

/// The anchors kept outside the database: the anchor file's lines and those given by hand.
fn outside_anchors(app: &App, given: &[(i64, String)]) -> Vec<(i64, String, &'static str)> {
    let mut out: Vec<(i64, String, &'static str)> = given
        .iter()
        .map(|(i, h)| (*i, h.clone(), "命令行给出的锚点"))
        .collect();
    if let Some(path) = &app.cfg.audit_anchor_file
        && let Ok(text) = std::fs::read_to_string(path)
    {
        for line in text.lines() {
            let mut parts = line.split('\t');
            if let (Some(id), Some(hash)) = (parts.next(), parts.next())
                && let Ok(id) = id.parse::<i64>()
            {
                out.push((id, hash.to_string(), "锚点文件"));
            }
        }
    }
    out
}

/// Appends the chain's head to the anchor file when it moved (the background loop calls this
/// every 15 seconds): the file outside the database witnesses what the chain held.
pub async fn record_anchor(app: &App) -> Result<bool> {
    use std::io::Write;
    let Some(path) = &app.cfg.audit_anchor_file else {
        return Ok(false);
    };
    let head = {
        let mut tx = app.db.begin_read().await?;
        repo::head(&mut tx).await?
    };
    let Some(h) = head else {
        return Ok(false);
    };
    let last = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.lines().last().map(str::to_string))
        .unwrap_or_default();
    if last.split('\t').next() == Some(&h.audit_id.to_string()) {
        return Ok(false);
    }
    let line = format!(
        "{}\t{}\t{}\t{}\n",
        h.audit_id,
        h.hash,
        h.row_count,
        h.at.to_rfc3339()
    );
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| ServiceError::internal("写审计锚点文件", e))?;
    f.write_all(line.as_bytes())
        .and_then(|_| f.sync_data())
        .map_err(|e| ServiceError::internal("写审计锚点文件", e))?;
    Ok(true)
}

/// [`verify`], also against anchors noted outside the database (`ID:HASH`).
pub async fn verify_with(app: &App, given: &[(i64, String)]) -> Result<VerifyReport> {
    let key = &app.cfg.audit_key;
    let outside = outside_anchors(app, given);
    let mut tx = app.db.begin_read().await?;
    let head = repo::head(&mut tx).await?;
    let checkpoints = repo::checkpoints(&mut tx).await?;
    let mut problems = vec![];
    // a head older than a checkpoint was put back (an old signed head replayed)
    if let (Some(h), Some(c)) = (&head, checkpoints.iter().map(|c| c.audit_id).max())
        && h.audit_id < c
    {
        problems.push(format!(
            "锚点停在第 {} 号记录，但已有第 {c} 号记录的检查点：锚点被回退",
            h.audit_id
        ));
    }
    let mut witnessed: std::collections::HashMap<i64, (String, &'static str)> = outside
        .iter()
        .map(|(i, h, src)| (*i, (h.clone(), *src)))
        .collect();
    let signed = |kind: &str, a: &Anchor| {
        anchor_signature(key, kind, a.audit_id, &a.hash, a.row_count) == a.signature
    };
    if let Some(h) = &head
        && !signed("head", h)
    {
        problems.push(format!(
            "审计链锚点（第 {} 号记录）的签名不符：锚点被改写",
            h.audit_id
        ));
    }
    let mut expected: std::collections::HashMap<i64, &Anchor> = std::collections::HashMap::new();
    for c in &checkpoints {
        if signed("checkpoint", c) {
            expected.insert(c.audit_id, c);
        } else {
            problems.push(format!(
                "第 {} 号记录处的检查点签名不符：检查点被伪造或改写",
                c.audit_id
            ));
        }
    }
    let mut after = 0i64;
    let mut prev = GENESIS.to_string();
    let mut total = 0u64;
    let mut last_id = 0i64;
    let mut broken = None;
    'walk: loop {
        let rows = repo::batch(&mut tx, after, 5000).await?;
        if rows.is_empty() {
            break;
        }
        let fields: Vec<_> = rows.iter().map(|r| r.fields()).collect();
        let items = rows
            .iter()
            .zip(fields.iter())
            .map(|(r, f)| (r.id, f, r.prev_hash.as_str(), r.hash.as_str()));
        match verify_chain(key, &prev, items) {
            Ok((n, last)) => {
                for r in &rows {
                    total += 1;
                    if let Some((hash, src)) = witnessed.remove(&r.id)
                        && hash != r.hash
                    {
                        problems.push(format!(
                            "第 {} 号记录与{src}记载的校验值不符（记录被替换）",
                            r.id
                        ));
                    }
                    if let Some(c) = expected.remove(&r.id)
                        && (c.hash != r.hash || c.row_count != total as i64)
                    {
                        problems.push(format!(
                            "第 {} 号记录与该处检查点不符（此前的记录被删除或替换）",
                            r.id
                        ));
                    }
                }
                debug_assert_eq!(n as usize, rows.len());
                prev = last;
            }
            Err(b) => {
                total += b.verified_before;
                broken = Some(b);
                break 'walk;
            }
        }
        last_id = rows.last().map(|r| r.id).unwrap_or(after);
        after = last_id;
    }
    if broken.is_none() {
        match &head {
            Some(h) if h.audit_id > last_id => problems.push(format!(
                "第 {last_id} 号记录之后缺少记录：锚点记载共 {} 条、最后一条为第 {} 号（日志末尾被删除）",
                h.row_count, h.audit_id
            )),
            Some(h) if h.audit_id < last_id => problems.push(format!(
                "第 {} 号记录之后的记录不是由本系统写入的（锚点止于第 {} 号）",
                h.audit_id, h.audit_id
            )),
            Some(h) if h.hash != prev || h.row_count != total as i64 => problems.push(format!(
                "最后一条记录（第 {last_id} 号）或记录条数与锚点不符（锚点记载 {} 条，实有 {total} 条）",
                h.row_count
            )),
            Some(_) => {}
            None if !checkpoints.is_empty() => {
                problems.push("审计链锚点缺失（锚点被删除）".into());
            }
            None => {}
        }
        for c in expected.values() {
            problems.push(format!(
                "检查点记载的第 {} 号记录不存在（日志被删除）",
                c.audit_id
            ));
        }
        if let Some((id, (_, src))) = witnessed.iter().max_by_key(|(id, _)| **id) {
            problems.push(format!(
                "{src}记载到第 {id} 号记录，数据库中的日志只到第 {last_id} 号（日志末尾被删除）"
            ));
        }
        if total == 0 && keyproj_db::repo::admin::users::count_users(&mut tx).await? > 0 {
            problems.push("审计日志为空，但数据库中已有用户账号（日志被清空）".into());
        }
    }
    problems.sort();
    Ok(VerifyReport {
        rows: total,
        broken,
        head,
        checkpoints: checkpoints.len(),
        problems,
    })
}
