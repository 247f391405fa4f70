//! Schema introspection, for the parity test and for `copy`.

use crate::{DbError, Tx, run};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnInfo {
    pub table: String,
    pub column: String,
    pub nullable: bool,
}

/// Every column of every application table, sorted (migration bookkeeping excluded).
pub async fn columns(tx: &mut Tx) -> Result<Vec<ColumnInfo>, DbError> {
    let mut out = vec![];
    match tx {
        Tx::Postgres(t) => {
            let cols: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT c.table_name::text, c.column_name::text, c.is_nullable::text FROM information_schema.columns c
                 JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
                 WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name NOT LIKE '_sqlx%'",
            )
            .fetch_all(&mut **t)
            .await?;
            for (table, column, nullable) in cols {
                out.push(ColumnInfo {
                    table,
                    column,
                    nullable: nullable == "YES",
                });
            }
        }
        sqlite => {
            let Some(t) = sqlite.sqlite().await? else {
                return Ok(out);
            };
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
            )
            .fetch_all(&mut *t)
            .await?;
            for table in tables {
                let cols: Vec<(String, i64)> =
                    sqlx::query_as("SELECT name, \"notnull\" FROM pragma_table_info($1)")
                        .bind(&table)
                        .fetch_all(&mut *t)
                        .await?;
                for (column, notnull) in cols {
                    out.push(ColumnInfo {
                        table: table.clone(),
                        column,
                        nullable: notnull == 0,
                    });
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

pub async fn row_count(tx: &mut Tx, table: &str) -> Result<i64, DbError> {
    // `table` comes from our own table list, never from input.
    let sql = format!("SELECT COUNT(*) FROM {table}");
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(
        sqlx::AssertSqlSafe(sql)
    )
    .fetch_one(c)
    .await)?)
}

/// Runs a statement of our own (tests use it to prove that triggers refuse changes).
pub async fn exec_raw(tx: &mut Tx, sql: &'static str) -> Result<u64, DbError> {
    Ok(run!(tx, |c| sqlx::query(sql)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?)
}
