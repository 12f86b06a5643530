use sea_orm::entity::prelude::*;

/// One role of an account, bound to an agency for officials.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_role")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub role: String,
    pub agency_id: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
