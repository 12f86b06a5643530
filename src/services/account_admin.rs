//! ADMIN operations on existing accounts: replacing an official's roles and
//! deactivating an account. Both are audited; the rules that keep the last
//! administrator are `domain::account_admin`'s.

use entity::{account, account_role, session};
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde_json::json;

use super::accounts::{check_grants, grants_of, AccountView};
use super::audit::{self, Entry};
use super::Caller;
use crate::domain::account_admin::{may_change_roles, may_deactivate};
use crate::domain::authz::{AccountKind, Action, Grant, Role};
use crate::domain::identity::required_text;
use crate::domain::Problem;
use crate::error::{AppError, AppResult, AtField, Missing};
use crate::state::AppState;
use crate::store;

/// The longest deactivation reason, in characters.
pub const REASON_MAX: usize = 2_000;

/// The lock scope of changes to who administers (`store::lock`).
const ADMIN_CHANGES: &str = "admin-changes";

/// Replaces the set of an official's grants (the same rules as
/// `createOfficial`'s roles) and returns the account.
///
/// Errors: FORBIDDEN unless ADMIN; NOT_FOUND `account`; BAD_USER_INPUT on
/// `accountId` when the account is not an official's, on `roles…` for a
/// grant `createOfficial` would refuse, and on `roles` when the last active
/// ADMIN would lose its ADMIN grant.
pub async fn update_official_roles(
    st: &AppState,
    caller: &Caller<'_>,
    account_id: i64,
    grants: Vec<Grant>,
) -> AppResult<AccountView> {
    caller.authorize(Action::ManageAccounts)?;
    check_grants(st, &grants).await?;
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    // One change of administrators at a time: the last-admin rule counts
    // the others (PostgreSQL's READ COMMITTED would let two admins demote
    // each other at once).
    store::lock(&txn, ADMIN_CHANGES, "").await?;
    let target = find(&txn, account_id).await?;
    if target.kind != AccountKind::Official.as_str() {
        return Err(AppError::bad_input(
            "accountId",
            Problem::Invalid {
                vi: "Chỉ thay đổi được vai trò của cán bộ, công chức".into(),
                en: "Only an official's roles can be changed".into(),
            },
        ));
    }
    let before = grants_of(&txn, account_id).await?;
    let is_admin = before.iter().any(|g| g.role == Role::Admin);
    let others = other_active_admins(&txn, account_id).await?;
    may_change_roles(target.active, is_admin, &grants, others).at("roles")?;
    account_role::Entity::delete_many()
        .filter(account_role::Column::AccountId.eq(account_id))
        .exec(&txn)
        .await?;
    for g in &grants {
        account_role::ActiveModel {
            account_id: Set(account_id),
            role: Set(g.role.as_str().into()),
            agency_id: Set(g.agency_id),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    crate::events::record_control(
        &txn,
        now,
        &crate::events::Control::AccountChanged { account_id },
    )
    .await?;
    let summary = json!({ "before": { "roles": roles_json(&before) }, "after": { "roles": roles_json(&grants) } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("updateOfficialRoles", "account", account_id, summary),
    )
    .await?;
    st.outbox_committed();
    Ok(AccountView {
        account: target,
        grants,
    })
}

/// Deactivates an account: it can no longer sign in, every session of it
/// ends at once (its next request answers UNAUTHENTICATED) and its
/// subscriptions stop. `reason`: 1 to [`REASON_MAX`] characters, kept in
/// the audit log. Returns the account.
///
/// Errors: FORBIDDEN unless ADMIN; NOT_FOUND `account`; BAD_USER_INPUT on
/// `reason`, and on `accountId` for the caller's own account or the last
/// active ADMIN.
pub async fn deactivate_account(
    st: &AppState,
    caller: &Caller<'_>,
    account_id: i64,
    reason: &str,
) -> AppResult<AccountView> {
    caller.authorize(Action::ManageAccounts)?;
    let me = caller.signed_in()?.account_id;
    let reason = required_text(reason, REASON_MAX).at("reason")?;
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    store::lock(&txn, ADMIN_CHANGES, "").await?;
    let target = find(&txn, account_id).await?;
    let grants = grants_of(&txn, account_id).await?;
    let is_admin = target.active && grants.iter().any(|g| g.role == Role::Admin);
    let others = other_active_admins(&txn, account_id).await?;
    may_deactivate(me, account_id, is_admin, others).at("accountId")?;
    let was_active = target.active;
    let mut row: account::ActiveModel = target.into();
    row.active = Set(false);
    row.updated_at = Set(now);
    let account = row.update(&txn).await?;
    let ended = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    let summary = json!({
        "before": { "active": was_active },
        "after": { "active": false, "sessionsRevoked": ended },
        "reason": reason,
    });
    crate::events::record_control(
        &txn,
        now,
        &crate::events::Control::AccountChanged { account_id },
    )
    .await?;
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("deactivateAccount", "account", account_id, summary),
    )
    .await?;
    st.outbox_committed();
    Ok(AccountView { account, grants })
}

async fn find(db: &impl ConnectionTrait, account_id: i64) -> AppResult<account::Model> {
    account::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound(Missing::Account))
}

/// Active accounts other than `except` holding ADMIN.
async fn other_active_admins(db: &impl ConnectionTrait, except: i64) -> AppResult<u64> {
    let admins: Vec<i64> = account_role::Entity::find()
        .filter(account_role::Column::Role.eq(Role::Admin.as_str()))
        .filter(account_role::Column::AccountId.ne(except))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.account_id)
        .collect();
    Ok(account::Entity::find()
        .filter(account::Column::Id.is_in(admins))
        .filter(account::Column::Active.eq(true))
        .count(db)
        .await?)
}

fn roles_json(grants: &[Grant]) -> serde_json::Value {
    grants
        .iter()
        .map(|g| json!({ "role": g.role.as_str(), "agencyId": g.agency_id }))
        .collect()
}
