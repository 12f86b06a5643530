//! Writing and checking the audit chain. `record` runs inside the caller's
//! transaction, so an audit record commits with its change or not at all.

use chrono::{DateTime, Utc};
use entity::{audit_head, audit_log};
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::Value;

use super::{page, Caller, Page, PageRequest};
use crate::domain::audit::{self, Fields, GENESIS};
use crate::domain::authz::{authorize, Action, Role};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

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

/// Appends a record to the chain. Its first statement is a write to the
/// chain's head, which takes the write lock at once (SQLite) or the head
/// row's lock (PostgreSQL): concurrent writers queue instead of forking the
/// chain or deadlocking on a lock upgrade.
pub async fn record(
    db: &impl ConnectionTrait,
    caller: &Caller<'_>,
    at: DateTime<Utc>,
    entry: Entry<'_>,
) -> AppResult<()> {
    audit_head::Entity::update_many()
        .col_expr(
            audit_head::Column::LastId,
            Expr::col(audit_head::Column::LastId),
        )
        .filter(audit_head::Column::Id.eq(1))
        .exec(db)
        .await?;
    let head = audit_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("audit head missing"))?;
    let (role, agency) = match (entry.acting_as, caller.actor) {
        (Some((r, a)), _) => (Some(r), a),
        (None, Some(actor)) => (
            actor.primary_role(),
            actor.grants.first().and_then(|g| g.agency_id),
        ),
        (None, None) => (None, None),
    };
    let summary = entry.summary.to_string();
    let id = head.last_id + 1;
    let at = audit::truncate(at);
    let fields = Fields {
        id,
        at,
        actor_account_id: caller.actor.map(|a| a.account_id),
        actor_role: role.map(Role::as_str),
        actor_agency_id: agency,
        operation: entry.operation,
        target_type: entry.target_type,
        target_id: &entry.target_id,
        summary: &summary,
        request_id: caller.request_id,
    };
    let hash = audit::hash(&head.last_hash, &fields);
    audit_log::ActiveModel {
        id: Set(id),
        at: Set(at),
        actor_account_id: Set(fields.actor_account_id),
        actor_role: Set(fields.actor_role.map(str::to_owned)),
        actor_agency_id: Set(agency),
        operation: Set(entry.operation.to_owned()),
        target_type: Set(entry.target_type.to_owned()),
        target_id: Set(entry.target_id.clone()),
        summary: Set(summary.clone()),
        request_id: Set(caller.request_id.to_owned()),
        prev_hash: Set(head.last_hash.clone()),
        hash: Set(hash.clone()),
    }
    .insert(db)
    .await?;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::LastId, Expr::value(id))
        .col_expr(audit_head::Column::LastHash, Expr::value(hash))
        .filter(audit_head::Column::Id.eq(1))
        .exec(db)
        .await?;
    Ok(())
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
    verify_chain(&st.db).await
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
