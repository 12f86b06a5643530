//! Use cases. Each opens its transaction, loads, asks `domain` for the rule,
//! writes, and commits. Resolvers call exactly one of these.

pub mod account_admin;
pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod calendar;
pub mod catalogue;
pub mod demo;
pub mod documents;
pub mod dossiers;
pub mod evaluation;
pub mod feedback;
pub mod forms;
pub mod notifications;
pub mod password;
pub mod payments;
pub mod ratings;
pub mod rollup;
pub mod statistics;

use crate::domain::authz::{authorize, Action, Actor};

/// Who is calling and from where: what every use case needs to authorize
/// and to audit.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub actor: Option<&'a Actor>,
    pub request_id: &'a str,
    pub client_addr: &'a str,
    /// The system itself: start-up, the demo loader, the command line.
    /// Trusted, and audited with no actor.
    system: bool,
}

impl<'a> Caller<'a> {
    pub const SYSTEM: Caller<'static> = Caller {
        actor: None,
        request_id: "system",
        client_addr: "local",
        system: true,
    };

    pub fn new(actor: Option<&'a Actor>, request_id: &'a str, client_addr: &'a str) -> Self {
        Caller {
            actor,
            request_id,
            client_addr,
            system: false,
        }
    }

    /// The signed-in actor, who has changed their one-time password.
    pub fn signed_in(&self) -> Result<&'a Actor, crate::error::AppError> {
        let actor = self.actor.ok_or(crate::error::AppError::Unauthenticated)?;
        if actor.must_change_password {
            return Err(crate::error::AppError::PasswordChangeRequired);
        }
        Ok(actor)
    }

    /// `domain::authz::authorize` for a request; the system may do anything.
    pub fn authorize(&self, action: Action<'_>) -> Result<(), crate::error::AppError> {
        if self.system {
            return Ok(());
        }
        Ok(authorize(self.actor, action)?)
    }
}

/// The write transaction of one API operation. On SQLite it takes the
/// write lock at BEGIN (`store::write_txn`); `commit` then wakes the outbox
/// relay and the notification worker — the one place that does. Dropped
/// without `commit`, it rolls back.
pub struct WriteTxn<'s> {
    txn: sea_orm::DatabaseTransaction,
    st: &'s crate::state::AppState,
}

impl<'s> WriteTxn<'s> {
    pub async fn begin(st: &'s crate::state::AppState) -> crate::error::AppResult<WriteTxn<'s>> {
        Ok(WriteTxn {
            txn: crate::store::write_txn(&st.db).await?,
            st,
        })
    }

    /// Commits, then tells the background workers that outbox rows and
    /// notifications may be waiting.
    pub async fn commit(self) -> crate::error::AppResult<()> {
        commit(self.st, self.txn).await
    }
}

/// Commits a write transaction and wakes the outbox relay and the
/// notification worker: the one place that does, for `WriteTxn` and for
/// use cases holding a bare transaction.
pub async fn commit(
    st: &crate::state::AppState,
    txn: sea_orm::DatabaseTransaction,
) -> crate::error::AppResult<()> {
    txn.commit().await?;
    st.outbox_committed();
    Ok(())
}

impl std::ops::Deref for WriteTxn<'_> {
    type Target = sea_orm::DatabaseTransaction;

    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}

/// A page request after validation: at most `first` items after the cursor.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<i64>,
}

/// One page of a keyset-paginated list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
    /// Whether items lie before the page; only dossier lists, which page
    /// both ways, tell (others answer false, as Relay allows).
    pub has_previous: bool,
    pub total: u64,
}

/// Runs a keyset page ordered by `id` (the entity's id column), oldest
/// first, and its total count.
pub async fn page<E>(
    db: &impl sea_orm::ConnectionTrait,
    query: sea_orm::Select<E>,
    id: E::Column,
    req: PageRequest,
) -> crate::error::AppResult<Page<E::Model>>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    page_ordered(db, query, id, req, false).await
}

/// A keyset page ordered by `id`, oldest first or `newest_first` (the
/// cursor is then the last id seen, and the next page holds the ids below
/// it), and its total count.
pub async fn page_ordered<E>(
    db: &impl sea_orm::ConnectionTrait,
    query: sea_orm::Select<E>,
    id: E::Column,
    req: PageRequest,
    newest_first: bool,
) -> crate::error::AppResult<Page<E::Model>>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
    let total = query.clone().count(db).await?;
    let mut q = match newest_first {
        true => query.order_by_desc(id),
        false => query.order_by_asc(id),
    };
    if let Some(after) = req.after {
        q = q.filter(match newest_first {
            true => id.lt(after),
            false => id.gt(after),
        });
    }
    let mut items = q.limit(req.first + 1).all(db).await?;
    let has_next = items.len() as u64 > req.first;
    items.truncate(req.first as usize);
    Ok(Page {
        items,
        has_next,
        has_previous: false,
        total,
    })
}
