//! What an account does for itself: [`sessions`] (signing in and out, failed-login counts) and
//! [`tokens`] (personal API tokens).

pub mod sessions;
pub mod tokens;
