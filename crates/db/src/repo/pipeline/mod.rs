//! The pipeline (issue #11): 招商签约 (`signing`); 帮代办 approval items come next.

pub mod signing;
