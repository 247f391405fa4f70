use thiserror::Error;

#[derive(Debug, Error)]
pub enum DbError {
    #[error("记录不存在")]
    NotFound,
    /// Optimistic concurrency: the record changed since the editor loaded it.
    #[error("该记录已被他人修改，请刷新后重试")]
    Stale,
    /// A unique constraint: `what` names the duplicate in words.
    #[error("{0}")]
    Duplicate(String),
    #[error("配置错误：{0}")]
    Config(String),
    #[error("数据库错误：{0}")]
    Sqlx(#[from] sqlx::Error),
    /// A read on the request's own thread (SQLite, see `Readers`).
    #[error("数据库错误：{0}")]
    Direct(rusqlite::Error),
    /// The commit of a group of SQLite writers failed (see `WriteQueue`): the cause, as text,
    /// as every member of the group receives it.
    #[error("写入未能提交：{0}")]
    Commit(String),
    #[error("数据库迁移失败：{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value that does not read back as its type: the column and the value.
    #[error("数据库中的值无法读取：{0} = {1:?}")]
    Decode(&'static str, String),
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
    /// Turns a unique violation into `Duplicate(message)`; other errors pass unchanged.
    pub fn on_duplicate(self, message: &str) -> DbError {
        if self.is_unique_violation() {
            DbError::Duplicate(message.to_string())
        } else {
            self
        }
    }
}
