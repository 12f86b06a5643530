use sea_orm::entity::prelude::*;

/// Lĩnh vực, inside a sector.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "field")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sector_id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
}

impl ActiveModelBehavior for ActiveModel {}
