//! The append-only audit log with its hash chain.

use crate::{DbError, Param, Tx, Where, bind_params, direct, run};
use chrono::{DateTime, Utc};
use keyproj_domain::audit::{AuditFields, GENESIS, anchor_signature, chain_hash, needs_checkpoint};
use rusqlite::ToSql;
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: String,
    pub unit_id: Option<i64>,
    pub ip: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    pub fn fields(&self) -> AuditFields {
        AuditFields {
            at: self.at,
            user_id: self.user_id,
            username: self.username.clone(),
            unit_id: self.unit_id,
            ip: self.ip.clone(),
            action: self.action.clone(),
            entity_type: self.entity_type.clone(),
            entity_id: self.entity_id.clone(),
            before_json: self.before_json.clone(),
            after_json: self.after_json.clone(),
        }
    }
}

const COLS: &str = "id, at, user_id, username, unit_id, ip, action, entity_type, entity_id, before_json, after_json, prev_hash, hash";

/// The signed head of the chain (the newest row's id and hash, and the number of rows).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Anchor {
    pub audit_id: i64,
    pub hash: String,
    pub row_count: i64,
    pub signature: String,
    pub at: DateTime<Utc>,
}

/// Appends one row, chained to the last (see [`append_all`]).
pub async fn append(tx: &mut Tx, key: &[u8], f: &AuditFields) -> Result<i64, DbError> {
    let ids = append_all(tx, key, std::slice::from_ref(f)).await?;
    ids.last().copied().ok_or(DbError::NotFound)
}

/// Appends rows in order, each chained to the one before. Must run inside the transaction of
/// the changes they record: if this fails, the changes fail. Moves the signed head once, in the
/// same transaction, and writes a signed checkpoint every `CHECKPOINT_EVERY` rows and at the
/// first row of a day. Returns the rows' ids.
pub async fn append_all(
    tx: &mut Tx,
    key: &[u8],
    rows: &[AuditFields],
) -> Result<Vec<i64>, DbError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    if let Tx::Postgres(t) = tx {
        // Serialise appends across instances so the chain stays linear; released at commit.
        sqlx::query("SELECT pg_advisory_xact_lock(7262001)")
            .execute(&mut **t)
            .await?;
    }
    let head = head(tx).await?;
    let (mut prev, mut count, mut moved) = match &head {
        Some(h) => (h.hash.clone(), h.row_count, Some(h.at)),
        // No head yet (a new database, or one from before anchors): start from the table.
        None => {
            const LAST: &str = "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1";
            let prev = run!(tx, |c| sqlx::query_scalar::<_, String>(LAST)
                .fetch_optional(c)
                .await)?
            .unwrap_or_else(|| GENESIS.to_string());
            let count = run!(tx, |c| sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM audit_log"
            )
            .fetch_one(c)
            .await)?;
            (prev, count, None)
        }
    };
    // Rows go in multi-row statements of at most BATCH rows; a row that takes a checkpoint ends
    // its statement, so that its id is the table's largest right after it. Ids are the chain's
    // order: appends are serialised (one SQLite writer; the advisory lock on PostgreSQL), so a
    // statement's rows take consecutive ids in the order of its VALUES.
    const BATCH: usize = 400;
    let mut ids = Vec::with_capacity(rows.len());
    let mut pending: Vec<(&AuditFields, String, String)> = Vec::with_capacity(BATCH);
    for (i, f) in rows.iter().enumerate() {
        let hash = chain_hash(key, &prev, f);
        count += 1;
        let checkpoint = needs_checkpoint(count, f.at, moved);
        pending.push((f, std::mem::replace(&mut prev, hash.clone()), hash.clone()));
        moved = Some(f.at);
        if checkpoint || pending.len() == BATCH || i + 1 == rows.len() {
            let last_id = insert_batch(tx, &pending).await?;
            let first_id = last_id - pending.len() as i64 + 1;
            ids.extend(first_id..=last_id);
            pending.clear();
            if checkpoint {
                let id = last_id;
                const CP: &str = "INSERT INTO audit_checkpoints (audit_id, hash, row_count, at, signature) VALUES ($1, $2, $3, $4, $5)";
                let signature = anchor_signature(key, "checkpoint", id, &hash, count);
                run!(tx, |c| sqlx::query(CP)
                    .bind(id)
                    .bind(&hash)
                    .bind(count)
                    .bind(f.at)
                    .bind(&signature)
                    .execute(c)
                    .await
                    .map(|_| ()))?;
                // Also outside the database: an operator can compare the log with `audit verify`.
                tracing::info!(
                    target: "keyproj::audit_checkpoint",
                    audit_id = id,
                    hash = %hash,
                    row_count = count,
                    "audit checkpoint"
                );
            }
        }
    }
    let last = *ids.last().expect("at least one row");
    let at = rows.last().expect("at least one row").at;
    const HEAD: &str = "INSERT INTO audit_head (id, last_id, last_hash, row_count, signature, updated_at)
        VALUES (1, $1, $2, $3, $4, $5)
        ON CONFLICT (id) DO UPDATE SET last_id = $1, last_hash = $2, row_count = $3, signature = $4, updated_at = $5";
    let signature = anchor_signature(key, "head", last, &prev, count);
    if let Some(c) = tx.direct_write().await? {
        direct::execute_on(
            c,
            HEAD,
            &[&last, &prev, &count, &signature, &direct::Time(at)],
        )?;
        return Ok(ids);
    }
    run!(tx, |c| sqlx::query(HEAD)
        .bind(last)
        .bind(&prev)
        .bind(count)
        .bind(&signature)
        .bind(at)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(ids)
}

/// Inserts chained rows (fields, previous hash, hash) in one statement; the id of the last.
async fn insert_batch(
    tx: &mut Tx,
    rows: &[(&AuditFields, String, String)],
) -> Result<i64, DbError> {
    // RETURNING the ids saves a statement per append (every write has one): the largest is
    // the statement's last row.
    let mut sql = String::from(
        "INSERT INTO audit_log (at, user_id, username, unit_id, ip, action, entity_type, entity_id, before_json, after_json, prev_hash, hash) VALUES ",
    );
    for i in 0..rows.len() {
        let n = i * 12;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for k in 1..=12 {
            if k > 1 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", n + k));
        }
        sql.push(')');
    }
    sql.push_str(" RETURNING id");
    if let Some(c) = tx.direct_write().await? {
        let times: Vec<direct::Time> = rows.iter().map(|(f, _, _)| direct::Time(f.at)).collect();
        let mut params: Vec<&dyn ToSql> = Vec::with_capacity(rows.len() * 12);
        for ((f, prev, hash), at) in rows.iter().zip(&times) {
            params.extend_from_slice(&[
                at,
                &f.user_id,
                &f.username,
                &f.unit_id,
                &f.ip,
                &f.action,
                &f.entity_type,
                &f.entity_id,
                &f.before_json,
                &f.after_json,
                prev,
                hash,
            ]);
        }
        return direct::rows_on(c, &sql, &params, |r| direct::at::<i64>(r, 0, "id"))?
            .into_iter()
            .max()
            .ok_or_else(|| DbError::Decode("audit_log.id", "no id returned".into()));
    }
    run!(tx, |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone()));
        for (f, prev, hash) in rows {
            q = q
                .bind(f.at)
                .bind(f.user_id)
                .bind(&f.username)
                .bind(f.unit_id)
                .bind(&f.ip)
                .bind(&f.action)
                .bind(&f.entity_type)
                .bind(&f.entity_id)
                .bind(&f.before_json)
                .bind(&f.after_json)
                .bind(prev)
                .bind(hash);
        }
        q.fetch_all(c).await
    })?
    .into_iter()
    .max()
    .ok_or_else(|| DbError::Decode("audit_log.id", "no id returned".into()))
}

/// The head of the chain, if one was written.
pub async fn head(tx: &mut Tx) -> Result<Option<Anchor>, DbError> {
    const SQL: &str = "SELECT last_id AS audit_id, last_hash AS hash, row_count, signature, updated_at AS at FROM audit_head WHERE id = 1";
    if let Some(c) = tx.direct_write().await? {
        return direct::first_on(c, SQL, &[], |r| {
            Ok(Anchor {
                audit_id: direct::at(r, 0, "audit_id")?,
                hash: direct::at(r, 1, "hash")?,
                row_count: direct::at(r, 2, "row_count")?,
                signature: direct::at(r, 3, "signature")?,
                at: direct::at(r, 4, "at")?,
            })
        });
    }
    Ok(run!(tx, |c| sqlx::query_as::<_, Anchor>(SQL)
        .fetch_optional(c)
        .await)?)
}

/// Every checkpoint, oldest first.
pub async fn checkpoints(tx: &mut Tx) -> Result<Vec<Anchor>, DbError> {
    const SQL: &str =
        "SELECT audit_id, hash, row_count, signature, at FROM audit_checkpoints ORDER BY id";
    Ok(run!(tx, |c| sqlx::query_as::<_, Anchor>(SQL)
        .fetch_all(c)
        .await)?)
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

fn where_of(f: &AuditFilter) -> Where {
    let mut w = Where::default();
    if let Some(u) = &f.user {
        w.push("username = ?", vec![Param::Text(u.clone())]);
    }
    if let Some(e) = &f.entity_type {
        w.push("entity_type = ?", vec![Param::Text(e.clone())]);
    }
    if let Some(e) = &f.entity_id {
        w.push("entity_id = ?", vec![Param::Text(e.clone())]);
    }
    if let Some(a) = &f.action {
        w.push("action = ?", vec![Param::Text(a.clone())]);
    }
    w
}

/// Time bounds are bound as typed values (they are not `Param`s).
fn time_conds(w: &Where, f: &AuditFilter) -> (String, usize) {
    let mut n = w.next_placeholder();
    let mut extra = String::new();
    let mut first = w.params.is_empty();
    for (present, op) in [(f.from.is_some(), ">="), (f.to.is_some(), "<")] {
        if present {
            extra.push_str(if first { " WHERE " } else { " AND " });
            extra.push_str(&format!("at {op} ${n}"));
            n += 1;
            first = false;
        }
    }
    (extra, n)
}

pub async fn list(tx: &mut Tx, f: &AuditFilter) -> Result<(Vec<AuditRow>, i64), DbError> {
    let w = where_of(f);
    let (extra, n) = time_conds(&w, f);
    let base = format!("FROM audit_log{}{}", w.sql(), extra);
    let count_sql = format!("SELECT COUNT(*) {base}");
    let sql = format!(
        "SELECT {COLS} {base} ORDER BY id DESC LIMIT ${} OFFSET ${}",
        n,
        n + 1
    );
    let total = run!(tx, |c| {
        let mut q = bind_params!(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql)),
            w.params
        );
        if let Some(t) = f.from {
            q = q.bind(t);
        }
        if let Some(t) = f.to {
            q = q.bind(t);
        }
        q.fetch_one(c).await
    })?;
    let rows = run!(tx, |c| {
        let mut q = bind_params!(
            sqlx::query_as::<_, AuditRow>(sqlx::AssertSqlSafe(sql)),
            w.params
        );
        if let Some(t) = f.from {
            q = q.bind(t);
        }
        if let Some(t) = f.to {
            q = q.bind(t);
        }
        q.bind(f.limit).bind(f.offset).fetch_all(c).await
    })?;
    Ok((rows, total))
}

/// Rows with id > `after`, in id order, at most `limit` (for verifying in batches).
pub async fn batch(tx: &mut Tx, after: i64, limit: i64) -> Result<Vec<AuditRow>, DbError> {
    let sql = format!("SELECT {COLS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2");
    Ok(run!(tx, |c| sqlx::query_as::<_, AuditRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(after)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

pub async fn for_entity(
    tx: &mut Tx,
    entity_type: &str,
    entity_id: &str,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    let sql = format!(
        "SELECT {COLS} FROM audit_log WHERE entity_type = $1 AND entity_id = $2 ORDER BY id DESC LIMIT $3"
    );
    Ok(run!(tx, |c| sqlx::query_as::<_, AuditRow>(
        sqlx::AssertSqlSafe(sql)
    )
    .bind(entity_type)
    .bind(entity_id)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}
