//! Start-up and wiring: connect, migrate, build the shared state
//! (`crate::state`), spawn the outbox relay and the notification worker,
//! fill the rollup, load the demo, build the schema and the router. Tests
//! build the application the same way.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use tokio::sync::Notify;

use crate::config::Config;
use crate::error::AppError;
use crate::events::EventBus;
use crate::graphql::{self, MotcuaSchema};
use crate::state::{AppState, Clock, Shutdown};
use crate::store::throttle::Throttle;
use crate::{services, store};

/// A started application: its state and its GraphQL schema.
#[derive(Clone)]
pub struct App {
    pub state: AppState,
    pub schema: MotcuaSchema,
}

impl App {
    /// Connects, migrates and (when configured) loads the demo province.
    /// An error reads as one line with `{:#}`: what failed, then why
    /// (`cannot open the database: …`, `MOTCUA_REDIS_URL: …`).
    pub async fn start(config: Config) -> anyhow::Result<App> {
        crate::telemetry::install();
        let db = store::connect(config.database_url.expose_secret())
            .await
            .context("cannot open the database")?;
        store::migrate(&db)
            .await
            .context("cannot migrate the database")?;
        let redis = match &config.redis_url {
            Some(url) => {
                Some(redis::Client::open(url.expose_secret()).context("MOTCUA_REDIS_URL")?)
            }
            None => None,
        };
        let payment_secret = payment_callback_secret(&config)
            .context("cannot read or create the payment callback secret")?;
        let state = AppState {
            db,
            payment_secret: payment_secret.into(),
            bus: EventBus::new(redis.clone(), config.event_buffer, &config.redis_channel),
            throttle: Throttle::new(redis.clone(), &config.redis_channel),
            redis,
            config: Arc::new(config),
            clock: Clock::default(),
            outbox_wakeup: Arc::new(Notify::new()),
            delivery_wakeup: Arc::new(Notify::new()),
            shutdown: Shutdown::default(),
        };
        let clock = state.clock.clone();
        tokio::spawn(state.shutdown.track(crate::events::relay::run(
            state.db.clone(),
            state.bus.clone(),
            state.outbox_wakeup.clone(),
            move || clock.now(),
            state.shutdown.token(),
        )));
        if state.config.notify.worker {
            let senders = crate::notify::Senders::from_config(&state.config.notify)?;
            tokio::spawn(state.shutdown.track(crate::notify::worker::run(
                state.db.clone(),
                state.clock.clone(),
                senders,
                state.delivery_wakeup.clone(),
                state.shutdown.token(),
            )));
        }
        if services::rollup::backfill_if_empty(&state)
            .await
            .map_err(AppError::into_cause)
            .context("cannot fill the statistics rollup")?
        {
            tracing::info!("filled the statistics rollup from the existing dossiers");
        }
        if state.config.demo {
            let loaded = services::demo::load_if_empty(&state)
                .await
                .map_err(AppError::into_cause)
                .context("cannot load the demo province")?;
            if loaded {
                tracing::info!("loaded the demo province");
            }
        }
        let schema = graphql::build_schema(&state);
        Ok(App { state, schema })
    }

    pub fn router(&self) -> axum::Router {
        crate::http::router(self.state.clone(), self.schema.clone())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }
}

/// The gateway's callback secret: MOTCUA_PAYMENT_SECRET, or a random one
/// kept in MOTCUA_DATA_DIR/payment-callback.key (created on first use,
/// readable by the server's user only: mode 0600), so that the demo and
/// `motcua sign-callback` agree without configuration. Fails when the file
/// can be neither read nor created.
pub fn payment_callback_secret(config: &Config) -> std::io::Result<Vec<u8>> {
    if let Some(s) = &config.payment_secret {
        return Ok(s.expose_secret().as_bytes().to_vec());
    }
    let path = config.data_dir.join("payment-callback.key");
    let secret = crate::private_files::read_or_create_secret(&path, || {
        format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )
    })?;
    Ok(secret.into_bytes())
}
