//! What the administrators keep: [`users`] (accounts and roles) and [`audit`] (the signed,
//! hash-chained log of every change).

pub mod audit;
pub mod users;
