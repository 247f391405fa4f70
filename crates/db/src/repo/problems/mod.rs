//! The problem list's storage, in the files the service and web layers mirror:
//! [`items`] (items, their list and supervision fields), [`workflow`] (the log of steps),
//! [`documents`] (issued documents), [`meetings`] (meetings and patrols), [`todo`] (what waits
//! for whom), [`stats`] (the figures) and [`supervision`] (rules and the holiday calendar);
//! [`bulk`] writes generated items for benchmarks.
//! Dates are `YYYY-MM-DD` text on both engines (they compare as text).

pub mod bulk;
pub mod documents;
pub mod items;
pub mod meetings;
pub mod stats;
pub mod supervision;
pub mod todo;
pub mod workflow;
