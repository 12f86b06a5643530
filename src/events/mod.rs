//! Live events: what subscribers hear when a dossier moves, and the control
//! events that end or narrow subscriptions.
//!
//! The database is the truth and the order. Every transition commits an
//! outbox row with its history event; the relay (`relay`) gives committed
//! rows their *position* — one order, the order rows become visible — and
//! every instance reads the rows after the last position it read, in that
//! order, and hands them to its subscribers in memory. Redis (when
//! configured) only wakes the other instances at once (`wake`); without it
//! they read within the relay's poll. Nothing is delivered out of order or
//! lost between instances, and a client resumes from the position of the
//! last event it heard (its cursor), replayed from the outbox.

pub mod relay;
mod wake;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use entity::outbox;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Notify};

/// A committed dossier transition, as published (no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveEvent {
    /// The event's place in the order of all events (the cursor); set when
    /// read back from the outbox, 0 before.
    #[serde(default, skip_serializing)]
    pub position: i64,
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

/// A change that ends or narrows subscriptions, committed with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Control {
    /// An account's sessions, grants or activity changed (sign-out, a
    /// password change, roles replaced, deactivation): its subscriptions
    /// check their session and scope again, once.
    AccountChanged { account_id: i64 },
    /// An agency was created or moved: scopes over the tree are recomputed.
    AgenciesChanged,
}

/// What a subscriber receives from the bus, in position order.
#[derive(Debug, Clone)]
pub enum BusMessage {
    Event(Arc<LiveEvent>),
    Control(Control),
}

/// The outbox topics.
const DOSSIER: &str = "dossier";
const CONTROL: &str = "control";

/// Writes a dossier event's outbox row in the transaction that made it.
pub async fn record(txn: &impl ConnectionTrait, event: &LiveEvent) -> Result<(), sea_orm::DbErr> {
    let payload =
        serde_json::to_string(event).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    outbox::ActiveModel {
        topic: Set(DOSSIER.into()),
        dossier_id: Set(Some(event.dossier_id)),
        seq: Set(Some(event.seq)),
        payload: Set(payload),
        created_at: Set(event.at),
        published_at: Set(None),
        position: Set(None),
        applicant_account_id: Set(event.applicant_account_id),
        receiving_agency_id: Set(Some(event.receiving_agency_id)),
        settling_agency_id: Set(Some(event.settling_agency_id)),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map(|_| ())
}

/// Writes a control event's outbox row in the transaction that made the
/// change: every instance reads it in order with the dossier events.
pub async fn record_control(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    control: &Control,
) -> Result<(), sea_orm::DbErr> {
    let payload =
        serde_json::to_string(control).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    outbox::ActiveModel {
        topic: Set(CONTROL.into()),
        payload: Set(payload),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map(|_| ())
}

/// The agency tree (agency → parent), shared by the subscriptions so that
/// an agency's scope is decided in memory.
#[derive(Debug, Default)]
pub struct AgencyTree {
    parent: HashMap<i64, Option<i64>>,
}

impl AgencyTree {
    pub fn new(rows: impl IntoIterator<Item = (i64, Option<i64>)>) -> AgencyTree {
        AgencyTree {
            parent: rows.into_iter().collect(),
        }
    }

    /// Whether `agency` exists.
    pub fn contains(&self, agency: i64) -> bool {
        self.parent.contains_key(&agency)
    }

    /// `agency`, its parent, and so on to the root (empty when unknown).
    pub fn lineage(&self, agency: i64) -> Vec<i64> {
        let mut out = Vec::new();
        let mut at = Some(agency);
        while let Some(a) = at {
            if !self.parent.contains_key(&a) || out.contains(&a) {
                break;
            }
            out.push(a);
            at = self.parent.get(&a).copied().flatten();
        }
        out
    }

    /// Whether `agency` is `root` or below it.
    pub fn is_within(&self, agency: i64, root: i64) -> bool {
        let mut at = Some(agency);
        // The depth bound stops a cycle a bad import might hold.
        for _ in 0..64 {
            match at {
                Some(a) if a == root => return true,
                Some(a) => at = self.parent.get(&a).copied().flatten(),
                None => return false,
            }
        }
        false
    }

    /// `root` and every agency below it.
    pub fn subtree(&self, root: i64) -> Vec<i64> {
        self.parent
            .keys()
            .copied()
            .filter(|&a| self.is_within(a, root))
            .collect()
    }
}

#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<BusMessage>,
    /// The position of the last message handed to subscribers.
    handed_on: Arc<AtomicI64>,
    agencies: Arc<RwLock<Arc<AgencyTree>>>,
    /// Rung when another instance sequenced events (through Redis).
    remote: Arc<Notify>,
    wake: Option<Arc<wake::Link>>,
    /// Look-ups subscriptions made in the database (sessions, scopes).
    checks: Arc<AtomicU64>,
}

impl EventBus {
    /// An in-process bus; with a Redis client, the other instances are
    /// woken through it (its listener starts here and reconnects by itself).
    /// `buffer`: messages a subscriber may fall behind by before it catches
    /// up from the database. `prefix` names the deployment's channel
    /// (MOTCUA_REDIS_CHANNEL).
    pub fn new(redis: Option<redis::Client>, buffer: usize, prefix: &str) -> EventBus {
        let (local, _) = broadcast::channel(buffer.max(1));
        let remote = Arc::new(Notify::new());
        EventBus {
            local,
            handed_on: Arc::default(),
            agencies: Arc::default(),
            checks: Arc::default(),
            wake: redis.map(|client| Arc::new(wake::Link::start(client, prefix, remote.clone()))),
            remote,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.local.subscribe()
    }

    /// How many receivers listen on this instance now: one per live
    /// subscription (tests wait on it instead of sleeping).
    pub fn subscribers(&self) -> usize {
        self.local.receiver_count()
    }

    /// Counts one check a subscription made in the database (database
    /// retries and catch-up pages are not counted): its session after a
    /// control event or a lag, at the session's end, or once a second while
    /// it replays from a cursor (with, for a followed dossier, whether it
    /// is still readable: a second check); or whether a followed dossier
    /// that moved between agencies is still readable. Any other event
    /// handed on makes none.
    pub fn subscription_checked(&self) {
        self.checks.fetch_add(1, Ordering::Relaxed);
    }

    /// How many look-ups subscriptions on this instance made so far
    /// (`motcua_subscription_checks_total`).
    pub fn subscription_checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// The agency tree as last read.
    pub fn agencies(&self) -> Arc<AgencyTree> {
        self.agencies
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_agencies(&self, tree: AgencyTree) {
        *self.agencies.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(tree);
    }

    /// Hands a message read from the outbox at `position` to this
    /// instance's subscribers.
    fn deliver(&self, position: i64, message: BusMessage) {
        self.handed_on.store(position, Ordering::Release);
        let _ = self.local.send(message);
    }

    /// The position of the last message handed on: a subscription that
    /// starts listening, then reads this, hears everything after it.
    pub fn handed_on(&self) -> i64 {
        self.handed_on.load(Ordering::Acquire)
    }

    /// Tells the other instances that events up to `position` are
    /// sequenced; never waits on Redis.
    fn announce(&self, position: i64) {
        if let Some(wake) = &self.wake {
            wake.announce(position);
        }
    }

    /// Whether Redis is configured and answering (for /metrics and tests).
    pub fn redis_connected(&self) -> Option<bool> {
        self.wake.as_ref().map(|w| w.connected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_answers_scope_questions_in_memory() {
        // 1 ← 2 ← 3, 4 alone.
        let t = AgencyTree::new([(1, None), (2, Some(1)), (3, Some(2)), (4, None)]);
        assert!(t.is_within(3, 1));
        assert!(t.is_within(2, 2));
        assert!(!t.is_within(1, 2));
        assert!(!t.is_within(4, 1));
        assert_eq!(t.lineage(3), vec![3, 2, 1]);
        assert!(t.lineage(9).is_empty());
        let mut below = t.subtree(2);
        below.sort_unstable();
        assert_eq!(below, vec![2, 3]);
    }

    #[test]
    fn a_cycle_in_the_tree_ends() {
        let t = AgencyTree::new([(1, Some(2)), (2, Some(1))]);
        assert!(!t.is_within(1, 3));
        assert_eq!(t.lineage(1), vec![1, 2]);
    }

    #[test]
    fn control_events_read_back_as_written() {
        let c = Control::AccountChanged { account_id: 7 };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(text, r#"{"kind":"accountChanged","accountId":7}"#);
        assert_eq!(serde_json::from_str::<Control>(&text).unwrap(), c);
    }
}
