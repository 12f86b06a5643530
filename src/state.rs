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
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

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
    /// The process's stop: WebSockets, the relay and the delivery worker
    /// watch it.
    pub shutdown: Shutdown,
}

/// A graceful stop shared by everything that must end cleanly: `begin`
/// (on SIGTERM or Ctrl-C) tells every watcher to stop at its next step
/// boundary; `finished` waits for the tasks tracked here. Cheap to clone:
/// clones share the one stop.
#[derive(Clone, Default)]
pub struct Shutdown {
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Shutdown {
    /// Starts the stop: every `stopping()` resolves. Idempotent.
    pub fn begin(&self) {
        self.stop.cancel();
    }

    /// Resolves once the stop has begun.
    pub fn stopping(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.stop.cancelled()
    }

    /// The stop alone, for the background loops (the outbox relay sits
    /// below this module and cannot name `Shutdown`).
    pub fn token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// `task`, counted by `finished` until it returns: background loops
    /// and open WebSockets, which outlive the HTTP server's own tracking of
    /// its connections.
    pub fn track<F: std::future::Future>(
        &self,
        task: F,
    ) -> tokio_util::task::task_tracker::TrackedFuture<F> {
        self.tasks.track_future(task)
    }

    /// Resolves when every task tracked here has ended (call after
    /// `begin`; the tasks end only once told to).
    pub async fn finished(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }
}

impl AppState {
    /// Tells the relay and the notification worker that committed outbox
    /// rows may be waiting.
    pub fn outbox_committed(&self) {
        self.outbox_wakeup.notify_one();
        self.delivery_wakeup.notify_one();
    }
}
