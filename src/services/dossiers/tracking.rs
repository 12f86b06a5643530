//! Public tracking (tra cứu hồ sơ): what anyone may learn about a dossier
//! from its code and the applicant's ID number or phone.

use entity::dossier;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::super::catalogue::{self, Lookup};
use super::super::{accounts, Caller};
use crate::domain::identity::Phone;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What anyone may learn about a dossier from its code and the applicant's
/// ID number or phone (Hà Nam 30/2019 Art. 12, Đắk Lắk 04/2024 Art. 12).
pub struct Tracking {
    pub dossier: dossier::Model,
    pub procedure_name: String,
}

/// Public lookup. A wrong code and a wrong ID answer the same NOT_FOUND;
/// lookups are throttled per client address, per code and per identifier.
pub async fn track(
    st: &AppState,
    caller: &Caller<'_>,
    code: &str,
    id_or_phone: &str,
) -> AppResult<Tracking> {
    accounts::throttle_lookup(st, caller.client_addr, code, id_or_phone).await?;
    let d = dossier::Entity::find()
        .filter(dossier::Column::Code.eq(code.trim()))
        .one(&st.db)
        .await?;
    let key = id_or_phone.trim();
    let phone = Phone::parse(key).ok().map(|p| p.as_str().to_owned());
    let matches = d.as_ref().is_some_and(|d| {
        !key.is_empty()
            && (d.applicant_id_number.as_deref() == Some(key)
                || (phone.is_some() && d.applicant_phone == phone))
    });
    let d = match d {
        Some(d) if matches => d,
        _ => return Err(AppError::NotFound("dossier")),
    };
    let p = catalogue::procedure(&st.db, Lookup::Id(d.procedure_id)).await?;
    Ok(Tracking {
        dossier: d,
        procedure_name: p.name,
    })
}
