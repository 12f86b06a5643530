use sea_orm::entity::prelude::*;

/// One audit record; never updated or deleted by the application.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor_account_id: Option<i64>,
    pub actor_role: Option<String>,
    pub actor_agency_id: Option<i64>,
    pub operation: String,
    pub target_type: String,
    pub target_id: String,
    /// Before/after summary, canonical JSON (sorted keys).
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

impl ActiveModelBehavior for ActiveModel {}
