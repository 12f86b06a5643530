use sea_orm::entity::prelude::*;

/// One entry of a dossier's history; `seq` runs 1, 2, 3 … without gaps.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub dossier_id: i64,
    pub seq: i32,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_account_id: Option<i64>,
    pub actor_role: Option<String>,
    pub actor_agency_id: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// Action details, JSON (supplement items, receipt, new due date …).
    #[sea_orm(column_type = "Text")]
    pub data: String,
    pub at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
