//! What waits for someone: the items a unit must handle, and those the center must assign,
//! verify or decide on, nearest deadline first.

use super::items::{ITEM_COLS, ITEM_JOINS, ItemRaw, ItemRow};
use crate::{DbError, Tx, run};
use keyproj_domain::RegionCode;
use keyproj_domain::ids::UnitId;

/// Whose to-do list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Items assigned to the unit and not yet finished (回复, 申请销号 still to do).
    Unit(UnitId),
    /// 登记 items to assign.
    ToAssign,
    /// 申请销号 items to verify.
    ToVerify,
    /// Items whose unit asked for more time.
    Extensions,
}

#[derive(sqlx::FromRow)]
struct WaitingRaw {
    #[sqlx(flatten)]
    item: ItemRaw,
    waiting_total: i64,
}

/// At most `limit` waiting items of the region, nearest deadline first (no deadline last), and
/// how many wait in all (counted in the same statement, before the limit).
pub async fn waiting(
    tx: &mut Tx,
    region: &RegionCode,
    who: Waiting,
    limit: i64,
) -> Result<(Vec<ItemRow>, i64), DbError> {
    let (lo, hi) = region.subtree_range();
    let (condition, unit) = match who {
        Waiting::Unit(u) => (
            "i.handler_unit_id = $4 AND i.state IN ('assigned', 'in_progress')",
            Some(u.get()),
        ),
        Waiting::ToAssign => ("i.state = 'registered'", None),
        Waiting::ToVerify => ("i.state = 'closure_requested'", None),
        Waiting::Extensions => (
            "i.state IN ('assigned', 'in_progress') AND i.extension_pending",
            None,
        ),
    };
    let sql = format!(
        "{ITEM_COLS}, COUNT(*) OVER () AS waiting_total FROM problem_items i{ITEM_JOINS}
         WHERE i.region_code >= $1 AND i.region_code < $2 AND {condition}
         ORDER BY CASE WHEN i.deadline IS NULL THEN 1 ELSE 0 END, i.deadline, i.id LIMIT $3"
    );
    let rows = match unit {
        Some(u) => run!(tx, |c| sqlx::query_as::<_, WaitingRaw>(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(&lo)
        .bind(&hi)
        .bind(limit)
        .bind(u)
        .fetch_all(c)
        .await)?,
        None => run!(tx, |c| sqlx::query_as::<_, WaitingRaw>(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(&lo)
        .bind(&hi)
        .bind(limit)
        .fetch_all(c)
        .await)?,
    };
    let total = rows.first().map_or(0, |r| r.waiting_total);
    let items = rows
        .into_iter()
        .map(|r| ItemRow::try_from(r.item))
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok((items, total))
}
