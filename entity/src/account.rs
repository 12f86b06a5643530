use sea_orm::entity::prelude::*;

/// A citizen's, an organisation's or an official's account.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub full_name: String,
    #[sea_orm(unique)]
    pub citizen_id: Option<String>,
    #[sea_orm(unique)]
    pub tax_code: Option<String>,
    pub phone: Option<String>,
    #[sea_orm(unique)]
    pub email: Option<String>,
    /// Identity at the national single sign-on (VNeID), when linked.
    #[sea_orm(unique)]
    pub external_id: Option<String>,
    pub password_hash: String,
    pub must_change_password: bool,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
