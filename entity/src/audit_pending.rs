use sea_orm::entity::prelude::*;

/// An audit record committed with its operation and not yet sealed into the
/// hash chain (`audit_log`); the sealer moves it there within a second.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_pending")]
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
}

impl ActiveModelBehavior for ActiveModel {}
