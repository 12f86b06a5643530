use sea_orm::entity::prelude::*;

/// Phản ánh, kiến nghị: a citizen's feedback or petition about procedures
/// or their handling, submitted online or entered by an officer.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub channel: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// The sender's account, when sent online.
    pub sender_account_id: Option<i64>,
    pub sender_name: String,
    pub sender_phone: Option<String>,
    pub sender_email: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub sender_address: Option<String>,
    /// The agency handling it now.
    pub agency_id: i64,
    pub procedure_id: Option<i64>,
    pub dossier_id: Option<i64>,
    pub status: String,
    /// Changes so far; a client passes it as expectedVersion.
    pub version: i32,
    pub handler_account_id: Option<i64>,
    /// When it reached the agency (by any channel); deadlines count from it.
    pub arrived_at: DateTimeUtc,
    /// When it was entered into the system.
    pub entered_at: DateTimeUtc,
    pub entered_by: Option<i64>,
    /// Working seconds between arrival and entry.
    pub entry_seconds: i64,
    /// Entered more than 8 working hours after arrival.
    pub late_entry: bool,
    pub due_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub answer: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
    pub answered_by: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reject_reason: Option<String>,
    /// When it was answered or rejected.
    pub closed_at: Option<DateTimeUtc>,
    pub transferred_from_agency_id: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub transfer_reason: Option<String>,
    pub transferred_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    /// The published question, free of personal data.
    pub public_title: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub public_content: Option<String>,
    /// Published question and answer, lower-case without diacritics.
    #[sea_orm(column_type = "Text", nullable)]
    pub search_text: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
