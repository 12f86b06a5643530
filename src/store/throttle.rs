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
/// The memory map is swept of past windows when it grows past this.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Clone)]
pub struct Throttle {
    inner: Arc<Inner>,
}

struct Inner {
    /// key → (expires at, unix seconds; count).
    memory: Mutex<HashMap<String, (i64, i64)>>,
    redis: Option<RedisCounters>,
}

struct RedisCounters {
    client: redis::Client,
    prefix: String,
    conn: tokio::sync::Mutex<Option<redis::aio::ConnectionManager>>,
    down_until: Mutex<Option<Instant>>,
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
                memory: Mutex::new(HashMap::new()),
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
        let mut map = self.inner.memory.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, (until, _)| *until > now);
        }
        let entry = map.entry(key).or_insert((expires_at, 0));
        entry.1 += by;
        entry.1
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
    fn identifiers_are_hashed() {
        let k = hashed("id", "001085000111");
        assert!(!k.contains("001085000111"));
        assert_eq!(k, hashed("id", " 001085000111 "));
    }
}
