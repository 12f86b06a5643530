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
    pub published_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
