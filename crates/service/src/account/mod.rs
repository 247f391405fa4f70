//! What an account does for itself, in the files the `db` and `web` layers mirror:
//! [`sessions`] (signing in and out; failed logins counted and slowed), [`password`] (changing
//! one's own password) and [`tokens`] (personal API tokens). Passwords are hashed with argon2,
//! two at a time in the process and never inside a write transaction.

pub mod password;
pub mod sessions;
pub mod tokens;

use crate::{App, Result, ServiceError};
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use keyproj_db::repo::account::sessions as session_repo;
use keyproj_db::repo::admin::users::{self as user_repo, UserRow};
use keyproj_domain::authz::Actor;
use keyproj_domain::session::Throttle;

/// The hashing of new passwords: argon2id with 7 MiB and 5 passes, which OWASP's password
/// storage cheat sheet lists as equal in defence to the crate's default (19 MiB, 2 passes) —
/// each login then holds 12 MiB less for its ~40 ms, and the process's peak is what two hashes
/// at once cost (BENCHMARKS.md, fourth pass). A stored hash is verified with the parameters it
/// records, so hashes made before keep working.
fn argon2() -> Argon2<'static> {
    let params = Params::new(7 * 1024, 5, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Password hashes computed at once in the process. Each argon2 run takes ~40 ms of a core; a
/// login flood queues here instead of starving every other request, and no hash ever runs
/// while a database write transaction is open.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn hashing<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| ServiceError::internal("password hashing queue", e))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServiceError::internal("password hashing task", e))
}

pub async fn hash_password(password: &str) -> Result<String> {
    let pw = password.to_string();
    hashing(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await?
    .map_err(|e| ServiceError::internal("password hashing", e))
}

pub async fn verify_password(password: &str, hash: &str) -> bool {
    let pw = password.to_string();
    let h = hash.to_string();
    hashing(move || {
        PasswordHash::new(&h)
            .map(|ph| argon2().verify_password(pw.as_bytes(), &ph).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so both paths cost the same.
pub(crate) async fn dummy_hash() -> String {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async {
            hash_password("keyproj-dummy-password")
                .await
                .unwrap_or_default()
        })
        .await
        .clone()
}

/// The keys failures are counted under: the address; the typed name from that address; the
/// typed name. Names are compared in lower case, as typed (known or not).
pub(crate) struct ThrottleKeys {
    name: String,
    address: String,
    pair: String,
    by_name: String,
}

impl ThrottleKeys {
    pub(crate) fn new(typed: &str, ip: &str) -> ThrottleKeys {
        let name: String = typed.trim().to_lowercase().chars().take(64).collect();
        ThrottleKeys {
            address: format!("addr:{ip}"),
            pair: format!("pair:{ip}|{name}"),
            by_name: format!("name:{name}"),
            name,
        }
    }
}

/// What [`reserve_attempt`] decided.
pub(crate) enum Attempt {
    /// The address or the name from it is blocked: the password is not to be checked.
    Refused,
    /// Counted as a failure until it succeeds; `blocked`: the limit is reached with it.
    Counted { blocked: bool },
}

/// Checks and counts one attempt of `keys` (in `tx`) under the keys that block — the address
/// and the name from the address — before its password is checked. Counted first, parallel
/// guesses cannot all pass the check before any is counted; the rows are locked first
/// ([`session_repo::lock_throttle`]), so concurrent counts are not lost on PostgreSQL, and
/// always in the same order (address, then name from the address, then name). The count is
/// given back ([`give_back_attempt`]) when the password was right.
pub(crate) async fn reserve_attempt(
    app: &App,
    tx: &mut keyproj_db::Tx,
    keys: &ThrottleKeys,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Attempt> {
    let policy = app.cfg.session;
    let blocking = [
        (&keys.address, Some(policy.max_failed_per_address), ""),
        (
            &keys.pair,
            Some(policy.max_failed_logins),
            keys.name.as_str(),
        ),
    ];
    let mut before = vec![];
    for (key, _, owner) in blocking {
        session_repo::lock_throttle(tx, key, owner, now).await?;
        before.push(session_repo::throttle(tx, key).await?);
    }
    if before.iter().any(|t| Throttle::blocked(t.as_ref(), now)) {
        return Ok(Attempt::Refused);
    }
    let mut blocked = false;
    for ((key, limit, owner), before) in blocking.into_iter().zip(before) {
        let after = policy.throttle_after_failure(before.as_ref(), limit, now);
        blocked |= Throttle::blocked(Some(&after), now);
        session_repo::put_throttle(tx, key, owner, &after, now).await?;
    }
    Ok(Attempt::Counted { blocked })
}

/// An attempt counted by [`reserve_attempt`] succeeded: the address's count is given back (the
/// name from the address is cleared by the login itself).
pub(crate) async fn give_back_attempt(
    app: &App,
    tx: &mut keyproj_db::Tx,
    keys: &ThrottleKeys,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let policy = app.cfg.session;
    session_repo::lock_throttle(tx, &keys.address, "", now).await?;
    if let Some(before) = session_repo::throttle(tx, &keys.address).await? {
        let after = policy.throttle_after_success(&before, Some(policy.max_failed_per_address));
        session_repo::put_throttle(tx, &keys.address, "", &after, now).await?;
    }
    Ok(())
}

/// Counts one failed attempt under all of `keys` at once; true when the address or the name
/// from the address is now blocked.
pub(crate) async fn count_failure(
    app: &App,
    tx: &mut keyproj_db::Tx,
    keys: &ThrottleKeys,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    let blocked = match reserve_attempt(app, tx, keys, now).await? {
        Attempt::Refused => true,
        Attempt::Counted { blocked } => blocked,
    };
    count_name_failure(app, tx, keys, now).await?;
    Ok(blocked)
}

/// Counts a failed attempt against the name from anywhere (which slows further attempts on it).
pub(crate) async fn count_name_failure(
    app: &App,
    tx: &mut keyproj_db::Tx,
    keys: &ThrottleKeys,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    session_repo::lock_throttle(tx, &keys.by_name, &keys.name, now).await?;
    let before = session_repo::throttle(tx, &keys.by_name).await?;
    let after = app
        .cfg
        .session
        .throttle_after_failure(before.as_ref(), None, now);
    session_repo::put_throttle(tx, &keys.by_name, &keys.name, &after, now).await?;
    Ok(())
}

/// Builds the actor of a user.
pub async fn actor_of(tx: &mut keyproj_db::Tx, user: &UserRow) -> Result<Actor> {
    Ok(actor_with(user, user_repo::roles_of(tx, user.id).await?))
}

/// The actor of a user whose roles are already read.
pub(crate) fn actor_with(user: &UserRow, roles: Vec<keyproj_domain::authz::Role>) -> Actor {
    Actor {
        user_id: Some(user.id),
        username: user.username.clone(),
        roles,
        unit_id: Some(user.unit_id),
        region: user.region_code.clone(),
    }
}

/// The context of an account acting from `ip`, by its name: for the operator's command line
/// (and tests), which act as a named account without signing in.
pub async fn acting_as(app: &App, username: &str, ip: &str) -> Result<crate::Ctx> {
    let mut tx = app.db.begin_read().await?;
    let user = user_repo::find_user(&mut tx, username.trim())
        .await?
        .ok_or_else(|| crate::field_error("username", "unknown_user", "用户不存在"))?;
    Ok(crate::Ctx {
        actor: actor_of(&mut tx, &user).await?,
        ip: ip.to_string(),
    })
}

/// People as pages show them: by name and unit (张三（县住建局）), never by login name. The
/// system and the command line read as such; an unknown login name is shown as it is.
#[derive(Debug, Clone, Default)]
pub struct People(std::collections::HashMap<String, String>);

impl People {
    /// The names of the given login names (one query).
    pub async fn of(app: &App, usernames: impl IntoIterator<Item = String>) -> Result<People> {
        let mut names: Vec<String> = usernames.into_iter().collect();
        names.sort();
        names.dedup();
        names.truncate(2000);
        let mut tx = app.db.begin_read().await?;
        let rows = keyproj_db::repo::admin::users::names_of(&mut tx, &names).await?;
        Ok(People(
            rows.into_iter()
                .map(|(u, name, unit)| {
                    let shown = if name.trim().is_empty() {
                        u.clone()
                    } else {
                        name
                    };
                    (u, format!("{shown}（{unit}）"))
                })
                .collect(),
        ))
    }

    /// The name and, when it differs, the login name: 张三（县住建局） zhangsan.
    pub fn name_with_login(&self, username: &str) -> String {
        let name = self.name(username);
        if name == username {
            name
        } else {
            format!("{name} {username}")
        }
    }

    pub fn name(&self, username: &str) -> String {
        match username {
            "system" => "系统".into(),
            "" => String::new(),
            u => self.0.get(u).cloned().unwrap_or_else(|| u.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// New hashes record the parameters chosen here; a hash made with the crate's default
    /// parameters (every hash stored before) still verifies, and a wrong password does not.
    #[tokio::test]
    async fn new_hashes_are_smaller_and_old_ones_still_verify() {
        let new = hash_password("Kp-2026!secret").await.unwrap();
        assert!(new.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{new}");
        assert!(verify_password("Kp-2026!secret", &new).await);
        let salt = SaltString::generate(&mut OsRng);
        let old = Argon2::default()
            .hash_password(b"Kp-2026!secret", &salt)
            .unwrap()
            .to_string();
        assert!(old.contains("m=19456,t=2,p=1"), "{old}");
        assert!(verify_password("Kp-2026!secret", &old).await);
        assert!(!verify_password("Kp-2026!secreT", &old).await);
    }
}
