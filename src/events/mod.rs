//! Live events: what subscribers hear when a dossier moves.
//!
//! The database is the truth: every transition commits an outbox row with
//! its history event; `relay` publishes committed rows to the bus, once.
//! The bus delivers in-process, and — when Redis is configured — also
//! through Redis pub/sub to the other instances. Redis delivers at most
//! once, so subscribers that may have missed something are told to resync
//! (`dossierEvents(afterSequence)` returns exactly what they missed).

pub mod relay;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Mutex};

/// A committed dossier transition, as published (no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveEvent {
    pub dossier_id: i64,
    pub code: Option<String>,
    pub seq: i32,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub national_status_code: Option<u8>,
    pub due_at: Option<DateTime<Utc>>,
    pub actor_role: Option<String>,
    pub actor_agency_id: Option<i64>,
    pub receiving_agency_id: i64,
    pub settling_agency_id: i64,
    pub applicant_account_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// What a subscriber receives from the bus.
#[derive(Debug, Clone)]
pub enum BusMessage {
    Event(Arc<LiveEvent>),
    /// Events may have been missed (Redis reconnected): catch up from the
    /// history.
    Resync,
    /// An account was deactivated (its sessions revoked): its subscriptions
    /// on this instance re-check their session now. Local only; the other
    /// instances notice at their periodic check.
    AccountClosed(i64),
}

/// Messages between instances carry the sender, so that an instance ignores
/// its own (it already delivered them locally).
#[derive(Serialize, Deserialize)]
struct Envelope {
    instance: String,
    event: LiveEvent,
}

#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<BusMessage>,
    instance: Arc<str>,
    redis: Option<RedisLink>,
}

#[derive(Clone)]
struct RedisLink {
    client: redis::Client,
    channel: Arc<str>,
    publisher: Arc<Mutex<Option<redis::aio::ConnectionManager>>>,
}

impl EventBus {
    /// An in-process bus; with a Redis client, also a cross-instance one
    /// (its listener starts here and reconnects by itself).
    /// `buffer`: events a subscriber may fall behind by before it is told
    /// to resync.
    /// `prefix` names the deployment's channel (MOTCUA_REDIS_CHANNEL).
    pub fn new(redis: Option<redis::Client>, buffer: usize, prefix: &str) -> EventBus {
        let (local, _) = broadcast::channel(buffer.max(1));
        let bus = EventBus {
            local,
            instance: uuid::Uuid::new_v4().to_string().into(),
            redis: redis.map(|client| RedisLink {
                client,
                channel: format!("{prefix}:dossier-events").into(),
                publisher: Arc::new(Mutex::new(None)),
            }),
        };
        if let Some(link) = &bus.redis {
            tokio::spawn(listen(
                link.client.clone(),
                link.channel.clone(),
                bus.local.clone(),
                bus.instance.clone(),
            ));
        }
        bus
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.local.subscribe()
    }

    /// How many receivers listen on this instance now: one per live
    /// subscription (tests wait on it instead of sleeping).
    pub fn subscribers(&self) -> usize {
        self.local.receiver_count()
    }

    /// Tells this instance's subscriptions that `account_id` was
    /// deactivated, so that they end at once.
    pub fn account_closed(&self, account_id: i64) {
        let _ = self.local.send(BusMessage::AccountClosed(account_id));
    }

    /// Delivers locally at once, then tells the other instances. A Redis
    /// outage costs only the cross-instance copy.
    pub async fn publish(&self, event: LiveEvent) {
        let _ = self.local.send(BusMessage::Event(Arc::new(event.clone())));
        if let Some(link) = &self.redis {
            let envelope = Envelope {
                instance: self.instance.to_string(),
                event,
            };
            if let Err(e) = link.publish(&envelope).await {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "redis publish failed; other instances will resync"
                );
            }
        }
    }
}

impl RedisLink {
    async fn publish(&self, envelope: &Envelope) -> anyhow::Result<()> {
        let payload = serde_json::to_string(envelope).context("cannot encode the event")?;
        let mut guard = self.publisher.lock().await;
        if guard.is_none() {
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_millis(500)))
                .set_response_timeout(Some(Duration::from_millis(500)));
            let manager = tokio::time::timeout(
                Duration::from_secs(1),
                self.client.get_connection_manager_with_config(config),
            )
            .await
            .map_err(|_| anyhow::anyhow!("connect timeout"))?
            .context("cannot connect")?;
            *guard = Some(manager);
        }
        let conn = guard
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("no connection"))?;
        let sent = tokio::time::timeout(
            Duration::from_secs(1),
            redis::cmd("PUBLISH")
                .arg(&*self.channel)
                .arg(payload)
                .query_async::<i64>(conn),
        )
        .await;
        match sent {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                *guard = None;
                Err(anyhow::Error::new(e).context("PUBLISH failed"))
            }
            Err(_) => {
                *guard = None;
                Err(anyhow::anyhow!("publish timeout"))
            }
        }
    }
}

/// Forwards other instances' events to local subscribers; reconnects with
/// a short back-off and, after a gap, tells local subscribers to resync.
async fn listen(
    client: redis::Client,
    channel: Arc<str>,
    local: broadcast::Sender<BusMessage>,
    instance: Arc<str>,
) {
    // Whether events from other instances may have been missed.
    let mut gap = false;
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if pubsub.subscribe(&*channel).await.is_ok() {
                    if gap {
                        tracing::info!("redis is back: subscribers resync");
                        let _ = local.send(BusMessage::Resync);
                    }
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(text) = msg.get_payload::<String>() else {
                            continue;
                        };
                        let Ok(envelope) = serde_json::from_str::<Envelope>(&text) else {
                            continue;
                        };
                        if *envelope.instance != *instance {
                            let _ = local.send(BusMessage::Event(Arc::new(envelope.event)));
                        }
                    }
                    tracing::warn!("redis subscription ended; reconnecting");
                }
            }
            Err(e) => tracing::debug!(error = %e, "redis unavailable; retrying"),
        }
        gap = true;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
