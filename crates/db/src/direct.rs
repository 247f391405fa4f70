//! SQLite reads on the request's own thread.
//!
//! sqlx's SQLite driver runs each connection on a worker thread of its own: every statement is
//! a message to that thread and an answer back, every value of every row is copied there
//! (`sqlite3_value_dup`) to be read on ours, and a connection returned to the pool is pinged,
//! one more round trip. For the reads before and on every everyday page (the sign-in, the
//! lists), those hand-offs cost more than the statements: on a 2-core machine the kernel's
//! thread switches were a third of the server's CPU (BENCHMARKS.md, seventh pass), and 3.5 %
//! with these readers (eighth pass).
//!
//! [`Readers`] keeps a few connections of its own to the same file, each used by one thread
//! for one statement and put back: the statement runs where the request runs, the same SQL text
//! as on PostgreSQL (`$N` binds, matched by name as sqlx does). Only for bounded statements (a
//! page of a list, a lookup by key): while one runs, its runtime thread serves nothing else.
//! They are `query_only`, so a mistake here cannot write.

use crate::{DbError, Param, Tx, bind_params, run};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, Row, Statement, ToSql};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Connections for reads on the caller's thread (SQLite files only).
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Idle connections kept: as many as statements can run at once, one per core (the
    /// runtime's threads); more would only hold page caches.
    kept: usize,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers").field("path", &self.path).finish()
    }
}

impl Readers {
    /// Readers of the database file at `path`; None for an in-memory database, which no
    /// other connection can open.
    pub fn of_file(path: &Path) -> Option<Readers> {
        let name = path.to_str()?;
        if name.is_empty() || name == ":memory:" || name.starts_with("file::memory:") {
            return None;
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Some(Readers {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            kept: cores.clamp(2, 16),
        })
    }

    fn open(&self) -> Result<Connection, DbError> {
        // The file exists: the pool created and migrated it before any read.
        let c = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        c.busy_timeout(Duration::from_secs(10))?;
        // SQLite's own page cache size (2 MiB), as sqlx's connections have it (db/src/lib.rs)
        c.execute_batch("PRAGMA query_only = ON")?;
        c.set_prepared_statement_cache_capacity(32);
        Ok(c)
    }

    fn take(&self) -> Result<Connection, DbError> {
        let kept = self.idle.lock().ok().and_then(|mut v| v.pop());
        match kept {
            Some(c) => Ok(c),
            None => self.open(),
        }
    }

    fn put(&self, c: Connection) {
        if let Ok(mut v) = self.idle.lock()
            && v.len() < self.kept
        {
            v.push(c);
        }
    }
}

/// A list's run-time parameters, as rusqlite binds them.
pub fn refs(params: &[Param]) -> Vec<&dyn ToSql> {
    params.iter().map(|p| p as &dyn ToSql).collect()
}

/// Statements on the caller's thread: a read's [`Readers`], or a SQLite write's own connection
/// ([`crate::Tx::on_thread`]).
pub enum OnThread<'a> {
    Read(&'a Readers),
    Write(&'a Connection),
}

impl OnThread<'_> {
    /// Runs one statement and reads each row with `read`.
    pub fn rows<T>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        read: impl FnMut(&Row<'_>) -> Result<T, DbError>,
    ) -> Result<Vec<T>, DbError> {
        match self {
            OnThread::Read(readers) => {
                let c = readers.take()?;
                let out = rows_on(&c, sql, params, read);
                readers.put(c);
                out
            }
            OnThread::Write(c) => rows_on(c, sql, params, read),
        }
    }
}

/// Binds `params` to `$N` by number: to SQLite `$N` is a named parameter, numbered in order of
/// first appearance, so a statement that uses `$2` before `$1` would otherwise swap them.
fn bind(stmt: &mut Statement<'_>, params: &[&dyn ToSql]) -> Result<(), DbError> {
    for i in 1..=stmt.parameter_count() {
        let n = stmt
            .parameter_name(i)
            .and_then(|name| name.get(1..))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(i);
        let p = params
            .get(n.wrapping_sub(1))
            .ok_or_else(|| DbError::Config(format!("语句的第 {n} 个参数未给出")))?;
        stmt.raw_bind_parameter(i, p)?;
    }
    Ok(())
}

/// Runs one statement on `c` and reads each row with `read`.
pub fn rows_on<T>(
    c: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    mut read: impl FnMut(&Row<'_>) -> Result<T, DbError>,
) -> Result<Vec<T>, DbError> {
    let mut stmt = c.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(read(r)?);
    }
    Ok(out)
}

/// The first row of a statement on `c`, if any, read with `read`.
pub fn first_on<T>(
    c: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    read: impl FnOnce(&Row<'_>) -> Result<T, DbError>,
) -> Result<Option<T>, DbError> {
    let mut stmt = c.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    let mut rows = stmt.raw_query();
    match rows.next()? {
        Some(r) => read(r).map(Some),
        None => Ok(None),
    }
}

/// Runs one statement on `c` that returns no rows; the rows it changed.
pub fn execute_on(c: &Connection, sql: &str, params: &[&dyn ToSql]) -> Result<usize, DbError> {
    let mut stmt = c.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    Ok(stmt.raw_execute()?)
}

/// One count (`SELECT COUNT(*) …`), on the request's own thread where it can
/// ([`crate::Tx::on_thread`]).
pub async fn count(tx: &mut Tx, sql: &str, params: &[Param]) -> Result<i64, DbError> {
    if let Some(on_thread) = tx.on_thread().await? {
        let n = on_thread.rows(sql, &refs(params), |r| at(r, 0, "count"))?;
        return n.first().copied().ok_or(DbError::NotFound);
    }
    Ok(run!(tx, |c| bind_params!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string())),
        params
    )
    .fetch_one(c)
    .await)?)
}

/// A time bound as sqlx binds one to SQLite (RFC 3339 text), so that comparisons with the
/// times sqlx stored hold; rusqlite's own format differs.
pub struct Time(pub DateTime<Utc>);

impl ToSql for Time {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(time_text(self.0)))
    }
}

fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::I64(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
            Param::Time(t) => ToSqlOutput::from(time_text(*t)),
        })
    }
}

/// A column's value as a Rust type, read as sqlx reads it from SQLite.
pub trait Cell: Sized {
    fn cell(v: ValueRef<'_>, column: &str) -> Result<Self, DbError>;
}

fn refused(column: &str, v: ValueRef<'_>) -> DbError {
    DbError::Decode("direct", format!("{column}: {v:?}"))
}

impl Cell for i64 {
    fn cell(v: ValueRef<'_>, column: &str) -> Result<i64, DbError> {
        match v {
            ValueRef::Integer(n) => Ok(n),
            v => Err(refused(column, v)),
        }
    }
}

impl Cell for bool {
    fn cell(v: ValueRef<'_>, column: &str) -> Result<bool, DbError> {
        i64::cell(v, column).map(|n| n != 0)
    }
}

impl Cell for String {
    fn cell(v: ValueRef<'_>, column: &str) -> Result<String, DbError> {
        match v {
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map(str::to_string)
                .map_err(|_| refused(column, v)),
            v => Err(refused(column, v)),
        }
    }
}

/// RFC 3339 as sqlx writes times, or SQLite's own `YYYY-MM-DD HH:MM:SS[.fff]` in UTC.
impl Cell for DateTime<Utc> {
    fn cell(v: ValueRef<'_>, column: &str) -> Result<DateTime<Utc>, DbError> {
        let ValueRef::Text(t) = v else {
            return Err(refused(column, v));
        };
        let t = std::str::from_utf8(t).map_err(|_| refused(column, v))?;
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return Ok(dt.with_timezone(&Utc));
        }
        for format in ["%F %T%.f", "%FT%T%.f"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, format) {
                return Ok(dt.and_utc());
            }
        }
        Err(refused(column, v))
    }
}

impl<T: Cell> Cell for Option<T> {
    fn cell(v: ValueRef<'_>, column: &str) -> Result<Option<T>, DbError> {
        match v {
            ValueRef::Null => Ok(None),
            v => T::cell(v, column).map(Some),
        }
    }
}

/// The value of column `i` (`column` names it in errors).
pub fn at<T: Cell>(r: &Row<'_>, i: usize, column: &str) -> Result<T, DbError> {
    T::cell(r.get_ref(i)?, column)
}

/// The value of the column named `column`.
pub fn named<T: Cell>(r: &Row<'_>, column: &str) -> Result<T, DbError> {
    T::cell(r.get_ref(column)?, column)
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> DbError {
        DbError::Direct(e)
    }
}

/// Builds `$Raw` from a row's values in the order of its fields, starting at column `$start`,
/// each read with `$at(row, index, field name)`: a reader by position written once per raw row
/// for both of [`at`] (rusqlite) and [`sqlx_at`].
macro_rules! by_position {
    ($row:expr, $at:path, $start:expr, $Raw:ident { $($field:ident),+ $(,)? }) => {{
        let mut column: usize = $start;
        let mut next = || {
            column += 1;
            column - 1
        };
        $Raw { $($field: $at($row, next(), stringify!($field))?),+ }
    }};
}
pub(crate) use by_position;

/// The value of column `i` of a row read through sqlx, by position (by name, each value is a
/// hash lookup: a fifth of the server's CPU for PostgreSQL's project list, BENCHMARKS.md).
pub fn sqlx_at<'r, R, T>(r: &'r R, i: usize, _column: &str) -> Result<T, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    r.try_get(i)
}
