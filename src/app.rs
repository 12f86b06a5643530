//! The application: shared state (database, Redis, configuration, clock) and
//! start-up (connect, migrate, load the demo). Tests build it the same way.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::events::EventBus;
use crate::graphql::{self, MotcuaSchema};
use crate::{services, store};
use tokio::sync::Notify;

/// The clock every use case reads. Tests move it forward to expire sessions
/// without sleeping.
#[derive(Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.offset_secs
            .fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub redis: Option<redis::Client>,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub bus: EventBus,
    /// Woken after each commit that wrote outbox rows.
    pub outbox_wakeup: Arc<Notify>,
    /// Woken after each commit that may have written notifications.
    pub delivery_wakeup: Arc<Notify>,
    /// The payment gateway's callback secret.
    pub payment_secret: Arc<[u8]>,
    /// Atomic attempt counters: sign-in, public tracking, registration.
    pub throttle: services::throttle::Throttle,
}

impl AppState {
    /// Tells the relay and the notification worker that committed outbox
    /// rows may be waiting.
    pub fn outbox_committed(&self) {
        self.outbox_wakeup.notify_one();
        self.delivery_wakeup.notify_one();
    }
}

/// A started application: its state and its GraphQL schema.
#[derive(Clone)]
pub struct App {
    pub state: AppState,
    pub schema: MotcuaSchema,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Database(sea_orm::DbErr),
    #[error("cannot migrate the database: {0}")]
    Migration(sea_orm::DbErr),
    #[error("MOTCUA_REDIS_URL: {0}")]
    Redis(redis::RedisError),
    #[error("cannot fill the statistics rollup: {0}")]
    Rollup(String),
    #[error("cannot read or create the payment callback secret: {0}")]
    Secret(String),
    #[error("{}: {}", .0.var, .0.reason)]
    Notify(crate::config::ConfigError),
    #[error("cannot load the demo province: {0}")]
    Demo(String),
}

impl App {
    /// Connects, migrates and (when configured) loads the demo province.
    pub async fn start(config: Config) -> Result<App, StartError> {
        let db = store::connect(&config.database_url)
            .await
            .map_err(StartError::Database)?;
        store::migrate(&db).await.map_err(StartError::Migration)?;
        let redis = match &config.redis_url {
            Some(url) => Some(redis::Client::open(url.as_str()).map_err(StartError::Redis)?),
            None => None,
        };
        let payment_secret = services::payments::callback_secret(&config)
            .map_err(|e| StartError::Secret(e.to_string()))?;
        let state = AppState {
            db,
            payment_secret: payment_secret.into(),
            bus: EventBus::new(redis.clone(), config.event_buffer, &config.redis_channel),
            throttle: services::throttle::Throttle::new(redis.clone(), &config.redis_channel),
            redis,
            config: Arc::new(config),
            clock: Clock::default(),
            outbox_wakeup: Arc::new(Notify::new()),
            delivery_wakeup: Arc::new(Notify::new()),
        };
        crate::events::relay::spawn(state.clone(), state.outbox_wakeup.clone());
        if state.config.notify.worker {
            let senders = crate::notify::Senders::from_config(&state.config.notify)
                .map_err(StartError::Notify)?;
            crate::notify::worker::spawn(state.clone(), senders, state.delivery_wakeup.clone());
        }
        if services::rollup::backfill_if_empty(&state)
            .await
            .map_err(|e| StartError::Rollup(e.to_string()))?
        {
            tracing::info!("filled the statistics rollup from the existing dossiers");
        }
        if state.config.demo {
            let loaded = services::demo::load_if_empty(&state)
                .await
                .map_err(|e| StartError::Demo(e.to_string()))?;
            if loaded {
                tracing::info!("loaded the demo province");
            }
        }
        let schema = graphql::build_schema(&state);
        Ok(App { state, schema })
    }

    pub fn router(&self) -> axum::Router {
        crate::http::router(self.clone())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }
}
