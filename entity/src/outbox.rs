use sea_orm::entity::prelude::*;

/// A message committed with the change that caused it, published after.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub topic: String,
    pub dossier_id: Option<i64>,
    pub seq: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub created_at: DateTimeUtc,
    /// When the relay sequenced it.
    pub published_at: Option<DateTimeUtc>,
    /// Its place in the order every instance reads the events in (set with
    /// `published_at`): the live events' cursor.
    pub position: Option<i64>,
    /// A dossier event's parties, copied from the payload so that an
    /// account's or an agency's events after a position are read by index.
    pub applicant_account_id: Option<i64>,
    pub receiving_agency_id: Option<i64>,
    pub settling_agency_id: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
