use sea_orm::entity::prelude::*;

/// Cơ quan: a node of the agency tree.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agency")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub parent_id: Option<i64>,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    /// Lower-case name without diacritics, for search.
    pub name_search: String,
    pub level: String,
    pub kind: String,
    pub active: bool,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub hotline: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
