//! 考核办法 (issue #12): `rules` — the year's assessment rules, drafted, adopted (frozen) and
//! revised as new versions with a reason. Scoring, review and publication come next.

pub mod rules;
