//! What the administrators do (三员分立): [`users`] — accounts and roles (系统管理员) and account
//! security (安全管理员); [`audit`] — reading and verifying the signed audit chain (审计管理员).

pub mod audit;
pub mod users;
