//! The workflow of an item: who may take which step in which state, as a pure state machine.

use super::State;
use serde::Serialize;

crate::keyed_enum!(
    /// What can happen to an item.
    pub enum Step, "操作" {
        Assign => "assign", "交办";
        Reply => "reply", "反馈进展";
        RequestClosure => "request_closure", "申请销号";
        Close => "close", "销号";
        Return => "return", "退回";
        RequestExtension => "request_extension", "申请延期";
        GrantExtension => "grant_extension", "同意延期";
        RefuseExtension => "refuse_extension", "不同意延期";
        Withdraw => "withdraw", "撤销";
        Reopen => "reopen", "重开";
    }
);

/// Who takes a step: the center (staff) or the unit the item is assigned to (承办单位).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Performer {
    Center,
    Handler,
}

impl Step {
    pub fn performer(self) -> Performer {
        match self {
            Step::Reply | Step::RequestClosure | Step::RequestExtension => Performer::Handler,
            _ => Performer::Center,
        }
    }
    /// Steps whose note is required (a reason, a progress text or a resolution).
    pub fn needs_note(self) -> bool {
        !matches!(self, Step::Assign | Step::Close | Step::GrantExtension)
    }
}

/// The workflow facts of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Status {
    pub state: State,
    /// An extension request waits for the center's decision.
    pub extension_pending: bool,
    /// Set only by 销号: the center verified the facts and the solution.
    pub verified: bool,
}

impl Status {
    pub fn registered() -> Status {
        Status {
            state: State::Registered,
            extension_pending: false,
            verified: false,
        }
    }
}

/// The status after `step`, or the Chinese reason why it may not happen now. 重开 leaves the
/// closed item as it is (the new instruction becomes a linked child item).
pub fn next(s: Status, step: Step) -> Result<Status, &'static str> {
    use State::*;
    use Step::*;
    let open_with_unit = s.state.with_unit();
    let to = |state: State| Status {
        state,
        extension_pending: s.extension_pending && state.with_unit(),
        verified: state == Closed,
    };
    match (s.state, step) {
        (Closed, Reopen) => Ok(s),
        (Closed | Withdrawn, _) => {
            Err("该事项已办结或已撤销，不能再办理；如有新的指示，请重开为新事项")
        }
        (_, Reopen) => Err("只有已销号的事项才能重开"),
        (Registered, Assign) => Ok(to(Assigned)),
        (_, Assign) => Err("该事项已交办"),
        (Registered, _) if step != Withdraw => Err("该事项尚未交办"),
        (_, Withdraw) => Ok(to(Withdrawn)),
        (Assigned | InProgress, Reply) => Ok(to(InProgress)),
        (Assigned | InProgress, RequestClosure) => {
            if s.extension_pending {
                Err("延期申请尚待中心答复")
            } else {
                Ok(Status {
                    extension_pending: false,
                    ..to(ClosureRequested)
                })
            }
        }
        (ClosureRequested, Close) => Ok(to(Closed)),
        (ClosureRequested, Return) => Ok(to(InProgress)),
        (_, Close | Return) => Err("只有申请销号的事项才能销号或退回"),
        (ClosureRequested, Reply | RequestClosure | RequestExtension) => {
            Err("已申请销号，等待中心核验")
        }
        (_, RequestExtension) if open_with_unit => {
            if s.extension_pending {
                Err("已有一份延期申请等待答复")
            } else {
                Ok(Status {
                    extension_pending: true,
                    ..s
                })
            }
        }
        (_, GrantExtension | RefuseExtension) if s.extension_pending => Ok(Status {
            extension_pending: false,
            ..s
        }),
        (_, GrantExtension | RefuseExtension) => Err("没有待答复的延期申请"),
        _ => Err("当前状态下不能进行此操作"),
    }
}

/// Is the status one the workflow can reach? (Used by the property test.)
pub fn is_consistent(s: Status) -> bool {
    (s.state == State::Closed) == s.verified && (!s.extension_pending || s.state.with_unit())
}

/// What a line of an item's log records: its registration, a workflow step, or a supervision
/// notice. Stored as `register`, the step's key, or `alert_` and the alert's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventKind {
    Register,
    Step(Step),
    Alert(super::Alert),
}

impl EventKind {
    pub fn key(self) -> String {
        match self {
            EventKind::Register => "register".into(),
            EventKind::Step(s) => s.key().into(),
            EventKind::Alert(a) => format!("alert_{}", a.key()),
        }
    }
    pub fn from_key(s: &str) -> Option<EventKind> {
        if s == "register" {
            return Some(EventKind::Register);
        }
        match s.strip_prefix("alert_") {
            Some(a) => super::Alert::from_key(a).map(EventKind::Alert),
            None => Step::from_key(s).map(EventKind::Step),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Register => "登记",
            EventKind::Step(s) => s.label(),
            EventKind::Alert(a) => a.label(),
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_key() {
        let mut all = vec![EventKind::Register];
        all.extend(Step::ALL.iter().map(|s| EventKind::Step(*s)));
        all.extend(
            super::super::Alert::ALL
                .iter()
                .map(|a| EventKind::Alert(*a)),
        );
        for k in all {
            assert_eq!(EventKind::from_key(&k.key()), Some(k));
        }
        assert_eq!(EventKind::from_key("alert_green"), None);
    }
}
