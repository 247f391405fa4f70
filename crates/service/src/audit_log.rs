//! The audit log as the 审计管理员 sees it, and the chain verification.

use crate::{App, Ctx, Result, audit, require};
use keyproj_db::repo::audit::{self as repo, AuditFilter, AuditRow};
use keyproj_domain::audit::{BrokenLink, GENESIS, verify_chain};
use keyproj_domain::authz::Action;

pub async fn list(app: &App, ctx: &Ctx, f: &AuditFilter) -> Result<(Vec<AuditRow>, i64)> {
    require(ctx, Action::ViewAudit)?;
    let mut tx = app.db.begin_read().await?;
    Ok(repo::list(&mut tx, f).await?)
}

pub async fn record_export(app: &App, ctx: &Ctx, rows: usize) -> Result<()> {
    require(ctx, Action::ViewAudit)?;
    let mut tx = app.db.begin_write().await?;
    audit(
        app,
        &mut tx,
        ctx,
        "export",
        "audit_log",
        None,
        None::<&()>,
        Some(&serde_json::json!({ "rows": rows })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    pub rows: u64,
    pub broken: Option<BrokenLink>,
}

/// Walks the whole chain in batches. Reports the first broken link, if any.
pub async fn verify(app: &App) -> Result<VerifyReport> {
    let mut tx = app.db.begin_read().await?;
    let mut after = 0i64;
    let mut prev = GENESIS.to_string();
    let mut total = 0u64;
    loop {
        let rows = repo::batch(&mut tx, after, 5000).await?;
        if rows.is_empty() {
            break;
        }
        let fields: Vec<_> = rows.iter().map(|r| r.fields()).collect();
        let items = rows
            .iter()
            .zip(fields.iter())
            .map(|(r, f)| (r.id, f, r.prev_hash.as_str(), r.hash.as_str()));
        match verify_chain(&app.cfg.audit_key, &prev, items) {
            Ok((n, last)) => {
                total += n;
                prev = last;
            }
            Err(b) => {
                return Ok(VerifyReport {
                    rows: total,
                    broken: Some(b),
                });
            }
        }
        after = rows.last().map(|r| r.id).unwrap_or(after);
    }
    Ok(VerifyReport {
        rows: total,
        broken: None,
    })
}
