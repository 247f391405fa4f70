//! Session lifetime rules (等保: idle timeout and absolute lifetime) and login lockout.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
    /// Failed logins with one name from one address before that address may not try that
    /// name again for [`SessionPolicy::lockout`].
    pub max_failed_logins: i64,
    pub lockout: Duration,
    /// Failed logins from one address (any names) before the address must wait.
    pub max_failed_per_address: i64,
    /// The window in which failures are counted.
    pub failure_window: Duration,
    /// Failures of one name (from any address) after which each further attempt on it is
    /// slowed, doubling up to [`SessionPolicy::max_delay`]; nobody can lock a known account
    /// at will, but guessing it from many addresses gets slow.
    pub delay_after: i64,
    pub max_delay: std::time::Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
            max_failed_logins: 5,
            lockout: Duration::minutes(15),
            max_failed_per_address: 30,
            failure_window: Duration::minutes(15),
            delay_after: 5,
            max_delay: std::time::Duration::from_secs(8),
        }
    }
}

/// Failed attempts counted under one key (an address; a name from an address; a name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub failures: i64,
    pub window_start: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl Throttle {
    pub fn blocked(t: Option<&Throttle>, now: DateTime<Utc>) -> bool {
        t.and_then(|t| t.locked_until).is_some_and(|u| u > now)
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
    /// A key's state when an attempt counted in advance as a failure (see the login) succeeds:
    /// the count is given back, and a block that count alone caused is lifted.
    pub fn throttle_after_success(&self, before: &Throttle, limit: Option<i64>) -> Throttle {
        let mut t = *before;
        t.failures = (t.failures - 1).max(0);
        if limit.is_some_and(|l| t.failures < l) {
            t.locked_until = None;
        }
        t
    }
    /// A key's state after one more failure: counts restart when the window has passed; at
    /// `limit` failures the key is blocked for [`SessionPolicy::lockout`] (`None`: never).
    pub fn throttle_after_failure(
        &self,
        before: Option<&Throttle>,
        limit: Option<i64>,
        now: DateTime<Utc>,
    ) -> Throttle {
        let fresh = Throttle {
            failures: 0,
            window_start: now,
            locked_until: None,
        };
        let mut t = match before {
            Some(b) if now - b.window_start < self.failure_window => *b,
            _ => fresh,
        };
        if t.locked_until.is_some_and(|u| u <= now) {
            t = fresh;
        }
        t.failures += 1;
        if limit.is_some_and(|l| t.failures >= l) {
            t.locked_until = Some(now + self.lockout);
        }
        t
    }
    /// How long an attempt on a name waits, given the name's failures in the window.
    pub fn delay_for(&self, name: Option<&Throttle>, now: DateTime<Utc>) -> std::time::Duration {
        let failures = name
            .filter(|t| now - t.window_start < self.failure_window)
            .map(|t| t.failures)
            .unwrap_or(0);
        if failures < self.delay_after {
            return std::time::Duration::ZERO;
        }
        let steps = (failures - self.delay_after).clamp(0, 16) as u32;
        std::time::Duration::from_millis(250u64 << steps).min(self.max_delay)
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

    #[test]
    fn throttles_count_in_a_window_and_delays_double() {
        let p = SessionPolicy::default();
        let t0 = Utc::now();
        let mut t = None;
        for i in 1..=5 {
            let n = p.throttle_after_failure(t.as_ref(), Some(5), t0);
            assert_eq!(n.failures, i);
            assert_eq!(Throttle::blocked(Some(&n), t0), i == 5);
            t = Some(n);
        }
        assert!(!Throttle::blocked(t.as_ref(), t0 + Duration::minutes(15)));
        // once the block is over, counting starts again
        let again = p.throttle_after_failure(t.as_ref(), Some(5), t0 + Duration::minutes(16));
        assert_eq!(again.failures, 1);
        // failures older than the window are forgotten
        let one = p.throttle_after_failure(None, None, t0);
        let later = p.throttle_after_failure(Some(&one), None, t0 + Duration::minutes(20));
        assert_eq!(later.failures, 1);
        // names are never blocked, only slowed
        let mut name = None;
        for _ in 0..40 {
            name = Some(p.throttle_after_failure(name.as_ref(), None, t0));
        }
        assert!(!Throttle::blocked(name.as_ref(), t0));
        assert_eq!(p.delay_for(name.as_ref(), t0), p.max_delay);
        let four = Throttle {
            failures: 4,
            window_start: t0,
            locked_until: None,
        };
        assert_eq!(p.delay_for(Some(&four), t0), std::time::Duration::ZERO);
        let five = Throttle {
            failures: 5,
            ..four
        };
        assert_eq!(p.delay_for(Some(&five), t0).as_millis(), 250);
        let six = Throttle {
            failures: 6,
            ..four
        };
        assert_eq!(p.delay_for(Some(&six), t0).as_millis(), 500);
    }
}
