use sea_orm::entity::prelude::*;

/// A consultation (xin ý kiến), a verification visit (xác minh) or an
/// inter-agency task (liên thông) of a dossier.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier_task")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub dossier_id: i64,
    pub kind: String,
    /// The agency consulted or taking part; none for a verification.
    pub agency_id: Option<i64>,
    /// The question, the verification's content, or the task.
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub deadline: Option<DateTimeUtc>,
    pub scheduled_at: Option<DateTimeUtc>,
    pub place: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub participants: Option<String>,
    /// OPEN or DONE.
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<DateTimeUtc>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
