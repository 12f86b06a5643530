//! Public tracking (tra cứu hồ sơ): what anyone may learn about a dossier
//! from its code and the applicant's ID number or phone.

use chrono::{DateTime, Utc};
use entity::{dossier, procedure};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect};

use super::super::{accounts, Caller};
use crate::domain::identity::Phone;
use crate::error::{AppError, AppResult, Missing};
use crate::state::AppState;

/// What anyone may learn about a dossier from its code and the applicant's
/// ID number or phone (Hà Nam 30/2019 Art. 12, Đắk Lắk 04/2024 Art. 12),
/// with what the lookup is checked against.
#[derive(Debug, FromQueryResult)]
pub struct Tracking {
    pub code: Option<String>,
    pub procedure_name: String,
    pub applicant_name: String,
    applicant_id_number: Option<String>,
    applicant_phone: Option<String>,
    /// Stored status (`lifecycle::DossierStatus`).
    pub status: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub settled_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
}

/// Public lookup. A wrong code and a wrong ID answer the same NOT_FOUND;
/// lookups are throttled per client address, per code and per identifier
/// (counted in memory or Redis). One statement: the dossier's columns the
/// answer needs and its procedure's name (issue 15).
pub async fn track(
    st: &AppState,
    caller: &Caller<'_>,
    code: &str,
    id_or_phone: &str,
) -> AppResult<Tracking> {
    use dossier::Column as D;
    let key = id_or_phone.trim();
    let phone = Phone::parse(key).ok().map(|p| p.as_str().to_owned());
    // Counted as it is matched: every spelling of one phone (spaces, dots,
    // dashes, +84) shares one budget.
    let counted = phone.as_deref().unwrap_or(key);
    accounts::throttle_lookup(st, caller.client_addr, code, counted).await?;
    let of_procedure = dossier::Entity::belongs_to(procedure::Entity)
        .from(D::ProcedureId)
        .to(procedure::Column::Id)
        .into();
    let d = dossier::Entity::find()
        .select_only()
        .columns([
            D::Code,
            D::ApplicantName,
            D::ApplicantIdNumber,
            D::ApplicantPhone,
            D::Status,
            D::SubmittedAt,
            D::ReceivedAt,
            D::DueAt,
            D::SettledAt,
            D::ReturnedAt,
        ])
        .column_as(procedure::Column::Name, "procedure_name")
        .join(sea_orm::JoinType::InnerJoin, of_procedure)
        .filter(D::Code.eq(code.trim()))
        .into_model::<Tracking>()
        .one(&st.db)
        .await?;
    match d {
        Some(d)
            if !key.is_empty()
                && (d.applicant_id_number.as_deref() == Some(key)
                    || (phone.is_some() && d.applicant_phone == phone)) =>
        {
            Ok(d)
        }
        _ => Err(AppError::NotFound(Missing::Dossier)),
    }
}
