//! Session lifetime rules (等保: idle timeout and absolute lifetime) and login lockout.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
    /// Failed logins before the account locks.
    pub max_failed_logins: i64,
    pub lockout: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
            max_failed_logins: 5,
            lockout: Duration::minutes(15),
        }
    }
}

impl SessionPolicy {
    pub fn session_alive(
        &self,
        created_at: DateTime<Utc>,
        last_seen_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now - last_seen_at < self.idle && now - created_at < self.absolute
    }
    /// After one more failure, the account's new failure count and, if it now locks, until when.
    pub fn after_failure(
        &self,
        failed_before: i64,
        now: DateTime<Utc>,
    ) -> (i64, Option<DateTime<Utc>>) {
        let n = failed_before + 1;
        if n >= self.max_failed_logins {
            (0, Some(now + self.lockout))
        } else {
            (n, None)
        }
    }
    pub fn is_locked(&self, locked_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        locked_until.is_some_and(|t| t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        let p = SessionPolicy::default();
        let t0 = Utc::now();
        assert!(p.session_alive(t0, t0, t0 + Duration::minutes(29)));
        assert!(!p.session_alive(t0, t0, t0 + Duration::minutes(30)));
        // active all along, but past the absolute lifetime
        assert!(!p.session_alive(
            t0,
            t0 + Duration::hours(12),
            t0 + Duration::hours(12) + Duration::minutes(1)
        ));
    }

    #[test]
    fn lockout_after_five_failures() {
        let p = SessionPolicy::default();
        let now = Utc::now();
        let mut n = 0;
        for _ in 0..4 {
            let (c, lock) = p.after_failure(n, now);
            assert!(lock.is_none());
            n = c;
        }
        let (c, lock) = p.after_failure(n, now);
        assert_eq!(c, 0);
        assert_eq!(lock, Some(now + Duration::minutes(15)));
        assert!(p.is_locked(lock, now + Duration::minutes(14)));
        assert!(!p.is_locked(lock, now + Duration::minutes(15)));
    }
}
