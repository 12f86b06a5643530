use sea_orm::entity::prelude::*;

/// An implementing agency of a procedure's current version.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "procedure_agency")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub procedure_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: i64,
}

impl ActiveModelBehavior for ActiveModel {}
