//! Test support: a fresh database per test on each engine.
//!
//! SQLite: a new file in a temporary directory. PostgreSQL: a new database on the server
//! named by `KEYPROJ_TEST_PG` (an admin URL such as `postgres://postgres@127.0.0.1:5432/postgres`),
//! dropped when the test ends. Without that variable the PostgreSQL half is skipped, unless
//! `KEYPROJ_REQUIRE_PG=1` (set by `.ci/run`), which turns the skip into a failure.

use crate::{Db, DbOptions};
use std::sync::atomic::{AtomicU32, Ordering};

pub struct TestDb {
    pub db: Db,
    pub url: String,
    pg_name: Option<(String, String)>,
    _dir: Option<std::path::PathBuf>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        nanos
    )
}

pub fn pg_admin_url() -> Option<String> {
    match std::env::var("KEYPROJ_TEST_PG") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            if std::env::var("KEYPROJ_REQUIRE_PG").as_deref() == Ok("1") {
                panic!(
                    "KEYPROJ_REQUIRE_PG=1 but KEYPROJ_TEST_PG is not set: the PostgreSQL half cannot be skipped"
                );
            }
            eprintln!(
                "!!! PostgreSQL half SKIPPED: set KEYPROJ_TEST_PG=postgres://postgres@127.0.0.1:5432/postgres to run it"
            );
            None
        }
    }
}

impl TestDb {
    /// A migrated, empty SQLite database in its own temporary file.
    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique("keyproj_test"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}", dir.join("test.db").display());
        let db = Db::connect(&url, &DbOptions::default())
            .await
            .expect("open sqlite");
        db.migrate().await.expect("migrate sqlite");
        TestDb {
            db,
            url,
            pg_name: None,
            _dir: Some(dir),
        }
    }

    /// A migrated, empty PostgreSQL database, or None when the PostgreSQL half is skipped.
    pub async fn postgres() -> Option<TestDb> {
        let t = TestDb::postgres_unmigrated().await?;
        t.db.migrate().await.expect("migrate postgres");
        Some(t)
    }

    /// A new PostgreSQL database without any table (for migration tests).
    pub async fn postgres_unmigrated() -> Option<TestDb> {
        let admin = pg_admin_url()?;
        let name = unique("keyproj_t");
        let admin_db = Db::connect(&admin, &DbOptions { max_connections: 1 })
            .await
            .expect("connect to KEYPROJ_TEST_PG");
        if let Db::Postgres(p) = &admin_db {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"
            )))
            .execute(p)
            .await
            .expect("create test database");
        }
        admin_db.close().await;
        let url = with_database(&admin, &name);
        let db = Db::connect(&url, &DbOptions { max_connections: 5 })
            .await
            .expect("connect test database");
        Some(TestDb {
            db,
            url,
            pg_name: Some((admin, name)),
            _dir: None,
        })
    }

    /// Both engines (PostgreSQL only when configured).
    pub async fn all() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite().await];
        if let Some(p) = TestDb::postgres().await {
            v.push(p);
        }
        v
    }
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    match base[after_scheme..].find('/') {
        Some(i) => format!("{}/{name}{query}", &base[..after_scheme + i]),
        None => format!("{base}/{name}{query}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = self._dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin, name)) = self.pg_name.take() {
            // Drop runs outside async context: use a private runtime on its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let db = Db::connect(&admin, &DbOptions { max_connections: 1 })
                        .await
                        .ok()?;
                    if let Db::Postgres(p) = &db {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(p)
                        .await;
                    }
                    db.close().await;
                    Some(())
                })
            })
            .join();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_database_name() {
        assert_eq!(
            super::with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::with_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }
}
