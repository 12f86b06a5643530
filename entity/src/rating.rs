use sea_orm::entity::prelude::*;

/// Đánh giá sự hài lòng: the applicant's rating of one settled dossier.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rating")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub dossier_id: i64,
    pub account_id: i64,
    /// The settling agency, procedure and field, for summaries.
    pub agency_id: i64,
    pub procedure_id: i64,
    pub field_id: i64,
    pub service_use: String,
    pub staff_attitude: String,
    pub processing_time: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub rated_at: DateTimeUtc,
    pub revised_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
