use sea_orm::entity::prelude::*;

/// One published version of a procedure; never edited once written.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "procedure_version")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub procedure_id: i64,
    pub version_no: i32,
    /// The whole procedure record (`domain::procedure::ProcedureContent`).
    pub content: Json,
    /// The publication decision (quyết định công bố), when known.
    pub decision_ref: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
