//! Failed-login throttling: counts failures per key in a window and blocks the
//! key for a while once a limit is passed. Blocks double with each further
//! failure but never exceed `max_block`, so nobody can lock a stranger out
//! for good.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub max_failures: i32,
    pub window: Duration,
    pub first_block: Duration,
    pub max_block: Duration,
}

/// Failures against one (account, client address) pair: a forgetful user
/// is slowed down early.
pub const PER_ACCOUNT_AND_ADDRESS: Rule = Rule {
    max_failures: 5,
    window: Duration::minutes(15),
    first_block: Duration::minutes(1),
    max_block: Duration::minutes(15),
};

/// Failures against one account from anywhere: a distributed guesser.
pub const PER_ACCOUNT: Rule = Rule {
    max_failures: 30,
    window: Duration::minutes(15),
    first_block: Duration::minutes(5),
    max_block: Duration::minutes(15),
};

/// Failures from one client address against any account: a sprayer.
pub const PER_ADDRESS: Rule = Rule {
    max_failures: 50,
    window: Duration::minutes(15),
    first_block: Duration::minutes(15),
    max_block: Duration::minutes(15),
};

/// Public dossier lookups from one client address: every lookup counts, so
/// codes cannot be enumerated.
pub const PUBLIC_LOOKUP: Rule = Rule {
    max_failures: 30,
    window: Duration::minutes(10),
    first_block: Duration::minutes(10),
    max_block: Duration::minutes(10),
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub failures: i32,
    pub window_started_at: DateTime<Utc>,
    pub blocked_until: Option<DateTime<Utc>>,
}

/// `Err(seconds)` while the key is blocked.
pub fn check(state: Option<&State>, now: DateTime<Utc>) -> Result<(), u64> {
    match state.and_then(|s| s.blocked_until) {
        Some(until) if until > now => Err((until - now).num_seconds().max(1) as u64),
        _ => Ok(()),
    }
}

/// The state after one more failure.
pub fn record_failure(state: Option<&State>, now: DateTime<Utc>, rule: &Rule) -> State {
    let mut s = match state {
        Some(s) if now - s.window_started_at < rule.window => *s,
        _ => State {
            failures: 0,
            window_started_at: now,
            blocked_until: None,
        },
    };
    s.failures += 1;
    let over = s.failures - rule.max_failures;
    if over >= 0 {
        let factor = 1i32 << over.min(16);
        let block = (rule.first_block * factor).min(rule.max_block);
        s.blocked_until = Some(now + block);
        // The window restarts with the block, so the count decays.
        s.window_started_at = now;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_start_after_the_limit_and_stay_bounded() {
        let t0 = Utc::now();
        let mut s: Option<State> = None;
        for _ in 0..4 {
            s = Some(record_failure(s.as_ref(), t0, &PER_ACCOUNT_AND_ADDRESS));
            assert!(check(s.as_ref(), t0).is_ok());
        }
        s = Some(record_failure(s.as_ref(), t0, &PER_ACCOUNT_AND_ADDRESS));
        assert_eq!(check(s.as_ref(), t0), Err(60));
        for _ in 0..40 {
            s = Some(record_failure(s.as_ref(), t0, &PER_ACCOUNT_AND_ADDRESS));
        }
        // Never more than the maximum block.
        assert_eq!(check(s.as_ref(), t0), Err(15 * 60));
        assert!(check(s.as_ref(), t0 + Duration::minutes(15)).is_ok());
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let t0 = Utc::now();
        let mut s = None;
        for _ in 0..4 {
            s = Some(record_failure(s.as_ref(), t0, &PER_ACCOUNT_AND_ADDRESS));
        }
        let later = t0 + Duration::minutes(16);
        let s = record_failure(s.as_ref(), later, &PER_ACCOUNT_AND_ADDRESS);
        assert_eq!(s.failures, 1);
        assert!(check(Some(&s), later).is_ok());
    }
}
