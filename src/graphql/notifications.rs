//! The signed-in account's notifications and how each was delivered.

use super::input::Chars;
use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::catalogue::{connection, CountedConnection};
use super::context::{page_request, ContextExt};
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
    pub sent_at: Option<DateTime<Utc>>,
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
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
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
                    sent_at: r.sent_at,
                })
            })
            .collect()
    }
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The signed-in account's notifications, oldest first.
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
    ) -> Result<CountedConnection<Notification>> {
        let req = page_request(&ctx.state()?.config.graphql, first, after.as_deref())?;
        let page = svc::mine(ctx.state()?, &ctx.caller()?, req).await?;
        Ok(connection(page, |n| n.id, Notification))
    }
}
