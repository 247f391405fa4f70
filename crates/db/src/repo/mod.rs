//! Repositories: one function per query, the same SQL text for both engines.

pub mod account;
pub mod admin;
pub mod assessment;
pub mod attachments;
pub mod briefings;
pub mod dispatch;
pub mod evaluation;
pub mod jobs;
pub mod notifications;
pub mod org;
pub mod pipeline;
pub mod problems;
pub mod projects;
pub mod survey;

/// Rows affected → `Stale` when an optimistic update touched nothing.
pub(crate) fn expect_one(affected: u64) -> Result<(), crate::DbError> {
    if affected == 1 {
        Ok(())
    } else {
        Err(crate::DbError::Stale)
    }
}
