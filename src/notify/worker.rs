//! The delivery worker: claims due deliveries, sends them, and marks them
//! SENT, or schedules a retry with backoff, or gives up as FAILED after
//! `MAX_ATTEMPTS`. Deliveries are rows: a restart resumes where it stopped.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use entity::{delivery, notification};
use sea_orm::prelude::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{Outgoing, Senders};
use crate::domain::notification::{backoff, Channel, DeliveryStatus, MAX_ATTEMPTS};
use crate::error::stored_enum;
use crate::state::Clock;

const BATCH: u64 = 50;
/// A claimed delivery not finished within this is free again (its worker
/// died): longer than a send may take.
const LEASE: i64 = 120;
/// A send that takes longer is a failure (and retried).
const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(60);
/// How often the worker looks without being woken.
const POLL: StdDuration = StdDuration::from_secs(1);

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

impl Pass {
    pub fn handled(&self) -> usize {
        self.sent + self.retried + self.failed
    }
}

/// One pass over the deliveries due now (by `clock`).
pub async fn deliver_once(
    db: &DatabaseConnection,
    clock: &Clock,
    senders: &Senders,
) -> anyhow::Result<Pass> {
    deliver_due(db, clock, senders, &CancellationToken::new()).await
}

/// One pass, which stops between two deliveries once `stop` is cancelled.
async fn deliver_due(
    db: &DatabaseConnection,
    clock: &Clock,
    senders: &Senders,
    stop: &CancellationToken,
) -> anyhow::Result<Pass> {
    let now = clock.now();
    let due = delivery::Entity::find()
        .filter(delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(delivery::Column::LeaseUntil.is_null())
                .add(delivery::Column::LeaseUntil.lt(now)),
        )
        .order_by_asc(delivery::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    // The messages of the batch, in one query.
    let messages: HashMap<i64, notification::Model> = notification::Entity::find()
        .filter(notification::Column::Id.is_in(due.iter().map(|d| d.notification_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let mut pass = Pass::default();
    for row in due {
        if stop.is_cancelled() {
            break;
        }
        // Claim it: the attempt count is the version, so one worker wins.
        let attempt = row.attempts + 1;
        let claimed = delivery::Entity::update_many()
            .col_expr(delivery::Column::Attempts, Expr::value(attempt))
            .col_expr(
                delivery::Column::LeaseUntil,
                Expr::value(Some(now + Duration::seconds(LEASE))),
            )
            .filter(delivery::Column::Id.eq(row.id))
            .filter(delivery::Column::Attempts.eq(row.attempts))
            .filter(delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let n = messages
            .get(&row.notification_id)
            .ok_or_else(|| anyhow::anyhow!("delivery {} without its notification", row.id))?;
        let channel = stored_enum::<Channel>(&row.channel)?;
        let out = Outgoing {
            id: format!("delivery-{}", row.id),
            channel,
            to: row.recipient.clone(),
            subject: n.subject.clone(),
            body: n.body.clone(),
        };
        let result = match tokio::time::timeout(SEND_TIMEOUT, senders.of(channel).send(&out)).await
        {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!("timed out")),
        };
        let done = clock.now();
        let mut update = delivery::Entity::update_many().col_expr(
            delivery::Column::LeaseUntil,
            Expr::value(None::<chrono::DateTime<chrono::Utc>>),
        );
        match result {
            Ok(()) => {
                update = update
                    .col_expr(
                        delivery::Column::Status,
                        Expr::value(DeliveryStatus::Sent.as_str()),
                    )
                    .col_expr(delivery::Column::SentAt, Expr::value(Some(done)))
                    .col_expr(delivery::Column::LastError, Expr::value(None::<String>));
                pass.sent += 1;
            }
            Err(e) if attempt >= MAX_ATTEMPTS => {
                let e = format!("{e:#}");
                tracing::error!(delivery = row.id, error = %e, "notification given up");
                update = update
                    .col_expr(
                        delivery::Column::Status,
                        Expr::value(DeliveryStatus::Failed.as_str()),
                    )
                    .col_expr(delivery::Column::LastError, Expr::value(Some(e)));
                pass.failed += 1;
            }
            Err(e) => {
                let e = format!("{e:#}");
                tracing::warn!(delivery = row.id, attempt, error = %e, "notification will be retried");
                update = update
                    .col_expr(
                        delivery::Column::NextAttemptAt,
                        Expr::value(done + backoff(attempt)),
                    )
                    .col_expr(delivery::Column::LastError, Expr::value(Some(e)));
                pass.retried += 1;
            }
        }
        update
            .filter(delivery::Column::Id.eq(row.id))
            .filter(delivery::Column::Attempts.eq(attempt))
            .exec(db)
            .await?;
    }
    Ok(pass)
}

/// Runs the worker until `stop` is cancelled: woken after each commit, and
/// every second regardless. A delivery in hand is finished (sent and
/// marked) first; the rest of its batch stays pending for the next start.
pub async fn run(
    db: DatabaseConnection,
    clock: Clock,
    senders: Senders,
    wakeup: Arc<Notify>,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        match deliver_due(&db, &clock, &senders, &stop).await {
            Ok(p) if p.handled() as u64 == BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = format!("{e:#}"), "notification pass failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = tokio::time::timeout(POLL, wakeup.notified()) => {}
        }
    }
}
