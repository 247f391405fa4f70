//! What a use case can fail with. People's mistakes (validation, permissions, stale forms) are
//! answered in Chinese at the edge; our own failures keep their cause chain for the log, and the
//! person sees only that something went wrong and the request's number.

use keyproj_db::DbError;
use keyproj_domain::ValidationErrors;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ServiceError {
    #[error("输入有误：{0}")]
    Validation(ValidationErrors),
    #[error("记录不存在")]
    NotFound,
    #[error("没有权限执行此操作")]
    Forbidden,
    #[error("该记录已被他人修改，请刷新后重试")]
    Stale,
    #[error("{0}")]
    Unauthorized(String),
    /// Something the server lacks right now (LibreOffice for PDFs); the message says what to
    /// do instead.
    #[error("{0}")]
    Unavailable(String),
    /// The database failed in a way no input explains (connection lost, a constraint we did
    /// not expect); the cause is kept.
    #[error("数据库错误")]
    Db(#[source] DbError),
    /// Any other failure of ours, with its cause chain (`{:#}` prints it).
    #[error("系统内部错误")]
    Internal(#[source] anyhow::Error),
}

impl ServiceError {
    /// A failure of ours with its cause (I/O, a codec, a store, a task).
    pub fn internal(context: &'static str, e: impl Into<anyhow::Error>) -> ServiceError {
        ServiceError::Internal(e.into().context(context))
    }
    /// A broken invariant of our own data (it cannot be the person's fault).
    pub fn invariant(what: impl std::fmt::Display) -> ServiceError {
        ServiceError::Internal(anyhow::anyhow!("{what}"))
    }
    /// The whole cause chain, for the log.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut cur = std::error::Error::source(self);
        while let Some(c) = cur {
            out.push('：');
            out.push_str(&c.to_string());
            cur = c.source();
        }
        out
    }
}

impl From<DbError> for ServiceError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => ServiceError::NotFound,
            DbError::Stale => ServiceError::Stale,
            other => ServiceError::Db(other),
        }
    }
}

impl From<keyproj_domain::FieldError> for ServiceError {
    fn from(e: keyproj_domain::FieldError) -> Self {
        ServiceError::Validation(ValidationErrors(vec![e]))
    }
}

impl From<ValidationErrors> for ServiceError {
    fn from(e: ValidationErrors) -> Self {
        ServiceError::Validation(e)
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::ServiceError;

    #[test]
    fn internal_errors_keep_their_cause() {
        let io = std::io::Error::other("disk full");
        let e = ServiceError::internal("保存照片", io);
        assert_eq!(e.to_string(), "系统内部错误");
        let chain = e.chain();
        assert!(
            chain.contains("保存照片") && chain.contains("disk full"),
            "{chain}"
        );
    }
}
