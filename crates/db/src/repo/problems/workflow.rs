//! The log of items: registration, every step and every supervision notice (who, when, from
//! which state to which).

use crate::decode::{self, opt_day};
use crate::{DbError, Tx, direct, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::ids::{EventId, ItemId, UnitId};
use keyproj_domain::problem::{EventKind, State};
use serde::Serialize;

/// A line of an item's log.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub id: EventId,
    pub item_id: ItemId,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_unit_id: Option<UnitId>,
    pub kind: EventKind,
    pub note: String,
    /// None for the registration.
    pub from_state: Option<State>,
    pub to_state: State,
    /// The deadline set or asked for by this step.
    pub deadline: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct EventRaw {
    id: i64,
    item_id: i64,
    at: DateTime<Utc>,
    actor: String,
    actor_unit_id: i64,
    step: String,
    note: String,
    from_state: String,
    to_state: String,
    deadline: Option<String>,
}

impl TryFrom<EventRaw> for EventRow {
    type Error = DbError;
    fn try_from(r: EventRaw) -> Result<EventRow, DbError> {
        Ok(EventRow {
            id: EventId(r.id),
            item_id: ItemId(r.item_id),
            at: r.at,
            actor: r.actor,
            actor_unit_id: (r.actor_unit_id != 0).then_some(UnitId(r.actor_unit_id)),
            kind: decode::key("problem_events.step", &r.step, EventKind::from_key)?,
            note: r.note,
            from_state: decode::opt_key(
                "problem_events.from_state",
                &r.from_state,
                State::from_key,
            )?,
            to_state: decode::key("problem_events.to_state", &r.to_state, State::from_key)?,
            deadline: decode::opt_date("problem_events.deadline", r.deadline)?,
        })
    }
}

/// A line of the log as written.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub item_id: ItemId,
    pub actor: &'a str,
    pub actor_unit_id: Option<UnitId>,
    pub kind: EventKind,
    pub note: &'a str,
    pub from_state: Option<State>,
    pub to_state: State,
    pub deadline: Option<NaiveDate>,
}

pub async fn insert_event(
    tx: &mut Tx,
    e: &NewEvent<'_>,
    now: DateTime<Utc>,
) -> Result<EventId, DbError> {
    const SQL: &str = "INSERT INTO problem_events (item_id, at, actor, actor_unit_id, step, note, from_state, to_state, deadline)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    if let Some(c) = tx.direct_write().await? {
        let id = direct::first_on(
            c,
            SQL,
            &[
                &e.item_id.get(),
                &direct::Time(now),
                &e.actor,
                &e.actor_unit_id.map_or(0, |u| u.get()),
                &e.kind.key(),
                &e.note,
                &e.from_state.map_or("", |s| s.key()),
                &e.to_state.key(),
                &opt_day(e.deadline),
            ],
            |r| direct::at::<i64>(r, 0, "id"),
        )?
        .ok_or_else(|| DbError::Decode("problem_events.id", "no id returned".into()))?;
        return Ok(EventId(id));
    }
    let id = run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(e.item_id.get())
        .bind(now)
        .bind(e.actor)
        .bind(e.actor_unit_id.map_or(0, |u| u.get()))
        .bind(e.kind.key())
        .bind(e.note)
        .bind(e.from_state.map_or("", |s| s.key()))
        .bind(e.to_state.key())
        .bind(opt_day(e.deadline))
        .fetch_one(c)
        .await)?;
    Ok(EventId(id))
}

pub async fn events_of(tx: &mut Tx, item_id: ItemId) -> Result<Vec<EventRow>, DbError> {
    const SQL: &str =
        "SELECT id, item_id, at, actor, actor_unit_id, step, note, from_state, to_state, deadline
        FROM problem_events WHERE item_id = $1 ORDER BY id";
    run!(tx, |c| sqlx::query_as::<_, EventRaw>(SQL)
        .bind(item_id.get())
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(EventRow::try_from)
    .collect()
}
