//! The write context of a use case: one transaction, the caller and the clock, carried together.
//!
//! Every use case that writes has the same shape:
//!
//! ```text
//! pub async fn x(app: &App, ctx: &Ctx, input: &Input) -> Result<Out> {
//!     let mut w = Work::begin(app, ctx).await?;       // BEGIN (IMMEDIATE on SQLite)
//!     let out = x_in(&mut w, input).await?;          // authorize, validate, repositories, audit
//!     w.commit().await?;                             // nothing is written unless this runs
//!     Ok(out)
//! }
//! ```
//!
//! `x_in` can be reused inside another use case's transaction (an import, a meeting assigning its
//! decisions), so there are no `_tx` twins. Audit rows are built with [`Audit`] and recorded with
//! [`Work::audit`]; they are appended to the chain when the work commits, in the same transaction
//! as the changes they record (an import of 10,000 rows writes 10,000 rows and moves the chain's
//! signed head once). Savepoints go through [`Work::savepoint`], so that the audit rows of work
//! rolled back to a savepoint are dropped with it.

use crate::{App, Ctx, Result};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_db::Tx;
use keyproj_domain::audit::AuditFields;
use serde::Serialize;

pub struct Work<'a> {
    pub tx: Tx,
    pub app: &'a App,
    pub ctx: &'a Ctx,
    /// The time of the whole use case (what both databases store exactly).
    pub now: DateTime<Utc>,
    /// Marks audit rows written inside an import job (`import:<job>`), so that the trail says
    /// which file changed a record.
    pub via: Option<String>,
    /// Audit rows of this work, appended at commit.
    audit: Vec<AuditFields>,
    /// Open savepoints: their names and how many audit rows there were when each was set.
    savepoints: Vec<(&'static str, usize)>,
}

impl<'a> Work<'a> {
    /// Opens a write transaction for `ctx` acting in `app`.
    pub async fn begin(app: &'a App, ctx: &'a Ctx) -> Result<Work<'a>> {
        Ok(Work {
            tx: app.db.begin_write().await?,
            app,
            ctx,
            now: app.now(),
            via: None,
            audit: vec![],
            savepoints: vec![],
        })
    }

    /// Appends the audit rows and commits: both or neither.
    pub async fn commit(mut self) -> Result<()> {
        keyproj_db::repo::admin::audit::append_all(
            &mut self.tx,
            &self.app.cfg.audit_key,
            &self.audit,
        )
        .await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Sets a savepoint (one item of a batch that must not fail the others).
    pub async fn savepoint(&mut self, name: &'static str) -> Result<()> {
        self.tx.savepoint(name).await?;
        self.savepoints.push((name, self.audit.len()));
        Ok(())
    }

    /// Keeps what was done since the savepoint.
    pub async fn release(&mut self, name: &'static str) -> Result<()> {
        self.tx.release(name).await?;
        self.pop_savepoint(name);
        Ok(())
    }

    /// Undoes what was done since the savepoint, its audit rows included, and releases it.
    pub async fn roll_back_to(&mut self, name: &'static str) -> Result<()> {
        self.tx.rollback_to(name).await?;
        self.tx.release(name).await?;
        if let Some(n) = self.pop_savepoint(name) {
            self.audit.truncate(n);
        }
        Ok(())
    }

    fn pop_savepoint(&mut self, name: &'static str) -> Option<usize> {
        let at = self.savepoints.iter().rposition(|(n, _)| *n == name)?;
        let (_, len) = self.savepoints.remove(at);
        self.savepoints.truncate(at);
        Some(len)
    }

    /// Today where the county is.
    pub fn today(&self) -> NaiveDate {
        self.app.local_today()
    }

    /// Records an audit row of this work (appended at commit, in the same transaction).
    pub async fn audit(&mut self, a: Audit) -> Result<()> {
        let actor = &self.ctx.actor;
        let mut after = a.after;
        if let Some(via) = &self.via {
            // the job that made the change, inside the row it signs
            let mut v: serde_json::Value = after
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or(serde_json::Value::Null);
            match &mut v {
                serde_json::Value::Object(m) => {
                    m.insert("via".into(), via.clone().into());
                }
                _ => v = serde_json::json!({ "value": v, "via": via }),
            }
            after = Some(v.to_string());
        }
        let f = AuditFields {
            at: self.now,
            user_id: actor.user_id.map(|u| u.get()),
            username: actor.username.clone(),
            unit_id: actor.unit_id.map(|u| u.get()),
            ip: self.ctx.ip.clone(),
            action: a.action.to_string(),
            entity_type: a.entity.to_string(),
            entity_id: a.id,
            before_json: a.before,
            after_json: after,
        };
        self.audit.push(f);
        Ok(())
    }
}

/// One audit row, built by what happened to what:
/// `Audit::update("project", id).before(&old).after(&new)`.
#[derive(Debug, Clone)]
#[must_use = "an audit row is written only by Work::audit"]
pub struct Audit {
    action: &'static str,
    entity: &'static str,
    id: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

impl Audit {
    /// Any action on an entity (`"assign"`, `"publish"`, `"login_failed"`…).
    pub fn new(action: &'static str, entity: &'static str) -> Audit {
        Audit {
            action,
            entity,
            id: None,
            before: None,
            after: None,
        }
    }
    pub fn create(entity: &'static str, id: impl ToString) -> Audit {
        Audit::new("create", entity).id(id)
    }
    pub fn update(entity: &'static str, id: impl ToString) -> Audit {
        Audit::new("update", entity).id(id)
    }
    pub fn id(mut self, id: impl ToString) -> Audit {
        self.id = Some(id.to_string());
        self
    }
    pub fn before(mut self, v: &impl Serialize) -> Audit {
        self.before = Some(json(v));
        self
    }
    pub fn after(mut self, v: &impl Serialize) -> Audit {
        self.after = Some(json(v));
        self
    }
}

fn json(v: &impl Serialize) -> String {
    // Serialising our own plain structs cannot fail; an empty object is kept rather than
    // losing the audit row if it ever did.
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::Audit;

    #[test]
    fn audit_rows_are_built_by_what_happened_to_what() {
        let a = Audit::update("project", 7)
            .before(&serde_json::json!({"name": "甲"}))
            .after(&serde_json::json!({"name": "乙"}));
        assert_eq!(
            (a.action, a.entity, a.id.as_deref()),
            ("update", "project", Some("7"))
        );
        assert_eq!(a.before.as_deref(), Some(r#"{"name":"甲"}"#));
        assert_eq!(a.after.as_deref(), Some(r#"{"name":"乙"}"#));
    }
}
