//! Redis as the instances' doorbell: an instance that sequenced events
//! publishes the newest position, and the others read the outbox at once
//! instead of at their next poll. The events themselves never travel through
//! Redis, so a Redis that drops messages, hangs or is down costs only the
//! poll's delay, never an event.
//!
//! Both connections are watched: every instance publishes a heartbeat, and a
//! subscription that hears nothing (not even its own heartbeat) for
//! [`SILENCE`] is taken for a hung connection and opened again, as is a
//! publish that does not answer within [`ANSWER`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{watch, Notify};

/// How often an instance publishes when it has nothing new.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// A subscription silent this long is reconnected.
const SILENCE: Duration = Duration::from_secs(3);
/// The longest a connect or a PUBLISH may take.
const ANSWER: Duration = Duration::from_secs(1);
/// The wait between attempts while Redis is unreachable.
const RETRY: Duration = Duration::from_millis(500);

pub(super) struct Link {
    newest: watch::Sender<i64>,
    connected: Arc<AtomicBool>,
}

impl Link {
    /// Starts the publisher and the listener; `remote` is rung when another
    /// instance announces events, and after every reconnection.
    pub(super) fn start(client: redis::Client, prefix: &str, remote: Arc<Notify>) -> Link {
        let channel: Arc<str> = format!("{prefix}:dossier-events").into();
        let instance: Arc<str> = uuid::Uuid::new_v4().to_string().into();
        let (newest, rx) = watch::channel(0);
        let connected = Arc::new(AtomicBool::new(false));
        tokio::spawn(publish(
            client.clone(),
            channel.clone(),
            instance.clone(),
            rx,
        ));
        tokio::spawn(listen(client, channel, instance, remote, connected.clone()));
        Link { newest, connected }
    }

    /// Records the newest position; the publisher sends it when it can.
    pub(super) fn announce(&self, position: i64) {
        self.newest.send_replace(position);
    }

    /// Whether the subscription heard Redis within [`SILENCE`].
    pub(super) fn connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }
}

/// A message: `<instance> <position>`.
fn message(instance: &str, position: i64) -> String {
    format!("{instance} {position}")
}

async fn publish(
    client: redis::Client,
    channel: Arc<str>,
    instance: Arc<str>,
    mut newest: watch::Receiver<i64>,
) {
    let mut conn: Option<redis::aio::MultiplexedConnection> = None;
    loop {
        // A new position, or the heartbeat.
        let _ = tokio::time::timeout(HEARTBEAT, newest.changed()).await;
        let payload = message(&instance, *newest.borrow_and_update());
        if conn.is_none() {
            conn = match tokio::time::timeout(ANSWER, client.get_multiplexed_async_connection())
                .await
            {
                Ok(Ok(c)) => Some(c),
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "redis unavailable for publishing");
                    None
                }
                Err(_) => None,
            };
        }
        let Some(c) = conn.as_mut() else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        let sent = tokio::time::timeout(
            ANSWER,
            redis::cmd("PUBLISH")
                .arg(&*channel)
                .arg(payload)
                .query_async::<i64>(c),
        )
        .await;
        if !matches!(sent, Ok(Ok(_))) {
            tracing::debug!("redis publish failed or hung; reconnecting");
            conn = None;
        }
    }
}

async fn listen(
    client: redis::Client,
    channel: Arc<str>,
    instance: Arc<str>,
    remote: Arc<Notify>,
    connected: Arc<AtomicBool>,
) {
    loop {
        let pubsub = match tokio::time::timeout(ANSWER, client.get_async_pubsub()).await {
            Ok(Ok(p)) => Some(p),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "redis unavailable; retrying");
                None
            }
            Err(_) => None,
        };
        if let Some(mut pubsub) = pubsub {
            if let Ok(Ok(())) = tokio::time::timeout(ANSWER, pubsub.subscribe(&*channel)).await {
                let mut messages = pubsub.on_message();
                loop {
                    match tokio::time::timeout(SILENCE, messages.next()).await {
                        Ok(Some(msg)) => {
                            if !connected.swap(true, Ordering::Relaxed) {
                                tracing::info!("redis answers: instances wake each other");
                                // Whatever was announced while it was away.
                                remote.notify_one();
                            }
                            let text: String = msg.get_payload().unwrap_or_default();
                            if !text.starts_with(&format!("{instance} ")) {
                                remote.notify_one();
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("redis subscription ended; reconnecting");
                            break;
                        }
                        Err(_) => {
                            tracing::warn!("redis stopped answering; reconnecting");
                            break;
                        }
                    }
                }
            }
        }
        connected.store(false, Ordering::Relaxed);
        tokio::time::sleep(RETRY).await;
    }
}
