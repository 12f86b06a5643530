//! The signed-in account's notifications and how each was delivered.

use super::input::{Chars, Items};
use super::time::Time;
use async_graphql::{Context, Object, Result, SimpleObject, ID};

use super::catalogue::{connection, CountedConnection};
use super::context::{page_request, parse_id, ContextExt};
use super::enums::{DeliveryStatus, NotificationChannel, NotificationTemplate};
use super::loaders::DeliveriesOf;
use crate::domain::notification as dn;
use crate::error::stored_enum;
use crate::services::notifications as svc;

pub struct Notification(pub entity::notification::Model);

/// One channel's delivery of a notification.
#[derive(SimpleObject)]
pub struct Delivery {
    pub channel: NotificationChannel,
    pub recipient: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub sent_at: Option<Time>,
}

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn template(&self) -> Result<NotificationTemplate> {
        Ok(stored_enum::<dn::Template>(&self.0.template)?.into())
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn dossier_id(&self) -> Option<ID> {
        self.0.dossier_id.map(Into::into)
    }
    async fn feedback_id(&self) -> Option<ID> {
        self.0.feedback_id.map(Into::into)
    }
    /// When the account marked it read; null while unread.
    async fn read_at(&self) -> Option<Time> {
        self.0.read_at.map(Time)
    }
    async fn read(&self) -> bool {
        self.0.read_at.is_some()
    }
    async fn created_at(&self) -> Time {
        self.0.created_at.into()
    }
    /// E-mail and SMS to the contact on the dossier or feedback.
    #[graphql(complexity = "2 * child_complexity")]
    async fn deliveries(&self, ctx: &Context<'_>) -> Result<Vec<Delivery>> {
        let rows = ctx
            .loaders()?
            .load_one(DeliveriesOf(self.0.id))
            .await?
            .unwrap_or_default();
        rows.into_iter()
            .map(|r| {
                Ok(Delivery {
                    channel: stored_enum::<dn::Channel>(&r.channel)?.into(),
                    status: stored_enum::<dn::DeliveryStatus>(&r.status)?.into(),
                    recipient: r.recipient,
                    attempts: r.attempts,
                    sent_at: r.sent_at.map(Time),
                })
            })
            .collect()
    }
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The signed-in account's notifications, newest first (`after` is the
    /// last cursor seen: the next page is older); only the unread ones with
    /// `unreadOnly`.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn my_notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"after\", 100)")
        )]
        after: Option<String>,
        #[graphql(desc = "Only the unread ones when true (omitted or null: all).")]
        unread_only: Option<bool>,
    ) -> Result<CountedConnection<Notification>> {
        let unread_only = unread_only.unwrap_or(false);
        let req = page_request(&ctx.state()?.config.graphql, first, after.as_deref())?;
        let page = svc::mine(ctx.state()?, &ctx.caller()?, req, unread_only).await?;
        Ok(connection(page, |n| n.id, Notification))
    }

    /// How many of the signed-in account's notifications are unread (the
    /// app's badge).
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(svc::unread_count(ctx.state()?, &ctx.caller()?).await?)
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks the signed-in account's notifications read: those named by
    /// `ids` (at most 100; another account's id is ignored, as if it did not
    /// exist), or every unread one when `ids` is omitted. A notification
    /// already read keeps its first reading time. Returns how many became
    /// read. BAD_USER_INPUT on `ids` for a malformed id.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "Items(\"ids\", 100)"))] ids: Option<Vec<ID>>,
    ) -> Result<u64> {
        let ids = ids
            .map(|ids| {
                ids.iter()
                    .map(|id| parse_id("ids", id))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        Ok(svc::mark_read(ctx.state()?, &ctx.caller()?, ids.as_deref()).await?)
    }
}
