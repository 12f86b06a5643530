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
use crate::files::FileStore;
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
        let db = store::connect_pool(config.database_url.expose_secret(), config.db_pool_size)
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
        let payment_secret = payment_callback_secret(&config, &db)
            .await
            .context("cannot read or create the payment callback secret")?;
        let files = FileStore::from_config(&config)?;
        if files.is_local() && config.redis_url.is_some() {
            tracing::warn!(
                "files are kept in MOTCUA_DATA_DIR, which other instances cannot read: \
                 set MOTCUA_S3_BUCKET when several instances serve"
            );
        }
        let state = AppState {
            db,
            payment_secret: payment_secret.into(),
            files,
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
        crate::http::start_live_runtime(state.config.live_threads)?;
        let start = crate::events::relay::prepare(&state.db, &state.bus)
            .await
            .context("cannot read the live events' position")?;
        tokio::spawn(state.shutdown.track(crate::events::relay::run(
            state.db.clone(),
            state.bus.clone(),
            start,
            state.outbox_wakeup.clone(),
            move || clock.now(),
            state.shutdown.token(),
        )));
        tokio::spawn(state.shutdown.track(services::audit::run_sealer(
            state.db.clone(),
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
        let searchable = services::dossiers::search::backfill(&state.db)
            .await
            .map_err(AppError::into_cause)
            .context("cannot fill the dossiers' search text")?;
        if searchable > 0 {
            tracing::info!(searchable, "gave the existing dossiers their search text");
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

/// The name of the payment callback key in `server_secret`.
const PAYMENT_KEY: &str = "payment_callback";

/// The gateway's callback secret: MOTCUA_PAYMENT_SECRET, or a random key
/// kept in the database, so that every instance (and `motcua
/// sign-callback`) uses the same one without configuration. The first
/// instance to start creates it; instances starting at once agree, as the
/// first insert wins and each reads back what is stored. The key an older
/// version kept in MOTCUA_DATA_DIR/payment-callback.key seeds it, so an
/// existing deployment keeps its key. Fails when the database cannot be
/// written or the old file cannot be read.
pub async fn payment_callback_secret(
    config: &Config,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = &config.payment_secret {
        return Ok(s.expose_secret().as_bytes().to_vec());
    }
    if let Some(key) = store::secrets::get(db, PAYMENT_KEY).await? {
        return Ok(key.into_bytes());
    }
    let legacy = config.data_dir.join("payment-callback.key");
    let candidate = match crate::private_files::read_secret(&legacy)
        .with_context(|| format!("cannot read {}", legacy.display()))?
    {
        Some(key) => key,
        None => format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        ),
    };
    let key = store::secrets::get_or_insert(db, PAYMENT_KEY, &candidate, Utc::now()).await?;
    Ok(key.into_bytes())
}

/// The callback secret a running server uses, for `motcua sign-callback`:
/// MOTCUA_PAYMENT_SECRET, or the key in the configured database, opened
/// read-only (never created). Fails with one line naming where it looked.
pub async fn served_payment_callback_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = &config.payment_secret {
        return Ok(s.expose_secret().as_bytes().to_vec());
    }
    // A relative SQLite path is read from the current directory: say which.
    let from = match config.sqlite_path() {
        Some(path) if path.is_relative() => std::env::current_dir()
            .map(|dir| format!(", in {}", dir.display()))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let looked = || {
        format!(
            "MOTCUA_PAYMENT_SECRET is unset, so the key is read from the server's database \
             (MOTCUA_DATABASE_URL={}{from})",
            config.database_url_shown()
        )
    };
    let db = store::connect_existing(config.database_url.expose_secret())
        .await
        .with_context(looked)?;
    let key = store::secrets::get(&db, PAYMENT_KEY)
        .await
        .with_context(looked)?;
    db.close().await.ok();
    key.map(String::into_bytes).ok_or_else(|| {
        anyhow::anyhow!(
            "{}, which holds no key yet: start the server on it once",
            looked()
        )
    })
}
