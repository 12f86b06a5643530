use sea_orm::entity::prelude::*;

/// A message to a citizen, written in the transaction of the change that
/// caused it; its deliveries (e-mail, SMS) are the outbox the worker drains.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account that sees it in myNotifications, if any.
    pub account_id: Option<i64>,
    pub dossier_id: Option<i64>,
    pub feedback_id: Option<i64>,
    pub template: String,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub created_at: DateTimeUtc,
    /// When its account marked it read (`markNotificationsRead`); None while
    /// unread.
    pub read_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
