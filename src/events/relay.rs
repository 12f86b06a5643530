//! The outbox relay: publishes committed outbox rows to the bus. Each row
//! is claimed (published_at set) before it is published, by exactly one
//! instance, so no event reaches the bus twice; rows left by a crash are
//! picked up at the next start.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::outbox;
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::Notify;

use super::{EventBus, LiveEvent};
use tokio_util::sync::CancellationToken;

const BATCH: u64 = 200;
/// How often the relay looks without being woken.
const POLL: Duration = Duration::from_millis(500);

/// One pass: claims (at `now`) and publishes what is committed and
/// unpublished. Returns how many events this instance published.
pub async fn relay_once(
    db: &DatabaseConnection,
    bus: &EventBus,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let rows = outbox::Entity::find()
        .filter(outbox::Column::PublishedAt.is_null())
        .order_by_asc(outbox::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut published = 0;
    for row in rows {
        let claimed = outbox::Entity::update_many()
            .col_expr(outbox::Column::PublishedAt, Expr::value(now))
            .filter(outbox::Column::Id.eq(row.id))
            .filter(outbox::Column::PublishedAt.is_null())
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue; // another instance took it
        }
        match serde_json::from_str::<LiveEvent>(&row.payload) {
            Ok(event) => {
                bus.publish(event).await;
                published += 1;
            }
            Err(e) => tracing::error!(outbox_id = row.id, error = %e, "unreadable outbox row"),
        }
    }
    Ok(published)
}

/// Runs the relay until `stop` is cancelled: woken after each commit, and
/// every half second regardless. A pass in progress finishes first (no row
/// is left claimed and unpublished). `now` is the application's clock.
pub async fn run(
    db: DatabaseConnection,
    bus: EventBus,
    wakeup: Arc<Notify>,
    now: impl Fn() -> DateTime<Utc>,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        match relay_once(&db, &bus, now()).await {
            Ok(n) if n as u64 == BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = format!("{e:#}"), "outbox relay pass failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = tokio::time::timeout(POLL, wakeup.notified()) => {}
        }
    }
}
