//! The problem list (一单三制), in the files the `db` and `web` layers mirror:
//!
//! - [`items`]: registering items (also from meetings, patrols and monthly reports), reading
//!   them, the list and its filter;
//! - [`workflow`]: the steps 交办 → 办理 → 申请销号 → 销号/退回, extensions, withdrawal and
//!   re-opening;
//! - [`documents`]: what is issued on the way (交办单, 督办函, 会议纪要), frozen once issued;
//! - [`meetings`]: meetings and patrols whose decisions and findings become items;
//! - [`todo`]: what waits for the actor;
//! - [`stats`]: the figures per unit, leader, source and category;
//! - [`supervision`]: the daily ladder of notices, its rules and the holiday calendar.

pub mod documents;
pub mod items;
pub mod meetings;
pub mod stats;
pub mod supervision;
pub mod todo;
pub mod workflow;
