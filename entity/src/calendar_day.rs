use sea_orm::entity::prelude::*;

/// An exception to the weekly calendar: a public holiday (HOLIDAY) or a
/// compensatory working day on a weekend (WORKDAY, ngày làm bù).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_day")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    pub kind: String,
    pub name: String,
}

impl ActiveModelBehavior for ActiveModel {}
