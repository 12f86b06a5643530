//! What is waiting to go out, for the metrics: outbox events the relay has
//! not published yet and notification deliveries not yet sent.

use chrono::{DateTime, Utc};
use entity::{delivery, outbox};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};
use sea_orm::{QueryOrder, QuerySelect};

use crate::domain::notification::DeliveryStatus;

/// The work queued in the database (the same for every instance).
pub struct Backlog {
    /// Outbox events not yet published to subscribers.
    pub outbox_pending: u64,
    /// When the oldest of them was committed (`None`: nothing waits).
    pub oldest_unpublished_at: Option<DateTime<Utc>>,
    /// Notification deliveries still to be sent (retries included).
    pub deliveries_pending: u64,
}

/// Counts the backlog: three indexed reads.
pub async fn read(db: &impl ConnectionTrait) -> Result<Backlog, DbErr> {
    let unpublished = || outbox::Entity::find().filter(outbox::Column::PublishedAt.is_null());
    let outbox_pending = unpublished().count(db).await?;
    let oldest_unpublished_at = unpublished()
        .select_only()
        .column(outbox::Column::CreatedAt)
        .order_by_asc(outbox::Column::Id)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?;
    let deliveries_pending = delivery::Entity::find()
        .filter(delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .count(db)
        .await?;
    Ok(Backlog {
        outbox_pending,
        oldest_unpublished_at,
        deliveries_pending,
    })
}
