//! Writing and checking the audit chain. `record` runs inside the caller's
//! transaction, so an audit record commits with its change or not at all; it
//! lands in `audit_pending`, and `seal` (one sealer at a time, every instance
//! running `run_sealer`) chains the committed records into `audit_log` in
//! batches. Writers never wait for each other on the chain's head (issue 15):
//! the head is taken by the sealer alone, once per batch.

use chrono::{DateTime, Utc};
use std::time::Duration;

use entity::{audit_head, audit_log, audit_pending};
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::{page, Caller, Page, PageRequest};
use crate::domain::audit::{self, Fields, GENESIS};
use crate::domain::authz::{authorize, Action, Role};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store;

/// What happened, to what.
pub struct Entry<'a> {
    pub operation: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    /// A before/after summary; never a password or a token.
    pub summary: Value,
    /// The role and agency the actor acted in, when not their first grant.
    pub acting_as: Option<(Role, Option<i64>)>,
}

impl<'a> Entry<'a> {
    pub fn new(
        operation: &'a str,
        target_type: &'a str,
        target_id: impl ToString,
        summary: Value,
    ) -> Self {
        Entry {
            operation,
            target_type,
            target_id: target_id.to_string(),
            summary,
            acting_as: None,
        }
    }
}

/// Writes a record as part of the caller's transaction (or alone, on a
/// connection): one INSERT into `audit_pending`, so that writers never queue
/// on the chain's head. The sealer (`seal`) chains it within a second; until
/// then it is listed but not yet tamper-evident.
pub async fn record(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    at: DateTime<Utc>,
    entry: Entry<'_>,
) -> AppResult<()> {
    let (role, agency) = match (entry.acting_as, caller.actor) {
        (Some((r, a)), _) => (Some(r), a),
        (None, Some(actor)) => (
            actor.primary_role(),
            actor.grants.first().and_then(|g| g.agency_id),
        ),
        (None, None) => (None, None),
    };
    audit_pending::ActiveModel {
        at: Set(audit::truncate(at)),
        actor_account_id: Set(caller.actor.map(|a| a.account_id)),
        actor_role: Set(role.map(|r| r.as_str().to_owned())),
        actor_agency_id: Set(agency),
        operation: Set(entry.operation.to_owned()),
        target_type: Set(entry.target_type.to_owned()),
        target_id: Set(entry.target_id),
        summary: Set(entry.summary.to_string()),
        request_id: Set(caller.request_id.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Records per sealing transaction.
const SEAL_BATCH: u64 = 500;

/// Moves every committed pending record into the hash chain, oldest first,
/// in transactions of `SEAL_BATCH`; returns how many it sealed. Each
/// transaction's first statement is a write to the chain's head, which takes
/// the write lock at once (SQLite) or the head row's lock (PostgreSQL): two
/// sealers (two instances, or the command line) queue instead of forking
/// the chain. A record is chained in the order the sealer finds it, which is
/// its commit order within a second; its `at` keeps when it happened.
pub async fn seal(db: &DatabaseConnection) -> AppResult<u64> {
    let mut sealed = 0;
    loop {
        // Nothing pending: no transaction and no write to the head (every
        // instance looks twice a second).
        let any = audit_pending::Entity::find()
            .select_only()
            .column(audit_pending::Column::Id)
            .limit(1)
            .into_tuple::<i64>()
            .one(db)
            .await?;
        if any.is_none() {
            return Ok(sealed);
        }
        let txn = store::write_txn(db).await?;
        audit_head::Entity::update_many()
            .col_expr(
                audit_head::Column::LastId,
                Expr::col(audit_head::Column::LastId),
            )
            .filter(audit_head::Column::Id.eq(1))
            .exec(&txn)
            .await?;
        let pending = audit_pending::Entity::find()
            .order_by_asc(audit_pending::Column::Id)
            .limit(SEAL_BATCH)
            .all(&txn)
            .await?;
        if pending.is_empty() {
            txn.rollback().await?;
            return Ok(sealed);
        }
        let head = audit_head::Entity::find_by_id(1)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::internal("audit head missing"))?;
        let (mut last_id, mut last_hash) = (head.last_id, head.last_hash);
        let ids: Vec<i64> = pending.iter().map(|p| p.id).collect();
        let full = pending.len() as u64 == SEAL_BATCH;
        let mut rows = Vec::with_capacity(pending.len());
        for p in pending {
            last_id += 1;
            let hash = audit::hash(
                &last_hash,
                &Fields {
                    id: last_id,
                    at: p.at,
                    actor_account_id: p.actor_account_id,
                    actor_role: p.actor_role.as_deref(),
                    actor_agency_id: p.actor_agency_id,
                    operation: &p.operation,
                    target_type: &p.target_type,
                    target_id: &p.target_id,
                    summary: &p.summary,
                    request_id: &p.request_id,
                },
            );
            rows.push(audit_log::ActiveModel {
                id: Set(last_id),
                at: Set(p.at),
                actor_account_id: Set(p.actor_account_id),
                actor_role: Set(p.actor_role),
                actor_agency_id: Set(p.actor_agency_id),
                operation: Set(p.operation),
                target_type: Set(p.target_type),
                target_id: Set(p.target_id),
                summary: Set(p.summary),
                request_id: Set(p.request_id),
                prev_hash: Set(std::mem::replace(&mut last_hash, hash.clone())),
                hash: Set(hash),
            });
        }
        sealed += rows.len() as u64;
        audit_log::Entity::insert_many(rows).exec(&txn).await?;
        audit_pending::Entity::delete_many()
            .filter(audit_pending::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
        audit_head::Entity::update_many()
            .col_expr(audit_head::Column::LastId, Expr::value(last_id))
            .col_expr(audit_head::Column::LastHash, Expr::value(last_hash))
            .filter(audit_head::Column::Id.eq(1))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        if !full {
            return Ok(sealed);
        }
    }
}

/// How often the sealer looks for pending records when nobody wakes it.
const SEAL_EVERY: Duration = Duration::from_millis(500);
const SEAL_MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The sealer of this instance: seals whatever is pending every
/// `SEAL_EVERY` (and once more when stopping). Several instances each run
/// one; they take turns on the head.
pub async fn run_sealer(db: DatabaseConnection, stop: CancellationToken) {
    let mut wait = SEAL_EVERY;
    loop {
        match seal(&db).await {
            Ok(_) => wait = SEAL_EVERY,
            Err(e) => {
                tracing::warn!(error = %e, "audit sealing failed; retrying");
                wait = (wait * 2).min(SEAL_MAX_BACKOFF);
            }
        }
        if stop.is_cancelled() {
            return;
        }
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Appends the record and commits: the last step of most use cases.
pub async fn commit(
    txn: DatabaseTransaction,
    caller: &Caller<'_>,
    at: DateTime<Utc>,
    entry: Entry<'_>,
) -> AppResult<()> {
    record(&txn, caller, at, entry).await?;
    txn.commit().await?;
    Ok(())
}

/// The outcome of checking the chain.
pub struct Verification {
    pub checked: u64,
    /// The first record whose hash or link does not hold, if any.
    pub first_broken_id: Option<i64>,
}

const VERIFY_BATCH: u64 = 1_000;

/// ADMIN: recomputes every hash in order (`verify_chain`).
pub async fn verify(st: &AppState, caller: &Caller<'_>) -> AppResult<Verification> {
    authorize(caller.actor, Action::ManageAccounts)?;
    seal(&st.db).await?;
    // One snapshot for the records and the head: read statement by
    // statement, a seal committed in between (any instance's sealer, every
    // 0.5 s) moves the head past the last record read, and an intact chain
    // is reported broken at its end. (SQLite: a read transaction's first
    // read fixes its snapshot.)
    let pg = st.db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let txn = st
        .db
        .begin_with_config(
            pg.then_some(sea_orm::IsolationLevel::RepeatableRead),
            pg.then_some(sea_orm::AccessMode::ReadOnly),
        )
        .await?;
    let verification = verify_chain(&txn).await;
    txn.rollback().await?;
    verification
}

/// Recomputes every hash of the chain in `db` in order (the live database,
/// or a restored backup). A changed record breaks at itself; a deleted one
/// breaks at its successor (or at the head).
pub async fn verify_chain(db: &impl ConnectionTrait) -> AppResult<Verification> {
    let mut prev = GENESIS.to_owned();
    let mut expected_id = 1;
    let mut checked = 0;
    loop {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Id.gte(expected_id))
            .order_by_asc(audit_log::Column::Id)
            .limit(VERIFY_BATCH)
            .all(db)
            .await?;
        let done = (rows.len() as u64) < VERIFY_BATCH;
        for r in rows {
            let fields = Fields {
                id: r.id,
                at: r.at,
                actor_account_id: r.actor_account_id,
                actor_role: r.actor_role.as_deref(),
                actor_agency_id: r.actor_agency_id,
                operation: &r.operation,
                target_type: &r.target_type,
                target_id: &r.target_id,
                summary: &r.summary,
                request_id: &r.request_id,
            };
            if r.id != expected_id || r.prev_hash != prev || audit::hash(&prev, &fields) != r.hash {
                return Ok(Verification {
                    checked,
                    first_broken_id: Some(r.id),
                });
            }
            prev = r.hash;
            expected_id += 1;
            checked += 1;
        }
        if done {
            break;
        }
    }
    let head = audit_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("audit head missing"))?;
    let intact_tail = head.last_id == expected_id - 1 && head.last_hash == prev;
    Ok(Verification {
        checked,
        first_broken_id: if intact_tail { None } else { Some(expected_id) },
    })
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor_account_id: Option<i64>,
    pub operation: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// ADMIN: the log, oldest first.
pub async fn list(
    st: &AppState,
    caller: &Caller<'_>,
    f: AuditFilter,
    req: PageRequest,
) -> AppResult<Page<audit_log::Model>> {
    authorize(caller.actor, Action::ManageAccounts)?;
    // What was committed before this read is listed, sealed.
    seal(&st.db).await?;
    let mut q = audit_log::Entity::find();
    if let Some(a) = f.actor_account_id {
        q = q.filter(audit_log::Column::ActorAccountId.eq(a));
    }
    if let Some(o) = f.operation {
        q = q.filter(audit_log::Column::Operation.eq(o));
    }
    if let Some(t) = f.target_type {
        q = q.filter(audit_log::Column::TargetType.eq(t));
    }
    if let Some(t) = f.target_id {
        q = q.filter(audit_log::Column::TargetId.eq(t));
    }
    if let Some(from) = f.from {
        q = q.filter(audit_log::Column::At.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(audit_log::Column::At.lt(to));
    }
    page(&st.db, q, audit_log::Column::Id, req).await
}
