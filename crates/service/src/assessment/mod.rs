//! 考核办法 (issue #12): `rules` — the year's assessment rules, drafted, adopted (frozen) and
//! revised as new versions with a reason; `rounds` — scoring a period, objections, review and the
//! numbered notice.

pub mod rounds;
pub mod rules;
