use sea_orm::entity::prelude::*;

/// The last dossier code number given by an agency on a local day
/// (`day` as "yymmdd"); codes run 0001, 0002 … each day.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier_code_counter")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    pub last: i32,
}

impl ActiveModelBehavior for ActiveModel {}
