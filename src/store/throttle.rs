//! The counters behind `domain::throttle`: one atomic increment per attempt,
//! with the window's expiry — `INCR` + `EXPIRE` in one Redis transaction when
//! Redis is configured (shared by every instance), a map in the instance's
//! memory otherwise (the embedded single instance). Never read-modify-write.
//!
//! Nothing is written to the database on these paths. Keys never hold
//! personal data: identifiers are hashed first (`hashed`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::domain::throttle::{verdict, window, Rule};
use crate::error::{AppError, AppResult};

/// How long a failed Redis is left alone before it is tried again; meanwhile
/// the instance counts in memory.
const REDIS_RETRY_AFTER: Duration = Duration::from_secs(5);
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// The memory map is swept of past windows when it grows past this, and
/// afterwards past twice what a sweep left: a sweep is O(keys), so it runs
/// once per doubling, not on every attempt while the live keys stay many
/// (issue 15: 10,000 live keys made every public lookup scan them all, a
/// third of the server's time at 64 clients).
const SWEEP_ABOVE: usize = 10_000;
/// The most live keys the memory map holds (about 150 MB): past it, after a
/// sweep, an attempt on a key not yet counted is refused (RATE_LIMITED) until
/// windows pass. Without it an address-rotating client (an IPv6 prefix, a
/// botnet) grows the map for as long as the windows last (an hour for the
/// per-code and per-identifier budgets).
const MAX_KEYS: usize = 1_000_000;

#[derive(Clone)]
pub struct Throttle {
    inner: Arc<Inner>,
}

struct Inner {
    memory: Mutex<Memory>,
    redis: Option<RedisCounters>,
}

/// The counters of an instance without Redis.
struct Memory {
    /// key → (expires at, unix seconds; count).
    counts: HashMap<String, (i64, i64)>,
    /// The next sweep when `counts` grows past this.
    sweep_above: usize,
    sweeps: u64,
    /// When the last sweep ran (unix seconds).
    swept_at: i64,
}

impl Memory {
    fn add(&mut self, key: String, expires_at: i64, now: i64, by: i64) -> i64 {
        let full = self.counts.len() >= MAX_KEYS && !self.counts.contains_key(&key);
        // Full, a sweep at most once a second: not one per refused attempt.
        if self.counts.len() > self.sweep_above || (full && now > self.swept_at) {
            self.counts.retain(|_, (until, _)| *until > now);
            self.sweep_above = (2 * self.counts.len()).clamp(SWEEP_ABOVE, MAX_KEYS);
            self.sweeps += 1;
            self.swept_at = now;
        }
        if self.counts.len() >= MAX_KEYS && !self.counts.contains_key(&key) {
            // Full of live keys: refused, not remembered.
            return i64::MAX / 2;
        }
        let entry = self.counts.entry(key).or_insert((expires_at, 0));
        entry.1 += by;
        entry.1
    }
}

struct RedisCounters {
    client: redis::Client,
    prefix: String,
    conn: tokio::sync::Mutex<Option<redis::aio::ConnectionManager>>,
    down_until: Mutex<Option<Instant>>,
}

/// The part of a client address a budget is kept for: an IPv4 address, or
/// an IPv6 address's /64 (one subscriber's prefix: rotating addresses within
/// it must not give a client new budgets).
pub fn address_key(addr: &str) -> String {
    match addr.parse::<std::net::Ipv6Addr>() {
        Ok(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(v6) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        Err(_) => addr.to_owned(),
    }
}

/// A key from an identifier a client typed (ID number, phone, code): its
/// SHA-256, so that counters hold no personal data.
pub fn hashed(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(value.trim().to_lowercase().as_bytes());
    format!("{kind}:{}", hex::encode(&digest[..12]))
}

impl Throttle {
    /// Counters in Redis under `prefix` (the deployment's channel name) when
    /// a client is given, else in memory.
    pub fn new(redis: Option<redis::Client>, prefix: &str) -> Throttle {
        Throttle {
            inner: Arc::new(Inner {
                memory: Mutex::new(Memory {
                    counts: HashMap::new(),
                    sweep_above: SWEEP_ABOVE,
                    sweeps: 0,
                    swept_at: 0,
                }),
                redis: redis.map(|client| RedisCounters {
                    client,
                    prefix: format!("{prefix}:throttle"),
                    conn: tokio::sync::Mutex::new(None),
                    down_until: Mutex::new(None),
                }),
            }),
        }
    }

    /// Counts one attempt against `key`: `RATE_LIMITED` (with the seconds to
    /// wait) once the window's budget under `rule` is spent.
    pub async fn hit(&self, key: &str, rule: &Rule, now: DateTime<Utc>) -> AppResult<()> {
        let w = window(rule, now);
        let count = self.add(key, w.index, w.remaining_secs, now, 1).await;
        verdict(count, rule, &w)
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })
    }

    /// Gives an attempt back (a sign-in that succeeded is no failure).
    pub async fn refund(&self, key: &str, rule: &Rule, now: DateTime<Utc>) {
        let w = window(rule, now);
        self.add(key, w.index, w.remaining_secs, now, -1).await;
    }

    /// Forgets the key's attempts in the current window.
    pub async fn clear(&self, key: &str, rule: &Rule, now: DateTime<Utc>) {
        let key = format!("{key}:{}", window(rule, now).index);
        if let Some(r) = &self.inner.redis {
            if let Err(e) = r.delete(&key).await {
                tracing::warn!(error = %e, "throttle counter not cleared in redis");
            }
        }
        self.inner
            .memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .counts
            .remove(&key);
    }

    async fn add(&self, key: &str, index: i64, ttl: u64, now: DateTime<Utc>, by: i64) -> i64 {
        let key = format!("{key}:{index}");
        if let Some(r) = &self.inner.redis {
            match r.add(&key, ttl, by).await {
                Ok(count) => return count,
                Err(e) => tracing::warn!(error = %e, "throttle counters fall back to memory"),
            }
        }
        self.add_in_memory(key, now.timestamp() + ttl as i64, now.timestamp(), by)
    }

    fn add_in_memory(&self, key: String, expires_at: i64, now: i64, by: i64) -> i64 {
        self.inner
            .memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(key, expires_at, now, by)
    }
}

impl RedisCounters {
    async fn add(&self, key: &str, ttl: u64, by: i64) -> Result<i64, String> {
        self.guarded(async {
            let mut conn = self.connection().await?;
            let full = format!("{}:{key}", self.prefix);
            let (count, _): (i64, i64) = redis::pipe()
                .atomic()
                .incr(&full, by)
                .expire(&full, ttl as i64)
                .query_async(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            Ok(count)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        self.guarded(async {
            let mut conn = self.connection().await?;
            redis::cmd("DEL")
                .arg(format!("{}:{key}", self.prefix))
                .query_async::<i64>(&mut conn)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// Runs `op` unless Redis failed a moment ago; a failure or a timeout
    /// leaves it alone for `REDIS_RETRY_AFTER`.
    async fn guarded<T>(
        &self,
        op: impl std::future::Future<Output = Result<T, String>>,
    ) -> Result<T, String> {
        {
            let down = self.down_until.lock().unwrap_or_else(|e| e.into_inner());
            if down.is_some_and(|until| Instant::now() < until) {
                return Err("redis recently unreachable".into());
            }
        }
        let result = tokio::time::timeout(REDIS_TIMEOUT * 2, op)
            .await
            .unwrap_or_else(|_| Err("timeout".into()));
        if result.is_err() {
            *self.down_until.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Instant::now() + REDIS_RETRY_AFTER);
            *self.conn.lock().await = None;
        }
        result
    }

    async fn connection(&self) -> Result<redis::aio::ConnectionManager, String> {
        let mut guard = self.conn.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT));
        let manager = self
            .client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|e| e.to_string())?;
        *guard = Some(manager.clone());
        Ok(manager)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::throttle::PER_ACCOUNT_AND_ADDRESS;

    #[tokio::test]
    async fn concurrent_attempts_are_each_counted() {
        let t = Throttle::new(None, "test");
        let now = Utc::now();
        let attempts = (0..20).map(|_| t.hit("k", &PER_ACCOUNT_AND_ADDRESS, now));
        let results = futures_util::future::join_all(attempts).await;
        let refused = results.iter().filter(|r| r.is_err()).count();
        assert_eq!(refused, 15);
        t.clear("k", &PER_ACCOUNT_AND_ADDRESS, now).await;
        assert!(t.hit("k", &PER_ACCOUNT_AND_ADDRESS, now).await.is_ok());
    }

    #[test]
    fn many_live_keys_are_swept_once_per_doubling() {
        let t = Throttle::new(None, "test");
        let now = 1_800_000_000;
        // 50,000 keys, none expired: sweeping on every attempt past 10,000
        // would be 40,000 sweeps.
        for i in 0..50_000 {
            t.add_in_memory(format!("k{i}"), now + 600, now, 1);
        }
        let memory = t.inner.memory.lock().unwrap();
        assert_eq!(memory.counts.len(), 50_000);
        assert!(memory.sweeps <= 3, "{} sweeps", memory.sweeps);
        drop(memory);
        // Once the windows pass, a sweep empties the map of them.
        for i in 0..50_000 {
            t.add_in_memory(format!("later{i}"), now + 1_200, now + 601, 1);
        }
        let memory = t.inner.memory.lock().unwrap();
        assert!(memory.counts.len() < 60_000, "{}", memory.counts.len());
    }

    #[test]
    fn the_memory_map_holds_at_most_max_keys_and_refuses_new_ones_past_it() {
        let t = Throttle::new(None, "test");
        let now = 1_800_000_000;
        for i in 0..MAX_KEYS {
            t.add_in_memory(format!("k{i}"), now + 3_600, now, 1);
        }
        // Full of live keys: a new one is refused and not remembered; a
        // key already counted goes on counting.
        assert!(t.add_in_memory("new".into(), now + 3_600, now + 1, 1) > 1_000);
        assert_eq!(t.add_in_memory("k7".into(), now + 3_600, now + 1, 1), 2);
        assert_eq!(t.inner.memory.lock().unwrap().counts.len(), MAX_KEYS);
        // Once the windows pass, new keys are counted again.
        assert_eq!(
            t.add_in_memory("new".into(), now + 7_200, now + 3_601, 1),
            1
        );
        assert_eq!(t.inner.memory.lock().unwrap().counts.len(), 1);
    }

    #[test]
    fn an_ipv6_client_is_budgeted_by_its_64_prefix() {
        assert_eq!(address_key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(address_key("2001:db8:1:2:ffff::9"), "2001:db8:1:2::/64");
        assert_eq!(address_key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(address_key("203.0.113.7"), "203.0.113.7");
    }

    #[test]
    fn identifiers_are_hashed() {
        let k = hashed("id", "001085000111");
        assert!(!k.contains("001085000111"));
        assert_eq!(k, hashed("id", " 001085000111 "));
    }
}
