//! Notifications: written in the transaction of the change that causes them
//! (a notification for the account's inbox, one delivery per contact
//! channel), delivered afterwards by `crate::notify`'s worker.

use chrono::{DateTime, Utc};
use entity::{delivery, dossier, notification, procedure};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::{page_ordered, Caller, Page, PageRequest};
use crate::domain::lifecycle::{Channel, DossierAction};
use crate::domain::notification::{self as n, DeliveryStatus, Facts, Template};
use crate::error::{stored_enum, AppResult};
use crate::state::AppState;

/// Who a notification is for.
#[derive(Debug, Clone, Default)]
pub struct Recipient {
    pub account_id: Option<i64>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// What links a notification to its cause.
#[derive(Debug, Clone, Copy, Default)]
pub struct About {
    pub dossier_id: Option<i64>,
    pub feedback_id: Option<i64>,
}

/// Writes a notification and its deliveries inside the caller's
/// transaction: they exist exactly when the change that caused them does.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    template: Template,
    facts: &Facts,
    to: &Recipient,
    about: About,
) -> AppResult<()> {
    let message = template.render(facts);
    let saved = notification::ActiveModel {
        account_id: Set(to.account_id),
        dossier_id: Set(about.dossier_id),
        feedback_id: Set(about.feedback_id),
        template: Set(template.as_str().into()),
        subject: Set(message.subject),
        body: Set(message.body),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let contacts = [(n::Channel::Email, &to.email), (n::Channel::Sms, &to.phone)];
    for (channel, address) in contacts {
        let Some(address) = address.as_deref().map(str::trim).filter(|a| !a.is_empty()) else {
            continue;
        };
        delivery::ActiveModel {
            notification_id: Set(saved.id),
            channel: Set(channel.as_str().into()),
            recipient: Set(address.into()),
            status: Set(DeliveryStatus::Pending.as_str().into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_until: Set(None),
            last_error: Set(None),
            sent_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// The notification a dossier transition sends its applicant, if any: the
/// rule is `domain::notification::for_transition`.
pub use n::for_transition as template_for;

/// Dates in messages: the province's time, as Vietnamese forms write it.
pub fn local_time(st: &AppState, at: DateTime<Utc>) -> String {
    at.with_timezone(&st.config.calendar.tz)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// What a message about this dossier may say; the contact is the one on the
/// dossier.
pub async fn dossier_facts(
    txn: &impl ConnectionTrait,
    st: &AppState,
    d: &dossier::Model,
) -> AppResult<(Facts, Recipient)> {
    let procedure = procedure::Entity::find_by_id(d.procedure_id)
        .one(txn)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let facts = Facts {
        applicant: d.applicant_name.clone(),
        procedure,
        code: d.code.clone(),
        due: d.due_at.map(|t| local_time(st, t)),
        tracking_number: d.tracking_number.clone(),
        ..Default::default()
    };
    let to = Recipient {
        account_id: d.applicant_account_id,
        email: d.applicant_email.clone(),
        phone: d.applicant_phone.clone(),
    };
    Ok((facts, to))
}

/// Sends the applicant the message of a transition just recorded.
pub async fn on_transition(
    txn: &impl ConnectionTrait,
    st: &AppState,
    now: DateTime<Utc>,
    d: &dossier::Model,
    action: DossierAction,
    note: Option<&str>,
) -> AppResult<()> {
    let channel = stored_enum::<Channel>(&d.channel)?;
    let Some(template) = template_for(action, channel) else {
        return Ok(());
    };
    let (mut facts, recipient) = dossier_facts(txn, st, d).await?;
    facts.reason = note.map(str::to_owned);
    let about = About {
        dossier_id: Some(d.id),
        feedback_id: None,
    };
    enqueue(txn, now, template, &facts, &recipient, about).await
}

/// The signed-in account's notifications, newest first (keyset pages);
/// only the unread ones when `unread_only`.
pub async fn mine(
    st: &AppState,
    caller: &Caller<'_>,
    req: PageRequest,
    unread_only: bool,
) -> AppResult<Page<notification::Model>> {
    let actor = caller.signed_in()?;
    let mut q =
        notification::Entity::find().filter(notification::Column::AccountId.eq(actor.account_id));
    if unread_only {
        q = q.filter(notification::Column::ReadAt.is_null());
    }
    page_ordered(&st.db, q, notification::Column::Id, req, true).await
}

/// How many of the signed-in account's notifications are unread (the
/// app's badge).
pub async fn unread_count(st: &AppState, caller: &Caller<'_>) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    let actor = caller.signed_in()?;
    Ok(notification::Entity::find()
        .filter(notification::Column::AccountId.eq(actor.account_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(&st.db)
        .await?)
}

/// Marks the signed-in account's notifications read: those of `ids`, or
/// every unread one when `ids` is None. Ids of other accounts' notifications
/// (or none at all) are left alone, as if they did not exist; one already
/// read keeps its first reading time. Returns how many became read.
pub async fn mark_read(st: &AppState, caller: &Caller<'_>, ids: Option<&[i64]>) -> AppResult<u64> {
    use sea_orm::sea_query::Expr;
    let actor = caller.signed_in()?;
    let mut q = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(st.clock.now()))
        .filter(notification::Column::AccountId.eq(actor.account_id))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(ids) = ids {
        q = q.filter(notification::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(q.exec(&st.db).await?.rows_affected)
}

/// The deliveries of several notifications, in one query.
pub async fn deliveries_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<Vec<delivery::Model>> {
    use sea_orm::QueryOrder;
    Ok(delivery::Entity::find()
        .filter(delivery::Column::NotificationId.is_in(ids.iter().copied()))
        .order_by_asc(delivery::Column::Id)
        .all(db)
        .await?)
}
