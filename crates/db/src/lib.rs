//! Storage for keyproj on SQLite (embedded default) and PostgreSQL (province scale).
//!
//! One SQL text per query, written in the portable subset both engines understand (`$N`
//! binds, `CAST(SUM(..) AS BIGINT)`, no engine functions); per-engine DDL lives in
//! `migrations/sqlite` and `migrations/postgres` with the same numbering. Every query runs
//! inside a [`Tx`]: reads in a plain transaction (or none, [`Db::read`], where one snapshot
//! is not needed), writes in `BEGIN IMMEDIATE` on SQLite so two writers never deadlock on a
//! lock upgrade. Repositories live in feature folders under
//! [`repo`] and return typed rows: a private raw row per table is decoded with `TryFrom` into
//! domain types (enums, ids, dates, `Money`), so no layer above parses a stored string.

pub mod copy;
pub mod decode;
mod direct;
mod error;

pub mod repo;
pub mod schema;
pub mod sqlite_alloc;
pub mod testing;
mod write_queue;

pub use direct::Readers;
pub use error::DbError;
pub use write_queue::{Member, WriteQueue};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Postgres, Sqlite};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Db {
    /// The pool, the process's queue of writers (see [`Db::begin_write`]) and the
    /// connections for reads on the request's own thread (a file; see [`Readers`]).
    Sqlite(sqlx::SqlitePool, Arc<WriteQueue>, Option<Arc<Readers>>),
    Postgres(sqlx::PgPool),
}

/// A transaction.
pub enum Tx {
    /// A SQLite read transaction.
    Sqlite(Conn<Sqlite>),
    /// A SQLite read outside a transaction ([`Db::read`]).
    SqliteRead(SqliteRead),
    /// A SQLite write: it holds the process's write turn until it ends, and shares its
    /// transaction with the writers queued behind it (group commit, see [`WriteQueue`]).
    SqliteWrite(Member),
    Postgres(Conn<Postgres>),
}

/// A pooled connection inside a transaction, or outside one for a read of one statement
/// ([`Db::read`]): `BEGIN` and its end are statements too, each a round trip to SQLite's
/// worker thread or to the PostgreSQL server, and the sign-in lookup before every request
/// needs no snapshot.
pub enum Conn<DB: sqlx::Database> {
    Transaction(sqlx::Transaction<'static, DB>),
    Autocommit(sqlx::pool::PoolConnection<DB>),
}

/// A SQLite read outside a transaction: a pooled sqlx connection taken at its first use, and
/// the [`Readers`] of the file for the statements that run on the caller's thread
/// ([`Tx::on_thread`]). The sign-in and a list page need no sqlx connection at all.
pub struct SqliteRead {
    pool: sqlx::SqlitePool,
    conn: Option<sqlx::pool::PoolConnection<Sqlite>>,
    direct: Option<Arc<Readers>>,
}

impl SqliteRead {
    /// The sqlx connection, taken from the pool on first use.
    pub async fn connection(&mut self) -> Result<&mut sqlx::SqliteConnection, sqlx::Error> {
        let conn = match self.conn.take() {
            Some(c) => c,
            None => self.pool.acquire().await?,
        };
        Ok(&mut **self.conn.insert(conn))
    }
}

impl<DB: sqlx::Database> std::ops::Deref for Conn<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match self {
            Conn::Transaction(t) => t,
            Conn::Autocommit(c) => c,
        }
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for Conn<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Conn::Transaction(t) => &mut *t,
            Conn::Autocommit(c) => &mut *c,
        }
    }
}

impl<DB: sqlx::Database> Conn<DB> {
    async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Conn::Transaction(t) => t.commit().await,
            Conn::Autocommit(_) => Ok(()),
        }
    }
    async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Conn::Transaction(t) => t.rollback().await,
            Conn::Autocommit(_) => Ok(()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Connections per app instance. SQLite uses at most twice the cores (at least 4, at most
    /// 16) of this number.
    pub max_connections: u32,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            max_connections: 10,
        }
    }
}

/// Runs the same body against whichever connection the transaction holds. The body is
/// compiled once per engine (the three SQLite kinds of [`Tx`] share one copy, see
/// [`Tx::sqlite_connection`]), so the Rust types bound and decoded must suit both; the SQL
/// text itself is checked by no compiler — the storage tests, run on both engines, catch it.
#[macro_export]
macro_rules! run {
    ($tx:expr, |$c:ident| $body:expr) => {{
        // typed, so that the caller's `&mut Tx` is reborrowed, not moved
        let tx: &mut $crate::Tx = $tx;
        match tx {
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
            t => match t.sqlite_connection().await {
                Ok($c) => $body,
                Err(e) => Err(e.into()),
            },
        }
    }};
}

/// A bind value for queries assembled at run time (list filters).
#[derive(Debug, Clone)]
pub enum Param {
    I64(i64),
    Text(String),
    Bool(bool),
    Time(chrono::DateTime<chrono::Utc>),
}

/// Binds a list of [`Param`]s in order.
#[macro_export]
macro_rules! bind_params {
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for p in $params.iter() {
            q = match p {
                $crate::Param::I64(v) => q.bind(*v),
                $crate::Param::Text(s) => q.bind(s.clone()),
                $crate::Param::Bool(b) => q.bind(*b),
                $crate::Param::Time(t) => q.bind(*t),
            };
        }
        q
    }};
}

/// Collects WHERE conditions with `$N` placeholders numbered in order.
#[derive(Default, Debug)]
pub struct Where {
    conds: Vec<String>,
    pub params: Vec<Param>,
}

impl Where {
    /// Adds a condition; each `?` in `cond` becomes the next `$N` and takes the next param.
    pub fn push(&mut self, cond: &str, params: Vec<Param>) {
        let mut out = String::new();
        let mut it = params.into_iter();
        for ch in cond.chars() {
            if ch == '?' {
                let p = it.next().expect("as many params as placeholders");
                self.params.push(p);
                out.push_str(&format!("${}", self.params.len()));
            } else {
                out.push(ch);
            }
        }
        self.conds.push(out);
    }
    /// Rows of a region and the regions below it. A county has none below it, so its
    /// condition is an equality: an index on (region_code, sort columns) then yields the rows
    /// in order and a page stops after its rows; a range would sort every row of the region.
    pub fn in_region(&mut self, col: &str, region: &keyproj_domain::RegionCode) {
        if region.level() == keyproj_domain::region::RegionLevel::County {
            self.push(&format!("{col} = ?"), vec![Param::Text(region.to_string())]);
        } else {
            let (lo, hi) = region.subtree_range();
            self.push(
                &format!("{col} >= ? AND {col} < ?"),
                vec![Param::Text(lo), Param::Text(hi)],
            );
        }
    }
    pub fn sql(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        }
    }
    pub fn next_placeholder(&self) -> usize {
        self.params.len() + 1
    }
}

impl Db {
    /// Connects by URL: `sqlite://path.db` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str, opts: &DbOptions) -> Result<Db, DbError> {
        if url.starts_with("sqlite:") {
            let o = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: an acknowledged write survives a power cut, not only a crash.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // SQLite's own page cache size (2 MiB a connection) is kept on purpose: 1 MiB
                // made the process 3 MB smaller and every list and write 25 % slower
                // (BENCHMARKS.md, fourth pass)
                .busy_timeout(Duration::from_secs(10));
            // SQLite reads run on this machine's cores: connections beyond twice their number
            // only hold more page and statement caches (4 and 10 served the everyday benchmark
            // equally on 2 cores; 4 peaked 10 MB lower, BENCHMARKS.md).
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
            let pool = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.clamp(1, (2 * cores).clamp(4, 16)))
                // sqlx pings a connection when it is returned and, by default, again when it
                // is taken: each ping is a round trip to the connection's worker thread, and an
                // embedded file does not drop connections the way a server does.
                .test_before_acquire(false)
                .connect_with(o.clone())
                .await?;
            let direct = Readers::of_file(o.get_filename()).map(Arc::new);
            Ok(Db::Sqlite(pool, WriteQueue::new(), direct))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let o = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections.max(1))
                .acquire_timeout(Duration::from_secs(15))
                .connect_with(o)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(DbError::Config(format!(
                "不支持的数据库地址：{}（应以 sqlite:// 或 postgres:// 开头）",
                redact(url)
            )))
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(..) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Applies pending migrations. On PostgreSQL sqlx holds an advisory lock meanwhile, so
    /// several instances starting at once apply each migration exactly once.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(p, ..) => sqlx::migrate!("migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        // Derived columns that SQL cannot compute as the application does (see each function).
        let mut tx = self.begin_write().await?;
        repo::projects::fill_search_text(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A read transaction. On SQLite its statements see one snapshot; PostgreSQL's default
    /// READ COMMITTED gives each statement its own.
    pub async fn begin_read(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(p, ..) => Tx::Sqlite(Conn::Transaction(p.begin().await?)),
            Db::Postgres(p) => Tx::Postgres(Conn::Transaction(p.begin().await?)),
        })
    }

    /// A connection outside a transaction, for reads whose statements need no common
    /// snapshot (one statement, or statements whose results hold each other's keys). Never
    /// for writes: each statement would commit on its own.
    pub async fn read(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(p, _, direct) => Tx::SqliteRead(SqliteRead {
                pool: p.clone(),
                conn: None,
                direct: direct.clone(),
            }),
            Db::Postgres(p) => Tx::Postgres(Conn::Autocommit(p.acquire().await?)),
        })
    }

    /// A write transaction. On SQLite the caller first waits for the process's write turn
    /// (FIFO), then joins the transaction the writer before it left open or takes SQLite's
    /// write lock at once (`BEGIN IMMEDIATE`), so two writers never deadlock on a lock upgrade
    /// and none is refused because another one is long (see [`WriteQueue`]).
    pub async fn begin_write(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(p, q, _) => Tx::SqliteWrite(q.begin(p).await?),
            Db::Postgres(p) => Tx::Postgres(Conn::Transaction(p.begin().await?)),
        })
    }

    /// Writers of this process waiting for their turn (SQLite; always 0 on PostgreSQL).
    pub fn writers_waiting(&self) -> usize {
        match self {
            Db::Sqlite(_, q, _) => q.waiting(),
            Db::Postgres(_) => 0,
        }
    }

    /// SQLite: the group commits so far and the writers they held (see [`WriteQueue`]).
    pub fn group_commits(&self) -> Option<(u64, u64)> {
        match self {
            Db::Sqlite(_, q, _) => Some(q.commits()),
            Db::Postgres(_) => None,
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, ..) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }

    /// A consistent online copy of a SQLite database (`VACUUM INTO`). PostgreSQL deployments
    /// back up with `pg_dump`; see [`pg_dump_command`].
    pub async fn backup_sqlite(&self, dest: &std::path::Path) -> Result<(), DbError> {
        match self {
            Db::Sqlite(p, ..) => {
                if dest.exists() {
                    return Err(DbError::Config(format!(
                        "备份文件已存在：{}",
                        dest.display()
                    )));
                }
                let path = dest
                    .to_str()
                    .ok_or_else(|| DbError::Config("备份路径须为 UTF-8".into()))?;
                sqlx::query("VACUUM INTO $1")
                    .bind(path.to_string())
                    .execute(p)
                    .await?;
                Ok(())
            }
            Db::Postgres(_) => Err(DbError::Config("PostgreSQL 请使用 pg_dump 备份".into())),
        }
    }

    /// Refreshes the query planner's statistics. SQLite keeps none until asked (without them it
    /// picks an index scan even where a table scan of the whole province is cheaper); on
    /// PostgreSQL autovacuum catches up later, but not right after a bulk load. Run at start and
    /// after bulk loads.
    pub async fn optimize(&self) -> Result<(), DbError> {
        match self {
            // 0x10002: analyze every table that needs it, even on a first run.
            Db::Sqlite(p, ..) => sqlx::query("PRAGMA optimize=0x10002")
                .execute(p)
                .await
                .map(|_| ())?,
            // Sampled, cheap; autovacuum does the same later but not right after a bulk load.
            Db::Postgres(p) => sqlx::query("ANALYZE").execute(p).await.map(|_| ())?,
        }
        Ok(())
    }

    /// Checks that the database answers (for the health endpoint).
    pub async fn ping(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(p, ..) => sqlx::query("SELECT 1").execute(p).await.map(|_| ())?,
            Db::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ())?,
        }
        Ok(())
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::SqliteRead(_) => {}
            Tx::SqliteWrite(m) => m.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
    pub async fn rollback(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::SqliteRead(_) => {}
            Tx::SqliteWrite(m) => m.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
    /// Marks a point inside the transaction that [`Tx::rollback_to`] can return to, so that
    /// one failing item of a batch is undone without losing the others.
    pub async fn savepoint(&mut self, name: &'static str) -> Result<(), DbError> {
        self.batch(format!("SAVEPOINT {name}")).await
    }
    pub async fn rollback_to(&mut self, name: &'static str) -> Result<(), DbError> {
        self.batch(format!("ROLLBACK TO SAVEPOINT {name}")).await
    }
    pub async fn release(&mut self, name: &'static str) -> Result<(), DbError> {
        self.batch(format!("RELEASE SAVEPOINT {name}")).await
    }
    /// A statement of the transaction's own (savepoints).
    async fn batch(&mut self, sql: String) -> Result<(), DbError> {
        if let Some(c) = self.direct_write().await? {
            return Ok(c.execute_batch(&sql)?);
        }
        run!(self, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(c)
            .await
            .map(|_| ()))?;
        Ok(())
    }
    /// The SQLite connection of a read or a write (None on PostgreSQL), for SQLite's own SQL.
    pub async fn sqlite(&mut self) -> Result<Option<&mut sqlx::SqliteConnection>, DbError> {
        if self.is_postgres() {
            return Ok(None);
        }
        Ok(Some(self.sqlite_connection().await?))
    }
    /// The SQLite connection of a read or a write, for [`run!`]: one body per engine, where an
    /// arm per kind of transaction compiled each body twice for SQLite (0.8 MB of the binary).
    #[doc(hidden)]
    pub async fn sqlite_connection(&mut self) -> Result<&mut sqlx::SqliteConnection, sqlx::Error> {
        match self {
            Tx::Sqlite(c) => Ok(&mut **c),
            Tx::SqliteRead(r) => r.connection().await,
            Tx::SqliteWrite(m) => Ok(m.connection()),
            Tx::Postgres(_) => Err(sqlx::Error::Protocol(
                "PostgreSQL 的事务没有 SQLite 连接".into(),
            )),
        }
    }

    /// Where a statement can run on the caller's thread: a read outside a transaction or a
    /// SQLite write (None for a read transaction and on PostgreSQL).
    pub(crate) async fn on_thread(&mut self) -> Result<Option<direct::OnThread<'_>>, DbError> {
        Ok(match self {
            Tx::SqliteRead(r) => r.direct.as_deref().map(direct::OnThread::Read),
            Tx::SqliteWrite(m) => Some(direct::OnThread::Write(m.direct().await?)),
            _ => None,
        })
    }
    /// A SQLite write's connection on the caller's thread (None for other transactions), for
    /// the statements of the everyday writes (see `write_queue::Held`).
    pub(crate) async fn direct_write(&mut self) -> Result<Option<&rusqlite::Connection>, DbError> {
        match self {
            Tx::SqliteWrite(m) => m.direct().await.map(Some),
            _ => Ok(None),
        }
    }
    pub fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_))
    }
}

/// The `pg_dump` command that backs up a PostgreSQL deployment consistently.
pub fn pg_dump_command(url: &str, file: &str) -> String {
    format!("pg_dump --format=custom --no-owner --file='{file}' '{url}'")
}

/// Hides a password in a database URL for logs and messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_numbers_placeholders() {
        let mut w = Where::default();
        w.push("a = ?", vec![Param::I64(1)]);
        w.push(
            "(b LIKE ? OR c LIKE ?)",
            vec![Param::Text("x".into()), Param::Text("y".into())],
        );
        assert_eq!(w.sql(), " WHERE a = $1 AND (b LIKE $2 OR c LIKE $3)");
        assert_eq!(w.next_placeholder(), 4);
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://keyproj.db"), "sqlite://keyproj.db");
    }
}
