//! Monthly dispatch (月调度), in the files the service and web layers mirror: [`plans`] (annual
//! plans, their revisions, milestones and frozen years), [`reports`] (monthly reports, their
//! revisions and the approved figures), [`photos`] (site photos of a report) and [`colour`]
//! (colour rules, exemptions and published colour tables). Months are `YYYY-MM` text.

pub mod colour;
pub mod photos;
pub mod plans;
pub mod reports;
