//! The shared state every request and use case reads: the database, Redis,
//! the configuration, the clock, the event bus and the attempt counters.
//! Infrastructure only: nothing here imports a use case, the schema or the
//! routes, so everything above may import this without a loop. Start-up
//! (`crate::app`) builds it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::config::Config;
use crate::events::EventBus;
use crate::files::FileStore;
use crate::store::throttle::Throttle;

/// The clock every use case reads. Tests move it forward to expire sessions
/// without sleeping.
#[derive(Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// The current time, moved by whatever `advance` added (UTC).
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every clone of it) forward by whole seconds.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_secs
            .fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}

/// What every use case may reach. Cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool (SQLite or PostgreSQL).
    pub db: DatabaseConnection,
    /// Set when `MOTCUA_REDIS_URL` is: the bus and the counters share it.
    pub redis: Option<redis::Client>,
    pub config: Arc<Config>,
    /// The time every use case reads (tests move it).
    pub clock: Clock,
    /// Live events to subscribers, across instances with Redis.
    pub bus: EventBus,
    /// Woken after each commit that wrote outbox rows.
    pub outbox_wakeup: Arc<Notify>,
    /// Woken after each commit that may have written notifications.
    pub delivery_wakeup: Arc<Notify>,
    /// The payment gateway's callback secret.
    pub payment_secret: Arc<[u8]>,
    /// Where uploaded files are kept: the data directory or an S3 bucket.
    pub files: FileStore,
    /// Atomic attempt counters: sign-in, public tracking, registration.
    pub throttle: Throttle,
}

impl AppState {
    /// Tells the relay and the notification worker that committed outbox
    /// rows may be waiting.
    pub fn outbox_committed(&self) {
        self.outbox_wakeup.notify_one();
        self.delivery_wakeup.notify_one();
    }
}
