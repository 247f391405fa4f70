//! Notifications to units (the 待办 page and its unread badge) and the webhook outbox that
//! carries them to SMS or 政务微信 gateways, with its delivery log.

use crate::{DbError, Param, Tx, decode, direct, run};
use chrono::{DateTime, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::ids::{DocumentId, ItemId, NotificationId, OutboxId, UnitId, UserId};
use keyproj_domain::notification::NotificationKind;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct NotificationRow {
    pub id: NotificationId,
    pub kind: NotificationKind,
    pub item_id: Option<ItemId>,
    pub document_id: Option<DocumentId>,
    /// The page it opens when it is about neither an item nor a document ("" otherwise).
    pub link: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

#[derive(sqlx::FromRow)]
struct NotificationRaw {
    id: i64,
    kind: String,
    item_id: Option<i64>,
    document_id: Option<i64>,
    link: String,
    text: String,
    created_at: DateTime<Utc>,
    read: bool,
}

impl TryFrom<NotificationRaw> for NotificationRow {
    type Error = DbError;
    fn try_from(r: NotificationRaw) -> Result<NotificationRow, DbError> {
        Ok(NotificationRow {
            id: NotificationId(r.id),
            kind: decode::key("notifications.kind", &r.kind, NotificationKind::from_key)?,
            item_id: r.item_id.map(ItemId),
            document_id: r.document_id.map(DocumentId),
            link: r.link,
            text: r.text,
            created_at: r.created_at,
            read: r.read,
        })
    }
}

/// A notification as written.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    pub region_code: &'a RegionCode,
    pub unit_id: UnitId,
    pub kind: NotificationKind,
    pub item_id: Option<ItemId>,
    pub document_id: Option<DocumentId>,
    /// A same-site path ("/reports/12/2026-10"), or "".
    pub link: &'a str,
    pub text: &'a str,
}

/// A notification to a unit.
pub async fn notify(
    tx: &mut Tx,
    n: &NewNotification<'_>,
    now: DateTime<Utc>,
) -> Result<NotificationId, DbError> {
    const SQL: &str = "INSERT INTO notifications (region_code, unit_id, kind, item_id, document_id, text, created_at, link)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.region_code.as_str())
        .bind(n.unit_id.get())
        .bind(n.kind.key())
        .bind(n.item_id.map(|i| i.get()))
        .bind(n.document_id.map(|d| d.get()))
        .bind(n.text)
        .bind(now)
        .bind(n.link)
        .fetch_one(c)
        .await)?;
    Ok(NotificationId(id))
}

/// How many notifications of a kind pointing to `link` a region got since `since` (a repeated
/// reminder is refused).
pub async fn count_recent(
    tx: &mut Tx,
    region: &RegionCode,
    kind: NotificationKind,
    link: &str,
    since: DateTime<Utc>,
) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM notifications WHERE region_code = $1 AND kind = $2 AND link = $3 AND created_at >= $4";
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region.as_str())
        .bind(kind.key())
        .bind(link)
        .bind(since)
        .fetch_one(c)
        .await)?)
}

/// Queues a notification for the webhook, in the same transaction as the notification.
pub async fn enqueue_webhook(
    tx: &mut Tx,
    notification_id: NotificationId,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const OUT: &str = "INSERT INTO webhook_outbox (notification_id, payload, attempts, next_attempt_at, delivered_at, last_error, created_at)
        VALUES ($1, $2, 0, $3, NULL, '', $3)";
    run!(tx, |c| sqlx::query(OUT)
        .bind(notification_id.get())
        .bind(payload)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// A unit's newest notifications, each marked read or not for the user.
pub async fn notifications_for(
    tx: &mut Tx,
    unit_id: UnitId,
    user_id: UserId,
    limit: i64,
) -> Result<Vec<NotificationRow>, DbError> {
    const SQL: &str = "SELECT n.id, n.kind, n.item_id, n.document_id, n.link, n.text, n.created_at,
        CASE WHEN r.user_id IS NULL THEN FALSE ELSE TRUE END AS read
        FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = $2
        WHERE n.unit_id = $1 ORDER BY n.id DESC LIMIT $3";
    run!(tx, |c| sqlx::query_as::<_, NotificationRaw>(SQL)
        .bind(unit_id.get())
        .bind(user_id.get())
        .bind(limit)
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(NotificationRow::try_from)
    .collect()
}

pub async fn unread_count(tx: &mut Tx, unit_id: UnitId, user_id: UserId) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM notifications n
        WHERE n.unit_id = $1 AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = $2)";
    // Before every signed-in page: on the request's own thread where it can run there.
    direct::count(
        tx,
        SQL,
        &[Param::I64(unit_id.get()), Param::I64(user_id.get())],
    )
    .await
}

/// Marks every notification of the unit up to `up_to` read for the user.
pub async fn mark_read(
    tx: &mut Tx,
    unit_id: UnitId,
    user_id: UserId,
    up_to: NotificationId,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    const SQL: &str = "INSERT INTO notification_reads (notification_id, user_id, read_at)
        SELECT n.id, $2, $4 FROM notifications n WHERE n.unit_id = $1 AND n.id <= $3
        ON CONFLICT (notification_id, user_id) DO NOTHING";
    Ok(run!(tx, |c| sqlx::query(SQL)
        .bind(unit_id.get())
        .bind(user_id.get())
        .bind(up_to.get())
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?)
}

/// One notification of the unit, read by the user (opening it clears it from the badge); the
/// notification as stored, or None when it is not the unit's.
pub async fn open_one(
    tx: &mut Tx,
    unit_id: UnitId,
    user_id: UserId,
    id: NotificationId,
    now: DateTime<Utc>,
) -> Result<Option<NotificationRow>, DbError> {
    const SQL: &str =
        "SELECT n.id, n.kind, n.item_id, n.document_id, n.link, n.text, n.created_at, TRUE AS read
        FROM notifications n WHERE n.id = $1 AND n.unit_id = $2";
    let Some(row) = run!(tx, |c| sqlx::query_as::<_, NotificationRaw>(SQL)
        .bind(id.get())
        .bind(unit_id.get())
        .fetch_optional(c)
        .await)?
    else {
        return Ok(None);
    };
    const READ: &str = "INSERT INTO notification_reads (notification_id, user_id, read_at)
        VALUES ($1, $2, $3) ON CONFLICT (notification_id, user_id) DO NOTHING";
    run!(tx, |c| sqlx::query(READ)
        .bind(id.get())
        .bind(user_id.get())
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(Some(NotificationRow::try_from(row)?))
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct OutboxRow {
    #[sqlx(try_from = "i64")]
    pub id: OutboxId,
    #[sqlx(try_from = "i64")]
    pub notification_id: NotificationId,
    pub payload: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
}

const OUTBOX_COLS: &str =
    "id, notification_id, payload, attempts, next_attempt_at, delivered_at, last_error, created_at";

/// Undelivered entries whose next attempt is due.
pub async fn outbox_due(
    tx: &mut Tx,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<OutboxRow>, DbError> {
    let sql = format!(
        "SELECT {OUTBOX_COLS} FROM webhook_outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, OutboxRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(now)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

/// Claims an entry for one attempt by pushing its next attempt out (another instance will not
/// pick it meanwhile); false if someone else claimed it first.
pub async fn claim_outbox(
    tx: &mut Tx,
    id: OutboxId,
    seen_next: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE webhook_outbox SET next_attempt_at = $3 WHERE id = $1 AND next_attempt_at = $2 AND delivered_at IS NULL";
    let n = run!(tx, |c| sqlx::query(SQL)
        .bind(id.get())
        .bind(seen_next)
        .bind(until)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records an attempt: delivered, or failed with the time of the next one.
pub async fn record_attempt(
    tx: &mut Tx,
    id: OutboxId,
    status: Option<i64>,
    error: &str,
    delivered: bool,
    next_attempt_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    const LOG: &str =
        "INSERT INTO webhook_attempts (outbox_id, at, status, error) VALUES ($1, $2, $3, $4)";
    run!(tx, |c| sqlx::query(LOG)
        .bind(id.get())
        .bind(now)
        .bind(status)
        .bind(error)
        .execute(c)
        .await
        .map(|_| ()))?;
    const UPD: &str = "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = $2,
        delivered_at = CASE WHEN $3 THEN $4 ELSE NULL END, next_attempt_at = $5 WHERE id = $1";
    run!(tx, |c| sqlx::query(UPD)
        .bind(id.get())
        .bind(error)
        .bind(delivered)
        .bind(now)
        .bind(next_attempt_at)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AttemptRow {
    pub id: i64,
    #[sqlx(try_from = "i64")]
    pub outbox_id: OutboxId,
    pub at: DateTime<Utc>,
    pub status: Option<i64>,
    pub error: String,
}

/// The delivery log, newest first.
pub async fn attempts(tx: &mut Tx, limit: i64) -> Result<Vec<AttemptRow>, DbError> {
    const SQL: &str =
        "SELECT id, outbox_id, at, status, error FROM webhook_attempts ORDER BY id DESC LIMIT $1";
    Ok(run!(tx, |c| sqlx::query_as::<_, AttemptRow>(SQL)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

pub async fn outbox(tx: &mut Tx, limit: i64) -> Result<Vec<OutboxRow>, DbError> {
    let sql = format!("SELECT {OUTBOX_COLS} FROM webhook_outbox ORDER BY id DESC LIMIT $1");
    Ok(run!(tx, |c| sqlx::query_as::<_, OutboxRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(limit)
    .fetch_all(c)
    .await)?)
}
