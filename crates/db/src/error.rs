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
    /// A statement on the caller's own thread (SQLite: reads, see `Readers`; a write group's
    /// statements, see `write_queue::Held`).
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
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            DbError::Direct(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ),
            _ => false,
        }
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

#[cfg(test)]
mod tests {
    use super::DbError;

    /// A unique violation of a statement on the caller's thread is a duplicate, as through sqlx.
    #[test]
    fn a_unique_violation_on_the_callers_thread_is_a_duplicate() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT UNIQUE, c TEXT NOT NULL)")
            .unwrap();
        c.execute("INSERT INTO t (a, b, c) VALUES (1, 'x', 'y')", [])
            .unwrap();
        for sql in [
            "INSERT INTO t (a, b, c) VALUES (2, 'x', 'y')",
            "INSERT INTO t (a, b, c) VALUES (1, 'z', 'y')",
        ] {
            let e = DbError::Direct(c.execute(sql, []).unwrap_err());
            assert!(
                matches!(e.on_duplicate("重复"), DbError::Duplicate(_)),
                "{sql}"
            );
        }
        let e = DbError::Direct(
            c.execute("INSERT INTO t (a, b, c) VALUES (3, 'w', NULL)", [])
                .unwrap_err(),
        );
        assert!(!e.is_unique_violation(), "NOT NULL is not a duplicate");
    }
}
