use sea_orm::entity::prelude::*;

/// Hồ sơ: one application for one procedure version by one applicant. The
/// applicant's details are a snapshot taken at submission.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `<agency code>-<yymmdd>-<4-digit daily sequence>`, set on reception.
    #[sea_orm(unique)]
    pub code: Option<String>,
    pub procedure_id: i64,
    pub procedure_version: i32,
    pub applicant_account_id: Option<i64>,
    pub applicant_name: String,
    pub applicant_id_number: Option<String>,
    pub applicant_phone: Option<String>,
    pub applicant_email: Option<String>,
    pub applicant_address: Option<String>,
    pub channel: String,
    pub status: String,
    pub pause_kind: Option<String>,
    /// The number of history events; a client passes it as expectedVersion.
    pub version: i32,
    pub receiving_agency_id: i64,
    pub settling_agency_id: i64,
    pub handler_account_id: Option<i64>,
    /// E-form data, JSON.
    #[sea_orm(column_type = "Text")]
    pub form_data: String,
    /// The applicant's submission key (submitDossier), unique per applicant.
    pub idempotency_key: Option<String>,
    /// The key the dossier was created with (createDossier,
    /// registerCounterDossier, registerPostalDossier), unique.
    pub creation_key: Option<String>,
    /// What the creation asked for, as a retry with `creation_key` must ask
    /// again: SHA-256 (hex) of the operation and its arguments; none for
    /// dossiers created before m20261201_000022.
    pub creation_request: Option<String>,
    pub submitted_at: Option<DateTimeUtc>,
    pub received_at: Option<DateTimeUtc>,
    pub transferred_at: Option<DateTimeUtc>,
    /// The due instant shown to the applicant (moved by pauses and apologies).
    pub due_at: Option<DateTimeUtc>,
    /// The due instant statistics judge by (moved by pauses only).
    pub legal_due_at: Option<DateTimeUtc>,
    pub paused_at: Option<DateTimeUtc>,
    pub paused_seconds: i64,
    /// Requests for a supplement, before reception and during processing.
    pub supplement_requests: i32,
    pub reception_seconds: Option<i64>,
    pub transfer_seconds: Option<i64>,
    pub settled_at: Option<DateTimeUtc>,
    pub timeliness: Option<String>,
    pub returned_at: Option<DateTimeUtc>,
    pub return_method: Option<String>,
    pub tracking_number: Option<String>,
    /// The official who entered it on the applicant's behalf (counter or
    /// postal intake).
    pub registered_by_account_id: Option<i64>,
    /// When the post delivered the result, and to whom.
    pub delivered_at: Option<DateTimeUtc>,
    pub delivery_recipient: Option<String>,
    /// Folded code, applicant name, phone digits and e-mail
    /// (`domain::text::dossier_search_text`); indexed by trigrams.
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
