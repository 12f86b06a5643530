//! Throttling rules: a budget of attempts per key in fixed windows of time.
//!
//! Every attempt is counted *before* it is carried out, by one atomic
//! increment of the key's counter for the current window (in Redis when
//! configured, else in the instance's memory): concurrent attempts cannot
//! all pass a check made before any of them was counted. Once the window's
//! budget is spent the key waits for the next window — never longer than
//! one window, so nobody can lock a stranger out for good.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Attempts allowed in one window.
    pub limit: i64,
    pub window: Duration,
}

/// Sign-in attempts against one (account, client address) pair: a
/// forgetful user is slowed down early.
pub const PER_ACCOUNT_AND_ADDRESS: Rule = Rule {
    limit: 5,
    window: Duration::minutes(15),
};

/// Failed sign-ins against one account from anywhere: a distributed guesser.
pub const PER_ACCOUNT: Rule = Rule {
    limit: 30,
    window: Duration::minutes(15),
};

/// Failed sign-ins from one client address against any account: a sprayer.
pub const PER_ADDRESS: Rule = Rule {
    limit: 50,
    window: Duration::minutes(15),
};

/// Public dossier lookups from one client address: every lookup counts, so
/// codes cannot be enumerated.
pub const LOOKUP_PER_ADDRESS: Rule = Rule {
    limit: 30,
    window: Duration::minutes(10),
};

/// Public lookups of one dossier code, from anywhere: many addresses cannot
/// guess the identity behind one code.
pub const LOOKUP_PER_CODE: Rule = Rule {
    limit: 20,
    window: Duration::hours(1),
};

/// Public lookups with one ID number or phone, from anywhere, whether or not
/// any dossier has it: many addresses cannot walk one person's codes.
pub const LOOKUP_PER_IDENTIFIER: Rule = Rule {
    limit: 20,
    window: Duration::hours(1),
};

/// Registrations from one client address: "already in use" answers tell
/// whether an ID number, tax code or e-mail has an account.
pub const REGISTRATION_PER_ADDRESS: Rule = Rule {
    limit: 10,
    window: Duration::hours(1),
};

/// The window `now` falls in under `rule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Which window since the epoch: part of the counter's key.
    pub index: i64,
    /// Seconds until it ends (at least 1): the counter's expiry, and how long
    /// a refused client waits.
    pub remaining_secs: u64,
}

pub fn window(rule: &Rule, now: DateTime<Utc>) -> Window {
    let length = rule.window.num_seconds().max(1);
    let t = now.timestamp();
    let index = t.div_euclid(length);
    Window {
        index,
        remaining_secs: ((index + 1) * length - t).max(1) as u64,
    }
}

/// Whether an attempt whose increment brought the window's count to `count`
/// may proceed: `Err(seconds to wait)` past the budget.
pub fn verdict(count: i64, rule: &Rule, window: &Window) -> Result<(), u64> {
    if count > rule.limit {
        Err(window.remaining_secs)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_budget_is_spent_then_refused_until_the_window_ends() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 10, 5, 0).unwrap();
        let w = window(&PER_ACCOUNT_AND_ADDRESS, now);
        for count in 1..=5 {
            assert_eq!(verdict(count, &PER_ACCOUNT_AND_ADDRESS, &w), Ok(()));
        }
        // 10:05 lies in the 10:00–10:15 window: ten minutes to wait.
        assert_eq!(verdict(6, &PER_ACCOUNT_AND_ADDRESS, &w), Err(600));
    }

    #[test]
    fn windows_follow_each_other_and_never_wait_longer_than_one() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 10, 14, 59).unwrap();
        let a = window(&PER_ACCOUNT_AND_ADDRESS, t0);
        let b = window(&PER_ACCOUNT_AND_ADDRESS, t0 + Duration::seconds(1));
        assert_eq!(a.remaining_secs, 1);
        assert_eq!(b.index, a.index + 1);
        assert_eq!(b.remaining_secs, 15 * 60);
        for rule in [
            PER_ACCOUNT,
            PER_ADDRESS,
            LOOKUP_PER_CODE,
            REGISTRATION_PER_ADDRESS,
        ] {
            assert!(window(&rule, t0).remaining_secs <= rule.window.num_seconds() as u64);
        }
    }
}
