//! The outbox relay: publishes committed outbox rows to the bus. Each row
//! is claimed (published_at set) before it is published, by exactly one
//! instance, so no event reaches the bus twice; rows left by a crash are
//! picked up at the next start.

use std::sync::Arc;
use std::time::Duration;

use entity::outbox;
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::Notify;

use super::LiveEvent;
use crate::app::AppState;
use crate::error::AppResult;

const BATCH: u64 = 200;
/// How often the relay looks without being woken.
const POLL: Duration = Duration::from_millis(500);

/// One pass: claims and publishes what is committed and unpublished.
/// Returns how many events this instance published.
pub async fn relay_once(st: &AppState) -> AppResult<usize> {
    let rows = outbox::Entity::find()
        .filter(outbox::Column::PublishedAt.is_null())
        .order_by_asc(outbox::Column::Id)
        .limit(BATCH)
        .all(&st.db)
        .await?;
    let mut published = 0;
    for row in rows {
        let claimed = outbox::Entity::update_many()
            .col_expr(outbox::Column::PublishedAt, Expr::value(st.clock.now()))
            .filter(outbox::Column::Id.eq(row.id))
            .filter(outbox::Column::PublishedAt.is_null())
            .exec(&st.db)
            .await?;
        if claimed.rows_affected != 1 {
            continue; // another instance took it
        }
        match serde_json::from_str::<LiveEvent>(&row.payload) {
            Ok(event) => {
                st.bus.publish(event).await;
                published += 1;
            }
            Err(e) => tracing::error!(outbox_id = row.id, error = %e, "unreadable outbox row"),
        }
    }
    Ok(published)
}

/// Runs the relay until the process ends: woken after each commit, and
/// every half second regardless.
pub fn spawn(st: AppState, wakeup: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            match relay_once(&st).await {
                Ok(n) if n as u64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox relay pass failed"),
            }
            let _ = tokio::time::timeout(POLL, wakeup.notified()).await;
        }
    });
}
