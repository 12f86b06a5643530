use sea_orm::entity::prelude::*;

/// A file attached to a dossier; its content lives on disk, named by its
/// SHA-256.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub dossier_id: i64,
    /// The dossier component this file is for.
    pub component: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: Option<i64>,
    /// COMPONENT (what the applicant files) or RESULT (what the agency
    /// issues).
    pub kind: String,
    /// The data-store document this copy was taken from, if any.
    pub document_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
