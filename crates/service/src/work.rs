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
//! decisions), so there are no `_tx` twins. Audit rows are built with [`Audit`] and appended with
//! [`Work::audit`], in the same transaction as the change they record.

use crate::{App, Ctx, Result, ServiceError};
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
        })
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Today where the county is.
    pub fn today(&self) -> NaiveDate {
        self.app.local_today()
    }

    /// Appends an audit row in this transaction: if it fails, the change fails.
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
            user_id: (actor.user_id != 0).then_some(actor.user_id),
            username: actor.username.clone(),
            unit_id: (actor.unit_id != 0).then_some(actor.unit_id),
            ip: self.ctx.ip.clone(),
            action: a.action.to_string(),
            entity_type: a.entity.to_string(),
            entity_id: a.id,
            before_json: a.before,
            after_json: after,
        };
        keyproj_db::repo::audit::append(&mut self.tx, &self.app.cfg.audit_key, &f).await?;
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

/// A read transaction for use cases that only look.
pub async fn read(app: &App) -> Result<Tx> {
    app.db.begin_read().await.map_err(ServiceError::from)
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
