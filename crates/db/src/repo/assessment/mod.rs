//! 考核办法 (issue #12): `rules` (drafts and adopted, frozen versions per region and year).

pub mod rules;
