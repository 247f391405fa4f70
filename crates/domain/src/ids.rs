//! Typed ids: a project's id cannot be passed where a unit's is expected. Each is a transparent
//! `i64` on the wire (JSON, paths, forms) and in the database; the database layer binds and reads
//! the number, everything above it passes the type.

/// Declares an id type.
macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident;)+) => {$(
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The number as stored.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse::<i64>().map($name)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl From<i64> for $name {
            fn from(n: i64) -> $name {
                $name(n)
            }
        }
    )+};
}

id_type! {
    /// An account.
    UserId;
    /// A unit (department, township, owner company, the center).
    UnitId;
    /// A county leader.
    LeaderId;
    /// A project of the library.
    ProjectId;
    /// A project's plan of one year.
    PlanId;
    /// A plan's milestone node.
    MilestoneId;
    /// A project's report of one month.
    ReportId;
    /// A site photo of a monthly report.
    PhotoId;
    /// A published colour table (第N期).
    IssueId;
    /// A stored version of a region's colour rules.
    RulesId;
    /// A problem-list item (问题 or 交办任务).
    ItemId;
    /// A meeting (调度会, 现场办公会…).
    MeetingId;
    /// A patrol (日巡查).
    PatrolId;
    /// A step in an item's log.
    EventId;
    /// An issued document (交办单, 督办函, 会议纪要).
    DocumentId;
    /// A file attached to an item or a patrol.
    AttachmentId;
    /// A notification to a unit.
    NotificationId;
    /// A personal API token.
    TokenId;
    /// A signed-in session.
    SessionId;
    /// An entry of the webhook outbox.
    OutboxId;
    /// A signing event (集中签约活动).
    SigningEventId;
    /// A signed project (签约项目) of the pipeline.
    SignedId;
    /// An entry of a region's catalogue of approval items (帮代办事项目录).
    CatalogueEntryId;
    /// An approval item run on a project's behalf (帮代办事项).
    ApprovalItemId;
    /// A support measure for an operating project (后扶帮扶措施).
    SupportMeasureId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_numbers_outside() {
        let p = ProjectId(42);
        assert_eq!(serde_json::to_string(&p).unwrap(), "42");
        assert_eq!(serde_json::from_str::<ProjectId>("42").unwrap(), p);
        assert_eq!("42".parse::<ProjectId>().unwrap(), p);
        assert!("abc".parse::<ProjectId>().is_err());
        assert_eq!(p.to_string(), "42");
        assert_eq!(i64::from(p), 42);
    }
}
