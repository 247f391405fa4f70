//! The pipeline (issue #11): 招商签约 (`signing`), 帮代办 approval items (`approvals`), the
//! conversion figures of signing into construction (`conversion`) and 后扶 support measures
//! (`support`).

pub mod approvals;
pub mod conversion;
pub mod signing;
pub mod support;
