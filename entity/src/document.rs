use sea_orm::entity::prelude::*;

/// A document in an account's data store (kho dữ liệu): uploaded by its
/// owner or saved from a returned dossier's result. Its content lives on
/// disk, named by its SHA-256, like an attachment's.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    /// What it is: "Căn cước công dân", "Giấy khai sinh", a result's name.
    pub doc_type: String,
    pub number: Option<String>,
    pub issuer: Option<String>,
    pub issued_on: Option<Date>,
    /// The last day it is valid; none: valid indefinitely.
    pub valid_until: Option<Date>,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// UPLOAD or RESULT.
    pub source: String,
    /// The dossier whose result this is.
    pub source_dossier_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
