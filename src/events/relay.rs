//! The outbox relay, run by every instance: it *sequences* committed outbox
//! rows (gives each the next position, under one lock, so positions become
//! visible in their order) and *reads* the rows after the last position it
//! read, handing them to this instance's subscribers in order. A crash
//! leaves nothing half-done: unsequenced rows are sequenced by whichever
//! instance passes next, and a reader starts again from the newest position.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{agency, outbox};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::{Condition, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{AgencyTree, BusMessage, Control, EventBus, LiveEvent, CONTROL, DOSSIER};
use crate::store;

/// Rows sequenced or read in one pass.
const BATCH: u64 = 500;
/// How often the relay looks without being woken (the other instances'
/// delay when Redis is absent or down).
const POLL: Duration = Duration::from_millis(250);
/// The longest wait after a failed pass (the database is down).
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Gives the committed, unsequenced rows their positions (oldest first) and
/// marks them published at `now`. Returns the highest position given, if
/// any. The lock makes one instance sequence at a time, and each commits
/// before the next starts: a reader never sees a position appear below one
/// it has read.
pub async fn sequence(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Option<i64>, DbErr> {
    // A read first: most passes find nothing, and must not take the write
    // lock (SQLite) for it.
    let waiting = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::PublishedAt.is_null())
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    if waiting.is_none() {
        return Ok(None);
    }
    let txn = store::write_txn(db).await?;
    store::lock(&txn, "outbox", "sequence").await?;
    let ids: Vec<i64> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::PublishedAt.is_null())
        .order_by_asc(outbox::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(&txn)
        .await?;
    if ids.is_empty() {
        txn.commit().await?;
        return Ok(None);
    }
    let mut position = head(&txn).await?;
    for id in ids {
        position += 1;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Position, Expr::value(position))
            .col_expr(outbox::Column::PublishedAt, Expr::value(now))
            .filter(outbox::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Some(position))
}

/// The highest position given so far (0 when none).
pub async fn head(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let max: Option<Option<i64>> = outbox::Entity::find()
        .select_only()
        .column_as(outbox::Column::Position.max(), "max")
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

/// Where a client resuming after its cursor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Replay the events after `after` up to `until` (the newest position
    /// when asked: every event up to it is visible to the replay's reads);
    /// what comes later is heard live.
    Replay { after: i64, until: i64 },
    /// The cursor is ahead of this database (restored from a backup): the
    /// client must reload, then go on from `head`.
    Ahead { head: i64 },
}

/// Where a client with cursor `after` resumes (see [`Resume`]).
pub async fn resume(db: &impl ConnectionTrait, after: i64) -> Result<Resume, DbErr> {
    let head = head(db).await?;
    Ok(if after > head {
        Resume::Ahead { head }
    } else {
        Resume::Replay { after, until: head }
    })
}

/// Which events a reader wants.
#[derive(Debug, Clone)]
pub enum Scope {
    /// One dossier's.
    Dossier(i64),
    /// The dossiers an account applied for.
    Applicant(i64),
    /// The dossiers received or settled by these agencies (an agency and its
    /// subtree); drafts are nobody's work yet and are left out.
    Agencies(Vec<i64>),
}

/// A page of a scope's events.
#[derive(Debug)]
pub struct Page {
    /// Oldest first.
    pub events: Vec<LiveEvent>,
    /// The position read up to, where the next page starts: the last
    /// row's when the page is full, else the end of what was looked at.
    pub position: i64,
    /// Whether rows may follow (the page was full).
    pub more: bool,
}

/// Positions an agency page looks through at most: its agencies are
/// filtered along the position index, so a page costs this many rows at
/// worst, however large the agency's history or sparse its events.
const AGENCY_WINDOW: i64 = 2_000;

/// Whether an event is work for an agency: a dossier never submitted (a
/// draft, or a draft withdrawn) is its applicant's alone.
pub fn is_agency_work(e: &LiveEvent) -> bool {
    e.to_status != "DRAFT"
        && !(e.from_status.as_deref() == Some("DRAFT") && e.to_status == "WITHDRAWN")
}

/// The dossier events in `scope` after `position` and up to `until`,
/// oldest first, reading at most `limit` rows (and, for agencies, at most
/// [`AGENCY_WINDOW`] positions: `more` then says the page ended early).
pub async fn events_after(
    db: &impl ConnectionTrait,
    scope: &Scope,
    position: i64,
    until: i64,
    limit: u64,
) -> Result<Page, DbErr> {
    let end = match scope {
        Scope::Agencies(_) => std::cmp::min(until, position.saturating_add(AGENCY_WINDOW)),
        _ => until,
    };
    let mut query = outbox::Entity::find()
        .filter(outbox::Column::Topic.eq(DOSSIER))
        .filter(outbox::Column::Position.gt(position))
        .filter(outbox::Column::Position.lte(end));
    query = match scope {
        Scope::Dossier(id) => query.filter(outbox::Column::DossierId.eq(*id)),
        Scope::Applicant(id) => query.filter(outbox::Column::ApplicantAccountId.eq(*id)),
        // `+column`: not through the agencies' indexes, which would read
        // and sort the agencies' whole history for one page, but along the
        // position window.
        Scope::Agencies(ids) => query.filter(
            Condition::any()
                .add(Expr::cust("+receiving_agency_id").is_in(ids.iter().copied()))
                .add(Expr::cust("+settling_agency_id").is_in(ids.iter().copied())),
        ),
    };
    let rows = query
        .order_by_asc(outbox::Column::Position)
        .limit(limit)
        .all(db)
        .await?;
    let events = rows
        .iter()
        .filter_map(|row| match read(row) {
            Some(BusMessage::Event(e)) => Some(Arc::unwrap_or_clone(e)),
            _ => None,
        })
        .filter(|e| !matches!(scope, Scope::Agencies(_)) || is_agency_work(e))
        .collect();
    let full = rows.len() as u64 == limit;
    Ok(Page {
        events,
        position: match full {
            true => rows.last().and_then(|r| r.position).unwrap_or(position),
            false => end,
        },
        more: full || end < until,
    })
}

/// A sequenced row as a bus message (None when unreadable: logged).
fn read(row: &outbox::Model) -> Option<BusMessage> {
    let position = row.position?;
    let message = match row.topic.as_str() {
        DOSSIER => serde_json::from_str::<LiveEvent>(&row.payload).map(|mut e| {
            e.position = position;
            BusMessage::Event(Arc::new(e))
        }),
        CONTROL => serde_json::from_str::<Control>(&row.payload).map(BusMessage::Control),
        _ => return None,
    };
    match message {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::error!(outbox_id = row.id, error = %e, "unreadable outbox row");
            None
        }
    }
}

async fn load_agencies(db: &impl ConnectionTrait) -> Result<AgencyTree, DbErr> {
    let rows: Vec<(i64, Option<i64>)> = agency::Entity::find()
        .select_only()
        .column(agency::Column::Id)
        .column(agency::Column::ParentId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(AgencyTree::new(rows))
}

/// The reader's place: the last position handed to subscribers.
struct Reader {
    read: i64,
}

impl Reader {
    /// Hands every row after the last one read to the subscribers, in
    /// order; reloads the agency tree before a control event that changed
    /// it. Returns whether a whole batch was read (more may follow).
    async fn pass(&mut self, db: &DatabaseConnection, bus: &EventBus) -> Result<bool, DbErr> {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::Position.gt(self.read))
            .order_by_asc(outbox::Column::Position)
            .limit(BATCH)
            .all(db)
            .await?;
        let full = rows.len() as u64 == BATCH;
        for row in &rows {
            let position = row.position.unwrap_or(self.read);
            if let Some(message) = read(row) {
                if matches!(message, BusMessage::Control(Control::AgenciesChanged)) {
                    bus.set_agencies(load_agencies(db).await?);
                }
                bus.deliver(position, message);
            }
            self.read = position;
        }
        Ok(full)
    }
}

/// Places this instance's reader at the newest position and reads the
/// agency tree, before the instance serves: a subscription that starts
/// after this hears every event sequenced after it (placing the reader
/// later, in the relay's first pass, would skip what was sequenced in
/// between). Returns the position to [`run`] from.
pub async fn prepare(db: &DatabaseConnection, bus: &EventBus) -> Result<i64, DbErr> {
    bus.set_agencies(load_agencies(db).await?);
    let read = head(db).await?;
    bus.handed_on
        .store(read, std::sync::atomic::Ordering::Release);
    Ok(read)
}

/// Runs the relay from `start` (see [`prepare`]) until `stop` is
/// cancelled: woken after each local commit (`wakeup`), when another
/// instance announces events (through Redis), and every [`POLL`]
/// regardless. A failed pass (the database is down) is retried with a
/// growing wait; subscribers only wait, nothing is skipped. `now` is the
/// application's clock.
pub async fn run(
    db: DatabaseConnection,
    bus: EventBus,
    start: i64,
    wakeup: Arc<Notify>,
    now: impl Fn() -> DateTime<Utc>,
    stop: CancellationToken,
) {
    let mut reader = Reader { read: start };
    let mut backoff = POLL;
    while !stop.is_cancelled() {
        let pass = async {
            if let Some(position) = sequence(&db, now()).await? {
                bus.announce(position);
            }
            reader.pass(&db, &bus).await
        };
        match pass.await {
            Ok(true) => {
                backoff = POLL;
                continue;
            }
            Ok(false) => backoff = POLL,
            Err(e) => {
                tracing::warn!(error = %e, "outbox relay pass failed; retrying");
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = wakeup.notified() => {}
            _ = bus.remote.notified() => {}
            _ = tokio::time::sleep(backoff) => {}
        }
    }
}
