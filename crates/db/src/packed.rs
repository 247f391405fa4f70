//! A list page's rows packed by its statement into one text each, and read back in order.
//!
//! sqlx's SQLite driver copies every value of every row on the connection's worker thread (an
//! allocation each, freed later on another thread) and the row is then decoded by column
//! name: for the project list's 50 rows of 39 values, the copies, their frees and the lookups
//! were about a quarter of a request's CPU, the statement itself a sixth (BENCHMARKS.md,
//! seventh pass). A page's statement therefore joins a row's values into one text with
//! `concat_ws` (the same SQL on both engines), separated by U+001F, which no stored text holds
//! (`check_text` refuses control characters), and [`Fields`] reads them back in the order
//! the statement wrote them. A value that is itself a list (names joined by `string_agg`) uses
//! another separator, U+001E.

use crate::{DbError, Param, Tx, bind_params, direct, run};
use chrono::{DateTime, Utc};

/// A list row as its statement selects it: `SELECT {sql(…)} AS packed, x.created_at,
/// x.updated_at`. The two times stay typed columns (their text differs between the engines).
#[derive(sqlx::FromRow)]
pub struct TimedRow {
    pub packed: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TimedRow {
    /// Runs a list's statement: on the request's own thread for a SQLite read outside a
    /// transaction ([`Tx::on_thread`]), through sqlx otherwise.
    pub async fn fetch_all(
        tx: &mut Tx,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<TimedRow>, DbError> {
        if let Some(on_thread) = tx.on_thread().await? {
            return on_thread.rows(sql, &direct::refs(params), |r| {
                Ok(TimedRow {
                    packed: direct::at(r, 0, "packed")?,
                    created_at: direct::at(r, 1, "created_at")?,
                    updated_at: direct::at(r, 2, "updated_at")?,
                })
            });
        }
        Ok(run!(tx, |c| bind_params!(
            sqlx::query_as::<_, TimedRow>(sqlx::AssertSqlSafe(sql.to_string())),
            params
        )
        .fetch_all(c)
        .await)?)
    }
}

/// One count (`SELECT COUNT(*) …`), on the request's own thread where [`TimedRow::fetch_all`]
/// runs there.
pub async fn count(tx: &mut Tx, sql: &str, params: &[Param]) -> Result<i64, DbError> {
    if let Some(on_thread) = tx.on_thread().await? {
        let n = on_thread.rows(sql, &direct::refs(params), |r| direct::at(r, 0, "count"))?;
        return n.first().copied().ok_or(DbError::NotFound);
    }
    Ok(run!(tx, |c| bind_params!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string())),
        params
    )
    .fetch_one(c)
    .await)?)
}

/// Separates the values of a packed row.
pub const SEP: char = '\u{1f}';

/// What one packed value is, which decides how it is written and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text that is never NULL (a NULL would shift the values after it; [`Fields`] then
    /// finds one too few and refuses the row).
    Text,
    /// Text or NULL: written as `=` and the text, or nothing.
    OptText,
    /// An integer never NULL.
    Int,
    /// An integer or NULL (nothing).
    OptInt,
    /// A boolean: `1` or `0` on both engines.
    Bool,
}

/// The SQL expression that packs `values` (an expression and its kind each) into one text.
pub fn sql(values: &[(&str, Kind)]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|(e, kind)| match kind {
            Kind::Text | Kind::Int => (*e).to_string(),
            Kind::OptText => format!("COALESCE('=' || {e}, '')"),
            Kind::OptInt => format!("COALESCE(CAST({e} AS TEXT), '')"),
            Kind::Bool => format!("CASE WHEN {e} THEN '1' ELSE '0' END"),
        })
        .collect();
    format!("concat_ws('{SEP}', {})", parts.join(", "))
}

/// The values of one packed row, read in the order they were packed.
pub struct Fields<'a> {
    what: &'static str,
    packed: &'a str,
    values: std::str::Split<'a, char>,
}

impl<'a> Fields<'a> {
    /// `what` names the row in an error (`projects list row`).
    pub fn new(what: &'static str, packed: &'a str) -> Self {
        Fields {
            what,
            packed,
            values: packed.split(SEP),
        }
    }

    fn broken(&self) -> DbError {
        DbError::Decode(self.what, self.packed.to_string())
    }

    fn next(&mut self) -> Result<&'a str, DbError> {
        self.values.next().ok_or_else(|| self.broken())
    }

    pub fn text(&mut self) -> Result<String, DbError> {
        Ok(self.next()?.to_string())
    }

    pub fn opt_text(&mut self) -> Result<Option<String>, DbError> {
        let v = self.next()?;
        if v.is_empty() {
            return Ok(None);
        }
        match v.strip_prefix('=') {
            Some(t) => Ok(Some(t.to_string())),
            None => Err(self.broken()),
        }
    }

    pub fn int(&mut self) -> Result<i64, DbError> {
        let v = self.next()?;
        v.parse().map_err(|_| self.broken())
    }

    pub fn opt_int(&mut self) -> Result<Option<i64>, DbError> {
        let v = self.next()?;
        if v.is_empty() {
            return Ok(None);
        }
        v.parse().map(Some).map_err(|_| self.broken())
    }

    pub fn bool(&mut self) -> Result<bool, DbError> {
        match self.next()? {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(self.broken()),
        }
    }

    /// Every value was read: a row with more is refused (its values were shifted).
    pub fn end(mut self) -> Result<(), DbError> {
        match self.values.next() {
            None => Ok(()),
            Some(_) => Err(self.broken()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_in_order_and_a_shifted_row_is_refused() {
        let packed = format!("7{SEP}名称{SEP}={SEP}{SEP}{SEP}-12{SEP}1");
        let mut f = Fields::new("row", &packed);
        assert_eq!(f.int().unwrap(), 7);
        assert_eq!(f.text().unwrap(), "名称");
        // present but empty text is not none
        assert_eq!(f.opt_text().unwrap(), Some(String::new()));
        assert_eq!(f.opt_text().unwrap(), None);
        assert_eq!(f.opt_int().unwrap(), None);
        assert_eq!(f.opt_int().unwrap(), Some(-12));
        assert!(f.bool().unwrap());
        f.end().unwrap();

        let short = format!("7{SEP}名称");
        let mut f = Fields::new("row", &short);
        f.int().unwrap();
        f.text().unwrap();
        assert!(matches!(f.text(), Err(DbError::Decode("row", _))));
        let long = format!("7{SEP}名称{SEP}x");
        let mut f = Fields::new("row", &long);
        f.int().unwrap();
        f.text().unwrap();
        assert!(f.end().is_err());
        // an optional text without its mark was written by another statement
        assert!(Fields::new("row", "abc").opt_text().is_err());
        assert!(Fields::new("row", "2").bool().is_err());
        assert!(Fields::new("row", "1.5").int().is_err());
    }

    #[test]
    fn the_expression_marks_optional_values() {
        let s = sql(&[
            ("p.id", Kind::Int),
            ("p.code", Kind::OptText),
            ("p.parent_id", Kind::OptInt),
            ("p.below_threshold", Kind::Bool),
        ]);
        assert_eq!(
            s,
            format!(
                "concat_ws('{SEP}', p.id, COALESCE('=' || p.code, ''), COALESCE(CAST(p.parent_id AS TEXT), ''), CASE WHEN p.below_threshold THEN '1' ELSE '0' END)"
            )
        );
    }
}
