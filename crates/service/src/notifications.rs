//! Notifications to units: written with the change that causes them, shown on the 待办 page with
//! an unread count, and carried to a webhook (SMS or 政务微信 gateways) with retries. Delivery is
//! safe with several instances: an outbox entry is claimed before each attempt.

use crate::work::Work;
use crate::{App, Ctx, Result, ServiceError, require};
use keyproj_db::repo::notifications::{self as repo, AttemptRow, NewNotification, OutboxRow};
use keyproj_db::repo::org;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::Action;
use keyproj_domain::ids::{DocumentId, ItemId, NotificationId, UnitId};
use keyproj_domain::notification::NotificationKind;
use serde::Serialize;

/// A notification to be written.
#[derive(Debug, Clone)]
pub struct Notice {
    pub unit: UnitId,
    pub kind: NotificationKind,
    pub item: Option<ItemId>,
    pub document: Option<DocumentId>,
    /// The page it opens when it is about neither an item nor a document.
    pub link: String,
    pub text: String,
}

/// Writes a notification in the work's transaction, queued for the webhook when one is set.
pub(crate) async fn notify_in(
    w: &mut Work<'_>,
    region: &RegionCode,
    n: &Notice,
) -> Result<NotificationId> {
    let id = repo::notify(
        &mut w.tx,
        &NewNotification {
            region_code: region,
            unit_id: n.unit,
            kind: n.kind,
            item_id: n.item,
            document_id: n.document,
            link: &n.link,
            text: &n.text,
        },
        w.now,
    )
    .await?;
    if w.app.cfg.webhook.is_some() {
        let unit = org::get_unit(&mut w.tx, n.unit)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        let payload = serde_json::json!({
            "notification_id": id,
            "kind": n.kind.key(),
            "region_code": region.as_str(),
            "unit_id": n.unit,
            "unit_name": unit,
            "item_id": n.item,
            "document_id": n.document,
            "link": n.link,
            "text": n.text,
            "created_at": w.now,
        });
        repo::enqueue_webhook(&mut w.tx, id, &payload.to_string(), w.now).await?;
    }
    Ok(id)
}

/// The unread count shown beside 待办 in the navigation.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn unread(app: &App, ctx: &Ctx) -> Result<i64> {
    let (Some(unit), Some(user)) = (ctx.actor.unit_id, ctx.actor.user_id) else {
        return Ok(0);
    };
    if ctx.actor.roles.iter().all(|r| r.is_admin()) {
        return Ok(0);
    }
    // one statement before every signed-in page: outside a transaction, whose BEGIN and end
    // would be two more round trips to SQLite's worker thread or the server
    let mut tx = app.db.read().await?;
    Ok(repo::unread_count(&mut tx, unit, user).await?)
}

/// Marks the actor's unit's notifications up to `up_to` read for the actor.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn mark_read(app: &App, ctx: &Ctx, up_to: NotificationId) -> Result<u64> {
    require(ctx, Action::ViewProblems)?;
    let (Some(unit), Some(user)) = (ctx.actor.unit_id, ctx.actor.user_id) else {
        return Ok(0);
    };
    let mut w = Work::begin(app, ctx).await?;
    let n = repo::mark_read(&mut w.tx, unit, user, up_to, w.now).await?;
    w.commit().await?;
    Ok(n)
}

/// Opens one of the unit's notifications for the actor: marks it read (the badge counts one
/// fewer) and gives the page it points to (always a path of this site).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn open(app: &App, ctx: &Ctx, id: NotificationId) -> Result<String> {
    require(ctx, Action::ViewProblems)?;
    let (Some(unit), Some(user)) = (ctx.actor.unit_id, ctx.actor.user_id) else {
        return Err(ServiceError::NotFound);
    };
    let mut w = Work::begin(app, ctx).await?;
    let n = repo::open_one(&mut w.tx, unit, user, id, w.now)
        .await?
        .ok_or(ServiceError::NotFound)?;
    w.commit().await?;
    Ok(target_of(&n))
}

/// The page a notification opens: its item, its document, its own link (a same-site path
/// only), else the 待办 page.
pub fn target_of(n: &repo::NotificationRow) -> String {
    if let Some(i) = n.item_id {
        format!("/problems/{i}")
    } else if let Some(d) = n.document_id {
        format!("/documents/{d}")
    } else if n.link.starts_with('/') && !n.link.starts_with("//") && !n.link.contains('\\') {
        n.link.clone()
    } else {
        "/todo".into()
    }
}

// --- the webhook -------------------------------------------------------------------------

/// What one delivery pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub delivered: usize,
    pub failed: usize,
}

/// The wait before the next attempt after `attempts` failures: 30 s doubling, at most 6 hours.
/// Entries are never given up: a receiver that is down gets every message once it is back.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.clamp(0, 20));
    chrono::Duration::seconds(secs.min(6 * 3600))
}

/// The signature header value: `sha256=` and the hex HMAC-SHA256 of the body.
pub fn signature(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends every due outbox entry once. One entry that fails is recorded and retried later; the
/// others are sent regardless.
pub async fn deliver_due(app: &App) -> Result<Delivery> {
    let mut out = Delivery::default();
    let Some(hook) = app.cfg.webhook.clone() else {
        return Ok(out);
    };
    crate::install_tls_provider();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| ServiceError::internal("webhook client", e))?;
    let due = {
        let mut tx = app.db.begin_read().await?;
        repo::outbox_due(&mut tx, app.now(), 100).await?
    };
    for e in due {
        // claim: push the next attempt out so that another instance leaves it alone
        let claimed = {
            let mut tx = app.db.begin_write().await?;
            let ok = repo::claim_outbox(
                &mut tx,
                e.id,
                e.next_attempt_at,
                app.now() + chrono::Duration::minutes(2),
            )
            .await?;
            tx.commit().await?;
            ok
        };
        if !claimed {
            continue;
        }
        let sent = client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header(
                "x-keyproj-signature",
                signature(&hook.secret, e.payload.as_bytes()),
            )
            .header("x-keyproj-delivery", e.id.to_string())
            .body(e.payload.clone())
            .send()
            .await;
        let (status, error) = match sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16() as i64), String::new()),
            Ok(r) => (
                Some(r.status().as_u16() as i64),
                format!("HTTP {}", r.status().as_u16()),
            ),
            Err(err) => (None, err.to_string().chars().take(300).collect()),
        };
        let ok = error.is_empty();
        let now = app.now();
        let mut tx = app.db.begin_write().await?;
        repo::record_attempt(
            &mut tx,
            e.id,
            status,
            &error,
            ok,
            now + backoff(e.attempts),
            now,
        )
        .await?;
        tx.commit().await?;
        if ok {
            out.delivered += 1;
        } else {
            out.failed += 1;
        }
    }
    Ok(out)
}

/// The outbox and its delivery log, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct Deliveries {
    pub outbox: Vec<OutboxRow>,
    pub attempts: Vec<AttemptRow>,
}

/// The outbox and delivery log for staff.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn deliveries(app: &App, ctx: &Ctx) -> Result<Deliveries> {
    require(ctx, Action::ManageProblems)?;
    let mut tx = app.db.begin_read().await?;
    Ok(Deliveries {
        outbox: repo::outbox(&mut tx, 100).await?,
        attempts: repo::attempts(&mut tx, 200).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), chrono::Duration::seconds(30));
        assert_eq!(backoff(1), chrono::Duration::seconds(60));
        assert_eq!(backoff(5), chrono::Duration::seconds(960));
        assert_eq!(backoff(40), chrono::Duration::hours(6));
    }

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
