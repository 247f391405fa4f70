//! Files attached to records: evidence on problem-list items, site photos on patrols.

use crate::ids::{ApprovalItemId, ItemId, PatrolId};
use serde::Serialize;

/// What a file is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Owner {
    Item(ItemId),
    Patrol(PatrolId),
    /// An approval item's permit (批文).
    Approval(ApprovalItemId),
}

impl Owner {
    /// (owner type, owner id) as stored.
    pub fn parts(self) -> (&'static str, i64) {
        match self {
            Owner::Item(i) => ("item", i.get()),
            Owner::Patrol(p) => ("patrol", p.get()),
            Owner::Approval(a) => ("approval", a.get()),
        }
    }
    pub fn from_parts(kind: &str, id: i64) -> Option<Owner> {
        match kind {
            "item" => Some(Owner::Item(ItemId(id))),
            "patrol" => Some(Owner::Patrol(PatrolId(id))),
            "approval" => Some(Owner::Approval(ApprovalItemId(id))),
            _ => None,
        }
    }
}
