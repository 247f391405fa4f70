//! 考核 (issue #12): `rules` (drafts and adopted, frozen versions per region and year),
//! `measures` (the records a round reads), `rounds` (rounds, scores, entries, objections and the
//! frozen notices).

pub mod measures;
pub mod rounds;
pub mod rules;
