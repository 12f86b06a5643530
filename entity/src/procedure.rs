use sea_orm::entity::prelude::*;

/// Thủ tục hành chính: identity, status and the current version's
/// filterable columns. The full content of every version is in
/// `procedure_version`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "procedure")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub status: String,
    pub current_version: i32,
    pub name: String,
    /// Code and name, lower-case without diacritics.
    pub search_text: String,
    pub sector_id: i64,
    pub field_id: i64,
    pub online_service_level: String,
    pub level_province: bool,
    pub level_district: bool,
    pub level_commune: bool,
    /// Processing time in working hours (0 = returned immediately).
    pub processing_hours: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
